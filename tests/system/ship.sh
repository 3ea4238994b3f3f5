#!/bin/bash
# ship.sh: tapdns-ship send/receive on 127.0.0.1 (a free port chosen at run time) with real
# spool files (tapdns-spool import-pcap of tests/data/sample.pcap as several sensors and
# hours) and generated large ones: plain transfer (byte-identical, done-dir filled, .open
# left alone), a duplicate offer (acknowledged, no second copy), a conflicting name
# (refused, nothing overwritten), forged names from a raw client ("../x", "a.open": refused),
# a connection cut mid-file by a proxy (resumed, not restarted), the receiver killed -9 and
# restarted mid-file, the sender killed -9 mid-file, and disk full on a 2 MiB tmpfs in a
# private mount namespace (error, partial kept, retry after freeing space: every file once).
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BIN=${TAPDNS_BIN:-build/bin}
case $BIN in /*) ;; *) BIN=$TOP/$BIN ;; esac
tmp=$(mktemp -d /tmp/tapdns-ship.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok - ship: $1"; }
fail() { echo "not ok - ship: $1"; }
check() { if eval "$1"; then ok "$2"; else fail "$2"; fi; }
SHIP=$BIN/tapdns-ship
[ -x "$SHIP" ] || { fail "no $SHIP"; exit 1; }

# wait_for COND [tenths]: polls COND every 0.1 s, up to tenths (default 100).
wait_for() {
    local i=0 n=${2:-100}
    while ! eval "$1"; do
        i=$((i + 1)); [ $i -ge "$n" ] && return 1; sleep 0.1
    done
}
# start_receiver DIR LOG [PORT]: sets rpid and port.
start_receiver() {
    "$SHIP" receive --listen "127.0.0.1:${3:-0}" --dir "$1" --timeout 10s ${RECV_OPTS:-} >>"$2.out" 2>>"$2" &
    rpid=$!; pids+=("$rpid")
    wait_for "grep -qs 'listening on' '$2'" || { fail "receiver did not start: $(tail -1 "$2")"; exit 1; }
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$2" | tail -1)
}
# same_files A B: the same names with the same octets in both directories (top level).
same_files() {
    [ "$(cd "$1" && ls)" = "$(cd "$2" && ls)" ] || return 1
    local f; for f in "$1"/*; do cmp -s "$f" "$2/$(basename "$f")" || return 1; done
}
partial_empty() { [ -z "$(ls -A "$1/.partial" 2>/dev/null)" ]; }
stat_of() { grep -o "$2 [0-9]*" "$1" | tail -1 | cut -d' ' -f2; }

# ---- spool files: the sample as sensors a and b, hours +0 and +1, 2 and 3 ----
mkdir -p "$tmp/orig"
python3 - "$TOP/tests/data/sample.pcap" "$tmp" <<'EOF'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
d = open(src, 'rb').read()
for k in (1, 2):
    o = bytearray(d[:24]); p = 24
    while p + 16 <= len(d):
        ts, us, incl, orig = struct.unpack_from('<IIII', d, p)
        o += struct.pack('<IIII', ts + 3600 * k, us, incl, orig) + d[p + 16:p + 16 + incl]
        p += 16 + incl
    open(f'{out}/shift{k}.pcap', 'wb').write(o)
EOF
for s in a b; do
    for p in "$TOP/tests/data/sample.pcap" "$tmp/shift1.pcap" "$tmp/shift2.pcap"; do
        "$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor $s --out "$tmp/orig" "$p" || { fail "import-pcap"; exit 1; }
    done
done
nreal=$(ls "$tmp/orig" | wc -l)
[ "$nreal" -eq 6 ] || { fail "expected 6 spool files from import, got $nreal"; exit 1; }
hour=$(ls "$tmp/orig" | head -1 | cut -d. -f2)

# ---- 1. plain transfer (receiver with --max-conns 1; later sections fork per connection) ----
mkdir -p "$tmp/p/spool" "$tmp/p/in" "$tmp/p/done"
cp "$tmp"/orig/* "$tmp/p/spool/"
: >"$tmp/p/spool/a.$hour.7.tds.zst.open"   # being written: never shipped
RECV_OPTS="--max-conns 1" start_receiver "$tmp/p/in" "$tmp/p/rlog"   # sections 1-4: served in turn, no fork
mkdir -p "$tmp/p/metrics"
"$SHIP" send --dir "$tmp/p/spool" --dest "127.0.0.1:$port" --done-dir "$tmp/p/done" --once --metrics-dir "$tmp/p/metrics" \
    >"$tmp/p/out" 2>"$tmp/p/slog"
rc=$?
check '[ $rc -eq 0 ]' "plain transfer: --once exits 0 (rc $rc)"
check 'same_files "$tmp/orig" "$tmp/p/in"' "plain transfer: $nreal real spool files arrive byte-identical"
check 'same_files "$tmp/orig" "$tmp/p/done"' "plain transfer: done-dir holds every shipped file"
check '[ "$(ls "$tmp/p/spool")" = "a.$hour.7.tds.zst.open" ]' "plain transfer: only the .open file stays in the spool"
check 'partial_empty "$tmp/p/in"' "plain transfer: nothing left in .partial"
check '[ "$(stat_of "$tmp/p/out" files)" = 6 ] && [ "$(stat_of "$tmp/p/out" errors)" = 0 ]' \
    "plain transfer: stats line says files 6 errors 0 ($(tail -1 "$tmp/p/out"))"
check 'grep -qx "tapdns_ship_files_total 6" "$tmp/p/metrics/tapdns-ship-send.prom"' \
    "plain transfer: the metrics file says tapdns_ship_files_total 6"
order=$(sed -n 's/^tapdns-ship send: \([^ ]*\): shipped.*/\1/p' "$tmp/p/slog" | tr '\n' ' ')
check '[ "$order" = "$(ls "$tmp/orig" | sort -t. -k2,2 -k1,1 | tr '\''\n'\'' '\'' '\'')" ]' "plain transfer: oldest hour first ($order)"

# ---- 2. duplicate offer: acknowledged, no second copy ----
dup=$(ls "$tmp/orig" | head -1)
cp "$tmp/orig/$dup" "$tmp/p/spool/"
"$SHIP" send --dir "$tmp/p/spool" --dest "127.0.0.1:$port" --once >"$tmp/p/out2" 2>>"$tmp/p/slog"
rc=$?
check '[ $rc -eq 0 ] && [ "$(stat_of "$tmp/p/out2" duplicates)" = 1 ] && [ ! -e "$tmp/p/spool/$dup" ]' \
    "duplicate: acknowledged again and removed from the spool (rc $rc, $(tail -1 "$tmp/p/out2"))"
check 'same_files "$tmp/orig" "$tmp/p/in"' "duplicate: still exactly one identical copy at the receiver"

# ---- 3. conflict: same name, other content ----
printf 'other content' >"$tmp/p/spool/$dup"
"$SHIP" send --dir "$tmp/p/spool" --dest "127.0.0.1:$port" --once >"$tmp/p/out3" 2>>"$tmp/p/slog"
rc=$?
check '[ $rc -eq 1 ] && [ "$(stat_of "$tmp/p/out3" refused)" = 1 ] && [ -e "$tmp/p/spool/$dup" ]' \
    "conflict: refused, exit 1, the file stays in the spool (rc $rc)"
check 'cmp -s "$tmp/orig/$dup" "$tmp/p/in/$dup" && grep -q "refused $dup: stored with different content" "$tmp/p/rlog"' \
    "conflict: stored file untouched and the refusal logged"
rm -f "$tmp/p/spool/$dup"

# ---- 4. forged names from a raw client ----
python3 - "$port" >"$tmp/p/forged" 2>&1 <<'EOF'
import socket, struct, sys
def msg(t, body): return struct.pack('<IB', 1 + len(body), t) + body
def read(s):
    h = b''
    while len(h) < 4: h += s.recv(4 - len(h))
    n = struct.unpack('<I', h)[0]; b = b''
    while len(b) < n: b += s.recv(n - len(b))
    return b[0], b[1:]
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(msg(1, b'TDSHIP' + struct.pack('<H', 1)))
print('hello', read(s)[0])
for name in (b'../x', b'a.open', b'../a.2026112703.0.tds.zst', b'a.2026112703.0.tds.zst.open', b'.partial'):
    s.sendall(msg(2, struct.pack('<Q', 5) + bytes(16) + bytes([len(name)]) + name))
    t, b = read(s)
    print(name.decode(), t, struct.unpack('<H', b[:2])[0] if t == 7 else '-')
s.close()
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(msg(1, b'TDSHIP' + struct.pack('<H', 2)))
t, b = read(s)
print('v2', t, struct.unpack('<H', b[:2])[0])
EOF
want=$'hello 1\n../x 7 3\na.open 7 3\n../a.2026112703.0.tds.zst 7 3\na.2026112703.0.tds.zst.open 7 3\n.partial 7 3\nv2 7 2'
check '[ "$(cat "$tmp/p/forged")" = "$want" ]' "forged names (../x, a.open, ...) refused with ERROR name; HELLO v2 refused with ERROR version"
check '[ ! -e "$tmp/p/x" ] && [ ! -e "$tmp/p/in/a.open" ] && partial_empty "$tmp/p/in"' "forged names: nothing created"
kill "$rpid"; wait "$rpid"; rc=$?
check '[ $rc -eq 0 ] && grep -q "stats connections 5 files 6 bytes 29756 duplicates 1 refused 6 errors 0" "$tmp/p/rlog.out"' \
    "receiver: clean exit on SIGTERM (rc $rc) with the totals line ($(tail -1 "$tmp/p/rlog.out"))"

# ---- big generated files for the fault tests ----
big=a.$((hour - 1)).0.tds.zst
[ "${hour:8:2}" = 00 ] && big=a.$hour.9.tds.zst
head -c 8000000 /dev/urandom >"$tmp/big"

# ---- 5. connection cut in the middle of a file (proxy drops after 3 MB), resume ----
cat >"$tmp/proxy.py" <<'EOF'
import socket, sys, threading
lport_file, dport, cut = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', 0)); ls.listen(8)
open(lport_file, 'w').write(str(ls.getsockname()[1]))
def pipe(a, b, limit, both):
    n = 0
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            if limit is not None and n + len(d) > limit:
                b.sendall(d[:limit - n]); break
            b.sendall(d); n += len(d)
    except OSError: pass
    for s in both:
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
        s.close()
k = 0
while True:
    c, _ = ls.accept()
    u = socket.create_connection(('127.0.0.1', dport))
    limit = cut if k == 0 else None
    k += 1
    threading.Thread(target=pipe, args=(c, u, limit, (c, u)), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, None, (c, u)), daemon=True).start()
EOF
mkdir -p "$tmp/c/spool" "$tmp/c/in"
cp "$tmp/big" "$tmp/c/spool/$big"
cp "$tmp/orig/$dup" "$tmp/c/spool/"
start_receiver "$tmp/c/in" "$tmp/c/rlog"
python3 "$tmp/proxy.py" "$tmp/c/pport" "$port" 3000000 &
pids+=($!)
wait_for "[ -s '$tmp/c/pport' ]"
"$SHIP" send --dir "$tmp/c/spool" --dest "127.0.0.1:$(cat "$tmp/c/pport")" --once >"$tmp/c/out" 2>"$tmp/c/slog"
rc=$?
resumed=$(sed -n "s/.*received $big (8000000 octets, resumed at \([0-9]*\),.*/\1/p" "$tmp/c/rlog")
check '[ $rc -eq 0 ] && cmp -s "$tmp/big" "$tmp/c/in/$big" && cmp -s "$tmp/orig/$dup" "$tmp/c/in/$dup"' \
    "cut at 3 MB: both files arrive byte-identical (rc $rc)"
check '[ -n "$resumed" ] && [ "$resumed" -gt 0 ] && [ "$resumed" -le 3000000 ]' \
    "cut at 3 MB: the second connection resumed at $resumed, not from zero"
# (the octet count of the stats line includes what sat in socket buffers when the cut came)
check 'grep -q "$big: resuming at $resumed of 8000000" "$tmp/c/slog" && [ "$(stat_of "$tmp/c/out" retries)" -ge 1 ]' \
    "cut at 3 MB: the sender resumed at the receiver's offset after a retry ($(tail -1 "$tmp/c/out"))"
check '[ -z "$(ls "$tmp/c/spool")" ] && partial_empty "$tmp/c/in"' "cut at 3 MB: spool emptied, .partial empty"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 6. receiver killed -9 and restarted mid-file ----
mkdir -p "$tmp/r/spool" "$tmp/r/in"
cp "$tmp/big" "$tmp/r/spool/$big"
start_receiver "$tmp/r/in" "$tmp/r/rlog"
"$SHIP" send --dir "$tmp/r/spool" --dest "127.0.0.1:$port" --once --rate 4M >"$tmp/r/out" 2>"$tmp/r/slog" &
spid=$!; pids+=("$spid")
wait_for "[ \$(stat -c %s '$tmp/r/in/.partial/$big' 2>/dev/null || echo 0) -gt 2000000 ]" 100 || fail "receiver restart: no progress"
kill -9 "$rpid" $(pgrep -P "$rpid"); wait "$rpid" 2>/dev/null   # the listener and its connection process
cut=$(stat -c %s "$tmp/r/in/.partial/$big")
start_receiver "$tmp/r/in" "$tmp/r/rlog" "$port"
wait "$spid"; rc=$?
resumed=$(sed -n "s/.*received $big (8000000 octets, resumed at \([0-9]*\),.*/\1/p" "$tmp/r/rlog")
check '[ $rc -eq 0 ] && cmp -s "$tmp/big" "$tmp/r/in/$big" && [ ! -e "$tmp/r/spool/$big" ]' \
    "receiver restart: the file arrives byte-identical and leaves the spool (rc $rc)"
check '[ -n "$resumed" ] && [ "$resumed" -gt 0 ]' "receiver restart: resumed at $resumed (partial had $cut at the kill)"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 7. sender killed -9 mid-file, then run again ----
mkdir -p "$tmp/k/spool" "$tmp/k/in"
cp "$tmp/big" "$tmp/k/spool/$big"
start_receiver "$tmp/k/in" "$tmp/k/rlog"
"$SHIP" send --dir "$tmp/k/spool" --dest "127.0.0.1:$port" --once --rate 4M >/dev/null 2>"$tmp/k/slog" &
spid=$!; pids+=("$spid")
wait_for "[ \$(stat -c %s '$tmp/k/in/.partial/$big' 2>/dev/null || echo 0) -gt 2000000 ]" 100 || fail "sender kill: no progress"
kill -9 "$spid"; wait "$spid" 2>/dev/null
wait_for "grep -qs 'connection ended in $big' '$tmp/k/rlog'" 50
"$SHIP" send --dir "$tmp/k/spool" --dest "127.0.0.1:$port" --once >"$tmp/k/out" 2>>"$tmp/k/slog"
rc=$?
resumed=$(sed -n "s/.*received $big (8000000 octets, resumed at \([0-9]*\),.*/\1/p" "$tmp/k/rlog")
check '[ $rc -eq 0 ] && cmp -s "$tmp/big" "$tmp/k/in/$big" && [ -n "$resumed" ] && [ "$resumed" -gt 2000000 ]' \
    "sender kill -9: the next run resumes at $resumed and the file arrives byte-identical (rc $rc)"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 8. disk full: INCOMING on a 2 MiB tmpfs in a private mount namespace ----
mkdir -p "$tmp/d/spool" "$tmp/d/in" "$tmp/d/orig" "$tmp/d/done"
for i in 1 2 3 4; do head -c 400000 /dev/urandom >"$tmp/d/orig/d.$hour.$i.tds.zst"; done
cp "$tmp/orig"/* "$tmp/d/orig/"
cp "$tmp/d/orig"/* "$tmp/d/spool/"
cat >"$tmp/d/run.sh" <<EOF
set -u
mount -t tmpfs -o size=2m tapdns-ship-test "$tmp/d/in" || exit 3
head -c 1100000 /dev/zero >"$tmp/d/in/filler" 2>/dev/null   # leaves < 1 MiB for the files
"$SHIP" receive --listen 127.0.0.1:0 --dir "$tmp/d/in" >/dev/null 2>"$tmp/d/rlog" &
r=\$!
for i in \$(seq 50); do grep -q 'listening on' "$tmp/d/rlog" && break; sleep 0.1; done
p=\$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$tmp/d/rlog")
"$SHIP" send --dir "$tmp/d/spool" --dest 127.0.0.1:\$p --done-dir "$tmp/d/done" --once --retries 1 >"$tmp/d/out1" 2>"$tmp/d/slog1"
echo "rc1 \$?" >"$tmp/d/rc"
ls "$tmp/d/in" | grep -v filler >"$tmp/d/in_after1"
ls -l "$tmp/d/in/.partial" >"$tmp/d/partial_after1"
rm -f "$tmp/d/in/filler"
"$SHIP" send --dir "$tmp/d/spool" --dest 127.0.0.1:\$p --done-dir "$tmp/d/done" --once >"$tmp/d/out2" 2>"$tmp/d/slog2"
echo "rc2 \$?" >>"$tmp/d/rc"
for f in "$tmp/d/orig"/*; do cmp -s "\$f" "$tmp/d/in/\$(basename "\$f")" || echo "differs: \$f"; done >"$tmp/d/cmp"
ls -A "$tmp/d/in" >"$tmp/d/in_final"
ls -A "$tmp/d/in/.partial" >"$tmp/d/partial_final"
kill \$r; wait \$r
umount "$tmp/d/in"
EOF
if unshare -m --propagation private bash "$tmp/d/run.sh"; then
    rc1=$(awk '$1 == "rc1" { print $2 }' "$tmp/d/rc"); rc2=$(awk '$1 == "rc2" { print $2 }' "$tmp/d/rc")
    check '[ "$rc1" = 1 ] && grep -q "receiver error nospace" "$tmp/d/slog1"' \
        "disk full: the first run ends with ERROR nospace and exit 1 (rc $rc1)"
    kept=$(awk '/tds\.zst$/ && $5 > 0 { print $5 }' "$tmp/d/partial_after1")
    check '[ -n "$kept" ] && [ "$(wc -l <"$tmp/d/in_after1")" -ge 1 ]' \
        "disk full: the partial data is kept (${kept:-no} octets) and the files before it arrived"
    resumed=$(grep -o 'resumed at [1-9][0-9]*' "$tmp/d/rlog" | head -1)
    check '[ "$rc2" = 0 ] && [ ! -s "$tmp/d/cmp" ] && [ "$(sed -n 1p "$tmp/d/in_final")" = .partial ] && [ ! -s "$tmp/d/partial_final" ]' \
        "disk full: after freeing space every file arrives byte-identical (rc $rc2)"
    check '[ "$(grep -v "^\.partial$" "$tmp/d/in_final")" = "$(ls "$tmp/d/orig")" ] && same_files "$tmp/d/orig" "$tmp/d/done"' \
        "disk full: each of $(ls "$tmp/d/orig" | wc -l) files exactly once at the receiver and in done-dir"
    check '[ -n "$resumed" ]' "disk full: the retry resumed from the kept partial data (${resumed:-not resumed})"
else
    fail "disk full: unshare -m / mount tmpfs failed (needs root)"
fi

# ---- 9. daemon mode: started before the receiver, reconnects with backoff, stats every interval ----
mkdir -p "$tmp/m/spool" "$tmp/m/in"
cp "$tmp/orig"/* "$tmp/m/spool/"
mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SHIP" send --dir "$tmp/m/spool" --dest "127.0.0.1:$mport" --interval 1s >"$tmp/m/out" 2>"$tmp/m/slog" &
spid=$!; pids+=("$spid")
sleep 1.2
start_receiver "$tmp/m/in" "$tmp/m/rlog" "$mport"
wait_for 'same_files "$tmp/orig" "$tmp/m/in"' 150
check 'same_files "$tmp/orig" "$tmp/m/in" && [ -z "$(ls "$tmp/m/spool")" ]' \
    "daemon mode: the sender started before the receiver ships every file once it is up"
sleep 1.2
kill -TERM "$spid"; wait "$spid"; rc=$?
check '[ $rc -eq 0 ] && [ "$(grep -c "stats files" "$tmp/m/out")" -ge 2 ] && [ "$(stat_of "$tmp/m/out" retries)" -ge 1 ]' \
    "daemon mode: stats lines every interval, retries counted, clean exit on SIGTERM (rc $rc, $(grep -c "stats files" "$tmp/m/out") lines)"
check 'grep -q "connect to 127.0.0.1:$mport: Connection refused" "$tmp/m/slog"' "daemon mode: the refused connection is logged"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 10. config file ([ship] keys), and a done-dir that cannot take the file ----
mkdir -p "$tmp/f/spool" "$tmp/f/in" "$tmp/f/done"
cp "$tmp/orig/$dup" "$tmp/f/spool/"
start_receiver "$tmp/f/in" "$tmp/f/rlog"
printf '[ship]\ndest = 127.0.0.1:%s\ndone_dir = %s\n[spool]\ndir = %s\n' "$port" "$tmp/f/missing" "$tmp/f/spool" >"$tmp/f/conf"
"$SHIP" send --config "$tmp/f/conf" --once --retries 0 >"$tmp/f/out1" 2>"$tmp/f/slog"
rc1=$?
check '[ $rc1 -eq 1 ] && [ -e "$tmp/f/spool/$dup" ] && cmp -s "$tmp/orig/$dup" "$tmp/f/in/$dup" && grep -q "cannot move $dup" "$tmp/f/slog"' \
    "done-dir missing: stored at the receiver, the file stays in the spool, exit 1 (rc $rc1)"
"$SHIP" send --config "$tmp/f/conf" --done-dir "$tmp/f/done" --once >"$tmp/f/out2" 2>>"$tmp/f/slog"
rc2=$?
check '[ $rc2 -eq 0 ] && [ "$(stat_of "$tmp/f/out2" duplicates)" = 1 ] && cmp -s "$tmp/orig/$dup" "$tmp/f/done/$dup" && [ -z "$(ls "$tmp/f/spool")" ]' \
    "config file + --done-dir override: the retry gets a duplicate ACK and retires the file (rc $rc2)"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 11. two senders at once: small files are not held up by a slow big one ----
mkdir -p "$tmp/x/big" "$tmp/x/small" "$tmp/x/in"
cp "$tmp/big" "$tmp/x/big/$big"
cp "$tmp/orig"/* "$tmp/x/small/"
start_receiver "$tmp/x/in" "$tmp/x/rlog"
"$SHIP" send --dir "$tmp/x/big" --dest "127.0.0.1:$port" --once --rate 4M >/dev/null 2>"$tmp/x/slog_big" &
bpid=$!; pids+=("$bpid")
wait_for "[ -s '$tmp/x/in/.partial/$big' ]" 50
"$SHIP" send --dir "$tmp/x/small" --dest "127.0.0.1:$port" --once >/dev/null 2>"$tmp/x/slog_small"
rc=$?
check '[ $rc -eq 0 ] && [ ! -e "$tmp/x/in/$big" ] && [ -z "$(ls "$tmp/x/small")" ]' \
    "two senders: the small files are stored while the big file is still on its way (rc $rc)"
wait "$bpid"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$tmp/big" "$tmp/x/in/$big"' "two senders: then the big file arrives byte-identical (rc $rc)"

# ---- 12. the same file from two senders at once: one copy, both acknowledged ----
rm -f "$tmp/x/in/$big"
mkdir -p "$tmp/x/s1" "$tmp/x/s2"
cp "$tmp/big" "$tmp/x/s1/$big"; cp "$tmp/big" "$tmp/x/s2/$big"
"$SHIP" send --dir "$tmp/x/s1" --dest "127.0.0.1:$port" --once --rate 4M >"$tmp/x/o1" 2>"$tmp/x/l1" &
p1=$!; pids+=("$p1")
wait_for "[ -s '$tmp/x/in/.partial/$big' ]" 50
"$SHIP" send --dir "$tmp/x/s2" --dest "127.0.0.1:$port" --once >"$tmp/x/o2" 2>"$tmp/x/l2"
rc2=$?
wait "$p1"; rc1=$?
check '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && cmp -s "$tmp/big" "$tmp/x/in/$big" && [ -z "$(ls -A "$tmp/x/s1")$(ls -A "$tmp/x/s2")" ] && partial_empty "$tmp/x/in"' \
    "same file twice at once: one copy stored, both senders acknowledged (rc $rc1 $rc2)"
check 'grep -q "receiver error busy" "$tmp/x/l2" && [ "$(stat_of "$tmp/x/o2" duplicates)" = 1 ]' \
    "same file twice at once: the second sender was told busy, then got a duplicate ACK"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 13. a partial file that does not match: a wrong prefix is caught by the checksum, a
#          longer one is emptied; both files still arrive byte-identical ----
mkdir -p "$tmp/w/spool" "$tmp/w/in/.partial"
f1=$(ls "$tmp/orig" | sed -n 1p); f2=$(ls "$tmp/orig" | sed -n 2p)
cp "$tmp/orig/$f1" "$tmp/orig/$f2" "$tmp/w/spool/"
head -c 1000 /dev/zero >"$tmp/w/in/.partial/$f1"
head -c 9999 /dev/zero >"$tmp/w/in/.partial/$f2"
start_receiver "$tmp/w/in" "$tmp/w/rlog"
"$SHIP" send --dir "$tmp/w/spool" --dest "127.0.0.1:$port" --once >"$tmp/w/out" 2>"$tmp/w/slog"
rc=$?
check '[ $rc -eq 0 ] && cmp -s "$tmp/orig/$f1" "$tmp/w/in/$f1" && cmp -s "$tmp/orig/$f2" "$tmp/w/in/$f2" && partial_empty "$tmp/w/in"' \
    "bad partial files: both files arrive byte-identical (rc $rc)"
check 'grep -q "$f1: receiver error checksum" "$tmp/w/slog" && grep -q "received $f1 ([0-9]* octets, resumed at 0," "$tmp/w/rlog" && grep -q "received $f2 ([0-9]* octets, resumed at 0," "$tmp/w/rlog"' \
    "bad partial files: the wrong prefix fails the checksum and is resent from 0; the longer one is emptied"
kill "$rpid"; wait "$rpid" 2>/dev/null

# ---- 14. daemon mode: a refused file is held back (offered and logged once, not every pass) ----
mkdir -p "$tmp/h/spool" "$tmp/h/in"
cp "$tmp/orig/$f1" "$tmp/h/spool/"
printf 'different' >"$tmp/h/in/$f1"
start_receiver "$tmp/h/in" "$tmp/h/rlog"
"$SHIP" send --dir "$tmp/h/spool" --dest "127.0.0.1:$port" --interval 1s >"$tmp/h/out" 2>"$tmp/h/slog" &
spid=$!; pids+=("$spid")
sleep 3.5
kill -TERM "$spid"; wait "$spid"
check '[ "$(grep -c "receiver error conflict" "$tmp/h/slog")" = 1 ] && [ "$(grep -c "stats files" "$tmp/h/out")" -ge 3 ] && [ "$(stat_of "$tmp/h/out" refused)" = 1 ] && [ "$(stat_of "$tmp/h/out" pending)" = 1 ]' \
    "daemon mode: a conflicting file is refused once in $(grep -c "stats files" "$tmp/h/out") stats intervals and stays pending ($(tail -1 "$tmp/h/out"))"
check '[ -e "$tmp/h/spool/$f1" ] && [ "$(cat "$tmp/h/in/$f1")" = different ]' "daemon mode: neither copy of the conflicting file was touched"
kill "$rpid"; wait "$rpid" 2>/dev/null
