#!/bin/bash
# Crafted pcaps (tests/data/crafted/*.pcap, made by test_capture with TD_WRITE_CRAFTED) go
# through the real `tapdns-spool import-pcap` and `cat`; the non-zero counters and every
# JSON record must equal the reviewed golden file <name>.gold. Options for a capture are in
# <name>.opts, or in a config file <name>.conf. UPDATE_GOLD=1 rewrites the golden files (review the diff before committing).
set -u
cd "$(dirname "$0")/../.."
BIN=${TAPDNS_BIN:-build/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pcap in tests/data/crafted/*.pcap; do
    name=$(basename "$pcap" .pcap)
    opts=""
    [ -f "tests/data/crafted/$name.opts" ] && opts=$(cat "tests/data/crafted/$name.opts")
    [ -f "tests/data/crafted/$name.conf" ] && opts="--config tests/data/crafted/$name.conf"
    out="$tmp/$name"
    mkdir -p "$out"
    # shellcheck disable=SC2086
    if ! "$BIN/tapdns-spool" import-pcap --no-fsync --sensor crafted --out "$out" $opts "$pcap" >"$out.counters" 2>"$out.err"; then
        echo "not ok - crafted $name: import failed: $(head -1 "$out.err")"
        continue
    fi
    {
        echo "# counters (non-zero)"
        awk '$2 != 0 { print $1, $2 }' "$out.counters"
        echo "# records"
        for f in "$out"/*.tds.zst; do
            [ -e "$f" ] || continue
            echo "## $(basename "$f")"
            "$BIN/tapdns-spool" cat "$f"
        done
    } >"$out.result"
    gold="tests/data/crafted/$name.gold"
    if [ "${UPDATE_GOLD:-0}" = 1 ]; then
        cp "$out.result" "$gold"
    fi
    if diff -u "$gold" "$out.result" >"$out.diff" 2>&1; then
        echo "ok - crafted $name"
    else
        echo "not ok - crafted $name: differs from $gold"
        head -40 "$out.diff" | sed 's/^/#   /'
    fi
done
