#!/bin/bash
# tapdns-dpdk on hostile input and on signals.
# 1. Garbage and truncated frames (a pcap made here, deterministic: every prefix of real
#    frames of tests/data/sample.pcap, real frames with bytes flipped, DNS frames with random
#    payloads, random frames of random length, empty frames) through a net_pcap vdev: no crash,
#    every frame counted, and the same records and counters as import-pcap of that file.
# 2. SIGTERM and SIGINT while frames keep coming (net_pcap infinite_rx=1): exit 0, no .open
#    file left, every spool file verifies; the metrics file (--metrics-dir) holds the final
#    record count.
set -u
cd "$(dirname "$0")/../.."
. dpdk-capture/systest.sh
shopt -s nullglob
if [ ! -x "$DPDK" ]; then
    echo "ok - dpdk_robust # SKIP $DPDK not built (no libdpdk)"
    exit 0
fi
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

perl -e '
use strict; use warnings;
srand(7);
open(my $in, "<:raw", $ARGV[0]) or die; local $/; my $buf = <$in>; close $in;
my ($magic) = unpack("V", $buf);
die "little-endian usec pcap expected" unless $magic == 0xa1b2c3d4;
my @frames; my $off = 24;
while ($off + 16 <= length $buf) {
    my ($s, $us, $cl, $wl) = unpack("VVVV", substr($buf, $off, 16));
    push @frames, substr($buf, $off + 16, $cl); $off += 16 + $cl;
}
my @out; my $t = 1700000000;
sub put { push @out, $_[0]; }
for my $i (0 .. $#frames) {            # prefixes of real frames (every length for short ones)
    my $f = $frames[$i]; my $step = length($f) > 300 ? 13 : 1;
    for (my $l = 0; $l < length $f; $l += $step) { put(substr($f, 0, $l)); }
}
for my $f (@frames) {                  # real frames, 1..8 bytes changed, 3 variants each
    for (1 .. 3) { my $g = $f; for (1 .. 1 + int(rand(8))) { substr($g, int(rand(length $g)), 1) = chr(int(rand(256))); } put($g); }
}
for my $f (@frames) {                  # DNS frames with random payload after the headers
    next unless length($f) > 60;
    my $g = substr($f, 0, 42) . join("", map { chr(int(rand(256))) } 1 .. int(rand(600)));
    put($g);
}
for (1 .. 500) { put(join("", map { chr(int(rand(256))) } 1 .. int(rand(1600)))); }
put("") for 1 .. 5;
open(my $o, ">:raw", $ARGV[1]) or die;
print $o pack("VvvVVVV", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1);
my $n = 0;
for my $f (@out) { print $o pack("VVVV", $t + int($n / 1000), ($n % 1000) * 1000, length $f, length $f), $f; $n++; }
close $o; print "$n\n";
' tests/data/sample.pcap "$tmp/garbage.pcap" >"$tmp/count" || { echo "not ok - dpdk_robust: cannot make the garbage pcap"; exit 1; }
count=$(cat "$tmp/count")

mkdir -p "$tmp/g/dpdk" "$tmp/g/import"
# shellcheck disable=SC2046
timeout 120 "$DPDK" $(eal_args 0) --vdev "net_pcap0,rx_pcap=$tmp/garbage.pcap" -- --out "$tmp/g/dpdk" --sensor g \
    --rx-timestamps --idle-exit 1s --idle-sleep-us 1000 --stats-interval 0 --no-fsync --keep-recursive \
    >"$tmp/g/dpdk.counters" 2>"$tmp/g/dpdk.err"
rc=$?
if [ $rc -ne 0 ]; then
    echo "not ok - dpdk_robust garbage: tapdns-dpdk exited $rc: $(grep -v '^EAL' "$tmp/g/dpdk.err" | head -3)"
else
    frames=$(awk '$1 == "frames" { print $2 }' "$tmp/g/dpdk.counters")
    if [ "$frames" = "$count" ]; then
        echo "ok - dpdk_robust garbage: $count frames seen by the capture core"
    else
        echo "not ok - dpdk_robust garbage: capture core saw $frames frames of $count"
    fi
    "$BIN/tapdns-spool" import-pcap --no-fsync --sensor g --out "$tmp/g/import" --keep-recursive "$tmp/garbage.pcap" \
        >"$tmp/g/import.counters" 2>&1
    if diff <(core_counters "$tmp/g/dpdk.counters") <(core_counters "$tmp/g/import.counters") >"$tmp/g/diff"; then
        echo "ok - dpdk_robust garbage: counters equal import-pcap's ($(core_counters "$tmp/g/dpdk.counters" | grep -c '^drop_') drop reasons hit)"
    else
        echo "not ok - dpdk_robust garbage: counters differ from import-pcap"; sed 's/^/#   /' "$tmp/g/diff" | head
    fi
    if diff <(records time "$tmp"/g/dpdk/*.tds.zst) <(records time "$tmp"/g/import/*.tds.zst) >/dev/null; then
        echo "ok - dpdk_robust garbage: $(records time "$tmp"/g/dpdk/*.tds.zst | wc -l) records equal import-pcap's"
    else
        echo "not ok - dpdk_robust garbage: records differ from import-pcap"
    fi
fi

for sig in TERM INT; do
    d="$tmp/sig$sig"
    mkdir -p "$d" "$d.m"
    # shellcheck disable=SC2046
    "$DPDK" $(eal_args 0) --vdev "net_pcap0,rx_pcap=tests/data/sample.pcap,infinite_rx=1" -- --out "$d" --sensor s \
        --stats-interval 1s --frame-seconds 1 --metrics-dir "$d.m" >"$d.counters" 2>"$d.err" &
    pid=$!
    sleep 2
    kill -"$sig" "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "not ok - dpdk_robust SIG$sig: still running 5 s after the signal"
        kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
        continue
    fi
    wait "$pid"; rc=$?; pid=
    files=("$d"/*)
    open=("$d"/*.open)
    frames=$(awk '$1 == "rx_frames" { print $2 }' "$d.counters")
    nrec=$(awk '/^# queue 0:/ { print $NF }' "$d.counters")
    if [ $rc -eq 0 ] && [ ${#files[@]} -ge 1 ] && [ ${#open[@]} -eq 0 ] && "$BIN/tapdns-spool" verify "${files[@]}" >/dev/null 2>&1 \
        && [ "${frames:-0}" -gt 0 ] && [ "$nrec" -gt 0 ] && grep -q 'frames=.*imissed=.*rx_nombuf=' "$d.err"; then
        echo "ok - dpdk_robust SIG$sig: exit 0, ${#files[@]} spool file(s) closed and verified, $frames frames, $nrec records"
        mrec=$(awk '$1 == "tapdns_capture_records_total{queue=\"0\"}" { print $2 }' "$d.m/tapdns-dpdk-port0.prom" 2>/dev/null)
        if [ "$mrec" = "$nrec" ]; then
            echo "ok - dpdk_robust SIG$sig: metrics file tapdns-dpdk-port0.prom says $mrec records"
        else
            echo "not ok - dpdk_robust SIG$sig: metrics file records '$mrec', counters $nrec"
        fi
    else
        echo "not ok - dpdk_robust SIG$sig: rc=$rc files=${#files[@]} open=${#open[@]} frames=$frames records=$nrec"
        grep -v '^EAL' "$d.err" | head -3 | sed 's/^/#   /'
    fi
done
