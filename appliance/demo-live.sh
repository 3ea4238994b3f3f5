#!/bin/bash
# demo-live.sh: the live demo (make demo-live / make demo-live-stop). Root only.
#
#   appliance/demo-live.sh start   the netns DNS world (tests/world) with tapdns-xdp capturing on a
#                                  mirror of the resolver's upstream link, tapdns-ship send/receive
#                                  on 127.0.0.1, one round of the world's 80 questions, the hourly job
#                                  (batch + index), tapdns-queryd left answering on 127.0.0.1 with a
#                                  demo key; prints example queries (curl, dnsdbq) with their answers.
#                                  tapdns-xdp keeps capturing (a restarted instance: the first one was
#                                  stopped with SIGTERM to close its spool file for shipping).
#   appliance/demo-live.sh stop    stops every program, takes the world down, removes the state
#
# Programs run as their systemd units run them (--config FILE; two boxes: sensor and processing
# config in $DEMO_DIR). Programs: $BUILD/bin (BUILD default build). State: $DEMO_DIR (default
# /tmp/tapdns-demo-live). Query port: $DEMO_PORT (default 8080). The world lock
# (/run/lock/tapdns-world.lock) is held by a small holder process while the demo runs.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
BIN=${TAPDNS_BIN:-$TOP/${BUILD:-build}/bin}
case $BIN in /*) ;; *) BIN=$TOP/$BIN ;; esac
D=${DEMO_DIR:-/tmp/tapdns-demo-live}
export TDW_STATE=$D/world
LOCK=/run/lock/tapdns-world.lock
say() { echo "demo-live: $*"; }
die() { echo "demo-live: error: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, XDP)"

wait_for() { # COND [tenths]
    local i=0 n=${2:-100}
    while ! eval "$1"; do i=$((i + 1)); [ $i -ge "$n" ] && return 1; sleep 0.1; done
}
stop_one() { # NAME [SIGNAL]: the program whose pid is in $D/NAME.pid (and its children)
    local pid c
    [ -f "$D/$1.pid" ] || return 0
    pid=$(cat "$D/$1.pid")
    for c in $(pgrep -P "$pid" 2>/dev/null); do kill -"${2:-TERM}" "$c" 2>/dev/null; done
    kill -"${2:-TERM}" "$pid" 2>/dev/null
    wait_for "! kill -0 $pid 2>/dev/null" 150 || kill -KILL "$pid" 2>/dev/null
    rm -f "$D/$1.pid"
}
start_xdp() {
    setsid ip netns exec tdw-res "$BIN/tapdns-xdp" --config "$D/sensor.conf" --iface xt1 \
        >>"$D/log/xdp.out" 2>>"$D/log/xdp.err" 9>&- </dev/null &
    echo $! >"$D/xdp.pid"
    wait_for "[ \$(grep -c 'capturing on' '$D/log/xdp.err') -ge $1 ]" 100 || die "tapdns-xdp did not start: $(tail -2 "$D/log/xdp.err")"
}
hourly() {
    TAPDNS_BIN=$BIN TAPDNS_CONFIG=$D/processing.conf "$TOP/appliance/tapdns-jobs" hourly >>"$D/log/hourly.log" 2>&1 9>&- ||
        die "hourly job failed: $(tail -2 "$D/log/hourly.log")"
}
# one round of questions; then tapdns-xdp closes its file (restart), ship moves it, the hourly job
round() {
    local n
    n=$(grep -c 'capturing on' "$D/log/xdp.err")
    tests/world/world.sh capture "$D/round.pcap" >>"$D/log/world.log" 2>&1 9>&- || die "world capture failed"
    say "asked the world's $(grep -c '^;; ' "$TDW_STATE/answers.txt") questions; tapdns-xdp closes its spool file (restart)"
    sleep 2
    stop_one xdp TERM
    start_xdp $((n + 1))
    wait_for '[ -z "$(ls "$D/sensor/spool" | grep "\.tds\.zst$")" ]' 150 || die "tapdns-ship did not move the spool files"
    say "shipped: $(ls "$D/sensor/spool/shipped" | wc -l) spool files so far; running the hourly job"
    hourly
}

cmd_stop() {
    local n
    for n in queryd send recv xdp; do stop_one "$n"; done
    tests/world/world.sh down >/dev/null 2>&1
    stop_one lockholder
    rm -rf "$D"
    say "stopped"
}

cmd_start() {
    local t
    for t in tcpdump tc ethtool knotd nsd unbound kdig curl; do command -v "$t" >/dev/null || die "missing $t (make deps)"; done
    for t in tapdns-xdp tapdns-ship tapdns-batch tapdns-index tapdns-queryd tapdns-config; do
        [ -x "$BIN/$t" ] || die "missing $BIN/$t (make BUILD=${BUILD:-build})"
    done
    if [ -d "$D" ]; then say "a demo is running: stopping it first"; cmd_stop; fi
    mkdir -p "$D/log" "$D/sensor/spool/shipped" "$D/proc/spool" "$D/proc/var"
    # the world lock, held until stop
    setsid flock -w 120 "$LOCK" sleep infinity 9>&- </dev/null >/dev/null 2>&1 &
    echo $! >"$D/lockholder.pid"
    wait_for "grep -q flock /proc/$(cat "$D/lockholder.pid")/comm 2>/dev/null && [ -n \"\$(pgrep -P $(cat "$D/lockholder.pid"))\" ]" 1200 ||
        die "the world lock is busy (another test holds $LOCK)"
    trap 'echo "demo-live: failed; cleaning up" >&2; cmd_stop >/dev/null 2>&1' EXIT
    local port=${DEMO_PORT:-8080} ship mport
    ship=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$D/sensor.conf" <<EOF
# the sensor box: tapdns-xdp@xt1, tapdns-ship-send
[sensor]
id = world
[spool]
dir = $D/sensor/spool
frame_seconds = 1
[capture]
stats_interval = 10s
metrics_dir = $D/metrics
[xdp]
mode = native
other = drop
[ship]
dest = 127.0.0.1:$ship
done_dir = $D/sensor/spool/shipped
interval = 1s
EOF
    cat >"$D/processing.conf" <<EOF
# the processing box: tapdns-ship-receive, tapdns-hourly, tapdns-queryd
[spool]
dir = $D/proc/spool
[capture]
metrics_dir = $D/metrics
[ship]
listen = 127.0.0.1:$ship
[batch]
out = $D/proc/var/obs
state = $D/proc/var/state
root_hints = $TOP/tests/world/root.hints
[index]
db = $D/proc/var/index
mem_cap = 64M
export_dir = $D/proc/var/export
[query]
listen = 127.0.0.1:$port
metrics_listen = 127.0.0.1:$mport
keys = $D/proc/keys
quota_state = $D/proc/var/quota
access_log = $D/log/access.log
cache = 16M
EOF
    mkdir -p "$D/metrics"
    "$BIN/tapdns-config" -c "$D/sensor.conf" check >/dev/null && "$BIN/tapdns-config" -c "$D/processing.conf" check >/dev/null ||
        die "config check failed"
    say "world up (knot, nsd, unbound in network namespaces tdw-*)"
    tests/world/world.sh up >"$D/log/world.log" 2>&1 9>&- || die "world up failed: $(tail -3 "$D/log/world.log")"
    . tests/world/mirror.sh
    tdw_mirror_up "$D/log/mirror.log" || die "mirror: $(head -2 "$D/log/mirror.log")"
    say "tapdns-xdp on xt1 (a mirror of the resolver's upstream veth up0), tapdns-ship send -> receive on 127.0.0.1:$ship"
    setsid "$BIN/tapdns-ship" receive --config "$D/processing.conf" >>"$D/log/recv.out" 2>>"$D/log/recv.err" 9>&- </dev/null &
    echo $! >"$D/recv.pid"
    wait_for "grep -q 'listening on' '$D/log/recv.err'" 100 || die "tapdns-ship receive: $(tail -1 "$D/log/recv.err")"
    setsid "$BIN/tapdns-ship" send --config "$D/sensor.conf" >>"$D/log/send.out" 2>>"$D/log/send.err" 9>&- </dev/null &
    echo $! >"$D/send.pid"
    start_xdp 1
    round
    "$BIN/tapdns-queryd" keys --keys "$D/proc/keys" add demo >"$D/log/key.out" 2>&1 || die "keys add: $(cat "$D/log/key.out")"
    tail -1 "$D/log/key.out" >"$D/demo.key"
    "$BIN/tapdns-index" info -c "$D/processing.conf" 2>/dev/null | head -4
    setsid "$BIN/tapdns-queryd" --config "$D/processing.conf" >>"$D/log/queryd.out" 2>>"$D/log/queryd.err" 9>&- </dev/null &
    echo $! >"$D/queryd.pid"
    wait_for "grep -q 'listening on port' '$D/log/queryd.err'" 100 || die "tapdns-queryd: $(tail -2 "$D/log/queryd.err")"
    trap - EXIT
    examples
}

examples() {
    local key url port
    key=$(cat "$D/demo.key")
    port=$(sed -n 's/^listen = 127.0.0.1:\([0-9]*\)$/\1/p' "$D/processing.conf" | tail -1)
    url=http://127.0.0.1:$port
    echo "== tapdns-queryd answers on $url (API key: $key)"
    echo "\$ curl -s -H 'X-API-Key: $key' $url/dnsdb/v2/lookup/rrset/name/www.alpha.test"
    curl -s -H "X-API-Key: $key" "$url/dnsdb/v2/lookup/rrset/name/www.alpha.test"
    echo "\$ curl -s -H 'X-API-Key: $key' '$url/dnsdb/v2/lookup/rdata/ip/10.53.200.0,24?limit=3'"
    curl -s -H "X-API-Key: $key" "$url/dnsdb/v2/lookup/rdata/ip/10.53.200.0,24?limit=3"
    echo "\$ curl -s -H 'X-API-Key: $key' $url/dnsdb/v2/rate_limit"
    curl -s -H "X-API-Key: $key" "$url/dnsdb/v2/rate_limit"
    echo
    if command -v dnsdbq >/dev/null; then
        echo "== dnsdbq settings: export DNSDB_SERVER=$url DNSDB_API_KEY=$key"
        echo "\$ dnsdbq -r '*.gamma.tdw/A' -l 3"
        DNSDB_SERVER=$url DNSDB_API_KEY=$key HOME=$D dnsdbq -r '*.gamma.tdw/A' -l 3 2>&1 | head -20
    fi
    echo
    echo "tapdns-xdp keeps capturing on xt1; make demo-live-stop tears everything down."
    echo "Logs: $D/log; status: $BIN/tapdns-status -c $D/processing.conf"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
*) echo "usage: demo-live.sh start | stop" >&2; exit 2 ;;
esac
