#!/bin/bash
# index_build.sh: the sample capture through import-pcap, tapdns-batch (the world's root
# hints) and tapdns-index build; info must show exactly one RRSET per observation
# (`tapdns-batch cat` lines), the FILESET must list the generation with the observations'
# time range, a second build of the hour is refused, --replace swaps it, and a build
# killed mid-way leaves FILESET as it was. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok - index_build: $1"; }
fail() { echo "not ok - index_build: $1"; }

mkdir -p "$tmp/spool" "$tmp/out" "$tmp/state"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor w --out "$tmp/spool" tests/data/sample.pcap || { fail "import"; exit 1; }
"$BIN/tapdns-batch" -q --spool "$tmp/spool" --out "$tmp/out" --state "$tmp/state" \
    --root-hints tests/world/root.hints 2>"$tmp/err" || { fail "batch: $(head -1 "$tmp/err")"; exit 1; }
obs=$(ls "$tmp"/out/*.obs.zst)
hour=$(basename "$obs" | cut -c1-10)
nobs=$("$BIN/tapdns-batch" cat $obs | wc -l)
[ "$nobs" -gt 0 ] || { fail "no observations from the sample"; exit 1; }
range=$("$BIN/tapdns-batch" cat $obs | jq -s -r '[(map(.time_first) | min), (map(.time_last) | max)] | join(" ")')

if "$BIN/tapdns-index" build --db "$tmp/db" --hour "$hour" $obs >"$tmp/build" 2>"$tmp/err"; then
    ok "build of hour $hour"
else
    fail "build: $(head -1 "$tmp/err")"; exit 1
fi
printf 'tapdns-fileset 1\nh.%s.0 h %s\n' "$hour" "$range" >"$tmp/want"
cmp -s "$tmp/want" "$tmp/db/FILESET" && ok "FILESET lists h.$hour.0 with the observations' time range ($range)" \
    || fail "FILESET is [$(cat "$tmp/db/FILESET")], expected [$(cat "$tmp/want")]"
"$BIN/tapdns-index" info --db "$tmp/db" >"$tmp/info" || fail "info exited non-zero"
got=$(awk '$1 == "rrsets" { print $2 }' "$tmp/info")
[ "$got" = "$nobs" ] && ok "info: $got rrsets = $nobs observations" || fail "info: rrsets [$got], expected $nobs"
grep -q '^  FE TIME_RANGE  *1$' "$tmp/info" && ok "info: one TIME_RANGE entry" || fail "info: TIME_RANGE count"
[ -z "$(ls -A "$tmp/db/tmp")" ] && ok "nothing left in ROOT/tmp" || fail "ROOT/tmp not empty: $(ls "$tmp/db/tmp")"

if "$BIN/tapdns-index" build --db "$tmp/db" --hour "$hour" $obs >/dev/null 2>"$tmp/err"; then
    fail "a second build of the hour was accepted"
else
    grep -q 'already in' "$tmp/err" && ok "a second build of the hour is refused" || fail "refusal message: $(cat "$tmp/err")"
fi
cmp -s "$tmp/want" "$tmp/db/FILESET" || fail "a refused build changed FILESET"

"$BIN/tapdns-index" build -q --db "$tmp/db" --hour "$hour" --replace $obs 2>"$tmp/err" || fail "--replace: $(head -1 "$tmp/err")"
printf 'tapdns-fileset 1\nh.%s.1 h %s\n' "$hour" "$range" >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/db/FILESET" && [ ! -e "$tmp/db/h.$hour.0" ] && [ -e "$tmp/db/h.$hour.1/TABLES" ]; then
    ok "--replace swaps h.$hour.0 for h.$hour.1"
else
    fail "--replace: FILESET [$(cat "$tmp/db/FILESET")], dirs [$(ls "$tmp/db")]"
fi

# Builds killed (SIGKILL) after various delays: each leaves FILESET either as it was (and no
# visible generation of that hour) or with the finished generation, never anything between;
# at least one kill lands mid-way. The next build cleans up and succeeds.
big=()
for i in $(seq 1 400); do big+=("$obs"); done
midway=0 bad=0 n=0
for d in 0 0.005 0.01 0.02 0.05 0.1; do
    n=$((n + 1))
    h=20000101$(printf %02d $n)
    cp "$tmp/db/FILESET" "$tmp/before"
    "$BIN/tapdns-index" build -q --db "$tmp/db" --hour "$h" "${big[@]}" >/dev/null 2>&1 &
    pid=$!
    sleep $d
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if cmp -s "$tmp/before" "$tmp/db/FILESET"; then
        # a generation renamed into place but not yet listed (killed between the rename and
        # the FILESET swap) is invisible to readers and removed by the next build's cleanup
        midway=$((midway + 1))
    else
        { cat "$tmp/before"; echo "h.$h.0 h $range"; } | sort >"$tmp/after_want"
        sort "$tmp/db/FILESET" >"$tmp/after_got"
        cmp -s "$tmp/after_want" "$tmp/after_got" && [ -e "$tmp/db/h.$h.0/TABLES" ] ||
            { bad=1; echo "#   delay $d: FILESET [$(cat "$tmp/db/FILESET")]"; }
    fi
done
[ $bad = 0 ] && [ $midway -ge 1 ] && ok "killed builds: FILESET old or new, never between ($midway of $n killed mid-way)" \
    || fail "killed builds: bad=$bad, killed mid-way $midway of $n"
before_n=$(grep -c '^h\.' "$tmp/db/FILESET")
if "$BIN/tapdns-index" build -q --db "$tmp/db" --hour 2000010200 $obs 2>"$tmp/err" &&
        [ "$(grep -c '^h\.' "$tmp/db/FILESET")" = $((before_n + 1)) ] && [ -z "$(ls -A "$tmp/db/tmp")" ] &&
        [ "$(ls -d "$tmp"/db/h.* | wc -l)" = $((before_n + 1)) ]; then
    ok "the next build cleans up (ROOT/tmp empty, only listed generations) and succeeds"
else
    fail "next build after kills: $(head -1 "$tmp/err"); tmp [$(ls "$tmp/db/tmp")]; dirs [$(ls "$tmp/db")]"
fi
