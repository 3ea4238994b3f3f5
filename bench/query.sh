#!/bin/bash
# bench/query.sh: tapdns-queryd over HTTP on 127.0.0.1 (make bench-query; BUILD=..., N=RRsets).
# 1. An index of N synthetic A RRsets (tests/query/gen_obs.c: owners hI.dJ.test, 12% on the hot
#    address 192.0.2.1, 25% in 198.51.100.0/24) built with tapdns-index build. bench_index's own
#    generator removes its index at the end, so this bench uses its own.
# 2. Baselines in the same run: the same streams in-process (tapdns-index query: the reading
#    library plus COF JSON, to /dev/null), and wrk against /dnsdb/v2/ping (HTTP alone).
# 3. wrk (1 thread: the server has the other core; C connections, D seconds, --latency) for exact rrset lookups
#    (rrset/name/hI.dJ.test/A, I random) and rdata ip lookups (rdata/ip/10.a.b.c random), Lua
#    scripts rotating the names: requests/s, p50, p99.
# 4. The hot address (0.12 N results) and the /24 (0.25 N) end to end over HTTP with curl:
#    median of RUNS, results/s; the full rrset/name/ *.test (N) too.
# Env: BUILD (build), N (1000000 here; the Makefile passes 10 M unless N is given), C (8),
# D (5), RUNS (3), BENCH_DIR (/tmp).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/bin
N=${N:-1000000}
C=${C:-8}
D=${D:-5}
RUNS=${RUNS:-3}
dir=$(mktemp -d "${BENCH_DIR:-/tmp}/bench_query.XXXXXX")
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
LIBS="-lknot -lzstd -lpcap -linih -lxxhash -lhs -lleveldb -levent -lnettle -ljansson -lpthread -lstdc++"
cc -O2 -std=gnu11 -D_GNU_SOURCE -Ilib -Ispool -Ibatch -Iindexer -o "$dir/gen_obs" tests/query/gen_obs.c \
    "$BUILD/libtapdns.a" $LIBS

now() { date +%s.%N; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "== index: $N RRsets"
t0=$(now)
"$dir/gen_obs" "$dir/2026010100.obs.zst" "$N"
"$BIN/tapdns-index" build -q --db "$dir/db" --hour 2026010100 "$dir/2026010100.obs.zst"
rm -f "$dir/2026010100.obs.zst"
printf "generated and built in %.1f s, %s on disk\n" "$(awk -v a="$(now)" -v b="$t0" "BEGIN {print a - b}")" "$(du -sh "$dir/db" | cut -f1)"

HOT=/dnsdb/v2/lookup/rdata/ip/192.0.2.1?limit=0
NET=/dnsdb/v2/lookup/rdata/ip/198.51.100.0,24?limit=0
ALL=/dnsdb/v2/lookup/rrset/name/%2A.test?limit=0

# in-process baseline (tapdns-index query, the library without HTTP)
inproc() { # label, tapdns-index query args...
    local label=$1; shift
    local ts=() n=0
    for _ in $(seq "$RUNS"); do
        local a b
        a=$(now)
        n=$("$BIN/tapdns-index" query --db "$dir/db" "$@" | wc -l)
        b=$(now)
        ts+=("$(awk -v x="$b" -v y="$a" "BEGIN {print x - y}")")
    done
    local m
    m=$(printf '%s\n' "${ts[@]}" | median)
    printf "  %-34s %8d results  %7.3f s  %10.0f results/s\n" "$label" "$n" "$m" "$(awk -v x="$n" -v y="$m" "BEGIN {print x / y}")"
}
echo "== in-process (tapdns-index query to a pipe, median of $RUNS)"
inproc "hot address 192.0.2.1" rdata ip 192.0.2.1
inproc "198.51.100.0/24" rdata ip 198.51.100.0,24
inproc "rrset *.test (all)" rrset '*.test'

"$BIN/tapdns-queryd" --db "$dir/db" --listen 127.0.0.1:0 --access-log /dev/null --max-concurrent 1024 \
    --results-max 100000000 --deadline 120s 2>"$dir/srv.err" &
spid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$dir/srv.err"); [ -n "$port" ] && break; sleep 0.05
done
[ -n "$port" ] || { cat "$dir/srv.err"; exit 1; }
URL=http://127.0.0.1:$port

echo "== HTTP streams (curl, median of $RUNS)"
http_stream() { # label path
    local ts=() n
    n=$(curl -s "$URL$2" | grep -c '^{"obj"')
    for _ in $(seq "$RUNS"); do
        ts+=("$(curl -s -o /dev/null -w '%{time_total}' "$URL$2")")
    done
    local m
    m=$(printf '%s\n' "${ts[@]}" | median)
    printf "  %-34s %8d results  %7.3f s  %10.0f results/s\n" "$1" "$n" "$m" "$(awk -v x="$n" -v y="$m" "BEGIN {print x / y}")"
}
http_stream "hot address 192.0.2.1" "$HOT"
http_stream "198.51.100.0/24" "$NET"
http_stream "rrset *.test (all)" "$ALL"

cat >"$dir/rrset.lua" <<EOF
math.randomseed(7)
request = function()
  local i = math.random(0, $N - 1)
  return wrk.format("GET", string.format("/dnsdb/v2/lookup/rrset/name/h%d.d%d.test/A", i, i % 1000),
                    {["Accept"] = "application/x-ndjson"})
end
EOF
cat >"$dir/ip.lua" <<EOF
math.randomseed(11)
request = function()
  local i = math.random(0, $N - 1)
  return wrk.format("GET", string.format("/dnsdb/v2/lookup/rdata/ip/10.%d.%d.%d", math.floor(i / 65536) % 256,
                    math.floor(i / 256) % 256, i % 256), {["Accept"] = "application/x-ndjson"})
end
EOF
echo "== wrk -t1 -c$C -d${D}s --latency"
runwrk() { # label, args...
    local label=$1; shift
    wrk -t1 -c"$C" -d"${D}s" --latency "$@" >"$dir/wrk.out" 2>&1
    local rps p50 p99 errs
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.out")
    p50=$(awk '$1 == "50%" {print $2}' "$dir/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk.out")
    errs=$(grep -E "Non-2xx|Socket errors" "$dir/wrk.out" | tr -s ' ' | tr '\n' ' ')
    printf "  %-34s %10s req/s  p50 %8s  p99 %8s %s\n" "$label" "$rps" "$p50" "$p99" "$errs"
}
runwrk "ping (baseline: HTTP only)" "$URL/dnsdb/v2/ping"
runwrk "exact rrset lookups" -s "$dir/rrset.lua" "$URL"
runwrk "rdata ip lookups" -s "$dir/ip.lua" "$URL"
kill "$spid"
wait "$spid" 2>/dev/null || true
spid=
