#!/bin/bash
# expected_obs.sh PCAP: what tapdns-batch must observe in a capture of the test world,
# computed independently with tshark (JSON, read with jq) and the world's own server -> zones table (world.sh):
# one line "RRNAME RRTYPE BAILIWICK COUNT" per RRset, sorted. A response counts if it is an
# answer (rcode NOERROR or NXDOMAIN, TC=0); each of its RRsets (distinct owner and type; OPT
# left out) gets as bailiwick the closest enclosing zone that the responding server serves,
# and COUNT is the number of such responses that carried it. RRsets outside every zone of
# their server are listed as "RRNAME RRTYPE - COUNT" (they must end up discarded).
set -eu
pcap=${1:?usage: expected_obs.sh PCAP}
tshark -n -r "$pcap" -Y 'dns.flags.response == 1' -T json 2>/dev/null | jq -r '
  .[] | ._source.layers as $l
  | ($l.ip["ip.src"] // $l.ipv6["ipv6.src"]) as $src
  | ($l.dns | if type == "array" then .[0] else . end) as $d
  | $d["dns.flags_tree"] as $f
  | ($d["Answers"], $d["Authoritative nameservers"], $d["Additional records"]) // {}
  | keys[]
  | capture("^(?<name>.*): type (?<type>[A-Za-z0-9]+)")
  | [$l.frame["frame.number"], $src, $f["dns.flags.rcode"], $f["dns.flags.truncated"], .name, .type]
  | join("|")' |
awk -F'|' '
BEGIN {
    # the world (tests/world/world.sh): server address -> zones it serves
    Z["10.53.0.10"] = "."; Z["fd53::10"] = "."
    Z["10.53.0.20"] = "test. tdw."; Z["fd53::20"] = "test. tdw."
    Z["10.53.0.30"] = "alpha.test. beta.test."; Z["fd53::30"] = "alpha.test. beta.test."
    Z["10.53.0.40"] = "gamma.tdw. delta.tdw."; Z["fd53::40"] = "gamma.tdw. delta.tdw."
}
function below(name, zone) {
    if (zone == ".") return 1
    return name == zone || substr(name, length(name) - length(zone)) == "." zone
}
$1 != frame { frame = $1; delete seen }
{
    srv = $2
    if (($3 != 0 && $3 != 3) || $4 == 1 || $4 == "True") next
    if ($6 == "OPT") next
    name = tolower($5); name = (name == "<root>") ? "." : name "."
    t = $6
    if ((name SUBSEP t) in seen) next
    seen[name, t] = 1
    best = "-"
    m = split(Z[srv], zs, " ")
    for (k = 1; k <= m; k++)
        if (below(name, zs[k]) && (best == "-" || length(zs[k]) > length(best))) best = zs[k]
    count[name " " t " " best]++
}
END { for (k in count) print k, count[k] }' | sort
