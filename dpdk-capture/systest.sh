# dpdk-capture/systest.sh: sourced by tests/system/dpdk_*.sh.
# EAL without NIC or hugepages: malloc'd memory, no shared config files, a prefix of our own.
BIN=${TAPDNS_BIN:-build/bin}
DPDK=$BIN/tapdns-dpdk
eal_args() { # lcores
    echo "--no-huge --no-pci --no-shconf --no-telemetry --file-prefix tdt$$ -m 256 -l ${1:-0} --log-level=warning"
}
# Non-zero counters of a tool's counter listing, without the counters only one of the two
# tools has (tapdns-dpdk: rx_*, port_*; import-pcap: skip_link_type).
core_counters() {
    awk '$1 !~ /^(rx_|port_|skip_link_type|#)/ && $2 != 0 { print $1, $2 }' "$1"
}
# Records of spool files as JSON lines; with "notime", without the times and sorted (wall-clock
# capture of a replay: the times are the replay's).
records() { # mode files...
    local mode=$1; shift
    [ $# -eq 0 ] && return 0
    if [ "$mode" = notime ]; then
        "$BIN/tapdns-spool" cat "$@" | jq -c 'del(.query_time, .response_time)' | sort
    else
        "$BIN/tapdns-spool" cat "$@"
    fi
}
