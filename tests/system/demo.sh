#!/bin/bash
# The README's first command does what it says: appliance/demo.sh (what `make demo` runs) on a
# free port imports the sample, runs the hourly job, leaves tapdns-queryd answering with a demo
# key, and its example queries return data; `demo.sh stop` stops the service.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(mktemp)
trap 'BUILD=$BUILD appliance/demo.sh stop >/dev/null 2>&1; rm -f "$out"' EXIT
export BUILD DEMO_PORT=$port DEMO_METRICS_PORT=$mport
if appliance/demo.sh >"$out" 2>&1; then
    echo "ok - demo: appliance/demo.sh ran (port $port)"
else
    echo "not ok - demo: appliance/demo.sh failed"; tail -20 "$out" | sed 's/^/#   /'; exit 1
fi
n=$(grep -c '^{"obj":{"count":' "$out")
[ "$n" -ge 7 ] && echo "ok - demo: the example queries return $n objects" || { echo "not ok - demo: $n objects"; sed 's/^/#   /' "$out" | tail -30; }
key=$(cat "$BUILD/demo/demo.key")
body=$(curl -s -H "X-API-Key: $key" -H "Accept: application/x-ndjson" \
    "http://127.0.0.1:$port/dnsdb/v2/lookup/rrset/name/www.alpha.test/CNAME")
want='{"cond":"begin"}
{"obj":{"count":2,"time_first":1795748441,"time_last":1795748441,"rrname":"www.alpha.test.","rrtype":"CNAME","bailiwick":"alpha.test.","rdata":["web.beta.test."]}}
{"cond":"succeeded"}'
[ "$body" = "$want" ] && echo "ok - demo: the service keeps answering after the script returned (www.alpha.test CNAME)" ||
    { echo "not ok - demo: answer after the script"; echo "$body" | sed 's/^/#   /'; }
appliance/demo.sh stop >/dev/null 2>&1
if curl -s -m 2 "http://127.0.0.1:$port/dnsdb/v2/ping" >/dev/null 2>&1; then
    echo "not ok - demo: still answering after demo.sh stop"
else
    echo "ok - demo: demo.sh stop stops the service"
fi
