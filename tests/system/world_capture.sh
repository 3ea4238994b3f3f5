#!/bin/bash
# System test with real DNS traffic: knot, nsd and unbound in network namespaces
# (tests/world), client queries through the resolver, tcpdump on the resolver's upstream
# veth; the capture goes through import-pcap and must agree exactly with tshark's reading of
# it and with the facts derived from the zone files (tests/world/expected.txt); then
# tapdns-batch on it must observe exactly what tshark and the world's zone table say.
set -u
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
    echo "not ok - world: needs root for network namespaces"
    exit 1
fi
# One netns world at a time on this machine (namespace names are fixed): tests that bring up
# the world (this one, tapdns-xdp's) hold this lock.
exec 9>/run/lock/tapdns-world.lock
flock 9
work=$(mktemp -d /tmp/tapdns-world-test.XXXXXX)
export TDW_STATE=$work/state   # world.sh down removes it
pcap=$work/upstream.pcap
trap 'tests/world/world.sh down >/dev/null 2>&1; rm -rf "$work"' EXIT
tests/world/world.sh down >/dev/null 2>&1
if ! tests/world/world.sh up >"$work/up.log" 2>&1; then
    echo "not ok - world: up failed"
    sed 's/^/#   /' "$work/up.log" | tail -20
    exit 1
fi
if ! tests/world/world.sh capture "$pcap" >"$work/capture.log" 2>&1; then
    echo "not ok - world: capture failed"
    sed 's/^/#   /' "$work/capture.log" | tail -20
    exit 1
fi
tests/world/world.sh down >/dev/null 2>&1
if tests/world/world.sh check "$pcap" >"$work/check.log" 2>&1; then
    echo "ok - world: capture has the facts of expected.txt"
else
    echo "not ok - world: capture differs from expected.txt"
    sed 's/^/#   /' "$work/check.log" | head -30
fi
tests/world/compare.sh "$pcap" world
tests/world/compare_batch.sh "$pcap" world
