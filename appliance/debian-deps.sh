#!/bin/sh
# Installs every Debian 12 package tapdns needs to build, test and run (idempotent).
set -e
PKGS="build-essential pkg-config clang llvm lld
      libknot-dev libzstd-dev zstd libpcap-dev libinih-dev libxxhash-dev libjansson-dev
      libbpf-dev libxdp-dev bpftool libleveldb-dev libsnappy-dev libevent-dev libpcre2-dev libhyperscan-dev nettle-dev
      dpdk-dev libdpdk-dev librte-net-pcap23 librte-net-ring23 librte-net-af-packet23 librte-net-af-xdp23
      knot knot-dnsutils nsd unbound dns-root-data tcpdump tshark tcpreplay ethtool iproute2 procps psmisc
      curl jq wrk dnsdbq xdp-tools help2man python3"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || { echo "make deps: need root to install:$missing" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
fi
# The system tests start their own knot/nsd/unbound in namespaces: keep the packaged
# services from holding port 53 on the host.
for s in knot nsd unbound; do
    systemctl disable --now "$s" >/dev/null 2>&1 || true
done
echo "make deps: all packages present"
