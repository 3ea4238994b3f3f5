#!/bin/bash
# pipeline.sh: the whole pipeline under fire on the netns DNS world (tapdns issue 8, Tests).
#
# Two boxes on this machine, each with its own config file (the units' --config FILE):
#   sensor     tapdns-xdp on the mirror of the resolver's upstream veth (tests/world/mirror.sh),
#              writing the sensor spool; tapdns-ship send -> 127.0.0.1
#   processing tapdns-ship receive (-> processing spool), tapdns-jobs hourly (batch + index +
#              export), tapdns-queryd with an API key
# Every program runs with the command line of its systemd unit (appliance/systemd/*.service:
# `PROG [SUBCOMMAND] --config FILE`, tapdns-xdp also `--iface xt1`, the jobs with TAPDNS_BIN and
# TAPDNS_CONFIG). Two config files, not one: tapdns-ship send ships [spool] dir and tapdns-ship
# receive writes into [spool] dir, so one box cannot be both ends with one file (as on real boxes).
# Traffic: 4 rounds of the world's 80 questions (world.sh capture: fresh unbound, tcpdump on up0 as
# the reference, one pcap per round). While it flows each daemon is killed once with SIGKILL:
#   - tapdns-xdp between rounds 1 and 2, after its last frames were flushed (spool frame_seconds 1):
#     frames arriving while it is down would not be captured, so no traffic flows then. Its .open
#     file is closed with `tapdns-spool recover` before the restart (the unit has no such step:
#     without it that file would never be shipped);
#   - tapdns-ship receive during round 2, when a file is complete in .partial but not yet
#     published (its rename held back by strace's delay injection; the command line is the unit's);
#   - tapdns-ship send during round 3, after the receiver's ACK and before the move to the done
#     directory (same technique): the restarted sender offers the file again, the receiver
#     acknowledges it as a duplicate, nothing is stored twice;
#   - the hourly job in the middle of tapdns-batch, after its outputs were renamed and before its
#     state commit (state.tmp written, rename held back), then rerun;
#   - tapdns-queryd after queries with a key (quota state saved every second), restarted: quota kept.
# At the end tapdns-xdp gets SIGTERM (closes its files), ship drains, the hourly job runs, and the
# processing side must equal the reference path (import-pcap of tcpdump's captures -> tapdns-batch
# -> tapdns-index build): the same spool records (timestamps aside), the same index contents
# (tapdns-index export of every generation, summed per RRset, time fields aside), the same
# tapdns-query --json answers over every rrset and rdata of the world; every spool file stored once;
# HTTP answers (curl with the key) of the restarted tapdns-queryd equal tapdns-query --saf.
# Root only; holds the world lock. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BIN=${TAPDNS_BIN:-$TOP/${BUILD:-build}/bin}
case $BIN in /*) ;; *) BIN=$TOP/$BIN ;; esac
T=pipeline
ROUNDS=4
ok() { echo "ok - $T: $1"; }
fail() { echo "not ok - $T: $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
if [ "$(id -u)" != 0 ]; then
    fail "needs root (network namespaces, XDP)"
    exit 1
fi
missing=""
for t in tcpdump tc ethtool knotd nsd unbound kdig strace curl jq zstd python3; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
for b in tapdns-xdp tapdns-spool tapdns-ship tapdns-batch tapdns-index tapdns-query tapdns-queryd tapdns-config; do
    [ -x "$BIN/$b" ] || missing="$missing $BIN/$b"
done
if [ -n "$missing" ]; then
    fail "missing:$missing"
    exit 1
fi
exec 9>/run/lock/tapdns-world.lock
flock 9
t_start=$(date +%s)
work=$(mktemp -d /tmp/tapdns-pipeline.XXXXXX)
export TDW_STATE=$work/world
SVC_PIDS=()   # every background process started here (top of its tree)

descendants() { # PID: PID and all its descendants, children first
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do descendants "$c"; done
    echo "$1"
}
kill_tree() { # SIGNAL PID: the signal to PID's whole tree (as systemd kills a unit's cgroup)
    local p
    for p in $(descendants "$2"); do kill -"$1" "$p" 2>/dev/null; done
}
cleanup() {
    local p
    for p in "${SVC_PIDS[@]}"; do kill_tree KILL "$p"; done
    wait 2>/dev/null
    tests/world/world.sh down >/dev/null 2>&1
    if [ -n "${PIPELINE_KEEP:-}" ]; then echo "# $T: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# wait_for COND [tenths]: polls COND every 0.1 s (default 10 s)
wait_for() {
    local i=0 n=${2:-100}
    while ! eval "$1"; do
        i=$((i + 1)); [ $i -ge "$n" ] && return 1; sleep 0.1
    done
}
show() { [ -f "$1" ] && tail -"${2:-5}" "$1" | cut -c1-200 | sed 's/^/#   /'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- the world and the tap -------------------------------------------------------------------
tests/world/world.sh down >/dev/null 2>&1
if ! tests/world/world.sh up >"$work/up.log" 2>&1; then
    fail "world up failed"; show "$work/up.log" 20; exit 1
fi
. tests/world/mirror.sh
if ! tdw_mirror_up "$work/tap.log"; then
    fail "mirror of up0: $(head -3 "$work/tap.log")"; exit 1
fi

# ---- the two boxes' config files -------------------------------------------------------------
S=$work/sensor P=$work/proc
mkdir -p "$S/spool/shipped" "$P/spool" "$P/var" "$work/ref/spool" "$work/ref/obs" "$work/ref/state"
PSHIP=$(free_port) PQ=$(free_port) PM=$(free_port)
cat >"$S/tapdns.conf" <<EOF
# sensor box: tapdns-xdp@xt1, tapdns-ship-send
[sensor]
id = world
[spool]
dir = $S/spool
frame_seconds = 1
[capture]
stats_interval = 1s
[xdp]
mode = native
other = drop
[ship]
dest = 127.0.0.1:$PSHIP
done_dir = $S/spool/shipped
interval = 1s
EOF
cat >"$P/tapdns.conf" <<EOF
# processing box: tapdns-ship-receive, tapdns-hourly, tapdns-queryd
[spool]
dir = $P/spool
[ship]
listen = 127.0.0.1:$PSHIP
[batch]
out = $P/var/obs
state = $P/var/state
root_hints = $TOP/tests/world/root.hints
[index]
db = $P/var/index
mem_cap = 64M
export_dir = $P/var/export
[query]
listen = 127.0.0.1:$PQ
metrics_listen = 127.0.0.1:$PM
keys = $P/keys
quota_state = $P/var/quota
access_log = $P/access.log
reload_interval = 1s
cache = 16M
EOF
for c in "$S/tapdns.conf" "$P/tapdns.conf"; do
    "$BIN/tapdns-config" -c "$c" check >"$work/check.log" 2>&1 || { fail "config $c: $(head -2 "$work/check.log")"; exit 1; }
done

# ---- the daemons, as their units run them ----------------------------------------------------
# Each start_* sets its *_PID (the top of the process tree) and appends to SVC_PIDS.
# STRACE_RENAME_DELAY=SECONDS: run the unit's command under strace, every rename held back
# that long (the crash window the test kills in).
traced() {
    if [ -n "${STRACE_RENAME_DELAY:-}" ]; then
        # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks unchecked when traced
        ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS} exec strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 \
            -e inject=rename,renameat,renameat2:delay_enter=$((STRACE_RENAME_DELAY * 1000000)) "$@"
    else
        exec "$@"
    fi
}
XN=0
start_xdp() {
    XN=$((XN + 1))
    ip netns exec tdw-res "$BIN/tapdns-xdp" --config "$S/tapdns.conf" --iface "$TDW_MIRROR_IF" \
        >"$work/xdp$XN.out" 2>"$work/xdp$XN.err" 9>&- &
    XDP_PID=$!; SVC_PIDS+=("$XDP_PID")
    wait_for "grep -qs 'capturing on' '$work/xdp$XN.err' || ! kill -0 $XDP_PID 2>/dev/null" 100
    grep -q 'capturing on' "$work/xdp$XN.err"
}
RN=0
start_recv() {
    RN=$((RN + 1))
    traced "$BIN/tapdns-ship" receive --config "$P/tapdns.conf" >"$work/recv$RN.out" 2>"$work/recv$RN.err" 9>&- &
    RECV_PID=$!; SVC_PIDS+=("$RECV_PID")
    wait_for "grep -qs 'listening on' '$work/recv$RN.err' || ! kill -0 $RECV_PID 2>/dev/null" 100
    grep -q 'listening on' "$work/recv$RN.err"
}
SN=0
start_send() {
    SN=$((SN + 1))
    traced "$BIN/tapdns-ship" send --config "$S/tapdns.conf" >"$work/send$SN.out" 2>"$work/send$SN.err" 9>&- &
    SEND_PID=$!; SVC_PIDS+=("$SEND_PID")
    sleep 0.2
    kill -0 "$SEND_PID" 2>/dev/null
}
QN=0
start_queryd() {
    QN=$((QN + 1))
    "$BIN/tapdns-queryd" --config "$P/tapdns.conf" >"$work/queryd$QN.out" 2>"$work/queryd$QN.err" 9>&- &
    QD_PID=$!; SVC_PIDS+=("$QD_PID")
    wait_for "grep -qs 'listening on port' '$work/queryd$QN.err' || ! kill -0 $QD_PID 2>/dev/null" 100
    grep -q 'listening on port' "$work/queryd$QN.err"
}
hourly() { # LOG: the hourly timer's service
    (TAPDNS_BIN=$BIN TAPDNS_CONFIG=$P/tapdns.conf traced "$TOP/appliance/tapdns-jobs" hourly) >"$1" 2>&1 9>&-
}
stop_wait() { # SIGNAL PID [tenths]: signal the tree's top process, wait for it; its exit status
    kill -"$1" "$2" 2>/dev/null
    wait_for "! kill -0 $2 2>/dev/null" "${3:-100}" || kill_tree KILL "$2"
    wait "$2" 2>/dev/null
}
round() { # N: one round of the world's questions, tcpdump on up0 as the reference
    tests/world/world.sh capture "$work/round$1.pcap" >"$work/round$1.log" 2>&1 9>&-
}
closed_in() { ls "$1" 2>/dev/null | grep -E '^[A-Za-z0-9_-]+\.[0-9]{10}\.[0-9]+\.tds\.zst$'; }

if ! STRACE_RENAME_DELAY=4 start_recv; then fail "tapdns-ship receive did not start"; show "$work/recv$RN.err"; exit 1; fi
if ! start_send; then fail "tapdns-ship send did not start"; show "$work/send$SN.err"; exit 1; fi
if ! start_xdp; then fail "tapdns-xdp did not start"; show "$work/xdp$XN.err"; exit 1; fi
ok "started as the units run them: tapdns-xdp on $TDW_MIRROR_IF, ship send -> receive on 127.0.0.1:$PSHIP"

# ---- round 1, then kill -9 tapdns-xdp between rounds -----------------------------------------
round 1 || { fail "round 1 failed"; show "$work/round1.log"; exit 1; }
sleep 2   # the last frames flushed (frame_seconds 1)
kill_tree KILL "$XDP_PID"; wait "$XDP_PID" 2>/dev/null
open=$(ls "$S/spool"/*.open 2>/dev/null)
nrec=0
[ -n "$open" ] && nrec=$("$BIN/tapdns-spool" cat $open 2>/dev/null | wc -l)
mkdir -p "$work/r1check"
n1=$("$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor x --out "$work/r1check" "$work/round1.pcap" >/dev/null 2>&1;
     "$BIN/tapdns-spool" cat "$work/r1check"/*.tds.zst 2>/dev/null | wc -l)
rm -rf "$work/r1check"
check "kill -9 tapdns-xdp after round 1: its .open file holds every record of the round ($nrec, tcpdump: $n1)" \
    '[ "$(echo "$open" | wc -w)" = 1 ] && [ "$nrec" -gt 50 ] && [ "$nrec" = "$n1" ]'
# The unit restarts the program but nothing closes the crashed run's file: the operator's step.
"$BIN/tapdns-spool" recover -q $open 2>"$work/recover.err"
check "tapdns-spool recover closes it" '[ -z "$(ls "$S/spool"/*.open 2>/dev/null)" ] && [ "$(closed_in "$S/spool" | wc -l)" = 1 ]'
F1=$(closed_in "$S/spool" | head -1)
cp "$S/spool/$F1" "$work/F1.copy"
if start_xdp; then
    check "tapdns-xdp restarted: replaced the stale program" 'grep -q "replaced 1 program" "$work/xdp$XN.err"'
else
    fail "tapdns-xdp restart failed"; show "$work/xdp$XN.err"; exit 1
fi

# ---- round 2; meanwhile kill -9 tapdns-ship receive before it publishes a complete file ------
round 2 9>&- &
RPID=$!; SVC_PIDS+=("$RPID")
if wait_for '[ "$(stat -c %s "$P/spool/.partial/$F1" 2>/dev/null)" = "$(stat -c %s "$work/F1.copy")" ]' 100; then
    sleep 1   # COMMIT: fsync, checksum read-back, then the rename that strace holds back 4 s
    pub_before=$(closed_in "$P/spool" | wc -l)
    kill_tree KILL "$RECV_PID"; wait "$RECV_PID" 2>/dev/null
    check "kill -9 tapdns-ship receive with $F1 complete in .partial, not yet published" \
        '[ "$pub_before" = 0 ] && [ -z "$(closed_in "$P/spool")" ] && [ -f "$P/spool/.partial/$F1" ] && [ -f "$S/spool/$F1" ]'
else
    fail "the receiver never had $F1 complete in .partial"; show "$work/recv$RN.err"; show "$work/send$SN.err"
    kill_tree KILL "$RECV_PID"
fi
start_recv || { fail "tapdns-ship receive restart failed"; show "$work/recv$RN.err"; exit 1; }
if wait_for '[ -f "$P/spool/$F1" ] && [ -f "$S/spool/shipped/$F1" ]' 150 && cmp -s "$P/spool/$F1" "$work/F1.copy"; then
    ok "after the receiver's restart the sender resumed: $F1 stored (same octets) and moved to done"
else
    fail "$F1 not delivered after the receiver's restart"; show "$work/send$SN.err"; show "$work/recv$RN.err"
fi
wait "$RPID" || { fail "round 2 failed"; show "$work/round2.log"; exit 1; }
sleep 2

# ---- a graceful restart of tapdns-xdp (systemctl restart) closes a second file; round 3; ------
# ---- kill -9 tapdns-ship send between the receiver's ACK and its move to the done dir  ------
stop_wait TERM "$SEND_PID"
STRACE_RENAME_DELAY=4 start_send || { fail "tapdns-ship send (traced) did not start"; exit 1; }
stop_wait TERM "$XDP_PID" 300
rc=$?
F2=$(closed_in "$S/spool" | head -1)
check "tapdns-xdp SIGTERM after round 2: exit 0, its file $F2 closed" '[ $rc = 0 ] && [ -n "$F2" ] && [ -z "$(ls "$S/spool"/*.open 2>/dev/null)" ]'
start_xdp || { fail "tapdns-xdp restart failed"; show "$work/xdp$XN.err"; exit 1; }
round 3 9>&- &
RPID=$!; SVC_PIDS+=("$RPID")
if [ -n "$F2" ] && wait_for '[ -f "$P/spool/$F2" ]' 100; then
    sleep 0.5
    kill_tree KILL "$SEND_PID"; wait "$SEND_PID" 2>/dev/null
    check "kill -9 tapdns-ship send after the receiver stored $F2, before its move to the done dir" \
        '[ -f "$S/spool/$F2" ] && [ ! -f "$S/spool/shipped/$F2" ]'
else
    fail "$F2 never reached the receiver"; show "$work/send$SN.err"; kill_tree KILL "$SEND_PID"
fi
start_send || { fail "tapdns-ship send restart failed"; exit 1; }
if wait_for '[ -f "$S/spool/shipped/$F2" ] && [ ! -f "$S/spool/$F2" ]' 150 && grep -q "$F2 already stored" "$work/recv$RN.err"; then
    ok "the restarted sender offered $F2 again: acknowledged as a duplicate, moved to done"
else
    fail "$F2 after the sender's restart"; show "$work/send$SN.err"; show "$work/recv$RN.err"
fi

# ---- the hourly job, killed in the middle of tapdns-batch, then rerun --------------------------
mkdir -p "$P/var/obs" "$P/var/state"
STRACE_RENAME_DELAY=2 hourly "$work/hourly1.log" 9>&- 2>/dev/null &
HPID=$!; SVC_PIDS+=("$HPID")
if wait_for '[ -f "$P/var/state/state.tmp" ]' 200; then
    sleep 0.3
    kill_tree KILL "$HPID"; wait "$HPID" 2>/dev/null
    obs_killed=$(cd "$P/var/obs" && ls | grep '\.obs\.zst$' | sort)
    check "kill -9 of the hourly job in tapdns-batch: outputs renamed ($(echo $obs_killed)), state not committed, no index" \
        '[ -n "$obs_killed" ] && ! grep -qs "^done " "$P/var/state/state" && [ ! -f "$P/var/index/FILESET" ]'
    mkdir -p "$work/obs_killed"; cp "$P"/var/obs/*.obs.zst "$work/obs_killed/" 2>/dev/null
else
    fail "tapdns-batch never reached its state commit"; show "$work/hourly1.log"; kill_tree KILL "$HPID"
fi
if hourly "$work/hourly2.log"; then
    same=1
    for f in "$work"/obs_killed/*.obs.zst; do cmp -s "$f" "$P/var/obs/$(basename "$f")" || same=0; done
    check "the rerun made the same outputs (same names, same octets, no second group) and the index" \
        '[ $same = 1 ] && [ "$(cd "$P/var/obs" && ls | grep "\.obs\.zst$" | sort)" = "$obs_killed" ] && [ -f "$P/var/index/FILESET" ]'
else
    fail "hourly rerun failed"; show "$work/hourly2.log"
fi

# ---- tapdns-queryd with a key; kill -9 and restart: the quota is kept --------------------------
"$BIN/tapdns-queryd" keys --keys "$P/keys" add demo --daily 1000 >"$work/key.out" 2>&1
KEY=$(tail -1 "$work/key.out")
start_queryd || { fail "tapdns-queryd did not start"; show "$work/queryd$QN.err"; exit 1; }
URL=http://127.0.0.1:$PQ
remaining() { # one charged lookup; prints X-RateLimit-Remaining
    curl -s -o /dev/null -D - -H "X-API-Key: $KEY" "$URL/dnsdb/v2/lookup/rrset/name/www.alpha.test" |
        tr -d '\r' | sed -n 's/^X-RateLimit-Remaining: //Ip'
}
for _ in 1 2 3 4; do remaining >/dev/null; done
r5=$(remaining)
sleep 1.5   # the quota state is saved at most every second
kill -KILL "$QD_PID"; wait "$QD_PID" 2>/dev/null
start_queryd || { fail "tapdns-queryd restart failed"; show "$work/queryd$QN.err"; exit 1; }
r6=$(remaining)
check "kill -9 tapdns-queryd after 5 queries (remaining $r5), restart: the next query leaves $r6" '[ "$r5" = 995 ] && [ "$r6" = 994 ]'

wait "$RPID" || { fail "round 3 failed"; show "$work/round3.log"; exit 1; }
for r in $(seq 4 $ROUNDS); do round "$r" || { fail "round $r failed"; show "$work/round$r.log"; exit 1; }; done

# ---- the end: SIGTERM tapdns-xdp, ship drains, the hourly job --------------------------------
sleep 2
stop_wait TERM "$XDP_PID" 300
rc=$?
check "tapdns-xdp SIGTERM at the end: exit 0, no .open file left" '[ $rc = 0 ] && [ -z "$(ls "$S/spool"/*.open 2>/dev/null)" ]'
if wait_for '[ -z "$(closed_in "$S/spool")" ]' 200; then
    ok "ship drained the sensor spool: $(closed_in "$S/spool/shipped" | wc -l) files shipped"
else
    fail "files left in the sensor spool: $(closed_in "$S/spool" | tr '\n' ' ')"
    grep -h 'refused' "$work"/recv*.err | head -3 | cut -c1-250 | sed 's/^/#   /'
fi
stop_wait TERM "$SEND_PID"
stop_wait TERM "$RECV_PID"
hourly "$work/hourly3.log" || { fail "final hourly job failed"; show "$work/hourly3.log"; }
check "every spool file stored once: processing spool = shipped files, byte for byte, nothing partial" \
    '[ "$(closed_in "$P/spool")" = "$(closed_in "$S/spool/shipped")" ] && [ -z "$(ls -A "$P/spool/.partial")" ] &&
     for f in $(closed_in "$P/spool"); do cmp -s "$P/spool/$f" "$S/spool/shipped/$f" || exit 1; done'

# ---- HTTP answers of the restarted tapdns-queryd (it reloads the new FILESET within a second) ---
sleep 2
HTTPQ='rrset/name/%2A.test rrset *.test
rrset/name/%2A.tdw rrset *.tdw
rrset/name/www.alpha.test rrset www.alpha.test
rrset/name/alpha.test/MX rrset alpha.test/MX
rdata/name/%2A.gamma.tdw rdata name *.gamma.tdw
rdata/ip/10.53.0.0,16 rdata ip 10.53.0.0/16
rdata/ip/fd53%3A%3A,64 rdata ip fd53::/64'
i=0
while read -r path _; do
    i=$((i + 1))
    curl -s -H "X-API-Key: $KEY" -H 'Accept: application/x-ndjson' "$URL/dnsdb/v2/lookup/$path?limit=0" >"$work/http$i.out"
done <<<"$HTTPQ"
# tapdns-query on the index tapdns-queryd holds open: generations are plain table files that
# any number of processes read (indexer/gen_reader.h).
set -f
"$BIN/tapdns-query" --config "$P/tapdns.conf" --json rrset www.alpha.test >"$work/concurrent.out" 2>&1
set +f
check "tapdns-query reads the index tapdns-queryd holds open" \
    "grep -q '\"rrname\":\"www.alpha.test.\"' '$work/concurrent.out'"
# The daily timer's job while tapdns-queryd serves the index.
day=$(grep -m1 -o '^h\.[0-9]\{8\}' "$P/var/index/FILESET" | cut -c3-)
if (TAPDNS_BIN=$BIN TAPDNS_CONFIG=$P/tapdns.conf "$TOP/appliance/tapdns-jobs" daily "$day") >"$work/daily.log" 2>&1 9>&-; then
    ok "tapdns-jobs daily $day while tapdns-queryd serves the index"
else
    fail "tapdns-jobs daily $day while tapdns-queryd serves the index: $(grep -v '^merge\|^exported' "$work/daily.log" | head -1 | cut -c1-200)"
fi
stop_wait TERM "$QD_PID"
rc=$?
check "tapdns-queryd exits 0 on SIGTERM" '[ $rc = 0 ]'

# ---- the reference path: tcpdump's captures -> import-pcap -> batch -> index build ------------
for r in $(seq 1 $ROUNDS); do
    "$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor world --out "$work/ref/spool" "$work/round$r.pcap" >/dev/null 2>&1
done
"$BIN/tapdns-batch" -q --spool "$work/ref/spool" --out "$work/ref/obs" --state "$work/ref/state" \
    --root-hints tests/world/root.hints 2>"$work/ref.err" || fail "reference batch: $(head -1 "$work/ref.err")"
for h in $(cd "$work/ref/obs" && ls | grep '\.obs\.zst$' | cut -c1-10 | sort -u); do
    (cd "$work/ref/obs" && "$BIN/tapdns-index" build -q --db "$work/ref/index" --hour "$h" $(ls | grep "^$h\..*\.obs\.zst$")) \
        2>>"$work/ref.err" || fail "reference index build $h: $(tail -1 "$work/ref.err")"
done

norm() { "$BIN/tapdns-spool" cat "$@" | sed -E 's/"(query|response)_time":[0-9]+,//g' | sort; }
norm $(for f in $(closed_in "$P/spool"); do echo "$P/spool/$f"; done) >"$work/pipe.rec"
norm "$work"/ref/spool/*.tds.zst >"$work/ref.rec"
np=$(wc -l <"$work/pipe.rec") nr=$(wc -l <"$work/ref.rec")
if [ "$nr" -ge $((ROUNDS * 100)) ] && cmp -s "$work/pipe.rec" "$work/ref.rec"; then
    ok "spool records: $np through xdp/ship = $nr from tcpdump's captures, the same records (timestamps aside)"
else
    fail "spool records: $np through xdp/ship, $nr from tcpdump's captures (< ref, > pipeline)"
    diff "$work/ref.rec" "$work/pipe.rec" | head -6 | cut -c1-250 | sed 's/^/#   /'
fi

# index contents: every entry of every generation, summed per RRset, time fields aside
content() { # ROOT
    local g
    for g in $(grep -v '^#' "$1/FILESET" | awk '{print $1}' | grep -E '^[hdm]\.'); do
        "$BIN/tapdns-index" export --db "$1" --gen "$g" --out "$work/exp.cof.zst" >/dev/null 2>&1 || echo "export $g failed"
        zstd -dcq "$work/exp.cof.zst"
        rm -f "$work/exp.cof.zst"
    done | jq -c 'del(.time_first, .time_last, .zone_time_first, .zone_time_last) | .rdata |= (if type == "array" then sort else . end)' |
        jq -sc 'group_by(del(.count)) | map(.[0] + {count: (map(.count) | add)}) | .[]' | sort
}
content "$P/var/index" >"$work/pipe.idx"
content "$work/ref/index" >"$work/ref.idx"
ni=$(wc -l <"$work/pipe.idx")
sum=$(jq -s 'map(.count) | add' "$work/pipe.idx")
if [ "$ni" -gt 50 ] && cmp -s "$work/pipe.idx" "$work/ref.idx"; then
    ok "index contents (tapdns-index export of every generation): $ni RRsets, $sum observations, equal to the reference"
else
    fail "index contents differ: $ni RRsets in the pipeline, $(wc -l <"$work/ref.idx") in the reference"
    diff "$work/ref.idx" "$work/pipe.idx" | head -6 | cut -c1-250 | sed 's/^/#   /'
fi

# every rrset and rdata of the world, through tapdns-query --json
QUERIES='rrset *.
rrset *.test/A
rrset *.tdw/ANY/tdw
rdata name *.
rdata name *.test/NS
rdata ip 10.0.0.0/8
rdata ip fd00::/8'
answers() { # ROOT
    local q
    while read -r q; do
        echo "# $q"
        set -f
        # shellcheck disable=SC2086
        "$BIN/tapdns-query" --db "$1" --json --limit 0 $q 2>&1 |
            sed -E 's/"(time_first|time_last|zone_time_first|zone_time_last)":[0-9]+,?//g' | sort
        set +f
    done <<<"$QUERIES"
}
answers "$P/var/index" >"$work/pipe.ans"
answers "$work/ref/index" >"$work/ref.ans"
na=$(grep -vc '^#' "$work/pipe.ans")
if [ "$na" -gt 100 ] && cmp -s "$work/pipe.ans" "$work/ref.ans"; then
    ok "tapdns-query --json over every rrset and rdata of the world: $na answers, equal to the reference"
else
    fail "tapdns-query answers differ ($na in the pipeline, $(grep -vc '^#' "$work/ref.ans") in the reference)"
    diff "$work/ref.ans" "$work/pipe.ans" | head -6 | cut -c1-250 | sed 's/^/#   /'
fi

# HTTP (curl with the key) to the restarted tapdns-queryd = tapdns-query --saf on the same index
nbad=0 i=0
while read -r path q; do
    i=$((i + 1))
    set -f
    # shellcheck disable=SC2086
    "$BIN/tapdns-query" --config "$P/tapdns.conf" --saf --limit 0 $q >"$work/cli.out" 2>&1
    set +f
    if ! cmp -s "$work/http$i.out" "$work/cli.out" || [ "$(wc -l <"$work/cli.out")" -lt 3 ]; then
        nbad=$((nbad + 1)); echo "# $path differs or is empty"
        diff "$work/cli.out" "$work/http$i.out" | head -4 | cut -c1-200 | sed 's/^/#   /'
    fi
done <<<"$HTTPQ"
check "HTTP answers (curl with the key) of the restarted tapdns-queryd = tapdns-query --saf: $i queries" '[ "$nbad" = 0 ]'
bad=$(grep -l -E "Sanitizer|runtime error" "$work"/*.err "$work"/*.log 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
check "no sanitizer report from any program${bad:+ ($bad)}" '[ -z "$bad" ]'
echo "# $T: $(($(date +%s) - t_start)) s"
exit 0
