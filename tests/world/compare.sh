#!/bin/bash
# compare.sh PCAP [NAME]: imports PCAP with tapdns-spool and checks what it reports against
# tshark's reading of the same capture (summarize.sh), exactly:
#   - the DNS queries and responses seen, over TCP, fragmented;
#   - every response becomes a record, all matched to their query, none unsolicited;
#   - the multiset of (qname, qtype, rcode, transport, aa/tc, answer count) of the records
#     equals tshark's list of responses;
#   - verify accepts the spool files and to-pcap gives a capture that tshark reads with the
#     same responses;
#   - the capture converted to pcapng imports to the same records.
# Prints TAP lines. Needs TAPDNS_BIN (default build/bin).
set -u
pcap=$1
name=${2:-$(basename "$pcap")}
here=$(cd "$(dirname "$0")" && pwd)
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $name: $1"; }
fail() { echo "not ok - $name: $1"; }
check_eq() { # what got want
    if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1 = $2, tshark says $3"; fi
}

"$here/summarize.sh" "$pcap" >"$tmp/ref" || { fail "summarize.sh failed"; exit 1; }
ref() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/ref"; }
mkdir "$tmp/spool"
if ! "$BIN/tapdns-spool" import-pcap --no-fsync --sensor t --out "$tmp/spool" "$pcap" >"$tmp/counters" 2>"$tmp/err"; then
    fail "import-pcap failed: $(head -1 "$tmp/err")"
    exit 1
fi
ctr() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/counters"; }
"$BIN/tapdns-spool" cat "$tmp"/spool/*.tds.zst >"$tmp/records.json" || fail "cat failed"

check_eq "queries" "$(ctr dns_queries)" "$(ref queries)"
check_eq "responses" "$(ctr dns_responses)" "$(ref responses)"
check_eq "matched records" "$(ctr records_matched)" "$(ref responses)"
check_eq "unsolicited records" "$(ctr records_unsolicited)" "0"
check_eq "records in the spool" "$(wc -l <"$tmp/records.json")" "$(ref responses)"
check_eq "TCP responses" "$(jq -s '[.[] | select(.proto == "tcp")] | length' "$tmp/records.json")" "$(ref responses_tcp)"
frag=$(( $(ref fragmented_responses_ipv4) + $(ref fragmented_responses_ipv6) ))
check_eq "fragmented responses" "$(jq -s '[.[] | select(.flags | index("fragmented"))] | length' "$tmp/records.json")" "$frag"
check_eq "UDP checksums correct" "$(jq -s '[.[] | select(.checksum == "correct")] | length' "$tmp/records.json")" "$(ref responses_udp)"

# One line per distinct response, in summarize.sh's format.
jq -r '[.qname, .qtype, .rcode, (.proto + (.ip_version | tostring)),
        (if .aa and .tc then "aa+tc" elif .aa then "aa" elif .tc then "tc" else "-" end),
        ((.answer // []) | length | tostring)] | join(" ")' "$tmp/records.json" |
    sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ /, ""); print "response", $0, c }' | sort >"$tmp/ours"
grep '^response ' "$tmp/ref" | sort >"$tmp/theirs"
if diff -u "$tmp/theirs" "$tmp/ours" >"$tmp/diff"; then
    ok "$(wc -l <"$tmp/ours") distinct responses (qname qtype rcode transport flags ancount) equal tshark's"
else
    fail "responses differ from tshark's"
    head -30 "$tmp/diff" | sed 's/^/#   /'
fi
rcodes=$(jq -r .rcode "$tmp/records.json" | sort | uniq -c | awk '{ print "rcode", $2, $1 }' | sort)
if [ "$rcodes" = "$(grep '^rcode ' "$tmp/ref" | sort)" ]; then ok "rcodes equal tshark's"; else fail "rcodes differ"; fi

if "$BIN/tapdns-spool" verify -q "$tmp"/spool/*.tds.zst >/dev/null; then ok "verify"; else fail "verify"; fi
"$BIN/tapdns-spool" to-pcap --out "$tmp/back.pcap" "$tmp"/spool/*.tds.zst 2>/dev/null
"$here/summarize.sh" "$tmp/back.pcap" | grep '^response ' | sed -E 's/ (udp|tcp)([46]) / \1\2 /' | sort >"$tmp/back"
# to-pcap writes a TCP message as one segment and a big UDP message as one frame: only the
# responses' identities are compared.
if diff <(cut -d' ' -f1-4 "$tmp/theirs") <(cut -d' ' -f1-4 "$tmp/back") >/dev/null; then
    ok "to-pcap round trip: tshark reads the same responses"
else
    fail "to-pcap round trip differs"
fi

# The same capture as pcapng (editcap, from tshark's package) gives the same records.
if editcap -F pcapng "$pcap" "$tmp/same.pcapng" 2>/dev/null; then
    mkdir "$tmp/ng"
    "$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor t --out "$tmp/ng" "$tmp/same.pcapng"
    if cmp -s "$tmp/records.json" <("$BIN/tapdns-spool" cat "$tmp"/ng/*.tds.zst); then
        ok "pcapng import gives the same records"
    else
        fail "pcapng import differs"
    fi
else
    fail "editcap could not write pcapng"
fi
