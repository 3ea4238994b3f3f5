#!/bin/bash
# The test runner: unit test binaries, fuzz corpus replays, then system tests.
# Every test prints TAP-style "ok - NAME" / "not ok - NAME" lines; this script counts them
# and ends with "N passed, N failed". Exit status 1 if anything failed or nothing ran.
# TESTS=pattern limits to tests whose file name matches.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD TAPDNS_BIN="$PWD/$BUILD/bin" TAPDNS_TOP="$PWD"
pattern=${TESTS:-}
passed=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # name, command...
    local name=$1; shift
    [ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && return
    echo "# $name"
    "$@" >"$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -c '^ok - ' "$log")
    f=$(grep -c '^not ok - ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name: exited $rc without a failing check" >>"$log"
        f=1
    fi
    if [ "$f" -gt 0 ] || [ "${VERBOSE:-0}" = 1 ]; then cat "$log"; else grep -E '^(ok|not ok) - ' "$log" | sed 's/^/  /' | head -3; [ "$p" -gt 3 ] && echo "  ... ($p ok)"; fi
    passed=$((passed + p)); failed=$((failed + f))
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    run "$n" "$t" "fuzz/corpus/${n#fuzz_}"
done
for t in tests/system/*.sh; do
    [ -x "$t" ] && run "$(basename "$t")" "$t"
done

if [ $((passed + failed)) -eq 0 ]; then
    echo "no test executed"
    echo "0 passed, 0 failed"
    exit 1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
