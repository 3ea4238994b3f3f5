#!/bin/bash
# query_http.sh: tapdns-queryd over real HTTP on 127.0.0.1 (ports chosen by the kernel: port 0,
# read back from the server's "listening on port N" line). Prints TAP lines.
# 1. Index from tests/data/sample.pcap as `make demo` builds it; API keys made with
#    `tapdns-queryd keys`; every case of tests/query/cases.txt with curl against
#    tests/data/query/http/NAME.out (status, Content-Type, body; UPDATE_GOLD=1 rewrites them:
#    review by hand); X-RateLimit-* headers; the installed dnsdbq run for real (-r, -n, -i, -j,
#    -l, -u dnsdb1, -I) against tests/data/query/http/dnsdbq_*.out; thousands of random and
#    malformed requests (tests/query/hclient.py fuzz); huge headers; daily and burst quotas
#    (429) kept across a restart; keys list/revoke; /metrics.
# 2. A synthetic index of 200 000 RRsets (tests/query/gen_obs.c): full stream and limit, a
#    slow reader (server RSS growth bounded), clients disconnecting mid-stream (in-flight back
#    to 0), the deadline (SAF failed), the concurrency cap (503), a FILESET reload while a
#    query streams (the stream completes on the old set, the next query sees the new one).
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BIN=${TAPDNS_BIN:-$TOP/build/bin}
BUILD=${BUILD:-build}
GOLD=tests/data/query/http
tmp=$(mktemp -d)
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ok() { echo "ok - query_http: $1"; }
fail() { echo "not ok - query_http: $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
HC() { python3 tests/query/hclient.py "$@"; }

# start_server LOG ARGS...: sets spid and port (and mport when --metrics-listen is given)
start_server() {
    local log=$1; shift
    "$BIN/tapdns-queryd" --listen 127.0.0.1:0 --access-log "$log" "$@" 2>"$tmp/srv.err" &
    spid=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$tmp/srv.err")
        [ -n "$port" ] && break
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    mport=$(sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$tmp/srv.err")
    [ -n "$port" ]
}
stop_server() {
    kill -TERM "$spid" 2>/dev/null
    local st
    for _ in $(seq 200); do # up to 10 s, then SIGKILL (no watchdog subshell: it would inherit the EXIT trap)
        st=$(awk '{print $3}' "/proc/$spid/stat" 2>/dev/null)
        [ -z "$st" ] || [ "$st" = Z ] && break
        sleep 0.05
    done
    [ -n "$st" ] && [ "$st" != Z ] && kill -KILL "$spid" 2>/dev/null
    wait "$spid"
    local rc=$?
    spid=
    if grep -Eq "Sanitizer|runtime error" "$tmp/srv.err"; then
        fail "sanitizer report from the server: $(grep -E "Sanitizer|runtime error" "$tmp/srv.err" | head -1)"
    elif [ "$rc" != 0 ]; then
        fail "server exit status $rc after SIGTERM"
    fi
    return $rc
}
alive() { [ "$(curl -s "http://127.0.0.1:$port/dnsdb/v2/ping")" = '{"ping":"ok"}' ]; }

# ---- 1. the sample index -------------------------------------------------------------------
mkdir -p "$tmp/spool" "$tmp/obs" "$tmp/state"
"$BIN/tapdns-spool" import-pcap -q --no-fsync --sensor demo --out "$tmp/spool" tests/data/sample.pcap || { fail "import"; exit 1; }
"$BIN/tapdns-batch" -q --spool "$tmp/spool" --out "$tmp/obs" --state "$tmp/state" \
    --root-hints tests/world/root.hints 2>"$tmp/err" || { fail "batch: $(head -1 "$tmp/err")"; exit 1; }
for f in "$tmp"/obs/*.obs.zst; do
    "$BIN/tapdns-index" build -q --db "$tmp/db" --hour "$(basename "$f" | cut -c1-10)" "$f" 2>"$tmp/err" \
        || { fail "index build: $(head -1 "$tmp/err")"; exit 1; }
done

K=$tmp/keys
addkey() { "$BIN/tapdns-queryd" keys --keys "$K" add "$@" >"$tmp/add.out" 2>&1 && tail -1 "$tmp/add.out"; }
alice=$(addkey alice) && small=$(addkey small --results-max 2 --offset-max 0) && gone=$(addkey gone) \
    && lim=$(addkey lim --daily 3) && burst=$(addkey burst --burst-size 2 --burst-window 3600) \
    && dq=$(addkey dq --burst-size 1000 --burst-window 3600) || { fail "keys add: $(cat "$tmp/add.out")"; exit 1; }
check "keys add prints the key as its last line (tdk_ + 32 hex)" '[[ "$alice" =~ ^tdk_[0-9a-f]{32}$ ]] && [ "$alice" != "$small" ]'
check "keys add refuses a duplicate name" '! "$BIN/tapdns-queryd" keys --keys "$K" add alice >/dev/null 2>&1'
"$BIN/tapdns-queryd" keys --keys "$K" revoke gone >/dev/null
"$BIN/tapdns-queryd" keys --keys "$K" list >"$tmp/list"
check "keys list: 6 keys, gone revoked, no key string stored" \
    '[ "$(wc -l <"$tmp/list")" = 6 ] && grep -q "^gone .*revoked$" "$tmp/list" && ! grep -q "${alice#tdk_}" "$K" && [ "$(stat -c %a "$K")" = 600 ]'

start_server "$tmp/access.log" --db "$tmp/db" --keys "$K" --quota-state "$tmp/quota" --metrics-listen 127.0.0.1:0 \
    || { fail "server start: $(cat "$tmp/srv.err")"; exit 1; }
URL=http://127.0.0.1:$port

keyof() { case $1 in alice) echo "$alice" ;; small) echo "$small" ;; gone) echo "$gone" ;; bad) echo tdk_00000000000000000000000000000000 ;; *) echo "" ;; esac; }
acceptof() { case $1 in nd) echo application/x-ndjson ;; json) echo application/json ;; any) echo '*/*' ;; html) echo text/html ;; *) echo "" ;; esac; }
# get KEYNAME ACCEPT PATH OUT: writes "status: N", "content-type: T" and the body to OUT
get() {
    local k a args=()
    k=$(keyof "$1"); a=$(acceptof "$2")
    [ -n "$k" ] && args+=(-H "X-API-Key: $k")
    args+=(-H "Accept: $a")
    curl -s -o "$tmp/body" -D "$tmp/hdr" "${args[@]}" "$URL$3"
    { sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/status: \1/p' "$tmp/hdr"
      grep -i '^content-type:' "$tmp/hdr" | tr -d '\r' | tr 'A-Z' 'a-z'
      cat "$tmp/body"; } >"$4"
}
n=0 bad=0
mkdir -p "$GOLD"
while read -r name key accept path; do
    case $name in ''|'#'*) continue ;; esac
    n=$((n + 1))
    get "$key" "$accept" "$path" "$tmp/got"
    if [ "${UPDATE_GOLD:-0}" = 1 ]; then cp "$tmp/got" "$GOLD/$name.out"; continue; fi
    if ! cmp -s "$tmp/got" "$GOLD/$name.out"; then
        bad=$((bad + 1)); echo "# $name: $path"; diff "$GOLD/$name.out" "$tmp/got" | head -5 | sed 's/^/#   /'
    fi
done <tests/query/cases.txt
check "$n golden cases (every endpoint, parameter and status; tests/query/cases.txt)" '[ "$bad" = 0 ]'

# every error body is one line ending in \n; every 200 NDJSON body ends in \n
eb=0
for f in "$GOLD"/*.out; do
    st=$(sed -n '1s/status: //p' "$f")
    if [ -n "$st" ] && [ "$st" != 200 ]; then
        [ "$(tail -n +3 "$f" | wc -l)" = 1 ] && [ -z "$(tail -c1 "$f")" ] || { eb=$((eb + 1)); echo "# $f"; }
    fi
done
check "error bodies are one line ending in \\n" '[ "$eb" = 0 ]'
check "statuses 200 400 403 404 415 416 all covered by the golden cases" \
    'for s in 200 400 403 404 415 416; do grep -lq "^status: $s\$" "$GOLD"/*.out || exit 1; done'

# headers
curl -s -D "$tmp/h" -o /dev/null -H "X-API-Key: $alice" "$URL/dnsdb/v2/lookup/rrset/name/www.alpha.test"
check "X-RateLimit-* for an unlimited key: unlimited / n/a / n/a" \
    'grep -q "^X-RateLimit-Limit: unlimited" "$tmp/h" && grep -q "^X-RateLimit-Remaining: n/a" "$tmp/h" && grep -q "^X-RateLimit-Reset: n/a" "$tmp/h"'

# ---- dnsdbq, unmodified ----
if command -v dnsdbq >/dev/null; then
    dqrun() { # NAME ARGS...: stdout to gold dnsdbq_NAME.out
        local name=$1; shift
        HOME=$tmp DNSDB_SERVER=$URL DNSDB_API_KEY=${DQKEY:-$dq} dnsdbq "$@" >"$tmp/dq.out" 2>"$tmp/dq.err"
        echo "exit: $?" >>"$tmp/dq.out"
        if [ "${UPDATE_GOLD:-0}" = 1 ]; then cp "$tmp/dq.out" "$GOLD/dnsdbq_$name.out"; return 0; fi
        cmp -s "$tmp/dq.out" "$GOLD/dnsdbq_$name.out" || { diff "$GOLD/dnsdbq_$name.out" "$tmp/dq.out" | head -5 | sed 's/^/#   /'; cat "$tmp/dq.err" | head -3 | sed 's/^/#   /'; return 1; }
    }
    dqbad=0
    dqrun r_wild_j -r '*.gamma.tdw/A' -l 5 -j || dqbad=$((dqbad + 1))
    dqrun r_text -r 'alpha.test/MX' || dqbad=$((dqbad + 1))
    dqrun r_bailiwick -r 'tdw/NS/tdw' -j || dqbad=$((dqbad + 1))
    dqrun r_l0 -r '*.beta.test' -l 0 -j || dqbad=$((dqbad + 1))
    dqrun n_j -n host.gamma.tdw -j || dqbad=$((dqbad + 1))
    dqrun i_prefix -i 10.53.202.0/29 -j || dqbad=$((dqbad + 1))
    dqrun i_v6 -i fd53::202:1 -j || dqbad=$((dqbad + 1))
    dqrun i_range -i 10.53.202.1-10.53.202.3 -j || dqbad=$((dqbad + 1))
    dqrun empty -r nonexist.test -j || dqbad=$((dqbad + 1))
    dqrun v1_r -u dnsdb1 -r 'www.alpha.test' -j || dqbad=$((dqbad + 1))
    dqrun v1_i -u dnsdb1 -i 10.53.0.30 -l 1 -j || dqbad=$((dqbad + 1))
    dqrun v1_empty -u dnsdb1 -r nonexist.test -j || dqbad=$((dqbad + 1))
    dqrun summarize -V summarize -r '*.gamma.tdw' -j || dqbad=$((dqbad + 1))
    dqrun rate_limit -I -j || dqbad=$((dqbad + 1))
    DQKEY=$alice dqrun rate_limit_noburst -I || dqbad=$((dqbad + 1))   # a key without burst cap
    check "dnsdbq $(dnsdbq -v 2>&1 | awk '{print $3}'): 15 runs (-r -n -i -j -l -I, -V summarize, -u dnsdb1) match their golden output" '[ "$dqbad" = 0 ]'
    check "dnsdbq's requests in the access log (swclient=dnsdbq, /lookup for dnsdb1)" \
        'grep -q " dq 200 .*/dnsdb/v2/lookup/rrset/name/%2A.gamma.tdw/A?swclient=dnsdbq&version=" "$tmp/access.log" && grep -q " dq 404 .* /lookup/rrset/name/nonexist.test?swclient=dnsdbq" "$tmp/access.log"'
else
    fail "dnsdbq not installed"
fi

# ---- hostile input ----
HC fuzz "$port" 3000 7 "$alice" >"$tmp/fz" 2>&1
check "3000 random and malformed requests: well-formed statuses, one-line errors ($(cat "$tmp/fz" | tr '\n' ' '))" \
    'grep -q "^fuzz 3000 requests" "$tmp/fz" && alive'
HC huge "$port" "$alice" >"$tmp/hg" 2>&1
check "1 MiB header, 20000 headers, 100 KiB request line refused ($(cat "$tmp/hg"))" \
    'grep -Eq "^huge headers:(4[0-9][0-9]|closed) many-headers:(4[0-9][0-9]|closed) line:(4[0-9][0-9]|closed)$" "$tmp/hg" && alive'

# ---- quotas ----
q() { curl -s -o "$tmp/qb" -D "$tmp/qh" -w '%{http_code}' -H "X-API-Key: $1" "$URL/dnsdb/v2/lookup/rrset/name/www.alpha.test"; }
codes="$(q "$lim") $(q "$lim") $(q "$lim") $(q "$lim")"
check "daily quota 3: 200 200 200 429 (got $codes), 429 body one line" \
    '[ "$codes" = "200 200 200 429" ] && [ "$(wc -l <"$tmp/qb")" = 1 ] && grep -q "^X-RateLimit-Remaining: 0" "$tmp/qh" && grep -q "^X-RateLimit-Limit: 3" "$tmp/qh"'
codes="$(q "$burst") $(q "$burst") $(q "$burst")"
check "burst 2 per hour: 200 200 429 (got $codes)" '[ "$codes" = "200 200 429" ]'
rl=$(curl -s -H "X-API-Key: $lim" "$URL/dnsdb/v2/rate_limit")
check "rate_limit for the spent key: limit 3, remaining 0, reset the next 00:00 UTC" \
    '[ "$(jq -c "[.rate.limit,.rate.remaining,.rate.reset]" <<<"$rl")" = "[3,0,$(( ($(date +%s) / 86400 + 1) * 86400 ))]" ]'
ping_nokey=$(curl -s -o /dev/null -w '%{http_code}' "$URL/dnsdb/v2/ping")
check "ping needs no key" '[ "$ping_nokey" = 200 ]'

curl -s "http://127.0.0.1:$mport/metrics" >"$tmp/metrics"
check "/metrics: requests by code (429 counted), results, in-flight 0, histogram, generations" \
    'grep -Eq "^tapdns_query_requests_total\{code=\"429\"\} [1-9]" "$tmp/metrics" && grep -q "^tapdns_query_in_flight 0$" "$tmp/metrics" && grep -q "^tapdns_query_duration_seconds_bucket{le=\"+Inf\"}" "$tmp/metrics" && grep -q "^tapdns_query_index_generations 1$" "$tmp/metrics"'
check "access log: one line per request with key name, status, results, bytes, ms, path" \
    'grep -Eq "^[0-9T:-]+Z alice 200 1 [0-9]+ [0-9.]+ /dnsdb/v2/lookup/rrset/name/www.alpha.test$" "$tmp/access.log" && grep -Eq "^[0-9T:-]+Z - 403 0 0 " "$tmp/access.log"'

late=$(addkey late)
sleep 1.5
c1=$(q "$late")
"$BIN/tapdns-queryd" keys --keys "$K" revoke late >/dev/null
sleep 1.5
c2=$(q "$late")
check "keys added and revoked while the server runs take effect within a second ($c1 $c2)" '[ "$c1 $c2" = "200 403" ]'

stop_server; rc=$?
check "SIGTERM: clean exit ($rc)" '[ "$rc" = 0 ]'
printf '[index]\ndb = %s\n[query]\nkeys = %s\nquota_state = %s\nmax_concurrent = 8\ndeadline = 10s\n' \
    "$tmp/db" "$K" "$tmp/quota" >"$tmp/q.conf"
start_server "$tmp/access.log" --config "$tmp/q.conf" || fail "restart with a config file"
URL=http://127.0.0.1:$port
codes="$(q "$lim") $(q "$burst") $(q "$alice")"
check "after a restart (config file: index.db, query.keys, query.quota_state) the quotas hold: lim 429, burst 429, alice 200 (got $codes)" '[ "$codes" = "429 429 200" ]'
stop_server

# ---- 2. a big index ---------------------------------------------------------------------
LIBS="-lknot -lzstd -lpcap -linih -lxxhash -lhs -lleveldb -levent -lnettle -lpthread -lstdc++"
lib=$BIN/../libtapdns.a
gen=$tmp/gen_obs
for san in "" "-fsanitize=address" "-fsanitize=undefined"; do
    cc -O2 -std=gnu11 -D_GNU_SOURCE $san -Ilib -Ispool -Ibatch -Iindexer -o "$gen" tests/query/gen_obs.c "$lib" $LIBS \
        2>/dev/null && break
done
[ -x "$gen" ] || { fail "gen_obs does not build"; exit 1; }
NBIG=200000
mkdir -p "$tmp/big"
"$gen" "$tmp/big/2026010100.obs.zst" $NBIG && "$BIN/tapdns-index" build -q --db "$tmp/bigdb" --hour 2026010100 \
    "$tmp/big/2026010100.obs.zst" 2>"$tmp/err" || { fail "big index: $(head -1 "$tmp/err")"; exit 1; }

start_server "$tmp/access2.log" --db "$tmp/bigdb" --deadline 3s --max-concurrent 3 --metrics-listen 127.0.0.1:0 \
    || { fail "big server start: $(cat "$tmp/srv.err")"; exit 1; }
URL=http://127.0.0.1:$port
ALL="/dnsdb/v2/lookup/rrset/name/%2A.test?limit=0"
curl -s "$URL$ALL" >"$tmp/all"
check "full stream of $NBIG results: begin, $NBIG objects, succeeded" \
    '[ "$(wc -l <"$tmp/all")" = $((NBIG + 2)) ] && [ "$(tail -1 "$tmp/all")" = "{\"cond\":\"succeeded\"}" ] && [ "$(head -1 "$tmp/all")" = "{\"cond\":\"begin\"}" ]'
curl -s "$URL/dnsdb/v2/lookup/rdata/ip/192.0.2.1?limit=1000" >"$tmp/l1000"
check "limit 1000 on the hot address: 1000 objects, then limited \"Result limit reached\"" \
    '[ "$(grep -c "^{\"obj\"" "$tmp/l1000")" = 1000 ] && [ "$(tail -1 "$tmp/l1000")" = "{\"cond\":\"limited\",\"msg\":\"Result limit reached\"}" ]'
rss0=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
HC slow "$port" "" "$ALL" "$spid" 2.5 >"$tmp/slow"
growth=$(awk '{print $2}' "$tmp/slow")
check "slow reader of a $(($(wc -c <"$tmp/all") / 1048576)) MiB answer: server RSS grows ${growth} KiB (< 8 MiB) (RSS before ${rss0} KiB)" \
    '[ -n "$growth" ] && [ "$growth" -lt 8192 ]'
HC drop "$port" "" "$ALL" 20 200000 >/dev/null
sleep 0.3
inflight=$(curl -s "http://127.0.0.1:$mport/metrics" | sed -n 's/^tapdns_query_in_flight //p')
check "20 clients gone mid-stream: streams stopped (in-flight $inflight), server answers" '[ "$inflight" = 0 ] && alive'
check "their streams stopped early (access log: fewer than $NBIG results)" \
    '[ "$(grep -c " 200 [0-9]* [0-9]* [0-9.]* /dnsdb/v2/lookup/rrset/name/%2A.test?limit=0$" "$tmp/access2.log")" -ge 21 ] && [ "$(awk "\$3 == 200 && \$4 < $NBIG && \$7 ~ /%2A.test/" "$tmp/access2.log" | wc -l)" -ge 20 ]'
HC drain "$port" "" "$ALL" 3000000 >"$tmp/dl"
check "deadline 3s on a client reading 3 MB/s: SAF failed \"Processing timeout; results may be incomplete\" ($(cut -c1-40 "$tmp/dl"))" \
    'grep -q "^status 200 .* last {\"cond\":\"failed\",\"msg\":\"Processing timeout; results may be incomplete\"}$" "$tmp/dl"'
hold=()
for i in 1 2 3; do HC hold "$port" "" "$ALL" 2 >"$tmp/hold$i" & hold+=($!); done
for _ in $(seq 100); do [ "$(cat "$tmp"/hold? | grep -c started)" = 3 ] && break; sleep 0.05; done
busy=$(curl -s -o "$tmp/busy" -w '%{http_code}' "$URL/dnsdb/v2/lookup/rrset/name/h1.d1.test")
pingc=$(curl -s -o /dev/null -w '%{http_code}' "$URL/dnsdb/v2/ping")
wait "${hold[@]}"
check "max-concurrent 3 reached: a 4th query gets 503 with one line ($(cat "$tmp/busy" | tr -d '\n')), ping still 200" \
    '[ "$busy" = 503 ] && [ "$(wc -l <"$tmp/busy")" = 1 ] && [ "$pingc" = 200 ]'
sleep 1.5
after=$(curl -s -o /dev/null -w '%{http_code}' "$URL/dnsdb/v2/lookup/rrset/name/h1.d1.test")
check "after the held streams end (deadline), queries run again ($after)" '[ "$after" = 200 ]'
stop_server

# FILESET reload while a query streams: td_index_reopen shares the generations, so the new set
# serves the next query at once while the stream finishes on the old one
start_server "$tmp/access3.log" --db "$tmp/bigdb" --deadline 60s || { fail "server start"; exit 1; }
URL=http://127.0.0.1:$port
c1=$(curl -s "$URL/dnsdb/v2/lookup/rrset/name/h1.d1.test" | jq -s -c '[.[1].obj.count]')
HC drain "$port" "" "$ALL" 6000000 >"$tmp/rl" &
dpid=$!
sleep 0.5
"$gen" "$tmp/big/2026010101.obs.zst" 2000 && "$BIN/tapdns-index" build -q --db "$tmp/bigdb" --hour 2026010101 \
    "$tmp/big/2026010101.obs.zst" 2>"$tmp/err" || fail "second generation: $(head -1 "$tmp/err")"
sleep 1.2
c2=$(curl -s "$URL/dnsdb/v2/lookup/rrset/name/h1.d1.test" | jq -s -c '[.[1].obj.count]')
kill -0 $dpid 2>/dev/null && during=1 || during=0
wait $dpid
check "reload while streaming: the stream completes ($(cut -c1-30 "$tmp/rl")...), the next query sees both generations (count $c1 -> $c2)" \
    'grep -q "^status 200 .* lines $((NBIG + 2)) last {\"cond\":\"succeeded\"}$" "$tmp/rl" && [ "$c1" = "[1]" ] && [ "$c2" = "[2]" ]'
check "reload without waiting: 2 generations opened and answering while the stream still ran (during=$during)" \
    '! grep -q "^# reload: waiting" "$tmp/access3.log" && grep -q "^# reload: opened: 2 generations" "$tmp/access3.log" && [ "$during" = 1 ]'
stop_server
exit 0
