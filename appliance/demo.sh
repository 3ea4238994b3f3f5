#!/bin/bash
# The main job on the embedded sample (README's first command; `make demo` runs it):
#   tests/data/sample.pcap (real recursive traffic of the netns test world) -> tapdns-spool
#   import-pcap -> tapdns-jobs hourly (tapdns-batch, tapdns-index build, the export drop), all from
#   one config file as the systemd units run them -> tapdns-queryd left answering on
#   127.0.0.1:$DEMO_PORT with a demo key -> example queries with curl, tapdns-query and dnsdbq.
#   appliance/demo.sh stop   stops the query service again (`make demo-stop`).
# Everything lives under $BUILD/demo; nothing is installed and nothing listens beyond loopback.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
bin=$PWD/$BUILD/bin
d=$PWD/$BUILD/demo
port=${DEMO_PORT:-8080}
mport=${DEMO_METRICS_PORT:-9153}

stop() {
    if [ -f "$d/queryd.pid" ] && kill "$(cat "$d/queryd.pid")" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$(cat "$d/queryd.pid")" 2>/dev/null || break; sleep 0.1; done
        echo "demo: tapdns-queryd stopped"
    fi
    rm -f "$d/queryd.pid"
}
if [ "${1:-}" = stop ]; then
    stop
    exit 0
fi
stop
rm -rf "$d"
mkdir -p "$d/spool"
cat >"$d/tapdns.conf" <<EOF
# The demo's config: the same keys as appliance/tapdns.conf, paths under $d.
[sensor]
id = demo
[spool]
dir = $d/spool
[batch]
out = $d/obs
state = $d/state
root_hints = $PWD/tests/world/root.hints
[index]
db = $d/index
export_dir = $d/export
[query]
listen = 127.0.0.1:$port
metrics_listen = 127.0.0.1:$mport
keys = $d/keys
quota_state = $d/quota
access_log = $d/access.log
EOF
echo "== import the sample capture (tapdns-spool import-pcap)"
"$bin/tapdns-spool" import-pcap -c "$d/tapdns.conf" tests/data/sample.pcap | grep -E '^(frames|dns_|records_)' || true
echo "== the hourly job: batch, index, export (tapdns-jobs hourly, as the systemd timer runs it)"
TAPDNS_BIN=$bin "$bin/tapdns-jobs" -c "$d/tapdns.conf" hourly
"$bin/tapdns-index" info -c "$d/tapdns.conf" | head -3
echo "== tapdns-status"
"$bin/tapdns-status" -c "$d/tapdns.conf" -s 0 | sed -n '2,4p'

echo "== a local query (tapdns-query reads the generations directly, also while tapdns-queryd serves them)"
"$bin/tapdns-query" -c "$d/tapdns.conf" rrset www.alpha.test
echo
echo "== the query service on 127.0.0.1:$port"
"$bin/tapdns-queryd" keys --keys "$d/keys" add demo >"$d/key.out"
key=$(tail -1 "$d/key.out")
echo "$key" >"$d/demo.key"
nohup "$bin/tapdns-queryd" --config "$d/tapdns.conf" >"$d/queryd.log" 2>&1 &
echo $! >"$d/queryd.pid"
up=0
for _ in $(seq 50); do
    if curl -sf "http://127.0.0.1:$port/dnsdb/v2/ping" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
done
if [ $up = 0 ]; then
    echo "demo: tapdns-queryd did not come up on 127.0.0.1:$port (DEMO_PORT=... picks another port):" >&2
    tail -5 "$d/queryd.log" >&2
    stop
    exit 1
fi
base="http://127.0.0.1:$port/dnsdb/v2"
run() { printf '$'; printf ' %q' "$@"; printf '\n'; "$@"; echo; }
echo "demo key: $key (in $d/demo.key)"
echo
run curl -s -H "X-API-Key: $key" -H "Accept: application/x-ndjson" "$base/lookup/rrset/name/%2A.alpha.test/A?limit=3"
run curl -s -H "X-API-Key: $key" -H "Accept: application/x-ndjson" "$base/lookup/rdata/ip/10.53.200.0,24?limit=3"
run curl -s -H "X-API-Key: $key" -H "Accept: application/x-ndjson" "$base/summarize/rrset/name/%2A.test"
run curl -s -H "X-API-Key: $key" -H "Accept: application/x-ndjson" "$base/rate_limit"
echo "dnsdbq works unmodified against it:"
echo "  DNSDB_SERVER=http://127.0.0.1:$port DNSDB_API_KEY=$key dnsdbq -r '*.gamma.tdw/A' -l 5"
if command -v dnsdbq >/dev/null; then
    DNSDB_SERVER=http://127.0.0.1:$port DNSDB_API_KEY=$key dnsdbq -r '*.gamma.tdw/A' -l 5 | sed 's/^/  /'
fi
echo
echo "tapdns-queryd keeps answering on 127.0.0.1:$port (metrics: http://127.0.0.1:$mport/metrics,"
echo "access log: $d/access.log); 'make demo-stop' stops it."
