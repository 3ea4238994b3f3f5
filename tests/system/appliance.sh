#!/bin/bash
# The appliance as installed: `make install PREFIX=...` into a temporary prefix, then
# - every systemd unit and timer passes `systemd-analyze verify` with the installed paths;
# - the installed default config and the examples pass `tapdns-config check`;
# - `make install DESTDIR=... PREFIX=/usr` stages the same, and the processing pipeline runs
#   from the staged programs exactly as the units run it
#   (tapdns-jobs hourly with a config file), on spool files of tests/data/sample.pcap split
#   over two sensors: the index answers what `make demo`'s direct commands answer;
# - a rerun of the hourly job changes nothing (exactly once); a late file rebuilds its hour;
# - the daily job merges the day and drops its export; a file later still is indexed apart
#   and counted once;
# - tapdns-status reports the spool, batch and index state.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
work=$(mktemp -d /tmp/tapdns-appliance.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

ok() { echo "ok - appliance: $1"; }
nok() { echo "not ok - appliance: $1"; [ $# -gt 1 ] && sed 's/^/#   /' "$2" | head -20; }

if make -s install BUILD="$BUILD" PREFIX="$prefix" >"$work/install.log" 2>&1; then
    ok "make install PREFIX=$prefix"
else
    nok "make install failed" "$work/install.log"
    exit 1
fi
bin=$prefix/bin
missing=""
for p in tapdns-spool tapdns-batch tapdns-index tapdns-config tapdns-status tapdns-jobs; do
    [ -x "$bin/$p" ] || missing="$missing $p"
done
for m in tapdns-spool tapdns-batch tapdns-index; do
    [ -s "$prefix/share/man/man1/$m.1" ] || missing="$missing $m.1"
done
[ -s "$prefix/etc/tapdns/tapdns.conf" ] || missing="$missing tapdns.conf"
[ -z "$missing" ] && ok "programs, man pages and config installed" || nok "missing after install:$missing"

# units: the installed paths must be real and the syntax right
units=$(ls "$prefix"/lib/systemd/system/*.service "$prefix"/lib/systemd/system/*.timer)
grep -h '^ExecStart=' $units | grep -v "$prefix/bin/" >"$work/badexec" || true
if [ -s "$work/badexec" ]; then
    nok "units start programs outside the prefix" "$work/badexec"
else
    ok "units start the installed programs"
fi
# every message counts (systemd-analyze exits 0 on unknown keys), except the absence of a
# target this container's systemd lacks
systemd-analyze verify --man=no $units >"$work/verify.log" 2>&1
if ! grep -vE "Unit [a-z.-]+\.target not found|^$" "$work/verify.log" | grep -q .; then
    ok "systemd-analyze verify: $(echo $units | wc -w) units and timers"
else
    nok "systemd-analyze verify" "$work/verify.log"
fi

# the packager's form: DESTDIR staging with PREFIX=/usr; the pipeline below runs from there
dest=$work/dest
if make -s install BUILD="$BUILD" PREFIX=/usr DESTDIR="$dest" >"$work/install2.log" 2>&1 &&
    [ -x "$dest/usr/bin/tapdns-batch" ] && [ -s "$dest/etc/tapdns/tapdns.conf" ] &&
    [ -s "$dest/usr/lib/systemd/system/tapdns-hourly.timer" ] &&
    grep -q '^ExecStart=/usr/bin/tapdns-jobs hourly' "$dest/usr/lib/systemd/system/tapdns-hourly.service"; then
    ok "make install DESTDIR=$dest PREFIX=/usr: staged with /usr paths in the units, config in /etc"
else
    nok "make install DESTDIR" "$work/install2.log"
fi
bin=$dest/usr/bin

conf_ok=1
for c in "$prefix/etc/tapdns/tapdns.conf" "$dest/etc/tapdns/tapdns.conf" "$prefix"/share/doc/tapdns/examples/*.conf; do
    "$bin/tapdns-config" -c "$c" check >>"$work/check.log" 2>&1 || conf_ok=0
done
[ $conf_ok = 1 ] && ok "default config and examples pass tapdns-config check" || nok "config check" "$work/check.log"
# every program takes the installed default config (values parsed with the program's own types)
bad=""
c=$prefix/etc/tapdns/tapdns.conf
for cmd in "tapdns-spool import-pcap" "tapdns-batch" "tapdns-index build" "tapdns-queryd" "tapdns-query" \
    "tapdns-ship send" "tapdns-ship receive" "tapdns-xdp" "tapdns-dpdk --"; do
    set -- $cmd
    p=$1; shift
    [ -x "$prefix/bin/$p" ] || continue
    "$prefix/bin/$p" "$@" --config "$c" --help >/dev/null 2>>"$work/conf_progs.log" || bad="$bad '$cmd'"
done
[ -z "$bad" ] && ok "every program takes the default config" || nok "programs refusing the default config:$bad" "$work/conf_progs.log"

# the pipeline as the hourly timer runs it
mkdir -p "$work/spool" "$work/var"
cat >"$work/tapdns.conf" <<EOF
[spool]
dir = $work/spool
[batch]
out = $work/var/obs
state = $work/var/state
root_hints = $PWD/tests/world/root.hints
[index]
db = $work/var/index
export_dir = $work/var/export
[capture]
metrics_dir = $work/metrics
EOF
"$bin/tapdns-spool" import-pcap -q --sensor s1 --out "$work/spool" tests/data/sample.pcap >/dev/null 2>&1
if TAPDNS_BIN=$bin "$bin/tapdns-jobs" -c "$work/tapdns.conf" hourly >"$work/hourly.log" 2>&1; then
    ok "tapdns-jobs hourly ran"
else
    nok "tapdns-jobs hourly failed" "$work/hourly.log"
fi
# the same data by the direct commands of make demo
d=$work/direct
mkdir -p "$d/spool" "$d/obs" "$d/state"
"$bin/tapdns-spool" import-pcap -q --sensor s1 --out "$d/spool" tests/data/sample.pcap >/dev/null 2>&1
"$bin/tapdns-batch" -q --spool "$d/spool" --out "$d/obs" --state "$d/state" --root-hints tests/world/root.hints
for f in "$d"/obs/*.obs.zst; do
    "$bin/tapdns-index" build -q --db "$d/index" --hour "$(basename "$f" | cut -c1-10)" "$f"
done
q() { "$bin/tapdns-index" query --db "$1" rrset "${@:2}" 2>&1; }
q "$work/var/index" '*.test.' >"$work/jobs.out"
q "$d/index" '*.test.' >"$work/direct.out"
n=$(wc -l <"$work/jobs.out")
if [ "$n" -gt 10 ] && cmp -s "$work/jobs.out" "$work/direct.out"; then
    ok "index built by the hourly job answers as the direct commands ($n RRsets under test.)"
else
    diff "$work/jobs.out" "$work/direct.out" >"$work/diff" 2>&1
    nok "hourly job index differs from the direct commands ($n lines)" "$work/diff"
fi
# exactly once: a second run finds nothing new and changes nothing
cp "$work/var/index/FILESET" "$work/fileset.before"
TAPDNS_BIN=$bin "$bin/tapdns-jobs" -c "$work/tapdns.conf" hourly >"$work/hourly2.log" 2>&1
q "$work/var/index" '*.test.' >"$work/jobs2.out"
if cmp -s "$work/fileset.before" "$work/var/index/FILESET" && cmp -s "$work/jobs.out" "$work/jobs2.out"; then
    ok "a second hourly run changes nothing"
else
    nok "a second hourly run changed the index" "$work/hourly2.log"
fi
# a late spool file of the same hour (another sensor): the hour is rebuilt with both groups
"$bin/tapdns-spool" import-pcap -q --sensor s2 --out "$work/spool" tests/data/sample.pcap >/dev/null 2>&1
TAPDNS_BIN=$bin "$bin/tapdns-jobs" -c "$work/tapdns.conf" hourly >"$work/hourly3.log" 2>&1
c1=$(grep -m1 '"rrname":"www.alpha.test."' "$work/jobs.out" | grep -o '"count":[0-9]*')
c2=$(q "$work/var/index" 'www.alpha.test.' | grep -m1 '"rrname":"www.alpha.test."' | grep -o '"count":[0-9]*')
gens=$(grep -c '^h\.' "$work/var/index/FILESET")
if [ -n "$c1" ] && [ "${c2#*:}" = "$((${c1#*:} * 2))" ] && [ "$gens" = 1 ]; then
    ok "a late sensor's file for an indexed hour: the hour rebuilt, counts doubled (${c1#*:} -> ${c2#*:}), one generation"
else
    nok "late file: counts $c1 -> $c2, $gens hour generations" "$work/hourly3.log"
fi

# the nightly merge of that day, and its export drop
day=$(grep -m1 -o '^h\.[0-9]\{8\}' "$work/var/index/FILESET" | cut -c3-)
q "$work/var/index" '*.test.' >"$work/before_merge.out"
TAPDNS_BIN=$bin "$bin/tapdns-jobs" -c "$work/tapdns.conf" daily "$day" >"$work/daily.log" 2>&1
q "$work/var/index" '*.test.' >"$work/after_merge.out"
tiers=$(cut -c1 "$work/var/index/FILESET" | grep -v '^t' | sort | uniq -c | awk '{printf "%s%s ", $2, $1}')
exp=$(ls "$work/var/export" 2>/dev/null | grep -c "^d\.$day\.[0-9]*\.cof\.zst$")
if [ "$tiers" = "d1 " ] && [ "$exp" = 1 ] && cmp -s "$work/before_merge.out" "$work/after_merge.out"; then
    ok "tapdns-jobs daily: one day generation, same answers, export drop written"
else
    nok "daily merge: tiers '$tiers', $exp day exports" "$work/daily.log"
fi
# a file for that hour arriving after the merge: a generation of its own, counted once
"$bin/tapdns-spool" import-pcap -q --sensor s3 --out "$work/spool" tests/data/sample.pcap >/dev/null 2>&1
TAPDNS_BIN=$bin "$bin/tapdns-jobs" -c "$work/tapdns.conf" hourly >"$work/hourly4.log" 2>&1
c3=$(q "$work/var/index" 'www.alpha.test.' | grep -m1 '"rrname":"www.alpha.test."' | grep -o '"count":[0-9]*')
tiers=$(cut -c1 "$work/var/index/FILESET" | grep -v '^t' | sort | uniq -c | awk '{printf "%s%s ", $2, $1}')
if [ -n "$c1" ] && [ "${c3#*:}" = "$((${c1#*:} * 3))" ] && [ "$tiers" = "d1 h1 " ]; then
    ok "a file after the day merge: its own hour generation, counts ${c1#*:} x 3 = ${c3#*:}"
else
    nok "file after merge: count $c3, tiers '$tiers'" "$work/hourly4.log"
fi

"$bin/tapdns-status" -c "$work/tapdns.conf" -s 0 >"$work/status.out" 2>&1
if grep -q "^spool .*: 3 closed files" "$work/status.out" && grep -q "backlog 0 files" "$work/status.out" &&
    grep -q "^batch .*3 spool files done" "$work/status.out" &&
    grep -q "^index .*2 generations (1 hour, 1 day, 0 month)" "$work/status.out" &&
    grep -q "^capture .*no such file\|^capture .*No such file" "$work/status.out"; then
    ok "tapdns-status shows spool, batch and index"
else
    nok "tapdns-status output" "$work/status.out"
fi
