/* port.c: see port.h. */
#include "port.h"
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <stdio.h>
#include <string.h>

#define TD_DPDK_RSS_KEY_MAX 64

int td_dpdk_port_open(const struct td_dpdk_port_opts *o, struct td_dpdk_port *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->port = o->port;
    p->ts_offset = -1;
    p->ts_mult = 1;
    if (!rte_eth_dev_is_valid_port(o->port)) {
        snprintf(err, errlen, "port %u does not exist (%u ports; give a --vdev or a NIC)",
                 o->port, rte_eth_dev_count_avail());
        return -1;
    }
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(o->port, &info);
    if (rc != 0) {
        snprintf(err, errlen, "port %u: device info: %s", o->port, rte_strerror(-rc));
        return -1;
    }
    snprintf(p->driver, sizeof p->driver, "%s", info.driver_name ? info.driver_name : "?");
    unsigned lcores = rte_lcore_count();
    unsigned q = o->queues ? o->queues : (lcores < info.max_rx_queues ? lcores : info.max_rx_queues);
    if (q == 0 || q > info.max_rx_queues) {
        snprintf(err, errlen, "port %u (%s): %u RX queues asked, the device has %u", o->port, p->driver,
                 q, info.max_rx_queues);
        return -1;
    }
    if (q > lcores) {
        snprintf(err, errlen, "%u queues need %u lcores (one per queue; EAL -l), have %u", q, q, lcores);
        return -1;
    }
    p->queues = q;

    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    uint8_t key[TD_DPDK_RSS_KEY_MAX];
    if (q > 1 && info.flow_type_rss_offloads) {
        uint64_t want = RTE_ETH_RSS_IP;
        if (o->rss == TD_DPDK_RSS_L4)
            want |= RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
        size_t klen = info.hash_key_size ? info.hash_key_size : 40;
        if (klen > sizeof key)
            klen = sizeof key;
        td_dpdk_rss_key(key, klen);
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = key;
        conf.rx_adv_conf.rss_conf.rss_key_len = (uint8_t)klen;
        conf.rx_adv_conf.rss_conf.rss_hf = want & info.flow_type_rss_offloads;
        p->rss = 1;
        p->rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
    }
    /* NIC timestamps need the offload; net_pcap sets the field without offering it. Frames
     * that come without the field's flag get the wall clock (worker.c). */
    if (o->rx_timestamps && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) /* frames above one mbuf arrive chained */
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;

    rc = rte_eth_dev_configure(o->port, (uint16_t)q, 0, &conf);
    if (rc != 0) {
        snprintf(err, errlen, "port %u (%s): configure %u RX queues: %s", o->port, p->driver, q, rte_strerror(-rc));
        return -1;
    }
    uint16_t nrx = (uint16_t)(o->rx_ring ? o->rx_ring : 1024), ntx = 0;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(o->port, &nrx, &ntx);
    if (rc != 0) {
        snprintf(err, errlen, "port %u: RX ring size %u: %s", o->port, o->rx_ring, rte_strerror(-rc));
        return -1;
    }
    p->rx_ring = nrx;

    struct td_dpdk_pool_req req = {
        .queues = q, .rx_ring = nrx, .burst = o->burst, .cache = o->cache, .mbufs = o->mbufs,
        .reserve = 0,
    };
    const char *why;
    if (td_dpdk_pool_plan(&req, &p->plan, &why) != 0) {
        snprintf(err, errlen, "mempool: %s", why);
        return -1;
    }
    if (o->mbuf_data > UINT16_MAX - RTE_PKTMBUF_HEADROOM) {
        snprintf(err, errlen, "mbuf data size %u: at most %u", o->mbuf_data, UINT16_MAX - RTE_PKTMBUF_HEADROOM);
        return -1;
    }
    char name[RTE_MEMPOOL_NAMESIZE];
    snprintf(name, sizeof name, "td_rx_%u", o->port);
    int socket = rte_eth_dev_socket_id(o->port);
    p->pool = rte_pktmbuf_pool_create(name, p->plan.mbufs, p->plan.cache, 0,
                                      (uint16_t)((o->mbuf_data ? o->mbuf_data : RTE_MBUF_DEFAULT_DATAROOM) + RTE_PKTMBUF_HEADROOM),
                                      socket < 0 ? (int)rte_socket_id() : socket);
    if (!p->pool) {
        snprintf(err, errlen, "mempool of %u mbufs (%u cached per lcore): %s (EAL -m too small?)",
                 p->plan.mbufs, p->plan.cache, rte_strerror(rte_errno));
        return -1;
    }
    struct rte_eth_rxconf rxc = info.default_rxconf;
    rxc.offloads = conf.rxmode.offloads;
    for (unsigned i = 0; i < q; i++) {
        rc = rte_eth_rx_queue_setup(o->port, (uint16_t)i, nrx, socket < 0 ? (unsigned)SOCKET_ID_ANY : (unsigned)socket,
                                    &rxc, p->pool);
        if (rc != 0) {
            snprintf(err, errlen, "port %u: RX queue %u: %s", o->port, i, rte_strerror(-rc));
            return -1;
        }
    }
    if (o->rx_timestamps) {
        if (!strcmp(p->driver, "net_pcap"))
            p->ts_mult = 1000;
        rc = rte_mbuf_dyn_rx_timestamp_register(&p->ts_offset, &p->ts_flag);
        if (rc != 0) {
            snprintf(err, errlen, "RX timestamp field: %s", rte_strerror(rte_errno));
            return -1;
        }
    }
    rc = rte_eth_dev_start(o->port);
    if (rc != 0) {
        snprintf(err, errlen, "port %u (%s): start: %s", o->port, p->driver, rte_strerror(-rc));
        return -1;
    }
    p->started = 1;
    /* a tap or SPAN port sees others' frames only in promiscuous mode; vdevs may refuse */
    (void)rte_eth_promiscuous_enable(o->port);
    return 0;
}

void td_dpdk_port_close(struct td_dpdk_port *p)
{
    if (p->started) {
        (void)rte_eth_dev_stop(p->port);
        p->started = 0;
    }
    if (rte_eth_dev_is_valid_port(p->port))
        (void)rte_eth_dev_close(p->port);
    if (p->pool) {
        rte_mempool_free(p->pool);
        p->pool = NULL;
    }
}
