#!/bin/bash
# summarize.sh PCAP: the DNS facts of a capture, computed with tshark (an independent reference
# for what an import of the capture must report). Only DNS on port 53 counts; ARP, neighbour
# discovery and other noise is ignored. Output lines (sorted within each block):
#   KEY VALUE                                   counters (see below)
#   rcode RCODE COUNT                           responses per rcode
#   response QNAME QTYPE RCODE TRANSPORT FLAGS ANCOUNT COUNT
#       one line per distinct response; QNAME fully qualified ("." is the root), TRANSPORT one of
#       udp4 udp6 tcp4 tcp6, FLAGS "aa", "tc", "aa+tc" or "-", ANCOUNT the answer section count,
#       COUNT how many such responses.
# Lines starting with "#" are comments (unstable facts such as the packet total).
set -eu
pcap=${1:?usage: summarize.sh PCAP}
[ -r "$pcap" ] || { echo "summarize.sh: cannot read $pcap" >&2; exit 1; }
command -v tshark >/dev/null || { echo "summarize.sh: tshark is needed (package tshark)" >&2; exit 1; }
tsh() { tshark -n -r "$pcap" "$@" 2>/dev/null; }

total=$(tsh -T fields -e frame.number | wc -l)
frag4=$(tsh -Y 'ip.flags.mf == 1 || ip.frag_offset > 0' -T fields -e frame.number | wc -l)
frag6=$(tsh -Y 'ipv6.fraghdr' -T fields -e frame.number | wc -l)

tsh -Y 'dns && (udp.port == 53 || tcp.port == 53)' -T fields -E separator='|' \
    -e ip.version -e ipv6.version -e tcp.stream -e dns.flags.response -e dns.qry.name \
    -e dns.qry.type -e dns.flags.rcode -e dns.flags.truncated -e dns.flags.authoritative -e dns.count.answers \
    -e ip.fragment.count -e ipv6.fragment.count |
awk -F'|' -v total="$total" -v frag4="$frag4" -v frag6="$frag6" '
function tname(t) {
    return (t in TN) ? TN[t] : "TYPE" t
}
function rname(r) {
    return (r in RN) ? RN[r] : "RCODE" r
}
BEGIN {
    split("1 A 2 NS 5 CNAME 6 SOA 12 PTR 13 HINFO 15 MX 16 TXT 28 AAAA 33 SRV 35 NAPTR 39 DNAME " \
          "41 OPT 43 DS 44 SSHFP 46 RRSIG 47 NSEC 48 DNSKEY 50 NSEC3 52 TLSA 64 SVCB 65 HTTPS " \
          "99 SPF 252 AXFR 255 ANY 257 CAA", a, " ")
    for (i = 1; i in a; i += 2) TN[a[i]] = a[i + 1]
    split("0 NOERROR 1 FORMERR 2 SERVFAIL 3 NXDOMAIN 4 NOTIMP 5 REFUSED 9 NOTAUTH", b, " ")
    for (i = 1; i in b; i += 2) RN[b[i]] = b[i + 1]
}
{
    fam = ($2 != "") ? "6" : "4"
    proto = ($3 != "") ? "tcp" : "udp"
    # A TCP segment may carry several DNS messages: fields are then comma lists.
    n = split($4, resp, ","); split($5, qn, ","); split($6, qt, ",")
    split($7, rc, ","); split($8, tc, ","); split($9, aa, ","); split($10, an, ",")
    for (i = 1; i <= n; i++) {
        name = qn[i]; name = (name == "<Root>" || name == "") ? "." : name "."
        msgs++; fams[fam]++
        if (resp[i] == 1 || resp[i] == "True") {
            responses++; rproto[proto]++
            f = (aa[i] == 1 || aa[i] == "True") ? "aa" : ""
            if (tc[i] == 1 || tc[i] == "True") f = f (f == "" ? "" : "+") "tc"
            if (f == "") f = "-"
            if (tc[i] == 1 || tc[i] == "True") truncated++
            if (fam == "4" && $11 != "") fragd4++
            if (fam == "6" && $12 != "") fragd6++
            rcodes[rname(rc[i])]++
            R[name " " tname(qt[i]) " " rname(rc[i]) " " proto fam " " f " " an[i]]++
        } else {
            queries++; qproto[proto]++
        }
    }
}
END {
    print "# summarize.sh v1"
    print "# packets " total " (not stable: includes ARP and neighbour discovery)"
    printf "dns_messages %d\n", msgs
    printf "queries %d\n", queries
    printf "responses %d\n", responses
    printf "queries_udp %d\n", qproto["udp"]
    printf "queries_tcp %d\n", qproto["tcp"]
    printf "responses_udp %d\n", rproto["udp"]
    printf "responses_tcp %d\n", rproto["tcp"]
    printf "responses_truncated %d\n", truncated
    printf "messages_ipv4 %d\n", fams["4"]
    printf "messages_ipv6 %d\n", fams["6"]
    printf "fragmented_responses_ipv4 %d\n", fragd4
    printf "fragmented_responses_ipv6 %d\n", fragd6
    printf "fragment_packets_ipv4 %d\n", frag4
    printf "fragment_packets_ipv6 %d\n", frag6
    for (r in rcodes) printf "rcode %s %d\n", r, rcodes[r] | "sort"
    close("sort")
    for (k in R) printf "response %s %d\n", k, R[k] | "sort"
    close("sort")
}'
