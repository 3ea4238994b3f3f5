/* plan.h: the DPDK front's arithmetic, kept free of DPDK so that it is unit-tested alone:
 * the mempool sizing rule and the symmetric RSS key (with a software Toeplitz hash that
 * shows the key's symmetry).
 *
 * Mempool sizing rule (REFERENCE.md section 7, after rte_mempool.h): the pool must hold
 *   every RX descriptor of every queue          rx_ring * queues
 *   + every TX descriptor                       tx_ring * tx_queues (0: we do not transmit)
 *   + one burst in flight per lcore             burst * lcores
 *   + every per-lcore cache full                cache * lcores
 *   + mbufs a PMD may hold elsewhere            reserve (net_pcap infinite_rx, ring vdevs)
 * The capture core copies what it keeps (fragments, TCP segments, queries), so no mbuf is held
 * while reassembly waits. n is then rounded up to 2^q - 1 (the ring under the pool has 2^q
 * slots). The cache is at most 512, at most n / 1.5, and at most the caller's value. */
#ifndef TD_DPDK_PLAN_H
#define TD_DPDK_PLAN_H
#include <stddef.h>
#include <stdint.h>

#define TD_DPDK_CACHE_MAX 512u
#define TD_DPDK_MBUFS_MAX (1u << 24) /* 16 M mbufs: a bound on a typo, not a hardware limit */

struct td_dpdk_pool_req {
    unsigned queues;     /* RX queues (one lcore each) */
    unsigned rx_ring;    /* RX descriptors per queue */
    unsigned tx_ring;    /* TX descriptors per TX queue */
    unsigned tx_queues;
    unsigned burst;      /* rte_eth_rx_burst size */
    unsigned cache;      /* wanted per-lcore cache (0: none) */
    unsigned reserve;    /* extra mbufs held outside the rings */
    unsigned mbufs;      /* 0: compute; else the operator's number, checked against the need */
};

struct td_dpdk_pool_plan {
    unsigned need;       /* the sum above, before rounding */
    unsigned mbufs;      /* pool size to create */
    unsigned cache;      /* per-lcore cache to create */
};

/* 0 and *out filled, or -1 with *why set (a static string): zero queues/ring/burst, a given
 * mbufs below the need, or a total above TD_DPDK_MBUFS_MAX. */
int td_dpdk_pool_plan(const struct td_dpdk_pool_req *req, struct td_dpdk_pool_plan *out, const char **why);

/* The symmetric Toeplitz key: 0x6d5a repeated. Because the key repeats every 16 bits, the
 * hash of (src, dst, sport, dport) equals that of (dst, src, dport, sport), so a query and
 * its response land on the same RSS queue. Fills len octets (NICs take 40 or 52). */
void td_dpdk_rss_key(uint8_t *key, size_t len);

/* Toeplitz hash of data under key (as NICs compute RSS; key must be at least len + 4
 * octets). Used by tests to show the key's symmetry. */
uint32_t td_dpdk_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len);

#endif
