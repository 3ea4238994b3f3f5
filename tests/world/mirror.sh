# shellcheck shell=bash
# mirror.sh (sourced, bash): the sensor's tap in the netns world.
#
#   . tests/world/mirror.sh
#   tdw_mirror_up [LOG]    mirror everything the resolver's upstream veth up0 receives and sends
#                          (tc mirred, ingress and egress) into a veth pair xt0 -> xt1 in tdw-res;
#                          a capture front runs on xt1 ($TDW_MIRROR_IF). Returns non-zero (the
#                          failing command's output in LOG) when it cannot be set up.
#   tdw_mirror_down        removes the mirror (world.sh down removes it too, with the namespace)
#
# Why a mirror: XDP sees only the frames an interface RECEIVES, and AF_XDP takes the frames it
# redirects away from the kernel stack. On up0 itself it would see only the responses (never
# unbound's queries, which up0 transmits) and take them from unbound. A sensor sits on a
# tap/SPAN port; xt1 is that port here. xt0 sends with software checksums (tx off), xt1/xt0 have
# no IPv6 (no router solicitations or DAD frames on the tap). Needs the world up (world.sh up).
TDW_MIRROR_IF=xt1

tdw_mirror_up() {
    local log=${1:-/dev/null}
    {
        ip netns exec tdw-res ip link add xt0 type veth peer name xt1 &&
        ip netns exec tdw-res ip link set xt0 up && ip netns exec tdw-res ip link set xt1 up &&
        ip netns exec tdw-res ethtool -K xt0 tx off >/dev/null &&
        ip netns exec tdw-res sysctl -qw net.ipv6.conf.xt1.disable_ipv6=1 net.ipv6.conf.xt0.disable_ipv6=1 &&
        ip netns exec tdw-res tc qdisc add dev up0 clsact &&
        ip netns exec tdw-res tc filter add dev up0 ingress protocol all u32 match u32 0 0 \
            action mirred egress mirror dev xt0 &&
        ip netns exec tdw-res tc filter add dev up0 egress protocol all u32 match u32 0 0 \
            action mirred egress mirror dev xt0
    } >"$log" 2>&1
}

tdw_mirror_down() {
    ip netns exec tdw-res tc qdisc del dev up0 clsact 2>/dev/null
    ip netns exec tdw-res ip link del xt0 2>/dev/null
    return 0
}
