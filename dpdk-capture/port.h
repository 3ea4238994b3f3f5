/* port.h: one DPDK ethdev port set up for capture: N RX queues (one per lcore), no TX,
 * RSS with the symmetric key of plan.h when the device offers RSS, promiscuous mode,
 * optional RX timestamps, and the mempool sized by the rule of plan.h.
 * Control-plane code: call from the main lcore after rte_eal_init. */
#ifndef TD_DPDK_PORT_H
#define TD_DPDK_PORT_H
#include <stddef.h>
#include <stdint.h>
#include "plan.h"

struct rte_mempool;

enum td_dpdk_rss_mode {
    TD_DPDK_RSS_L3 = 0, /* addresses only: a query, its response, its fragments and its TCP
                           retry share a queue (default) */
    TD_DPDK_RSS_L4 = 1, /* addresses and ports: finer spread; fragments (hashed on addresses
                           only by NICs) may land away from their query */
};

struct td_dpdk_port_opts {
    uint16_t port;
    unsigned queues;       /* 0: one per lcore, at most what the device has */
    unsigned rx_ring;      /* descriptors per RX queue (adjusted to the device's limits) */
    unsigned burst;
    unsigned mbufs;        /* 0: the rule of plan.h */
    unsigned cache;
    unsigned mbuf_data;    /* data octets per mbuf (0: 2048); net_af_packet needs framesz to fit */
    enum td_dpdk_rss_mode rss;
    int rx_timestamps;     /* use the PMD's RX timestamp (net_pcap: the file's time) */
};

struct td_dpdk_port {
    uint16_t port;
    unsigned queues;
    unsigned rx_ring;      /* as configured after the device's adjustment */
    struct td_dpdk_pool_plan plan;
    struct rte_mempool *pool;
    int rss;               /* 1: RSS configured with the symmetric key; 0: the PMD spreads
                              (af_packet: kernel fanout) or one queue */
    uint64_t rss_hf;       /* hash fields in use */
    int ts_offset;         /* mbuf dynfield offset of the RX timestamp, -1 if none */
    uint64_t ts_flag;      /* ol_flags bit telling the timestamp is valid */
    uint64_t ts_mult;      /* timestamp field * ts_mult = ns: 1000 for net_pcap (it stores
                              microseconds of the file's times), else 1 */
    char driver[48];
    int started;
};

/* 0, or -1 with err filled (one line). On failure nothing is left to close but the pool
 * (td_dpdk_port_close handles a partly opened port). */
int td_dpdk_port_open(const struct td_dpdk_port_opts *o, struct td_dpdk_port *p, char *err, size_t errlen);
/* Stops and closes the port, frees the pool. */
void td_dpdk_port_close(struct td_dpdk_port *p);

#endif
