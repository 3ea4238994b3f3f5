#!/bin/bash
# query_cli.sh: tapdns-query on an index built from tests/data/sample.pcap exactly like `make demo`
# (tapdns-spool import-pcap, tapdns-batch, tapdns-index build): each query's stdout, stderr and
# exit status must equal its golden file tests/data/query/cli/NAME.out. UPDATE_GOLD=1 rewrites
# the golden files (review them against tests/world/zones/ before committing). Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
gold=tests/data/query/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - query_cli: $1"; }
fail() { echo "not ok - query_cli: $1"; }

mkdir -p "$tmp/spool" "$tmp/obs" "$tmp/state" "$tmp/index"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor demo --out "$tmp/spool" tests/data/sample.pcap ||
    { fail "import-pcap"; exit 1; }
"$BIN/tapdns-batch" -q --spool "$tmp/spool" --out "$tmp/obs" --state "$tmp/state" \
    --root-hints tests/world/root.hints 2>"$tmp/err" || { fail "batch: $(head -1 "$tmp/err")"; exit 1; }
for f in "$tmp"/obs/*.obs.zst; do
    "$BIN/tapdns-index" build -q --db "$tmp/index" --hour "$(basename "$f" | cut -c1-10)" "$f" 2>"$tmp/err" ||
        { fail "index build: $(head -1 "$tmp/err")"; exit 1; }
done

# NAME ARGS... (one query per line; arguments split on spaces, no globbing)
cases='
rrset_cname rrset www.alpha.test
rrset_mx rrset alpha.test/MX
rrset_any_bailiwick rrset alpha.test/ANY/alpha.test
rrset_type_bailiwick rrset ns1.alpha.test/A/test
rrset_below_json --json rrset *.beta.test
rrset_above rrset alpha.*
rrset_plus_json --json rrset +.alpha.test
rrset_raw rrset raw 0377777705616c706861047465737400/CNAME
rrset_raw_bad rrset raw 0377777705616c7068610474657374
fence_relative_json --json --time-last-before -0 rrset www.alpha.test
gravel_json --json --gravel rrset alpha.test/SOA
rrset_none rrset nosuch.alpha.test
rrset_bad_type rrset www.alpha.test/BOGUS
rrset_bad_wildcard rrset www.*.test
rdata_name_ns rdata name ns1.alpha.test
rdata_name_any rdata name host.gamma.tdw
rdata_name_mx_json --json rdata name mx.delta.tdw/MX
rdata_name_below --json rdata name *.gamma.tdw
rdata_ip_one rdata ip 10.53.200.7
rdata_ip_prefix --json rdata ip 10.53.202.0/28
rdata_ip_range --json rdata ip 10.53.201.1-10.53.201.5
rdata_ip6 rdata ip fd53::200:50
rdata_ip6_prefix_json --json rdata ip fd53::202:0/120/AAAA
rdata_ip_bad_type rdata ip 10.53.200.7/AAAA
rdata_raw rdata raw 0a35c832/A
limit_saf --saf --limit 3 rrset *.gamma.tdw
offset_json --json --limit 2 --offset 3 rrset *.gamma.tdw/A
summarize -s rrset *.gamma.tdw
summarize_saf --saf -s rdata ip 10.53.201.0/24
fence_json --json --time-first-after 1795748442 rrset *.alpha.test
humantime_saf --saf --humantime rrset alpha.test/TXT
text_escapes_json --json rrset *.alpha.test/HINFO
'
n=0 bad=0
while read -r name args; do
    [ -z "$name" ] && continue
    n=$((n + 1))
    set -f
    # shellcheck disable=SC2086
    "$BIN/tapdns-query" --db "$tmp/index" $args >"$tmp/out" 2>"$tmp/stderr"
    rc=$?
    set +f
    { cat "$tmp/out"; sed 's/^/# stderr: /' "$tmp/stderr"; echo "# exit $rc"; } >"$tmp/$name.out"
    if [ "${UPDATE_GOLD:-0}" = 1 ]; then
        cp "$tmp/$name.out" "$gold/$name.out"
    fi
    if diff -u "$gold/$name.out" "$tmp/$name.out" >"$tmp/diff" 2>&1; then
        ok "$name ($args)"
    else
        fail "$name ($args) differs from $gold/$name.out"
        head -20 "$tmp/diff" | sed 's/^/#   /'
        bad=$((bad + 1))
    fi
done <<<"$cases"
[ "$n" -ge 20 ] && ok "$n queries" || fail "only $n queries"
