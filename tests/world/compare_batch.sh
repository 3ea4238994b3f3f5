#!/bin/bash
# compare_batch.sh PCAP [NAME]: import-pcap, then tapdns-batch with the world's root hints;
# the observations must be exactly what expected_obs.sh derives from the capture with tshark
# and the world's server -> zones table: every RRset the servers served appears once per
# bailiwick with the right count, and nothing else appears. Also: a rerun does nothing, and
# `tapdns-batch cat` prints COF fields. Prints TAP lines.
set -u
pcap=$1
name=${2:-$(basename "$pcap")}
here=$(cd "$(dirname "$0")" && pwd)
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - $name batch: $1"; }
fail() { echo "not ok - $name batch: $1"; }

mkdir -p "$tmp/spool" "$tmp/out" "$tmp/state"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor w --out "$tmp/spool" "$pcap" || { fail "import"; exit 1; }
if ! "$BIN/tapdns-batch" --spool "$tmp/spool" --out "$tmp/out" --state "$tmp/state" \
        --root-hints "$here/root.hints" >"$tmp/counters" 2>"$tmp/err"; then
    fail "run failed: $(head -2 "$tmp/err")"
    exit 1
fi
ok "run"
"$BIN/tapdns-batch" cat "$tmp"/out/*.obs.zst >"$tmp/obs.json" || fail "cat of observations"
"$BIN/tapdns-batch" cat "$tmp"/out/*.discard.zst >"$tmp/discard.json" || fail "cat of discards"
jq -r '[.rrname, .rrtype, .bailiwick, .count] | join(" ")' "$tmp/obs.json" |
    awk '{ c[$1 " " $2 " " $3] += $4 } END { for (k in c) print k, c[k] }' | sort >"$tmp/ours"
"$here/expected_obs.sh" "$pcap" | awk '$3 != "-"' >"$tmp/want"
if diff -u "$tmp/want" "$tmp/ours" >"$tmp/diff"; then
    ok "$(wc -l <"$tmp/ours") (rrname, rrtype, bailiwick) with their counts equal tshark's reading of the capture"
else
    fail "observations differ from expected_obs.sh"
    head -30 "$tmp/diff" | sed 's/^/#   /'
fi
# out-of-bailiwick RRsets of the capture (if any) are in the discard file with that reason
want_oob=$("$here/expected_obs.sh" "$pcap" | awk '$3 == "-" { print $1, $2 }' | sort -u)
got_oob=$(jq -r 'select(.reason == "out-of-bailiwick") | [.rrname, .rrtype] | join(" ")' "$tmp/discard.json" | sort -u)
[ "$want_oob" = "$got_oob" ] && ok "out-of-bailiwick discards as expected ($(echo -n "$want_oob" | grep -c .))" \
    || fail "out-of-bailiwick discards differ: want [$want_oob] got [$got_oob]"
# COF fields and types
if jq -e 'select((.rrname|type) != "string" or (.rrtype|type) != "string" or (.bailiwick|type) != "string"
          or (.rdata|type) != "array" or (.count|type) != "number" or (.time_first|type) != "number"
          or (.time_last|type) != "number" or (.time_first > .time_last))' "$tmp/obs.json" >/dev/null; then
    fail "an observation lacks a COF field or has the wrong type"
else
    ok "every observation has the COF fields with their types"
fi
"$BIN/tapdns-batch" --spool "$tmp/spool" --out "$tmp/out" --state "$tmp/state" --root-hints "$here/root.hints" \
    >"$tmp/counters2" 2>/dev/null
if awk '$1 == "records" && $2 == 0 { found = 1 } END { exit !found }' "$tmp/counters2"; then
    ok "a rerun reads nothing again"
else
    fail "a rerun read records again"
fi
