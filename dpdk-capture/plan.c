/* plan.c: see plan.h. */
#include "plan.h"

int td_dpdk_pool_plan(const struct td_dpdk_pool_req *req, struct td_dpdk_pool_plan *out, const char **why)
{
    if (req->queues == 0 || req->rx_ring == 0 || req->burst == 0) {
        *why = "queues, RX ring and burst must be at least 1";
        return -1;
    }
    unsigned cache = req->cache < TD_DPDK_CACHE_MAX ? req->cache : TD_DPDK_CACHE_MAX;
    uint64_t need = (uint64_t)req->rx_ring * req->queues + (uint64_t)req->tx_ring * req->tx_queues
                    + (uint64_t)req->burst * req->queues + (uint64_t)cache * req->queues + req->reserve;
    if (need > TD_DPDK_MBUFS_MAX) {
        *why = "mempool would exceed 16M mbufs (rx ring, queues or cache too large)";
        return -1;
    }
    uint64_t n;
    if (req->mbufs) {
        if (req->mbufs < need) {
            *why = "mbufs below RX descriptors + burst + cache per queue (see plan.h)";
            return -1;
        }
        if (req->mbufs > TD_DPDK_MBUFS_MAX) {
            *why = "mbufs above 16M";
            return -1;
        }
        n = req->mbufs;
    } else {
        n = 1;
        while (n - 1 < need)
            n <<= 1;
        n -= 1;
    }
    /* cache <= n / 1.5; the need already counts it, so this only bites for tiny pools */
    if ((uint64_t)cache * 3 > n * 2)
        cache = (unsigned)(n * 2 / 3);
    out->need = (unsigned)need;
    out->mbufs = (unsigned)n;
    out->cache = cache;
    return 0;
}

void td_dpdk_rss_key(uint8_t *key, size_t len)
{
    for (size_t i = 0; i < len; i++)
        key[i] = (i & 1) ? 0x5a : 0x6d;
}

uint32_t td_dpdk_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len)
{
    if (keylen < len + 4)
        return 0;
    uint32_t hash = 0;
    /* the 32-bit window of the key starting at the current input bit */
    uint32_t window = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
    for (size_t i = 0; i < len; i++) {
        uint8_t next = key[i + 4];
        for (int b = 7; b >= 0; b--) {
            if (data[i] & (1u << b))
                hash ^= window;
            window = window << 1 | ((next >> b) & 1u);
        }
    }
    return hash;
}
