#!/bin/bash
# make bench-xdp: the XDP/AF_XDP capture path.
#  1. BPF_PROG_RUN: ns per frame of the tapdns XDP program (DNS frames, which take the
#     redirect path into an AF_XDP socket, and non-DNS frames), beside a program that only
#     returns XDP_DROP, in the same run (REPEAT runs per round, medians of ROUNDS).
#  2. A veth pair in a network namespace (tdx-bench): tcpreplay --topspeed offers PAIRS
#     query/response pairs on xa; tapdns-xdp captures on xb (native, then skb mode). Every
#     frame offered is accounted for: veth drops (xa tx_dropped), the XDP
#     program's counters, AF_XDP drops (XDP_STATISTICS), frames reaching the capture core,
#     records written. Baseline in the same run: the same replay with no program on xb
#     (what the generator and veth deliver). RUNS runs each, medians.
# Root. Env: BUILD, REPEAT (10000000), ROUNDS (5), PAIRS (100000), RUNS (3).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/bin
REPEAT=${REPEAT:-10000000} ROUNDS=${ROUNDS:-5} PAIRS=${PAIRS:-100000} RUNS=${RUNS:-3}
NS=tdx-bench
[ "$(id -u)" = 0 ] || { echo "bench-xdp: needs root" >&2; exit 1; }
for t in tcpreplay ip; do command -v $t >/dev/null || { echo "bench-xdp: missing $t" >&2; exit 1; }; done

echo "== 1. BPF_PROG_RUN"
"$BUILD/xdp/bench_xdp" prog-run "$REPEAT" "$ROUNDS" || exit 1

work=$(mktemp -d /tmp/tapdns-bench-xdp.XXXXXX)
cleanup() { ip netns del $NS 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ip netns del $NS 2>/dev/null
ip netns add $NS
nsx() { ip netns exec $NS "$@"; }
nsx ip link set lo up
nsx ip link add xa type veth peer name xb
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
nsx ip link set xa up
nsx ip link set xb up
"$BUILD/xdp/bench_xdp" gen "$work/load.pcap" "$PAIRS" || exit 1
FRAMES=$((PAIRS * 2))
stat() { nsx cat "/sys/class/net/$1/statistics/$2"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# replay: runs tcpreplay, prints "sent seconds"
replay() {
    nsx tcpreplay --topspeed -i xa "$work/load.pcap" 2>&1 |
        awk '/Actual:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^packets/) n = $i; if ($i == "in") s = $(i+1) } }
             END { print n, s }'
}

echo
echo "== 2. veth pair, $FRAMES frames offered per run (tcpreplay --topspeed), medians of $RUNS runs"
printf '%-9s %9s %9s %8s %8s %9s %9s %9s %9s %9s %10s\n' mode offered_pps veth_drop xdp_seen redirect xsk_drop core_frm records lost_unacc spool_fps spool/offer
for mode in none native skb; do
    : >"$work/$mode.res"
    for run in $(seq "$RUNS"); do
        d0=$(stat xa tx_dropped)
        if [ $mode != none ]; then
            rm -rf "$work/spool" && mkdir -p "$work/spool"
            nsx "$BIN/tapdns-xdp" --iface xb --out "$work/spool" --mode $mode --other drop --no-fsync \
                --stats-interval 0 --match-timeout 600s >"$work/x.out" 2>"$work/x.err" &
            ippid=$!
            for _ in $(seq 50); do grep -q 'capturing on' "$work/x.err" && break; sleep 0.1; done
            xpid=$(pgrep -P $ippid | head -1)
        fi
        read -r sent secs < <(replay)
        d1=$(stat xa tx_dropped)
        vdrop=$((d1 - d0))
        if [ $mode != none ]; then
            sleep 1   # let the workers drain the ring
            kill -TERM "$xpid"; wait $ippid
            g() { awk -v k="$1" '$1 == k { print $2 }' "$work/x.out"; }
            seen=0; for k in redirect_dns redirect_fragment no_socket other_port other_not_ip other_not_udp_tcp \
                other_truncated other_too_many_vlan other_bad_ip other_bad_ext other_bad_l4; do
                seen=$((seen + $(g xdp_$k))); done
            redir=$(( $(g xdp_redirect_dns) + $(g xdp_redirect_fragment) ))
            xdrop=$(( $(g xsk_rx_dropped) + $(g xsk_rx_ring_full) ))
            core=$(g frames)
            recs=$(g spool_records)
        else
            seen=-; redir=-; xdrop=-; core=$(( sent - vdrop )); recs=-
        fi
        # unaccounted: offered - veth drops - (frames reaching user space) - xsk drops - XDP non-redirects
        if [ $mode != none ]; then
            unacc=$(( sent - vdrop - seen ))        # lost between veth and the XDP program
            unacc2=$(( redir - xdrop - core ))      # lost between redirect and the capture core
            unacc="$unacc/$unacc2"
        else
            unacc=-
        fi
        echo "$sent $secs $vdrop $seen $redir $xdrop $core $recs $unacc" >>"$work/$mode.res"
    done
    # median run by spool frames per second
    awk '{ fps = ($2 > 0) ? $7 / $2 : 0; print fps, $0 }' "$work/$mode.res" | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)' |
    while read -r fps sent secs vdrop seen redir xdrop core recs unacc; do
        printf '%-9s %9.0f %9s %8s %8s %9s %9s %9s %9s %9.0f %10.3f\n' $mode "$(echo "$sent $secs" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }')" \
            "$vdrop" "$seen" "$redir" "$xdrop" "$core" "$recs" "$unacc" "$fps" "$(echo "$core $sent" | awk '{ print $1 / $2 }')"
    done
done
echo
echo "offered_pps: tcpreplay's rate; veth_drop: xa tx_dropped (never reached xb; xb rx_dropped is not added: in"
echo "native mode it counts the failed XSK enqueues again, already in xsk_drop); xdp_seen: frames counted by the"
echo "program (all reasons); redirect: sent to AF_XDP; xsk_drop: XDP_STATISTICS rx_dropped + rx_ring_full;"
echo "core_frm: frames the capture core took (for mode none: frames xb received); records: spool records"
echo "(one per pair when all match); lost_unacc: offered - veth_drop - xdp_seen / redirect - xsk_drop - core_frm"
echo "(both 0 when every loss is accounted for); spool_fps: core_frm / replay seconds; spool/offer: core_frm / offered."
