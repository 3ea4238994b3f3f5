#!/bin/bash
# world.sh: a small real DNS world in network namespaces, for capture tests.
#
#   world.sh up              create namespaces and links, start knot/nsd/unbound, wait until they answer
#   world.sh capture FILE    fresh resolver cache, tcpdump on the resolver's upstream link, run the
#                            client questions (queries.txt), stop tcpdump, write the pcap to FILE
#   world.sh down            stop everything started here and delete the namespaces (idempotent,
#                            also cleans a half-built world)
#   world.sh check PCAP      compare summarize.sh PCAP with expected.txt (exit 0 same, 1 differ)
#
# Must run as root. Every address is in 10.53.0.0/16 or fd53::/64 and lives only inside the
# tdw-* namespaces; nothing listens in the host namespace, so packaged knot/nsd/unbound services
# on the host do not interfere. State (generated configs, logs, pid files): $TDW_STATE
# (default /tmp/tapdns-world). The client answers of the last capture: $TDW_STATE/answers.txt
# (copied to $TDW_ANSWERS too when that is set).
#
# Topology (upstream link: one bridge in namespace tdw-net; client link: one veth pair):
#   tdw-root  knot   10.53.0.10 fd53::10   zone .
#   tdw-tld   nsd    10.53.0.20 fd53::20   zones test. tdw.
#   tdw-knot  knot   10.53.0.30 fd53::30   zones alpha.test beta.test   (UDP payload up to 4096)
#   tdw-nsd   nsd    10.53.0.40 fd53::40   zones gamma.tdw delta.tdw    (UDP payload up to 1232)
#   tdw-res   unbound  up0 10.53.0.2 fd53::2 (upstream, captured)  cl0 10.53.1.1 fd53::1:1 (clients)
#   tdw-cli   kdig   10.53.1.2 fd53::1:2
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${TDW_STATE:-/tmp/tapdns-world}
NSES="tdw-net tdw-root tdw-tld tdw-knot tdw-nsd tdw-res tdw-cli"
RESOLVER=10.53.1.1

log() { echo "world: $*" >&2; }
die() { echo "world: error: $*" >&2; exit 1; }
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

need_tools() {
    local t missing=""
    for t in ip knotd nsd unbound kdig tcpdump; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    [ -z "$missing" ] || die "missing programs:$missing (packages knot nsd unbound knot-dnsutils tcpdump iproute2)"
}

# fill TEMPLATE OUT KEY=VALUE...: replace @KEY@ by VALUE (values may hold newlines).
fill() {
    local tpl=$1 out=$2; shift 2
    cp "$tpl" "$out.tmp"
    local kv k v
    for kv in "$@"; do
        k=${kv%%=*}; v=${kv#*=}
        K="@$k@" V="$v" perl -0pi -e 's/\Q$ENV{K}\E/$ENV{V}/g' "$out.tmp"
    done
    mv "$out.tmp" "$out"
}

# --- links ---------------------------------------------------------------------------------

ns_base() { # name: create the namespace with loopback up and quiet IPv6 autoconfiguration
    ip netns add "$1"
    nsx "$1" ip link set lo up
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
}

attach() { # ns v4 v6 ifname: veth from ns to the bridge in tdw-net
    local n=$1 a4=$2 a6=$3 ifn=$4 port="p-${1#tdw-}"
    ip -n tdw-net link add "$port" type veth peer name "$ifn" netns "$n"
    ip -n tdw-net link set "$port" master br0 up
    nsx "$n" ip addr add "$a4/24" dev "$ifn"
    nsx "$n" ip -6 addr add "$a6/112" dev "$ifn" nodad
    # One TCP segment per packet, as on a wire (veth would otherwise carry GSO super-packets).
    nsx "$n" ip link set dev "$ifn" gso_max_segs 1
    # Checksums computed in software, as a tap on a real link sees them (veth would otherwise
    # leave them to an offload that never happens, and every capture would show bad sums).
    nsx "$n" ethtool -K "$ifn" tx off >/dev/null
    nsx "$n" ip link set "$ifn" up
}

make_links() {
    local n
    for n in $NSES; do ns_base "$n"; done
    # The switch: a bridge with no addresses of its own.
    nsx tdw-net sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n tdw-net link add br0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0
    ip -n tdw-net link set br0 up
    attach tdw-root 10.53.0.10 fd53::10 eth0
    attach tdw-tld  10.53.0.20 fd53::20 eth0
    attach tdw-knot 10.53.0.30 fd53::30 eth0
    attach tdw-nsd  10.53.0.40 fd53::40 eth0
    attach tdw-res  10.53.0.2  fd53::2  up0
    # The client link.
    ip -n tdw-res link add cl0 type veth peer name eth0 netns tdw-cli
    nsx tdw-res ip addr add 10.53.1.1/24 dev cl0
    nsx tdw-res ip -6 addr add fd53::1:1/112 dev cl0 nodad
    nsx tdw-res ip link set cl0 up
    nsx tdw-cli ip addr add 10.53.1.2/24 dev eth0
    nsx tdw-cli ip -6 addr add fd53::1:2/112 dev eth0 nodad
    nsx tdw-cli ip link set eth0 up
}

# --- servers -------------------------------------------------------------------------------

# spawn NAME NS CMD...: run a server in the foreground of its own session, pid in $STATE/NAME.pid
spawn() {
    local name=$1 n=$2; shift 2
    setsid ip netns exec "$n" "$@" >"$STATE/$name.out" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
}

start_knot() { # name ns udpmax listen-addrs "zone:file ..."
    local name=$1 n=$2 udpmax=$3 addrs=$4 zones=$5 run="$STATE/$1" listen="" zl="" a z
    mkdir -p "$run/db"
    for a in $addrs; do listen="$listen${listen:+, }$a@53"; done
    for z in $zones; do zl="$zl  - domain: \"${z%%:*}\"
    file: \"$HERE/zones/${z#*:}\"
"; done
    fill "$HERE/knot.conf.in" "$run/knot.conf" RUN="$run" LISTEN="$listen" UDPMAX="$udpmax" \
        ZONES="$HERE/zones" ZONELIST="$zl"
    spawn "$name" "$n" knotd -c "$run/knot.conf"
}

start_nsd() { # name ns udpmax listen-addrs "zone:file ..."
    local name=$1 n=$2 udpmax=$3 addrs=$4 zones=$5 run="$STATE/$1" listen="" zl="" a z
    mkdir -p "$run"
    for a in $addrs; do listen="$listen${listen:+
    }ip-address: $a"; done
    for z in $zones; do zl="${zl}zone:
    name: \"${z%%:*}\"
    zonefile: \"$HERE/zones/${z#*:}\"
"; done
    fill "$HERE/nsd.conf.in" "$run/nsd.conf" RUN="$run" LISTEN="$listen" UDPMAX="$udpmax" \
        ZONES="$HERE/zones" ZONELIST="$zl"
    nsd-checkconf "$run/nsd.conf" || die "bad nsd config $run/nsd.conf"
    spawn "$name" "$n" nsd -d -c "$run/nsd.conf"
}

start_unbound() {
    local run="$STATE/unbound"
    mkdir -p "$run"
    fill "$HERE/unbound.conf.in" "$run/unbound.conf" RUN="$run" ROOTHINTS="$HERE/root.hints"
    unbound-checkconf "$run/unbound.conf" >/dev/null || die "bad unbound config $run/unbound.conf"
    spawn unbound tdw-res unbound -d -c "$run/unbound.conf"
}

stop_some() { # name...: TERM all at once (each by its recorded pid), wait up to 5 s, then KILL
    local name pids="" pid alive
    for name in "$@"; do
        [ -f "$STATE/$name.pid" ] || continue
        pid=$(cat "$STATE/$name.pid")
        # Only a process that still lives in one of our namespaces (a stale pid may be reused).
        case "$(ip netns identify "$pid" 2>/dev/null)" in
            tdw-*) kill -TERM "$pid" 2>/dev/null && pids="$pids $pid" ;;
        esac
        rm -f "$STATE/$name.pid"
    done
    for _ in $(seq 50); do
        alive=""
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
        [ -n "$alive" ] || return 0
        sleep 0.1
    done
    for pid in $alive; do kill -KILL "$pid" 2>/dev/null || true; done
}
stop_one() { stop_some "$1"; }

# wait_dns NS SERVER NAME TYPE [CLASS] [extra kdig args]: until SERVER answers (10 s at most)
wait_dns() {
    local n=$1 srv=$2 name=$3 type=$4 cls=${5:-IN}
    for _ in $(seq 100); do
        if nsx "$n" kdig @"$srv" "$name" "$type" -c "$cls" +norec +time=1 +retry=0 2>/dev/null \
            | grep -q 'status: NOERROR'; then
            return 0
        fi
        sleep 0.1
    done
    die "$srv does not answer $name $type (see $STATE/*.out and logs)"
}

apparmor_note() { # the packaged AppArmor profile of unbound would keep it from its files in $STATE
    local p=/sys/kernel/security/apparmor/profiles
    [ -r "$p" ] && grep -q '^/usr/sbin/unbound (enforce)' "$p" || return 0
    log "warning: AppArmor enforces /usr/sbin/unbound; if it cannot read $STATE run: aa-complain /usr/sbin/unbound"
}

cmd_up() {
    need_root; need_tools; apparmor_note
    if ip netns list | grep -q '^tdw-'; then
        log "a world is already (partly) up: taking it down first"
        cmd_down
    fi
    mkdir -p "$STATE"
    make_links
    start_knot knot-root tdw-root 1232 "10.53.0.10 fd53::10" ".:root.zone"
    start_nsd  nsd-tld   tdw-tld  1232 "10.53.0.20 fd53::20" "test.:test.zone tdw.:tdw.zone"
    start_knot knot-zones tdw-knot 4096 "10.53.0.30 fd53::30" \
        "alpha.test.:alpha.test.zone beta.test.:beta.test.zone"
    start_nsd  nsd-zones tdw-nsd  1232 "10.53.0.40 fd53::40" \
        "gamma.tdw.:gamma.tdw.zone delta.tdw.:delta.tdw.zone"
    local a
    for a in 10.53.0.10 fd53::10; do wait_dns tdw-res "$a" . SOA; done
    for a in 10.53.0.20 fd53::20; do wait_dns tdw-res "$a" test. SOA; wait_dns tdw-res "$a" tdw. SOA; done
    for a in 10.53.0.30 fd53::30; do wait_dns tdw-res "$a" alpha.test. SOA; wait_dns tdw-res "$a" beta.test. SOA; done
    for a in 10.53.0.40 fd53::40; do wait_dns tdw-res "$a" gamma.tdw. SOA; wait_dns tdw-res "$a" delta.tdw. SOA; done
    start_unbound
    wait_dns tdw-cli "$RESOLVER" id.server TXT CH
    log "up (state in $STATE)"
}

cmd_capture() {
    need_root
    local out=${1:-}
    [ -n "$out" ] || die "usage: world.sh capture FILE"
    ip netns list | grep -q '^tdw-res' || die "no world: run world.sh up first"
    # A fresh resolver: empty cache, so every capture sees the same upstream questions.
    stop_one unbound
    start_unbound
    wait_dns tdw-cli "$RESOLVER" id.server TXT CH
    local pcap="$STATE/capture.pcap"
    rm -f "$pcap" "$STATE/tcpdump.out"
    spawn tcpdump tdw-res tcpdump -i up0 -s 0 -U -n -Z root -w "$pcap"
    for _ in $(seq 100); do
        grep -q 'listening on' "$STATE/tcpdump.out" 2>/dev/null && break
        sleep 0.1
    done
    grep -q 'listening on' "$STATE/tcpdump.out" || die "tcpdump did not start: $(cat "$STATE/tcpdump.out")"
    nsx tdw-cli "$HERE/client.sh" "$RESOLVER" "$HERE/queries.txt" >"$STATE/answers.txt"
    # Let the resolver finish work it started for the last questions (e.g. address lookups).
    sleep 1
    local pid
    pid=$(cat "$STATE/tcpdump.pid")
    kill -INT "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    stop_one tcpdump
    cp "$pcap" "$out"
    [ -z "${TDW_ANSWERS:-}" ] || cp "$STATE/answers.txt" "$TDW_ANSWERS"
    log "capture written to $out ($(grep -c '^;; ' "$STATE/answers.txt") questions; answers in $STATE/answers.txt)"
}

cmd_down() {
    need_root
    local n pid
    [ -d "$STATE" ] && stop_some tcpdump unbound nsd-zones knot-zones nsd-tld knot-root
    for n in $NSES; do
        ip netns list | grep -q "^$n\b" || continue
        # Anything still running inside our own namespaces was started by this script.
        for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$n" 2>/dev/null || true
    done
    rm -rf "$STATE"
    log "down"
}

cmd_check() {
    local pcap=${1:-}
    [ -n "$pcap" ] || die "usage: world.sh check PCAP"
    if diff -u <(grep -v '^#' "$HERE/expected.txt") <("$HERE/summarize.sh" "$pcap" | grep -v '^#'); then
        log "$pcap matches expected.txt"
    else
        log "$pcap differs from expected.txt"; return 1
    fi
}

case "${1:-}" in
    up) cmd_up ;;
    capture) shift; cmd_capture "$@" ;;
    down) cmd_down ;;
    check) shift; cmd_check "$@" ;;
    *) echo "usage: world.sh up | capture FILE | down | check PCAP" >&2; exit 2 ;;
esac
