#!/bin/bash
# Crash safety of the real writer: import-pcap reads the sample capture from a pipe that then
# stays open, so the importer has written its closed zstd frames and waits, mid-hour, with an
# unfinished frame in memory; it is killed with SIGKILL. Then:
#   - no closed (renamed) spool file exists: a file is renamed only when complete;
#   - the .open file yields records that are exactly the first N records of an uninterrupted
#     import of the same capture, with N > 0 (the frames closed before the kill);
#   - verify reports the file as bad (torn tail or no end marker) with exit status 1;
#   - recover --dir leaves the .open of the live importer alone (its writer holds a flock),
#     and after the kill turns it into a closed file holding exactly those records.
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null' EXIT
mkdir "$tmp/full" "$tmp/killed"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor c --out "$tmp/full" tests/data/sample.pcap
"$BIN/tapdns-spool" cat "$tmp"/full/*.tds.zst >"$tmp/full.json"
total=$(wc -l <"$tmp/full.json")

mkfifo "$tmp/fifo"
"$BIN/tapdns-spool" import-pcap -q --sensor c --frame-bytes 4K --out "$tmp/killed" - <"$tmp/fifo" &
pid=$!
exec 3>"$tmp/fifo"
cat tests/data/sample.pcap >&3
# wait until the importer has consumed the capture and written some frames
for _ in $(seq 50); do
    open=$(ls "$tmp"/killed/*.open 2>/dev/null | head -1)
    [ -n "$open" ] && [ "$(stat -c %s "$open")" -gt 1000 ] && break
    sleep 0.1
done
sleep 0.3
open=$(ls "$tmp"/killed/*.open 2>/dev/null | head -1)
"$BIN/tapdns-spool" recover --dir "$tmp/killed" >"$tmp/live.out" 2>&1
if [ -n "$open" ] && [ -e "$open" ] && grep -q "in use by a running writer" "$tmp/live.out"; then
    echo "ok - crash: recover --dir leaves the live writer's .open alone"
else
    echo "not ok - crash: recover --dir on a live writer: $(head -1 "$tmp/live.out")"
fi
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
exec 3>&-

closed=$(ls "$tmp"/killed/*.tds.zst 2>/dev/null | wc -l)
[ "$closed" = 0 ] && echo "ok - crash: no closed file after SIGKILL" || echo "not ok - crash: $closed closed files after SIGKILL"
open=$(ls "$tmp"/killed/*.open 2>/dev/null | head -1)
if [ -z "$open" ]; then
    echo "not ok - crash: no .open file"
    exit 1
fi
"$BIN/tapdns-spool" cat "$open" >"$tmp/killed.json" 2>"$tmp/cat.err"
n=$(wc -l <"$tmp/killed.json")
if [ "$n" -gt 0 ] && [ "$n" -lt "$total" ] && cmp -s "$tmp/killed.json" <(head -n "$n" "$tmp/full.json"); then
    echo "ok - crash: .open yields the first $n of $total records, identical"
else
    echo "not ok - crash: .open yields $n records (of $total), prefix match failed"
fi
if "$BIN/tapdns-spool" verify "$open" >"$tmp/verify.out"; then
    echo "not ok - crash: verify accepted a killed file: $(cat "$tmp/verify.out")"
else
    echo "ok - crash: verify rejects it: $(cut -c1-160 "$tmp/verify.out" | sed "s|$tmp/||")"
fi

# recover: the .open becomes a closed file with exactly those records, verify accepts it
if "$BIN/tapdns-spool" recover -q --dir "$tmp/killed" 2>"$tmp/rec.err"; then
    closed=$(ls "$tmp"/killed/*.tds.zst 2>/dev/null)
    if [ ! -e "$open" ] && [ -n "$closed" ] && "$BIN/tapdns-spool" verify -q $closed >/dev/null &&
        cmp -s "$tmp/killed.json" <("$BIN/tapdns-spool" cat $closed); then
        echo "ok - crash: recover closes the file with the same $n records; verify accepts it"
    else
        echo "not ok - crash: recover left [$(ls "$tmp"/killed)]"
    fi
else
    echo "not ok - crash: recover failed: $(head -1 "$tmp/rec.err")"
fi
"$BIN/tapdns-spool" recover -q "$open" 2>/dev/null && echo "not ok - crash: recover of a missing file succeeded" ||
    echo "ok - crash: recover of a file that is gone fails"
