#!/bin/sh
# make bench-dpdk: frames/s per lcore through the capture core from pre-built mbufs (net_pcap
# infinite_rx=1 over tests/data/sample.pcap), beside an rx-and-free baseline in the same run.
# RUNS (default 5) and SECONDS_PER_RUN (default 2) may be set in the environment.
set -e
BUILD=${BUILD:-build}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$BUILD/bench/dpdk_bench" --no-huge --no-pci --no-shconf --no-telemetry --file-prefix tdb$$ -m 256 -l 0 \
    --log-level=warning --vdev "net_pcap0,rx_pcap=tests/data/sample.pcap,infinite_rx=1" -- \
    "${RUNS:-5}" "${SECONDS_PER_RUN:-2}" "$dir"
