#!/bin/bash
# The tapdns-xdp command line and config file: --help, exit statuses and one-line errors on
# bad use, all refused before anything is attached (no root needed, no interface touched
# except reading lo's RX queue count).
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
X=$BIN/tapdns-xdp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$X" ]; then
    echo "not ok - xdp_cli: $X not built"
    exit 1
fi

expect() { # name, wanted status, wanted text in output (grep -E), command...
    local name=$1 want=$2 text=$3
    shift 3
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$text" "$tmp/out"; then
        echo "ok - xdp_cli: $name"
    else
        echo "not ok - xdp_cli: $name: exit $rc (want $want), output: $(head -c 300 "$tmp/out")"
    fi
}

expect "--help" 0 "^usage: tapdns-xdp --iface IF --out DIR" "$X" --help
expect "--help lists the options" 0 "--other pass\|drop" "$X" --help
expect "--help lists the stats interval" 0 "--stats-interval DURATION" "$X" --help
expect "no option" 2 "missing --iface" "$X"
expect "missing --out" 2 "missing --out" "$X" --iface lo
expect "unknown option" 2 "unknown option --bogus" "$X" --iface lo --out "$tmp" --bogus
expect "stray argument" 2 "unexpected argument 'extra'" "$X" --iface lo --out "$tmp" extra
expect "bad mode" 2 "--mode: native or skb, not 'hw'" "$X" --iface lo --out "$tmp" --mode hw
expect "bad other" 2 "--other: pass or drop, not 'maybe'" "$X" --iface lo --out "$tmp" --other maybe
expect "queues 0" 2 "--queues: 'all' or 1..1" "$X" --iface lo --out "$tmp" --queues 0
expect "queues over the count" 2 "--queues: 'all' or 1..1 \(RX queues of lo\), not '9'" "$X" --iface lo --out "$tmp" --queues 9
expect "queues not a number" 2 "not 'some'" "$X" --iface lo --out "$tmp" --queues some
expect "bad port list" 2 "tapdns-xdp: .*port" "$X" --iface lo --out "$tmp" --ports 99999
expect "bad resolver" 2 "10.0.0.300" "$X" --iface lo --out "$tmp" --resolver 10.0.0.300
expect "unknown interface" 1 "interface nosuch0: No such device" "$X" --iface nosuch0 --out "$tmp"
printf '[xdp]\niface = nosuch1\nmode = skb\n[spool]\ndir = %s\n' "$tmp" >"$tmp/a.conf"
expect "config file gives iface and spool dir" 1 "interface nosuch1: No such device" "$X" --config "$tmp/a.conf"
expect "command line wins over the config" 1 "interface nosuch2" "$X" --config "$tmp/a.conf" --iface nosuch2
printf '[xdp]\nmode = turbo\n' >"$tmp/b.conf"
expect "bad mode in the config" 2 "--mode: native or skb, not 'turbo'" "$X" --config "$tmp/b.conf" --iface lo --out "$tmp"
printf '[xdp]\nifface = lo\n' >"$tmp/c.conf"
expect "unknown config key" 2 "ifface" "$X" --config "$tmp/c.conf" --out "$tmp"
printf '[xdp]\nzero_copy = true\nring_size = 1024\nframe_size = 2048\nother = drop\n[capture]\nqueues = 7\nstats_interval = 5s\n' >"$tmp/d.conf"
expect "every xdp/capture key parses (queues checked)" 2 "not '7'" "$X" --config "$tmp/d.conf" --iface lo --out "$tmp"
exit 0
