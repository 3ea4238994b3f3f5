#!/bin/bash
# index_tiers.sh: tapdns-index merge (day, month), rebuild, export, import and their crash
# safety on the sample capture spread over four hours (editcap shifts: 2026-11-27 03h, 04h,
# 05h (first 120 packets only) and 2026-11-28 03h; mergecap joins them). Every step must
# give the same answers (tapdns-index query: every RRset, every A/AAAA rdata, every rdata
# name, sorted) as the four hour generations, FILESET must be exactly the expected set, and
# a writer killed at each named step (TAPDNS_INDEX_CRASH_AT) leaves FILESET old or new, with
# the same answers, and the job can be rerun. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - index_tiers: $1"; }
fail() { echo "not ok - index_tiers: $1"; }
for t in editcap mergecap zstd jq; do
    command -v $t >/dev/null || { echo "ok - index_tiers: # SKIP $t not installed"; exit 0; }
done

S=tests/data/sample.pcap
editcap -t 3600 $S "$tmp/p1.pcap" && editcap -t 7200 -r $S "$tmp/p2.pcap" 1-120 &&
    editcap -t 86400 $S "$tmp/p3.pcap" && mergecap -a -w "$tmp/all.pcap" $S "$tmp/p1.pcap" "$tmp/p2.pcap" "$tmp/p3.pcap" ||
    { fail "editcap/mergecap"; exit 1; }
mkdir -p "$tmp/spool" "$tmp/out" "$tmp/state"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor w --out "$tmp/spool" "$tmp/all.pcap" || { fail "import-pcap"; exit 1; }
"$BIN/tapdns-batch" -q --spool "$tmp/spool" --out "$tmp/out" --state "$tmp/state" \
    --root-hints tests/world/root.hints 2>"$tmp/err" || { fail "batch: $(head -1 "$tmp/err")"; exit 1; }
hours=$(cd "$tmp/out" && ls *.obs.zst | cut -c1-10 | tr '\n' ' ')
[ "$hours" = "2026112703 2026112704 2026112705 2026112803 " ] && ok "batch: one observation file per hour ($hours)" ||
    { fail "batch hours [$hours]"; exit 1; }

db=$tmp/db
answers() { # all answers of index $1, sorted
    for q in "rrset *." "rdata ip 0.0.0.0,0" "rdata ip ::,0" "rdata name *."; do
        "$BIN/tapdns-index" query --db "$1" $q || echo "query $q failed"
    done | sort
}
for f in "$tmp"/out/*.obs.zst; do
    "$BIN/tapdns-index" build -q --db "$db" --hour "$(basename "$f" | cut -c1-10)" "$f" 2>"$tmp/err" ||
        { fail "build $f: $(head -1 "$tmp/err")"; exit 1; }
done
answers "$db" >"$tmp/want"
nwant=$(wc -l <"$tmp/want")
[ "$nwant" -gt 200 ] && ok "four hour generations answer $nwant lines" || fail "only $nwant answer lines"
# one RRset seen in every hour: counts add up, times span the four hours
grep -qxF '{"count":10,"time_first":1795748441,"time_last":1795834842,"rrname":"alpha.test.","rrtype":"NS","bailiwick":"test.","rdata":["ns1.alpha.test."]}' "$tmp/want" &&
    ok "read-time merge of four hours (alpha.test. NS: count 10, times 1795748441..1795834842)" ||
    fail "alpha.test. NS line: $(grep '"alpha.test.","rrtype":"NS"' "$tmp/want")"

same() { # $1: label
    answers "$db" >"$tmp/got"
    if cmp -s "$tmp/want" "$tmp/got"; then ok "$1: same answers"; else
        fail "$1: answers differ: $(diff "$tmp/want" "$tmp/got" | head -3)"; fi
}
fileset() { # $1: label, then expected lines NAME TIER (times from the hours)
    local label=$1
    shift
    printf '%s\n' "tapdns-fileset 1" "$@" >"$tmp/fs_want"
    cut -d' ' -f1,2 "$db/FILESET" | sed '1s/.*/tapdns-fileset 1/' >"$tmp/fs_got"
    if cmp -s "$tmp/fs_want" "$tmp/fs_got"; then ok "$label: FILESET [$(tail -n +2 "$tmp/fs_got" | tr '\n' ' ')]"; else
        fail "$label: FILESET [$(tr '\n' ' ' <"$db/FILESET")], expected [$(tr '\n' ' ' <"$tmp/fs_want")]"; fi
}
dirs_listed() { # generation directories = FILESET entries, ROOT/tmp empty
    local d l
    d=$(cd "$db" && ls -d [hdm].* 2>/dev/null | tr '\n' ' ')
    l=$(tail -n +2 "$db/FILESET" | cut -d' ' -f1 | tr '\n' ' ')
    if [ "$d" = "$l" ] && [ -z "$(ls -A "$db/tmp")" ]; then ok "$1: only listed generations on disk, ROOT/tmp empty"; else
        fail "$1: dirs [$d] listed [$l] tmp [$(ls "$db/tmp")]"; fi
}

# ---- crash tests on the day merge (before the real merge)
cp "$db/FILESET" "$tmp/fs0"
for st in sorted written renamed; do
    TAPDNS_INDEX_CRASH_AT=$st "$BIN/tapdns-index" merge -q --db "$db" --day 20261127 >/dev/null 2>&1
    rc=$?
    if [ $rc = 137 ] && cmp -s "$tmp/fs0" "$db/FILESET"; then ok "merge killed at '$st': FILESET unchanged"; else
        fail "merge killed at '$st': exit $rc, FILESET [$(tr '\n' ' ' <"$db/FILESET")]"; fi
done
same "after three killed merges"
TAPDNS_INDEX_CRASH_AT=stored "$BIN/tapdns-index" merge -q --db "$db" --day 20261127 >/dev/null 2>&1
rc=$?
[ $rc = 137 ] && ok "merge killed at 'stored' (after the FILESET swap)" || fail "merge at 'stored': exit $rc"
fileset "merge killed after the swap" "d.20261127.0 d" "h.2026112803.0 h"
grep -qx 'd.20261127.0 d 1795748441 1795755641' "$db/FILESET" && ok "day generation's time range 1795748441..1795755641" ||
    fail "day time range: $(grep '^d' "$db/FILESET")"
same "day merged (inputs not yet deleted)"
out=$("$BIN/tapdns-index" merge --db "$db" --day 20261127 2>&1)
[ "$out" = "nothing to merge for day 20261127" ] && ok "rerun: nothing to merge" || fail "rerun said [$out]"
dirs_listed "rerun after the kill"
same "day merge"
"$BIN/tapdns-index" rebuild --db "$db" --obs "$tmp/out" >"$tmp/rb" 2>"$tmp/err" || fail "rebuild: $(head -1 "$tmp/err")"
grep -q '^rebuilt .*: 4 observation files, 5 generations made (hours and merges), 2 replaced' "$tmp/rb" &&
    ok "rebuild after the day merge: $(cut -d: -f2 "$tmp/rb")" || fail "rebuild said [$(cat "$tmp/rb")]"
fileset "rebuild (hours, then the day merge)" "d.20261127.1 d" "h.2026112803.1 h"
same "rebuild after the day merge"
dirs_listed "rebuild after the day merge"

# ---- month merge, export of every generation, import
cp "$db/FILESET" "$tmp/fs1"
"$BIN/tapdns-index" merge -q --db "$db" --month 202611 2>"$tmp/err" || fail "month merge: $(head -1 "$tmp/err")"
fileset "month merge" "m.202611.0 m"
grep -qx 'm.202611.0 m 1795748441 1795834842' "$db/FILESET" && ok "month time range 1795748441..1795834842" ||
    fail "month range: $(tail -1 "$db/FILESET")"
same "month merge"
dirs_listed "month merge"
"$BIN/tapdns-index" info --db "$db" >"$tmp/info" || fail "info exited non-zero"
grep -qx 'tiers: hour 0, day 0, month 1' "$tmp/info" && grep -q '^  source SOURCE.obs [0-9]* octets$' "$tmp/info" &&
    ok "info shows the tiers and the source file" || fail "info: $(head -3 "$tmp/info" | tr '\n' '|')"

"$BIN/tapdns-index" export -q --db "$db" --gen m.202611.0 --out "$tmp/m.cof.zst" 2>"$tmp/err" || fail "export: $(head -1 "$tmp/err")"
nl=$(zstd -dc "$tmp/m.cof.zst" | wc -l)
nrr=$(grep -c '"rdata":\[' "$tmp/want")
[ "$nl" = "$nrr" ] && ok "export: $nl lines = RRsets answered" || fail "export: $nl lines, $nrr RRsets"
zstd -dc "$tmp/m.cof.zst" | jq -c 'del(.rdata_raw)' | sort >"$tmp/exp_rr"
grep '"rdata":\[' "$tmp/want" | sort >"$tmp/want_rr"
cmp -s "$tmp/exp_rr" "$tmp/want_rr" && ok "export lines without rdata_raw = the query's COF objects" ||
    fail "export differs from query: $(diff "$tmp/exp_rr" "$tmp/want_rr" | head -3)"
zstd -dc "$tmp/m.cof.zst" | jq -e -s 'all(.[]; (.rdata_raw | length) == (.rdata | length) and all(.rdata_raw[]; test("^([0-9a-f]{2})*$")))' >/dev/null &&
    ok "rdata_raw: one lowercase hex string per rdata" || fail "rdata_raw shape"
[ -z "$(ls "$tmp"/*.tmp 2>/dev/null)" ] && ok "export left no .tmp file" || fail "export .tmp left"

db_keep=$db
db=$tmp/db2
"$BIN/tapdns-index" import -q --db "$db" --hour 2026112700 "$tmp/m.cof.zst" 2>"$tmp/err" || fail "import: $(head -1 "$tmp/err")"
same "export then import"
# a malformed line: error with its line number, nothing built
{ zstd -dc "$tmp/m.cof.zst" | head -5; echo '{"rrname":"x.test.","rrtype":"A","bailiwick":"test.","rdata_raw":["0a00000"],"count":1,"time_first":1,"time_last":2}'; } |
    zstd -q -c >"$tmp/bad.cof.zst"
cp "$db/FILESET" "$tmp/fs2"
if "$BIN/tapdns-index" import -q --db "$db" --hour 2026112701 "$tmp/bad.cof.zst" 2>"$tmp/err"; then
    fail "a malformed line was imported"
else
    grep -q "bad.cof.zst:6: \"rdata_raw\"\[0\]: not a hex string" "$tmp/err" && ok "malformed line refused with its line number ($(cat "$tmp/err"))" ||
        fail "malformed line message: $(cat "$tmp/err")"
fi
cmp -s "$tmp/fs2" "$db/FILESET" && dirs_listed "refused import" || fail "a refused import changed FILESET"
zstd -dc "$tmp/m.cof.zst" | head -c 3000 | zstd -q -c >"$tmp/torn.cof.zst"
head -c 1000 "$tmp/m.cof.zst" >"$tmp/cut.cof.zst"
for f in torn cut; do
    if "$BIN/tapdns-index" import -q --db "$db" --hour 2026112702 "$tmp/$f.cof.zst" 2>"$tmp/err"; then
        fail "$f file imported"
    else
        grep -q "$f.cof.zst:[0-9]*: " "$tmp/err" && ok "$f file refused: $(cat "$tmp/err")" || fail "$f: $(cat "$tmp/err")"
    fi
done
db=$db_keep

# ---- rebuild, with kills at each step
cp "$db/FILESET" "$tmp/fs3"
for st in hours written:3 renamed:1 sorted:2; do
    TAPDNS_INDEX_CRASH_AT=$st "$BIN/tapdns-index" rebuild -q --db "$db" --obs "$tmp/out" >/dev/null 2>&1
    rc=$?
    if [ $rc = 137 ] && cmp -s "$tmp/fs3" "$db/FILESET"; then ok "rebuild killed at '$st': FILESET unchanged"; else
        fail "rebuild killed at '$st': exit $rc, FILESET [$(tr '\n' ' ' <"$db/FILESET")]"; fi
done
same "after killed rebuilds"
"$BIN/tapdns-index" rebuild --db "$db" --obs "$tmp/out" >"$tmp/rb" 2>"$tmp/err" || fail "rebuild: $(head -1 "$tmp/err")"
grep -q '^rebuilt .*: 4 observation files, 5 generations made (hours and merges), 1 replaced' "$tmp/rb" &&
    ok "rebuild: $(cut -d: -f2 "$tmp/rb")" || fail "rebuild said [$(cat "$tmp/rb")]"
fileset "rebuild (hours, the month merge)" "m.202611.1 m"
same "rebuild"
dirs_listed "rebuild"
TAPDNS_INDEX_CRASH_AT=stored "$BIN/tapdns-index" rebuild -q --db "$db" --obs "$tmp/out" >/dev/null 2>&1
fileset "rebuild killed after the swap" "m.202611.2 m"
same "rebuild killed after the swap"
"$BIN/tapdns-index" rebuild -q --db "$db" "$tmp"/out/2026112703.0.obs.zst "$tmp"/out/2026112704.0.obs.zst \
    "$tmp"/out/2026112705.0.obs.zst "$tmp"/out/2026112803.0.obs.zst 2>"$tmp/err" || fail "rebuild from files: $(head -1 "$tmp/err")"
fileset "rebuild from named files" "m.202611.3 m"
dirs_listed "rebuild after a kill"

# ---- a build killed between its rename and the FILESET swap; rerun
cp "$db/FILESET" "$tmp/fs4"
f=$tmp/out/2026112803.0.obs.zst
TAPDNS_INDEX_CRASH_AT=renamed "$BIN/tapdns-index" build -q --db "$db" --hour 2026112900 "$f" >/dev/null 2>&1
[ $? = 137 ] && cmp -s "$tmp/fs4" "$db/FILESET" && [ -d "$db/h.2026112900.0" ] &&
    ok "build killed after its rename: FILESET unchanged, generation unlisted" || fail "build killed at renamed"
"$BIN/tapdns-index" build -q --db "$db" --hour 2026112900 "$f" 2>"$tmp/err" || fail "rerun build: $(head -1 "$tmp/err")"
fileset "rerun build" "h.2026112900.0 h" "m.202611.3 m"
dirs_listed "rerun build"
