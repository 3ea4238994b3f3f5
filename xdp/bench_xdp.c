/* bench_xdp: the XDP program's cost per frame through BPF_PROG_RUN, beside a program that
 * only returns XDP_DROP, measured in the same run (the kernel loops REPEAT times and reports
 * the mean ns per run; ROUNDS rounds, medians printed). And a generator of DNS traffic pcaps
 * for the veth part of `make bench-xdp` (bench/xdp_bench.sh).
 *   bench_xdp prog-run [REPEAT (default 10000000)] [ROUNDS (default 5)]
 *   bench_xdp gen FILE PAIRS      query/response pairs, distinct ports and ids, IPv4 UDP */
#include "bench_util.h"
#include "pcapgen.h"
#include "xdp_prog.h"
#include "tapdns_xdp.skel.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xdp/xsk.h>

#define MAX_ROUNDS 31

static int drop_prog(void)
{
    struct bpf_insn insns[] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
        { .code = BPF_JMP | BPF_EXIT },
    };
    return bpf_prog_load(BPF_PROG_TYPE_XDP, "td_bench_drop", "GPL", insns, 2, NULL);
}

/* median ns per run of fd over frame, and its verdict */
static double measure(int fd, const uint8_t *frame, size_t len, unsigned repeat, int rounds, int *verdict)
{
    double v[MAX_ROUNDS];
    uint8_t buf[2048];
    memcpy(buf, frame, len);
    for (int r = 0; r < rounds; r++) {
        LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = (uint32_t)len, .repeat = repeat);
        if (bpf_prog_test_run_opts(fd, &o) != 0) {
            fprintf(stderr, "bench_xdp: test run: %s\n", strerror(errno));
            exit(1);
        }
        v[r] = o.duration;
        *verdict = (int)o.retval;
    }
    qsort(v, (size_t)rounds, sizeof v[0], bench_cmp_double);
    return v[rounds / 2];
}

static const char *verdict_name(int v)
{
    return v == XDP_DROP ? "DROP" : v == XDP_PASS ? "PASS" : v == XDP_REDIRECT ? "REDIRECT" : "?";
}

static int prog_run(unsigned repeat, int rounds)
{
    char err[256];
    struct td_xdp_prog_opts po = { 0 };
    struct tapdns_xdp *skel = td_xdp_prog_open(&po, err, sizeof err);
    if (!skel || tapdns_xdp__load(skel) != 0) {
        fprintf(stderr, "bench_xdp: loading the program: %s\n", skel ? strerror(errno) : err);
        return 1;
    }
    /* an AF_XDP socket in slot 0 so that DNS frames take the redirect path */
    size_t area_size = 64 * 4096;
    void *area = mmap(NULL, area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct xsk_umem *umem = NULL;
    struct xsk_socket *xsk = NULL;
    struct xsk_ring_prod fill;
    struct xsk_ring_cons comp, rx;
    struct xsk_socket_config cfg = { .rx_size = 32, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
                                     .bind_flags = XDP_COPY };
    if (area == MAP_FAILED || xsk_umem__create(&umem, area, area_size, &fill, &comp, NULL) != 0 ||
        xsk_socket__create(&xsk, "lo", 0, umem, &rx, NULL, &cfg) != 0 ||
        xsk_socket__update_xskmap(xsk, bpf_map__fd(skel->maps.td_xsks)) != 0) {
        fprintf(stderr, "bench_xdp: AF_XDP socket on lo: %s\n", strerror(errno));
        return 1;
    }
    int dfd = drop_prog();
    if (dfd < 0) {
        fprintf(stderr, "bench_xdp: loading the XDP_DROP program: %s\n", strerror(errno));
        return 1;
    }
    int pfd = bpf_program__fd(skel->progs.tapdns_xdp);

    uint8_t msg[512], f[2048];
    size_t ml = pg_dns_message(msg, sizeof msg, 7, 0x8400, "www.example", 1, 2);
    struct {
        const char *name;
        struct pg_pkt p;
        size_t len;
        uint8_t frame[2048];
    } cases[] = {
        { "DNS IPv4 UDP response", { .ip_version = 4, .src = "192.0.2.53", .dst = "10.0.0.1", .sport = 53, .dport = 40000, .proto = 17 }, 0, { 0 } },
        { "DNS IPv6 UDP, 2 ext headers", { .ip_version = 6, .src = "2001:db8::53", .dst = "2001:db8::1", .sport = 53, .dport = 40000, .proto = 17, .ipv6_ext_count = 2 }, 0, { 0 } },
        { "DNS QinQ IPv4 TCP", { .ip_version = 4, .src = "192.0.2.53", .dst = "10.0.0.1", .sport = 53, .dport = 40000, .proto = 6, .vlan_count = 2, .vlan_id = { 10, 20 } }, 0, { 0 } },
        { "non-DNS IPv4 UDP port 443", { .ip_version = 4, .src = "192.0.2.53", .dst = "10.0.0.1", .sport = 443, .dport = 40000, .proto = 17 }, 0, { 0 } },
        { "non-DNS IPv6 TCP port 80", { .ip_version = 6, .src = "2001:db8::80", .dst = "2001:db8::1", .sport = 80, .dport = 40000, .proto = 6 }, 0, { 0 } },
    };
    size_t nc = sizeof cases / sizeof cases[0];
    printf("BPF_PROG_RUN, %u runs per round, median of %d rounds (ns per frame)\n", repeat, rounds);
    printf("%-30s %10s %10s %8s %10s\n", "frame", "tapdns_xdp", "XDP_DROP", "ratio", "verdict");
    for (size_t i = 0; i < nc; i++) {
        cases[i].p.payload = msg;
        cases[i].p.payload_len = ml;
        cases[i].len = pg_build(&cases[i].p, f, sizeof f);
        memcpy(cases[i].frame, f, cases[i].len);
        int v, vd;
        /* interleaved: drop, program, drop; the baseline is the mean of its two medians */
        double d1 = measure(dfd, cases[i].frame, cases[i].len, repeat, rounds, &vd);
        double t = measure(pfd, cases[i].frame, cases[i].len, repeat, rounds, &v);
        double d2 = measure(dfd, cases[i].frame, cases[i].len, repeat, rounds, &vd);
        double d = (d1 + d2) / 2;
        printf("%-30s %10.1f %10.1f %8.2f %10s\n", cases[i].name, t, d, d > 0 ? t / d : 0.0, verdict_name(v));
    }
    close(dfd);
    xsk_socket__delete(xsk);
    xsk_umem__delete(umem);
    munmap(area, area_size);
    tapdns_xdp__destroy(skel);
    return 0;
}

static int gen(const char *path, unsigned long pairs)
{
    struct pg_pcap *w = pg_pcap_open(path, 1);
    if (!w) {
        fprintf(stderr, "bench_xdp: cannot write %s\n", path);
        return 1;
    }
    uint8_t q[512], r[512], f[2048];
    uint64_t ts = 1700000000ull * 1000000000ull, seed = 42;
    char name[64];
    for (unsigned long i = 0; i < pairs; i++) {
        uint16_t id = (uint16_t)bench_xorshift(&seed);
        uint16_t port = (uint16_t)(1024 + i % 60000);
        snprintf(name, sizeof name, "h%lu.example", i % 5000);
        size_t ql = pg_dns_message(q, sizeof q, id, 0x0000, name, 1, 0);
        size_t rl = pg_dns_message(r, sizeof r, id, 0x8400, name, 1, 2);
        struct pg_pkt pq = { .ip_version = 4, .src = "10.0.0.1", .dst = "192.0.2.53", .sport = port, .dport = 53,
                             .proto = 17, .payload = q, .payload_len = ql };
        struct pg_pkt pr = { .ip_version = 4, .src = "192.0.2.53", .dst = "10.0.0.1", .sport = 53, .dport = port,
                             .proto = 17, .payload = r, .payload_len = rl };
        size_t n = pg_build(&pq, f, sizeof f);
        pg_pcap_write(w, ts, f, n);
        ts += 1000;
        n = pg_build(&pr, f, sizeof f);
        pg_pcap_write(w, ts, f, n);
        ts += 1000;
    }
    pg_pcap_close(w);
    return 0;
}

int main(int argc, char **argv)
{
    libbpf_set_print(NULL);
    if (argc >= 2 && !strcmp(argv[1], "prog-run")) {
        unsigned repeat = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000000u;
        int rounds = argc > 3 ? atoi(argv[3]) : 5;
        if (rounds < 1 || rounds > MAX_ROUNDS || repeat == 0) {
            fprintf(stderr, "bench_xdp: bad REPEAT or ROUNDS (1..%d)\n", MAX_ROUNDS);
            return 2;
        }
        return prog_run(repeat, rounds);
    }
    if (argc == 4 && !strcmp(argv[1], "gen"))
        return gen(argv[2], strtoul(argv[3], NULL, 10));
    fprintf(stderr, "usage: bench_xdp prog-run [REPEAT] [ROUNDS] | gen FILE PAIRS\n");
    return 2;
}
