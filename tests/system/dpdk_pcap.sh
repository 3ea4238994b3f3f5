#!/bin/bash
# tapdns-dpdk over a net_pcap vdev (--no-huge --no-pci, one queue, the file's times through
# the PMD's RX timestamps) gives the same spool records and the same core counters as
# `tapdns-spool import-pcap` of the same file: tests/data/sample.pcap (the netns world) and
# every Ethernet capture of tests/data/crafted/ (with its .opts or .conf). The raw-IP, SLL and
# SLL2 captures are not Ethernet: a DPDK port only delivers Ethernet frames, so they are
# skipped. Known difference: net_pcap keeps only the captured octets of a frame (no wire
# length), so a frame cut by the snap length counts as a short frame, not as a cut payload.
set -u
cd "$(dirname "$0")/../.."
. dpdk-capture/systest.sh
shopt -s nullglob
if [ ! -x "$DPDK" ]; then
    echo "ok - dpdk_pcap # SKIP $DPDK not built (no libdpdk)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compare() { # name pcap opts...
    local name=$1 pcap=$2; shift 2
    local d="$tmp/$name"
    mkdir -p "$d/dpdk" "$d/import"
    # shellcheck disable=SC2046
    if ! timeout 60 "$DPDK" $(eal_args 0) --vdev "net_pcap0,rx_pcap=$pcap" -- --out "$d/dpdk" --sensor t \
            --rx-timestamps --idle-exit 1s --idle-sleep-us 1000 --stats-interval 0 --no-fsync "$@" \
            >"$d/dpdk.counters" 2>"$d/dpdk.err"; then
        echo "not ok - dpdk_pcap $name: tapdns-dpdk failed: $(grep -v '^EAL' "$d/dpdk.err" | head -2)"
        return
    fi
    "$BIN/tapdns-spool" import-pcap --no-fsync --sensor t --out "$d/import" "$@" "$pcap" >"$d/import.counters" 2>"$d/import.err"
    local a b
    a=$(cd "$d/dpdk" && ls); b=$(cd "$d/import" && ls)
    if [ "$a" != "$b" ]; then
        echo "not ok - dpdk_pcap $name: spool files differ: [$a] vs [$b]"
        return
    fi
    if ! diff <(records time "$d"/dpdk/*.tds.zst 2>&1) <(records time "$d"/import/*.tds.zst 2>&1) >"$d/rec.diff"; then
        echo "not ok - dpdk_pcap $name: records differ from import-pcap"
        head -6 "$d/rec.diff" | cut -c1-200 | sed 's/^/#   /'
        return
    fi
    if ! diff <(core_counters "$d/dpdk.counters") <(core_counters "$d/import.counters") >"$d/cnt.diff"; then
        echo "not ok - dpdk_pcap $name: counters differ from import-pcap"
        sed 's/^/#   /' "$d/cnt.diff" | head -10
        return
    fi
    local n frames
    n=$(records time "$d"/dpdk/*.tds.zst 2>/dev/null | wc -l)
    frames=$(awk '$1 == "rx_frames" { print $2 }' "$d/dpdk.counters")
    echo "ok - dpdk_pcap $name: $n records, $frames frames, same as import-pcap"
}

compare sample tests/data/sample.pcap
for pcap in tests/data/crafted/*.pcap; do
    name=$(basename "$pcap" .pcap)
    linktype=$(od -An -tu4 -j20 -N4 "$pcap" | tr -d ' ')
    if [ "$linktype" != 1 ]; then
        echo "ok - dpdk_pcap $name # SKIP link type $linktype is not Ethernet"
        continue
    fi
    opts=""
    [ -f "tests/data/crafted/$name.opts" ] && opts=$(cat "tests/data/crafted/$name.opts")
    [ -f "tests/data/crafted/$name.conf" ] && opts="--config tests/data/crafted/$name.conf"
    # shellcheck disable=SC2086
    compare "$name" "$pcap" $opts
done
