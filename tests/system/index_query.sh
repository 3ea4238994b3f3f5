#!/bin/bash
# index_query.sh: sample -> batch -> tapdns-index build, then tapdns-index query (the reading
# library): rrset '*.' plus '*./ANY-DNSSEC' give back exactly the observations (`tapdns-batch
# cat`, as JSON objects); each exact rrset NAME/TYPE/BAILIWICK lookup holds its observation;
# --limit/--offset cut the full listing; a fence past every time gives nothing; rdata ip
# 0.0.0.0,0 gives only A rows. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - index_query: $1"; }
fail() { echo "not ok - index_query: $1"; }
Q() { "$BIN/tapdns-index" query --db "$tmp/db" "$@"; }

mkdir -p "$tmp/spool" "$tmp/out" "$tmp/state"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor w --out "$tmp/spool" tests/data/sample.pcap || { fail "import"; exit 1; }
"$BIN/tapdns-batch" -q --spool "$tmp/spool" --out "$tmp/out" --state "$tmp/state" \
    --root-hints tests/world/root.hints 2>"$tmp/err" || { fail "batch: $(head -1 "$tmp/err")"; exit 1; }
obs=$(ls "$tmp"/out/*.obs.zst)
hour=$(basename "$obs" | cut -c1-10)
"$BIN/tapdns-index" build -q --db "$tmp/db" --hour "$hour" $obs 2>"$tmp/err" || { fail "build: $(head -1 "$tmp/err")"; exit 1; }
"$BIN/tapdns-batch" cat $obs | jq -S -c . | sort >"$tmp/want"
nobs=$(wc -l <"$tmp/want")

{ Q rrset '*.' && Q rrset '*./ANY-DNSSEC'; } >"$tmp/all" 2>"$tmp/err" || fail "query *.: $(head -1 "$tmp/err")"
jq -S -c . "$tmp/all" | sort >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got" && ok "rrset '*.' + ANY-DNSSEC = the $nobs observations" \
    || fail "rrset '*.': $(diff "$tmp/want" "$tmp/got" | head -4)"

miss=0 n=0
while read -r line; do
    n=$((n + 1))
    key=$(jq -r '"\(.rrname)/\(.rrtype)/\(.bailiwick)"' <<<"$line")
    Q rrset "$key" | jq -S -c . | grep -qxF "$line" || { miss=$((miss + 1)); echo "# missing $key"; }
done <"$tmp/want"
[ "$miss" = 0 ] && ok "$n exact rrset NAME/TYPE/BAILIWICK lookups each find their observation" \
    || fail "$miss of $n exact lookups miss their observation"

Q rrset '*.' >"$tmp/full"
Q rrset '*.' --limit 5 >"$tmp/l5"
Q rrset '*.' --offset 3 --limit 2 >"$tmp/o3l2"
if cmp -s "$tmp/l5" <(head -5 "$tmp/full") && cmp -s "$tmp/o3l2" <(sed -n 4,5p "$tmp/full") && [ "$(wc -l <"$tmp/l5")" = 5 ]; then
    ok "--limit 5 and --offset 3 --limit 2 cut the full listing"
else
    fail "limit/offset"
fi

maxtl=$(jq -s 'map(.time_last) | max' "$tmp/want")
mintf=$(jq -s 'map(.time_first) | min' "$tmp/want")
[ -z "$(Q rrset '*.' --time-first-after $((maxtl + 1)))" ] && ok "--time-first-after past every time: nothing" \
    || fail "--time-first-after $((maxtl + 1)) gave results"
[ "$(Q rrset '*.' --time-first-after "$mintf" | wc -l)" = "$(wc -l <"$tmp/full")" ] \
    && ok "--time-first-after at the minimum time_first (inclusive): everything" || fail "inclusive fence"

Q rdata ip 0.0.0.0,0 >"$tmp/ips" 2>"$tmp/err" || fail "rdata ip: $(head -1 "$tmp/err")"
nip=$(wc -l <"$tmp/ips")
nonA=$(jq -r 'select(.rrtype != "A") | .rrtype' "$tmp/ips" | wc -l)
[ "$nip" -gt 0 ] && [ "$nonA" = 0 ] && ok "rdata ip 0.0.0.0,0: $nip rows, all A" || fail "rdata ip: $nip rows, $nonA not A"
one=$(jq -r 'select(.rrtype == "A") | .rdata[0]' "$tmp/want" | head -1)
Q rdata ip "$one" | jq -e -s "length > 0 and all(.rdata == \"$one\")" >/dev/null \
    && ok "rdata ip $one: only that address" || fail "rdata ip $one"

Q bogus x >/dev/null 2>&1; [ $? = 2 ] && ok "a bad query exits 2" || fail "bad query exit status"
