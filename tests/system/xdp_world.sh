#!/bin/bash
# System test of tapdns-xdp with real traffic: the netns DNS world of tests/world (knot, nsd,
# unbound), in native and skb XDP mode.
#
# Where it attaches: XDP sees only the frames an interface RECEIVES, and AF_XDP takes the
# frames it redirects away from the kernel stack. On the resolver's own upstream veth up0 it
# would see only the responses (never unbound's queries, which up0 transmits) and take them
# from unbound. So, as a sensor sits on a tap/SPAN port, both directions of up0 are mirrored
# (tc mirred, ingress and egress) into a veth pair xt0 -> xt1 in tdw-res, and tapdns-xdp runs
# on xt1 (--other drop), while tcpdump runs on up0 itself at the same time (world.sh capture).
# The spool records of tapdns-xdp must equal those import-pcap makes from tcpdump's capture:
# same count, same records (`tapdns-spool cat`), minus query_time and response_time (the
# kernel stamps tcpdump's frames, tapdns-xdp reads CLOCK_REALTIME per RX batch in user
# space).
# Then: SIGTERM in the middle of traffic (tcpreplay in a loop) leaves only closed spool files
# that verify and no program attached (`ip link show`, `xdp-loader status`); a second instance
# on the same interface refuses and the first keeps capturing; kill -9, then a restart
# replaces the stale program (one program attached, not two) and captures.
# Root only; takes the world lock (/run/lock/tapdns-world.lock).
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-$PWD/${BUILD:-build}/bin}
T=xdp_world
if [ "$(id -u)" != 0 ]; then
    echo "not ok - $T: needs root for network namespaces and XDP"
    exit 1
fi
missing=""
for t in tcpdump xdp-loader tcpreplay tc ethtool knotd nsd unbound kdig; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
for b in tapdns-xdp tapdns-spool; do [ -x "$BIN/$b" ] || missing="$missing $BIN/$b"; done
if [ -n "$missing" ]; then
    echo "not ok - $T: missing:$missing (packages xdp-tools tcpreplay iproute2 ethtool knot nsd unbound knot-dnsutils tcpdump)"
    exit 1
fi
exec 9>/run/lock/tapdns-world.lock
flock 9
work=$(mktemp -d /tmp/tapdns-xdp-world.XXXXXX)
export TDW_STATE=$work/state
XPID=""
cleanup() {
    [ -n "$XPID" ] && kill -KILL "$XPID" 2>/dev/null
    [ -n "${RPID:-}" ] && kill -KILL "$RPID" 2>/dev/null
    tests/world/world.sh down >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
ok() { echo "ok - $T: $1"; }
fail() { echo "not ok - $T: $1"; }
nsx() { ip netns exec tdw-res "$@"; }

tests/world/world.sh down >/dev/null 2>&1
if ! tests/world/world.sh up >"$work/up.log" 2>&1; then
    fail "world up failed"
    sed 's/^/#   /' "$work/up.log" | tail -20
    exit 1
fi
# The tap: everything up0 receives and sends, copied into xt0 -> xt1 (tests/world/mirror.sh).
. tests/world/mirror.sh
if ! tdw_mirror_up "$work/tap.log"; then
    fail "mirror of up0 could not be set up: $(head -3 "$work/tap.log")"
    exit 1
fi

norm() { # spool files -> records as JSON lines without the two timestamps, sorted
    "$BIN/tapdns-spool" cat "$@" | sed -E 's/"(query|response)_time":[0-9]+,//g' | sort
}

# start_xdp NAME ARGS...: tapdns-xdp on xt1 in the background (XPID), waits until it captures
start_xdp() {
    local name=$1; shift
    mkdir -p "$work/$name"
    nsx "$BIN/tapdns-xdp" --iface xt1 --out "$work/$name" --sensor world --other drop --no-fsync \
        --stats-interval 1s "$@" >"$work/$name.out" 2>"$work/$name.err" &
    IPPID=$!   # `ip netns exec` forks: signals go to its child, the status comes from ip
    XPID=""
    for _ in $(seq 50); do
        [ -n "$XPID" ] || XPID=$(pgrep -P "$IPPID" 2>/dev/null | head -1)
        grep -q 'capturing on' "$work/$name.err" && return 0
        kill -0 "$IPPID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# stop_xdp SIGNAL: returns the exit status
stop_xdp() {
    [ -n "$XPID" ] && kill -"$1" "$XPID" 2>/dev/null
    wait "$IPPID"
    local rc=$?
    XPID=""
    return $rc
}

attached_count() { # programs named tapdns_xdp on xt1
    nsx xdp-loader status xt1 2>/dev/null | grep -c 'tapdns_xdp'
}
not_attached() { # 0 if neither ip link nor xdp-loader shows a program on xt1
    ! nsx ip link show dev xt1 | grep -q 'prog/xdp' && [ "$(attached_count)" = 0 ]
}

closed_and_valid() { # DIR: no .open file, at least one closed file, all verify
    local d=$1
    ls "$d"/*.open >/dev/null 2>&1 && return 1
    ls "$d"/*.tds.zst >/dev/null 2>&1 || return 1
    "$BIN/tapdns-spool" verify "$d"/*.tds.zst >/dev/null 2>&1
}

for mode in native skb; do
    if ! start_xdp "$mode" --mode "$mode"; then
        fail "$mode: tapdns-xdp did not start: $(grep -v '^libxdp' "$work/$mode.err" | head -2)"
        stop_xdp KILL
        continue
    fi
    if nsx xdp-loader status xt1 2>/dev/null | grep 'tapdns_xdp' | grep -q "$mode"; then
        ok "$mode: tapdns_xdp attached to xt1 in $mode mode (xdp-loader status)"
    else
        fail "$mode: xdp-loader status does not show tapdns_xdp in $mode mode"
    fi
    if ! tests/world/world.sh capture "$work/$mode.pcap" >"$work/$mode.capture.log" 2>&1; then
        fail "$mode: world capture failed"
        sed 's/^/#   /' "$work/$mode.capture.log" | tail -10
        stop_xdp KILL
        continue
    fi
    sleep 0.5
    stop_xdp TERM
    rc=$?
    if [ $rc = 0 ]; then ok "$mode: exits 0 on SIGTERM"; else fail "$mode: exit status $rc on SIGTERM"; fi
    if not_attached; then ok "$mode: no program attached after exit"; else fail "$mode: a program is still attached"; fi
    if closed_and_valid "$work/$mode"; then ok "$mode: spool files closed and valid"; else fail "$mode: spool files not closed or not valid"; fi
    mkdir -p "$work/$mode.imp"
    "$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor world --out "$work/$mode.imp" "$work/$mode.pcap"
    norm "$work/$mode"/*.tds.zst >"$work/$mode.xdp.txt"
    norm "$work/$mode.imp"/*.tds.zst >"$work/$mode.imp.txt"
    n_x=$(wc -l <"$work/$mode.xdp.txt")
    n_i=$(wc -l <"$work/$mode.imp.txt")
    if [ "$n_i" -ge 100 ] && [ "$n_x" = "$n_i" ]; then
        ok "$mode: $n_x records from tapdns-xdp, $n_i from import-pcap of tcpdump's capture"
    else
        fail "$mode: $n_x records from tapdns-xdp, $n_i from import-pcap of tcpdump's capture (at least 100 expected)"
    fi
    if diff "$work/$mode.imp.txt" "$work/$mode.xdp.txt" >"$work/$mode.diff"; then
        ok "$mode: the records are the same (timestamps aside)"
    else
        fail "$mode: the records differ (< import-pcap, > tapdns-xdp)"
        head -10 "$work/$mode.diff" | cut -c1-300 | sed 's/^/#   /'
    fi
    # every frame the program sent to user space reached the capture core, none lost
    k=$(awk '$1 == "xdp_redirect_dns" || $1 == "xdp_redirect_fragment" { s += $2 } END { print s + 0 }' "$work/$mode.out")
    c=$(awk '$1 == "frames" { print $2 }' "$work/$mode.out")
    d=$(awk '$1 ~ /^xsk_rx_(dropped|ring_full|invalid_descs)$/ { s += $2 } END { print s + 0 }' "$work/$mode.out")
    if [ -n "$c" ] && [ "$k" = "$c" ] && [ "$d" = 0 ]; then
        ok "$mode: frames redirected by XDP ($k) = frames seen by the capture core ($c), no XSK drops"
    else
        fail "$mode: frames redirected by XDP ($k), seen by the capture core (${c:-?}), XSK drops $d"
    fi
done

# --- SIGTERM in the middle of traffic, second instance, kill -9 and restart -------------------
# Traffic: the sample capture replayed into the tap in a loop.
nsx tcpreplay -q --loop=0 --pps=5000 -i xt0 tests/data/sample.pcap >/dev/null 2>&1 &
RPID=$!
if start_xdp term --mode skb; then
    sleep 1.5
    id1=$(nsx ip -d link show dev xt1 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
    if nsx "$BIN/tapdns-xdp" --iface xt1 --out "$work/second" --mode skb --no-fsync >"$work/second.out" 2>&1; then
        fail "a second instance on xt1 started"
    elif grep -q 'already runs on xt1' "$work/second.out"; then
        ok "a second instance on xt1 refuses: $(grep 'already runs' "$work/second.out")"
    else
        fail "a second instance failed for another reason: $(grep -v '^libxdp' "$work/second.out" | head -1)"
    fi
    id2=$(nsx ip -d link show dev xt1 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
    if [ -n "$id1" ] && [ "$id1" = "$id2" ] && kill -0 "$XPID" 2>/dev/null; then
        ok "the first instance keeps running with its program (id $id1)"
    else
        fail "the first instance's program changed ($id1 -> $id2) or it died"
    fi
    stop_xdp TERM
    rc=$?
    recs=$(awk '$1 == "spool_records" { print $2 }' "$work/term.out")
    if [ $rc = 0 ] && [ "${recs:-0}" -gt 0 ]; then ok "SIGTERM mid-traffic: exit 0 after $recs records"; else fail "SIGTERM mid-traffic: exit $rc, ${recs:-0} records"; fi
    if closed_and_valid "$work/term"; then ok "SIGTERM mid-traffic: spool files closed and valid"; else fail "SIGTERM mid-traffic: spool files not closed or not valid"; fi
    if not_attached; then ok "SIGTERM mid-traffic: no program attached"; else fail "SIGTERM mid-traffic: a program is still attached"; fi
else
    fail "tapdns-xdp did not start under traffic: $(grep -v '^libxdp' "$work/term.err" | head -2)"
    stop_xdp KILL
fi

if start_xdp killed --mode native; then
    sleep 1
    stop_xdp KILL
    if [ "$(attached_count)" = 1 ]; then ok "kill -9 leaves the program attached (as it must)"; else fail "after kill -9: $(attached_count) programs attached"; fi
    if start_xdp restart --mode native; then
        sleep 1.5
        n=$(attached_count)
        if grep -q 'replaced 1 program' "$work/restart.err" && [ "$n" = 1 ]; then
            ok "restart after kill -9 replaces the stale program (1 attached)"
        else
            fail "restart after kill -9: $n programs attached; $(grep -v '^libxdp' "$work/restart.err" | head -1)"
        fi
        stop_xdp TERM
        rc=$?
        recs=$(awk '$1 == "spool_records" { print $2 }' "$work/restart.out")
        if [ $rc = 0 ] && [ "${recs:-0}" -gt 0 ] && closed_and_valid "$work/restart" && not_attached; then
            ok "the restarted instance captured $recs records, closed its files and detached"
        else
            fail "the restarted instance: exit $rc, ${recs:-0} records, files or detach not clean"
        fi
    else
        fail "restart after kill -9 failed: $(grep -v '^libxdp' "$work/restart.err" | head -2)"
        stop_xdp KILL
    fi
else
    fail "tapdns-xdp did not start (kill -9 case)"
    stop_xdp KILL
fi
kill "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
RPID=""
exit 0
