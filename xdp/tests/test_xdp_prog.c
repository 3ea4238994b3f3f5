/* test_xdp_prog: the XDP program through BPF_PROG_RUN (bpf_prog_test_run_opts), loaded into
 * the kernel as tapdns-xdp loads it. Every frame of the foundation's crafted Ethernet pcaps
 * and frames built here get an exact verdict, and exactly one counter slot moves, the
 * expected one. Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_NET_RAW for the AF_XDP socket). */
#include "tt.h"
#include "pcapgen.h"
#include "sensor_filter.h"
#include "xdp_prog.h"
#include "tapdns_xdp.skel.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xdp/xsk.h>

#define CRAFTED "tests/data/crafted/"

struct loaded {
    struct tapdns_xdp *skel;
    int prog_fd, counters_fd, xsks_fd;
};

static int load(struct loaded *l, const char *ports, int other_pass)
{
    struct td_sensor_filter f;
    char err[256];
    td_sensor_filter_init(&f);
    if (ports && td_sensor_filter_set_ports(&f, ports, err, sizeof err) != 0) {
        TT_FAIL("ports: %s", err);
        return -1;
    }
    struct td_xdp_prog_opts o = { .port_bitmap = f.port_bitmap, .other_pass = other_pass };
    l->skel = td_xdp_prog_open(&o, err, sizeof err);
    if (!l->skel) {
        TT_FAIL("%s", err);
        return -1;
    }
    if (tapdns_xdp__load(l->skel) != 0) {
        TT_FAIL("load (verifier): %s", strerror(errno));
        tapdns_xdp__destroy(l->skel);
        return -1;
    }
    l->prog_fd = bpf_program__fd(l->skel->progs.tapdns_xdp);
    l->counters_fd = bpf_map__fd(l->skel->maps.td_counters);
    l->xsks_fd = bpf_map__fd(l->skel->maps.td_xsks);
    return 0;
}

/* An AF_XDP socket on lo, queue 0, copy mode, only to fill XSKMAP slot 0 (BPF_PROG_RUN
 * does not deliver: the verdict is what is checked). */
struct xsk_holder {
    struct xsk_umem *umem;
    struct xsk_socket *xsk;
    void *area;
    struct xsk_ring_prod fill;
    struct xsk_ring_cons comp, rx;
};

static int xsk_hold(struct xsk_holder *h, int xsks_fd)
{
    size_t size = 64 * 4096;
    memset(h, 0, sizeof *h);
    h->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h->area == MAP_FAILED) {
        TT_FAIL("mmap: %s", strerror(errno));
        return -1;
    }
    int r = xsk_umem__create(&h->umem, h->area, size, &h->fill, &h->comp, NULL);
    if (r) {
        TT_FAIL("xsk_umem__create: %s", strerror(-r));
        return -1;
    }
    struct xsk_socket_config cfg = {
        .rx_size = 32, .tx_size = 0,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
        .bind_flags = XDP_COPY,
    };
    /* the kernel frees the previous socket's buffer pool of the queue in deferred work */
    for (int tries = 0; tries < 100; tries++) {
        r = xsk_socket__create(&h->xsk, "lo", 0, h->umem, &h->rx, NULL, &cfg);
        if (r != -EBUSY)
            break;
        usleep(20000);
    }
    if (r) {
        TT_FAIL("AF_XDP socket on lo: %s", strerror(-r));
        return -1;
    }
    r = xsk_socket__update_xskmap(h->xsk, xsks_fd);
    if (r) {
        TT_FAIL("xskmap update: %s", strerror(-r));
        return -1;
    }
    return 0;
}

static void xsk_release(struct xsk_holder *h)
{
    if (h->xsk)
        xsk_socket__delete(h->xsk);
    if (h->umem)
        xsk_umem__delete(h->umem);
    if (h->area && h->area != MAP_FAILED)
        munmap(h->area, 64 * 4096);
}

/* Runs one frame; returns the verdict, *slot the one counter slot that moved (-1 none or more). */
static int run_frame(const struct loaded *l, const uint8_t *frame, size_t len, int *slot)
{
    uint64_t before[TD_XDP_C__COUNT], after[TD_XDP_C__COUNT];
    uint8_t buf[4096];
    if (len > sizeof buf)
        len = sizeof buf;
    memcpy(buf, frame, len);
    if (td_xdp_prog_counters(l->counters_fd, before) != 0)
        return -1;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = (uint32_t)len, .repeat = 1);
    if (bpf_prog_test_run_opts(l->prog_fd, &opts) != 0)
        return -errno;
    if (td_xdp_prog_counters(l->counters_fd, after) != 0)
        return -1;
    *slot = -1;
    for (int i = 0; i < TD_XDP_C__COUNT; i++) {
        uint64_t d = after[i] - before[i];
        if (d == 0)
            continue;
        *slot = (*slot == -1 && d == 1) ? i : -2;
    }
    return (int)opts.retval;
}

/* Verdict letters: X the kernel refuses to run it (shorter than an Ethernet header: no XDP
 * program ever sees such a frame), D DNS, F fragment, P other port, N not IP, U not UDP/TCP, T truncated,
 * V too many VLAN tags, I bad IP, E bad extension chain, L bad L4. */
static int slot_of(char c, int have_socket)
{
    switch (c) {
    case 'D': return have_socket ? TD_XDP_C_redirect_dns : TD_XDP_C_no_socket;
    case 'F': return have_socket ? TD_XDP_C_redirect_fragment : TD_XDP_C_no_socket;
    case 'P': return TD_XDP_C_other_port;
    case 'N': return TD_XDP_C_other_not_ip;
    case 'U': return TD_XDP_C_other_not_udp_tcp;
    case 'T': return TD_XDP_C_other_truncated;
    case 'V': return TD_XDP_C_other_too_many_vlan;
    case 'I': return TD_XDP_C_other_bad_ip;
    case 'E': return TD_XDP_C_other_bad_ext;
    case 'L': return TD_XDP_C_other_bad_l4;
    default: return -1;
    }
}

static int verdict_of(char c, int have_socket, int other)
{
    if ((c == 'D' || c == 'F') && have_socket)
        return XDP_REDIRECT;
    return other;
}

static void check_frame(const struct loaded *l, const char *what, int i, const uint8_t *frame, size_t len,
                        char expect, int have_socket, int other)
{
    int slot;
    int v = run_frame(l, frame, len, &slot);
    if (expect == 'X') {
        if (v != -EINVAL)
            TT_FAIL("%s frame %d ('X'): run gave %d, expected -EINVAL", what, i + 1, v);
        return;
    }
    int want_v = verdict_of(expect, have_socket, other), want_s = slot_of(expect, have_socket);
    if (v != want_v || slot != want_s)
        TT_FAIL("%s frame %d ('%c'): verdict %d slot %s, expected verdict %d slot %s", what, i + 1, expect, v,
                slot >= 0 ? td_xdp_counter_name(slot) : "(none or several)", want_v, td_xdp_counter_name(want_s));
}

/* Runs every frame of a crafted pcap; expect holds one letter per frame. Returns frames run.
 * (A small classic-pcap reader: <pcap/pcap.h> and <linux/bpf.h> both define struct bpf_insn.) */
static int check_pcap(const struct loaded *l, const char *name, const char *expect, int have_socket, int other)
{
    char path[256];
    uint8_t gh[24], rh[16], data[65536];
    snprintf(path, sizeof path, CRAFTED "%s.pcap", name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        TT_FAIL("%s: %s", path, strerror(errno));
        return 0;
    }
    if (fread(gh, 1, sizeof gh, fp) != sizeof gh) {
        TT_FAIL("%s: short pcap header", path);
        fclose(fp);
        return 0;
    }
    uint32_t magic, link;
    memcpy(&magic, gh, 4);
    memcpy(&link, gh + 20, 4);
    CHECK(magic == 0xa1b2c3d4u || magic == 0xa1b23c4du); /* little-endian files, as pcapgen writes */
    CHECK_EQ(link, 1);  /* Ethernet */
    int n = 0;
    while (fread(rh, 1, sizeof rh, fp) == sizeof rh) {
        uint32_t caplen;
        memcpy(&caplen, rh + 8, 4);
        if (caplen > sizeof data || fread(data, 1, caplen, fp) != caplen) {
            TT_FAIL("%s: bad record %d", path, n + 1);
            break;
        }
        if (expect[n] == 0) {
            TT_FAIL("%s: more frames than the %d expected", name, n);
            break;
        }
        check_frame(l, name, n, data, caplen, expect[n], have_socket, other);
        n++;
    }
    fclose(fp);
    if (expect[n] != 0)
        TT_FAIL("%s: %d frames, expected %zu", name, n, strlen(expect));
    return n;
}

static const struct {
    const char *name, *expect;
} crafted[] = {
    { "checksums", "DDDD" },
    { "filters", "DPPPDD" },
    { "filters_conf", "DPPPDD" },
    { "fragment_conflict", "FFFFF" },
    { "fragments", "DFFFFFDFF" },
    { "malformed", "DDDDDDDDD" },
    { "matched_udp4", "DD" },
    { "non_dns", "NU" },
    { "rd_filter", "DD" },
    { "rd_keep", "DD" },
    { "tcp_split", "DDDDDD" },
    { "timeout_hours", "DDDDDDD" },
    { "truncated", "XTDD" },
    { "unsolicited", "DDDDDD" },
    { "vlan_qinq_ext", "DDDDDDDDV" },
};
#define NCRAFTED (sizeof crafted / sizeof crafted[0])

/* The totals per slot over the crafted set must add up, too (with a socket, DROP). */
static void test_crafted_with_socket(void)
{
    struct loaded l;
    struct xsk_holder h;
    if (load(&l, NULL, 0) != 0)
        return;
    if (xsk_hold(&h, l.xsks_fd) == 0) {
        int n = 0;
        for (size_t i = 0; i < NCRAFTED; i++)
            n += check_pcap(&l, crafted[i].name, crafted[i].expect, 1, XDP_DROP);
        CHECK_EQ(n, 79);
        uint64_t c[TD_XDP_C__COUNT];
        CHECK_EQ(td_xdp_prog_counters(l.counters_fd, c), 0);
        CHECK_EQ(c[TD_XDP_C_redirect_dns], 56);
        CHECK_EQ(c[TD_XDP_C_redirect_fragment], 12);
        CHECK_EQ(c[TD_XDP_C_other_port], 6);
        CHECK_EQ(c[TD_XDP_C_other_truncated], 1);
        CHECK_EQ(c[TD_XDP_C_other_not_ip] + c[TD_XDP_C_other_not_udp_tcp] + c[TD_XDP_C_other_too_many_vlan], 3);
        CHECK_EQ(c[TD_XDP_C_no_socket], 0);
        uint64_t sum = 0;
        for (int k = 0; k < TD_XDP_C__COUNT; k++)
            sum += c[k];
        CHECK_EQ(sum, 78); /* every frame but the one the kernel refuses, counted once */
    }
    xsk_release(&h);
    tapdns_xdp__destroy(l.skel);
}

/* No socket on the queue: DNS frames and fragments get the other verdict, counted no_socket. */
static void test_crafted_no_socket(void)
{
    for (int pass = 0; pass <= 1; pass++) {
        struct loaded l;
        if (load(&l, NULL, pass) != 0)
            return;
        for (size_t i = 0; i < NCRAFTED; i++)
            check_pcap(&l, crafted[i].name, crafted[i].expect, 0, pass ? XDP_PASS : XDP_DROP);
        tapdns_xdp__destroy(l.skel);
    }
}

/* The port set comes from the configuration: 5353 becomes a DNS port. */
static void test_port_set(void)
{
    struct loaded l;
    struct xsk_holder h;
    if (load(&l, "53,5353", 1) != 0)
        return;
    if (xsk_hold(&h, l.xsks_fd) == 0) {
        check_pcap(&l, "filters", "DDDPDD", 1, XDP_PASS);
        check_pcap(&l, "matched_udp4", "DD", 1, XDP_PASS);
    }
    xsk_release(&h);
    tapdns_xdp__destroy(l.skel);
    /* 5353 only: port 53 is no longer DNS */
    if (load(&l, "5353", 0) != 0)
        return;
    check_pcap(&l, "filters", "PDDPPP", 0, XDP_DROP);
    tapdns_xdp__destroy(l.skel);
}

/* Frames built here, each damaged in one place. */
static void test_built_frames(void)
{
    static uint8_t frames[8][2048];
    uint8_t f[2048], msg[512];
    size_t lens[8];
    struct loaded l;
    struct xsk_holder h;
    if (load(&l, NULL, 0) != 0)
        return;
    if (xsk_hold(&h, l.xsks_fd) != 0)
        goto out;
    size_t ml = pg_dns_message(msg, sizeof msg, 7, 0x8400, "www.example", 1, 3);
    struct pg_pkt p4 = { .ip_version = 4, .src = "192.0.2.53", .dst = "10.0.0.1", .sport = 53, .dport = 40000,
                         .proto = 17, .payload = msg, .payload_len = ml };
    struct pg_pkt p6 = { .ip_version = 6, .src = "2001:db8::53", .dst = "2001:db8::1", .sport = 53, .dport = 40000,
                         .proto = 17, .payload = msg, .payload_len = ml };
    size_t n;
    int i = 0;
#define RUN(expect) check_frame(&l, "built", i++, f, n, expect, 1, XDP_DROP)
    n = pg_build(&p4, f, sizeof f); RUN('D');                       /* 1 plain IPv4 */
    n = pg_build(&p6, f, sizeof f); RUN('D');                       /* 2 plain IPv6 */
    n = pg_build(&p4, f, sizeof f); f[14] = 0x55; RUN('I');         /* 3 version 5 */
    n = pg_build(&p4, f, sizeof f); f[14] = 0x44; RUN('I');         /* 4 IHL 4 */
    n = pg_build(&p4, f, sizeof f); f[14 + 20 + 4] = 0; f[14 + 20 + 5] = 4; RUN('L'); /* 5 UDP length 4 */
    n = pg_build(&p4, f, sizeof f); f[14 + 9] = 1; RUN('U');        /* 6 ICMP */
    n = pg_build(&p4, f, sizeof f); f[12] = 0x08; f[13] = 0x06; RUN('N'); /* 7 ARP ethertype */
    n = pg_build(&p4, f, sizeof f); n = 14 + 10; RUN('T');          /* 8 cut in the IP header */
    n = pg_build(&p4, f, sizeof f); n = 14 + 20 + 4; RUN('T');      /* 9 cut in the UDP header */
    struct pg_pkt t4 = p4;
    t4.proto = 6;
    t4.tcp_flags = 0x18;
    n = pg_build(&t4, f, sizeof f); RUN('D');                       /* 10 TCP */
    n = pg_build(&t4, f, sizeof f); f[14 + 20 + 12] = 0x30; RUN('L'); /* 11 TCP data offset 3 */
    t4.sport = 80;
    n = pg_build(&t4, f, sizeof f); RUN('P');                       /* 12 TCP port 80 */
    struct pg_pkt e6 = p6;
    e6.ipv6_ext_count = 8;
    n = pg_build(&e6, f, sizeof f); RUN('D');                       /* 13 eight extension headers */
    e6.ipv6_ext_count = 9;
    n = pg_build(&e6, f, sizeof f); RUN('E');                       /* 14 nine: over the bound */
    e6.ipv6_ext_count = 1;
    n = pg_build(&e6, f, sizeof f); f[14 + 40 + 1] = 200; RUN('E'); /* 15 ext length past the payload */
    n = pg_build(&p6, f, sizeof f); f[14 + 6] = 58; RUN('U');       /* 16 ICMPv6 */
    struct pg_pkt v = p4;
    v.vlan_count = 2; v.vlan_id[0] = 10; v.vlan_id[1] = 20;
    n = pg_build(&v, f, sizeof f); RUN('D');                        /* 17 QinQ */
    n = 0; RUN('X');                                                /* 18 empty */
    n = 13; RUN('X');                                               /* 19 13 octets */
    n = pg_build(&v, f, sizeof f); n = 14; RUN('T');                /* 20 cut after a VLAN ethertype */
    n = pg_build(&v, f, sizeof f); n = 14 + 4 + 2; RUN('T');        /* 21 cut in the second tag */
    int nf = pg_build_fragments(&p6, 64, frames, lens, 8);
    CHECK(nf >= 2);
    for (int k = 0; k < nf; k++) {
        memcpy(f, frames[k], lens[k]);
        n = lens[k];
        RUN('F');                                                   /* 19.. IPv6 fragments */
    }
    nf = pg_build_fragments(&p4, 64, frames, lens, 8);
    CHECK(nf >= 2);
    for (int k = 0; k < nf; k++) {
        memcpy(f, frames[k], lens[k]);
        n = lens[k];
        RUN('F');                                                   /* IPv4 fragments */
    }
#undef RUN
out:
    xsk_release(&h);
    tapdns_xdp__destroy(l.skel);
}

int main(void)
{
    libbpf_set_print(NULL);
    TT_RUN(test_crafted_with_socket);
    TT_RUN(test_crafted_no_socket);
    TT_RUN(test_port_set);
    TT_RUN(test_built_frames);
    return tt_finish();
}
