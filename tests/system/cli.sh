#!/bin/bash
# The tapdns-spool command line: --help, exit statuses and one-line errors on bad use.
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # name, wanted status, wanted text in output (grep -E), command...
    local name=$1 want=$2 text=$3
    shift 3
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$text" "$tmp/out"; then
        echo "ok - cli: $name"
    else
        echo "not ok - cli: $name: exit $rc (want $want), output: $(head -c 300 "$tmp/out")"
    fi
}

expect "no command" 2 "^usage: tapdns-spool COMMAND" "$BIN/tapdns-spool"
expect "--help" 0 "import-pcap +read pcap" "$BIN/tapdns-spool" --help
for c in import-pcap cat verify stats to-pcap recover; do
    expect "$c --help" 0 "^usage: tapdns-spool $c" "$BIN/tapdns-spool" "$c" --help
done
expect "import-pcap --help lists options" 0 "--resolver ADDR\[/LEN\]" "$BIN/tapdns-spool" import-pcap --help
expect "unknown command" 2 "unknown command 'frobnicate'" "$BIN/tapdns-spool" frobnicate
expect "unknown option" 2 "unknown option --bogus" "$BIN/tapdns-spool" cat --bogus x
expect "missing --out" 2 "missing --out" "$BIN/tapdns-spool" import-pcap tests/data/sample.pcap
expect "no FILE" 2 "no FILE given" "$BIN/tapdns-spool" import-pcap --out "$tmp"
expect "bad duration" 2 "match-timeout" "$BIN/tapdns-spool" import-pcap --out "$tmp" --match-timeout 5x tests/data/sample.pcap
expect "bad resolver" 2 "bad resolver address '10.0.0.300'" "$BIN/tapdns-spool" import-pcap --out "$tmp" --resolver 10.0.0.300 tests/data/sample.pcap
expect "bad sensor id" 2 "sensor" "$BIN/tapdns-spool" import-pcap --out "$tmp" --sensor 'a/b' tests/data/sample.pcap
expect "missing capture" 1 "nonexistent.pcap" "$BIN/tapdns-spool" import-pcap -q --no-fsync --out "$tmp" nonexistent.pcap
printf 'not a capture' >"$tmp/junk"
expect "not a capture" 1 "junk" "$BIN/tapdns-spool" import-pcap -q --no-fsync --out "$tmp" "$tmp/junk"
printf '[sensor]\nportz = 53\n' >"$tmp/bad.conf"
expect "config with a syntax error" 2 "bad.conf:" "$BIN/tapdns-spool" import-pcap --config "$tmp/bad.conf" --out "$tmp" tests/data/sample.pcap
printf '[sensor\n' >"$tmp/bad2.conf"
expect "config that does not parse" 2 "bad2.conf:1" "$BIN/tapdns-spool" import-pcap --config "$tmp/bad2.conf" --out "$tmp" tests/data/sample.pcap
expect "cat of a non-spool file" 1 "not a spool file" "$BIN/tapdns-spool" cat "$tmp/junk"
expect "verify of a non-spool file" 1 "BAD: .*not a spool file" "$BIN/tapdns-spool" verify "$tmp/junk"
mkdir "$tmp/s"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --out "$tmp/s" tests/data/sample.pcap
expect "verify of a good file" 0 "OK: 100 records" "$BIN/tapdns-spool" verify "$tmp"/s/*.tds.zst
expect "verify of good and bad" 1 "BAD" "$BIN/tapdns-spool" verify "$tmp"/s/*.tds.zst "$tmp/junk"
