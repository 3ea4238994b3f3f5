#!/bin/bash
# client.sh RESOLVER QUERYFILE: ask each question of QUERYFILE (NAME TYPE per line, # comments)
# to RESOLVER with kdig (RD=1), one after the other, and print for each
#   ;; NAME TYPE STATUS
# followed by its answer section without TTLs (TTLs of cached answers vary run to run).
set -u
resolver=$1 file=$2
grep -v '^[[:space:]]*#' "$file" | sed 's/#.*//' | while read -r name type; do
    [ -n "$name" ] || continue
    out=$(kdig @"$resolver" "$name" "$type" +time=5 +retry=1 2>&1)
    status=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -1)
    echo ";; $name $type ${status:-NO-ANSWER}"
    printf '%s\n' "$out" | awk '/^;; ANSWER SECTION:/ {a=1; next} a && /^$/ {a=0} a && !/^;;/ {
        $2=""; sub(/  +/, " "); print }'
done
