#!/bin/bash
# tapdns-dpdk with several RX queues: net_af_packet on a veth pair in a network namespace of
# our own (qpairs=2; two lcores), tests/data/sample.pcap replayed into the peer with tcpreplay.
# With net_af_packet the kernel's PACKET_FANOUT (flow hash, symmetric in addresses and ports;
# the PMD sets FANOUT_FLAG_DEFRAG) picks the queue, not RSS. What holds, and is checked:
#   - one queue: the same 100 records as import-pcap (times aside: wall clock), except that
#     IPv4 fragments arrive reassembled by the kernel, so that record lacks "fragmented";
#   - two queues: one spool file per writer (ids 0 and 1, both used), the same 100 records in
#     total as one queue, every query matched with its response on the same queue, except
#     IPv6 fragmented responses: the kernel hashes an IPv6 fragment on its addresses only, so
#     it may land away from its query and is then recorded UNSOLICITED (checked: only those).
set -u
cd "$(dirname "$0")/../.."
. dpdk-capture/systest.sh
shopt -s nullglob
if [ ! -x "$DPDK" ]; then
    echo "ok - dpdk_queues # SKIP $DPDK not built (no libdpdk)"
    exit 0
fi
if ! command -v tcpreplay >/dev/null || [ "$(id -u)" != 0 ]; then
    echo "ok - dpdk_queues # SKIP needs root and tcpreplay"
    exit 0
fi
tmp=$(mktemp -d)
ns=tddpdk-$$
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
if ! { ip netns add "$ns" && ip -n "$ns" link add tdda type veth peer name tddb \
       && ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
       && ip -n "$ns" link set tdda up && ip -n "$ns" link set tddb up; }; then
    echo "not ok - dpdk_queues: cannot make the namespace and veth pair"
    exit 1
fi

# the reference: import-pcap, times dropped, IPv4 "fragmented" dropped (see above)
norm='del(.query_time, .response_time) | if .ip_version == 4 then .flags -= ["fragmented"] else . end'
mkdir -p "$tmp/import"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor t --out "$tmp/import" tests/data/sample.pcap
"$BIN/tapdns-spool" cat "$tmp"/import/*.tds.zst | jq -c "$norm" | sort >"$tmp/import.json"

run() { # queues -> $tmp/qN/, $tmp/qN.counters
    local q=$1 d="$tmp/q$1"
    mkdir -p "$d"
    # frames up to 8 KiB (a reassembled IPv4 datagram) must fit the PMD's frame and our mbufs
    # shellcheck disable=SC2046
    ip netns exec "$ns" "$DPDK" $(eal_args 0-1) \
        --vdev "net_af_packet0,iface=tdda,qpairs=$q,blocksz=8192,framesz=8192,framecnt=256" -- \
        --out "$d" --sensor t --queues "$q" --mbuf-data 8192 --rx-ring 256 --idle-sleep-us 1000 \
        --stats-interval 0 --no-fsync >"$d.counters" 2>"$d.err" &
    pid=$!
    for _ in $(seq 50); do grep -q "queue(s)" "$d.err" && break; sleep 0.1; done
    sleep 0.5
    ip netns exec "$ns" tcpreplay -q -i tddb --pps 2000 tests/data/sample.pcap >"$d.replay" 2>&1
    sleep 1
    kill -INT "$pid"
    wait "$pid"
    local rc=$?
    pid=
    return $rc
}

if ! run 1; then
    echo "not ok - dpdk_queues one queue: tapdns-dpdk failed: $(grep -v '^EAL' "$tmp/q1.err" | head -2)"
else
    "$BIN/tapdns-spool" cat "$tmp"/q1/*.tds.zst | jq -c "$norm" | sort >"$tmp/q1.json"
    if diff "$tmp/import.json" "$tmp/q1.json" >"$tmp/q1.diff"; then
        echo "ok - dpdk_queues one queue: $(wc -l <"$tmp/q1.json") records as import-pcap's"
    else
        echo "not ok - dpdk_queues one queue: records differ from import-pcap"
        cut -c1-200 "$tmp/q1.diff" | head -6 | sed 's/^/#   /'
    fi
fi

if ! run 2; then
    echo "not ok - dpdk_queues two queues: tapdns-dpdk failed: $(grep -v '^EAL' "$tmp/q2.err" | head -2)"
    exit 0
fi
files=$(cd "$tmp/q2" && ls)
w0=$(cd "$tmp/q2" && ls | grep -c '^t\.[0-9]*\.0\.tds\.zst$')
w1=$(cd "$tmp/q2" && ls | grep -c '^t\.[0-9]*\.1\.tds\.zst$')
n0=$("$BIN/tapdns-spool" cat "$tmp"/q2/t.*.0.tds.zst | wc -l)
n1=$("$BIN/tapdns-spool" cat "$tmp"/q2/t.*.1.tds.zst | wc -l)
if [ "$(echo "$files" | wc -l)" = 2 ] && [ "$w0" = 1 ] && [ "$w1" = 1 ] && [ "$n0" -gt 0 ] && [ "$n1" -gt 0 ]; then
    echo "ok - dpdk_queues two queues: one spool file per writer ($n0 + $n1 records)"
else
    echo "not ok - dpdk_queues two queues: files [$files], records $n0 + $n1"
fi
# every record of both files, a response recorded unsolicited turned back into matched form
"$BIN/tapdns-spool" cat "$tmp"/q2/*.tds.zst >"$tmp/q2.raw"
total=$(wc -l <"$tmp/q2.raw")
q1total=$("$BIN/tapdns-spool" cat "$tmp"/q1/*.tds.zst | wc -l)
if [ "$total" = "$q1total" ] && [ "$total" = 100 ]; then
    echo "ok - dpdk_queues two queues: $total records, as with one queue"
else
    echo "not ok - dpdk_queues two queues: $total records, one queue had $q1total"
fi
bad=$(jq -c 'select(.type != "matched" and (.ip_version != 6 or (.flags | index("fragmented")) == null))' "$tmp/q2.raw" | wc -l)
unsol=$(jq -c 'select(.type != "matched")' "$tmp/q2.raw" | wc -l)
jq -c "select(.type == \"matched\") | $norm" "$tmp/q2.raw" | sort >"$tmp/q2.json"
missing=$(comm -23 "$tmp/import.json" "$tmp/q2.json" | jq -c 'select(.ip_version != 6 or (.flags | index("fragmented")) == null)' | wc -l)
if [ "$bad" = 0 ] && [ "$missing" = 0 ]; then
    echo "ok - dpdk_queues two queues: every query matched with its response ($unsol IPv6 fragmented response(s) away from their query)"
else
    echo "not ok - dpdk_queues two queues: $bad records not matched that should be, $missing of import-pcap's matched records missing"
fi
