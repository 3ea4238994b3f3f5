#!/bin/sh
# make bench-capture: the capture-path benchmark (not a test). Spool files go to a scratch
# directory that is removed afterwards. PAIRS and RUNS may be set in the environment.
set -e
BUILD=${BUILD:-build}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "== synthetic resolver-upstream traffic"
BENCH_DIR=$dir "$BUILD/bench/bench_capture" "${PAIRS:-1000000}" "${RUNS:-5}"
if [ -f tests/data/sample.pcap ]; then
    rm -f "$dir"/*
    echo "== tests/data/sample.pcap (real recursive traffic) replayed ${REPLAYS:-200} times"
    BENCH_DIR=$dir "$BUILD/bench/bench_capture" "${REPLAYS:-200}" "${RUNS:-5}" tests/data/sample.pcap
fi
