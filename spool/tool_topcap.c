/* tapdns-spool to-pcap: records back into a pcap file (Ethernet, one frame per DNS message,
 * big UDP messages as one frame, TCP messages as one segment with the length prefix), for
 * tcpdump, Wireshark and other tools. Timestamps are the record's; a matched record gives
 * the query frame then the response frame. */
#include "cli.h"
#include "frame_build.h"
#include "spool.h"
#include "tool.h"
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static uint8_t frame[65535 + 128];
static uint8_t tcpmsg[65537];

static void dump(pcap_dumper_t *d, uint64_t ts, const struct td_record *rec, int is_query,
                 const uint8_t *msg, size_t len, uint64_t *written)
{
    struct td_frame_spec s = {
        .ip_version = rec->ip_version, .proto = rec->proto,
        .src = is_query ? rec->client_ip : rec->server_ip,
        .dst = is_query ? rec->server_ip : rec->client_ip,
        .sport = is_query ? rec->client_port : rec->server_port,
        .dport = is_query ? rec->server_port : rec->client_port,
        .tcp_seq = 1, .tcp_ack = 1,
    };
    const uint8_t *payload = msg;
    if (rec->proto == 6) {
        if (len > 65535)
            return;
        tcpmsg[0] = (uint8_t)(len >> 8);
        tcpmsg[1] = (uint8_t)len;
        memcpy(tcpmsg + 2, msg, len);
        payload = tcpmsg;
        len += 2;
    }
    size_t n = td_frame_build(&s, payload, len, frame, sizeof frame);
    if (!n)
        return;
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(ts / 1000000000ull);
    h.ts.tv_usec = (suseconds_t)(ts % 1000000000ull); /* nanosecond pcap */
    h.caplen = h.len = (bpf_u_int32)n;
    pcap_dump((u_char *)d, &h, frame);
    (*written)++;
}

int tool_to_pcap(int argc, char **argv)
{
    const char *out = NULL;
    const struct td_option opts[] = {
        { "out", 'o', TD_OPT_STRING, &out, "FILE", "pcap file to write", NULL, 1 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first, rc = 0;
    int pr = tool_parse("tapdns-spool to-pcap", "--out FILE SPOOLFILE...", opts, argc, argv, &first, 1, NULL);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535 + 128, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = p ? pcap_dump_open(p, out) : NULL;
    if (!d) {
        fprintf(stderr, "tapdns-spool to-pcap: %s: %s\n", out, p ? pcap_geterr(p) : "pcap");
        if (p)
            pcap_close(p);
        return 1;
    }
    uint64_t frames = 0, records = 0;
    for (int i = first; i < argc; i++) {
        const char *err;
        struct td_spool_reader *r = td_spool_reader_open(argv[i], &err);
        if (!r) {
            fprintf(stderr, "tapdns-spool to-pcap: %s: %s\n", argv[i], err);
            rc = 1;
            continue;
        }
        struct td_record rec;
        int got;
        while ((got = td_spool_read(r, &rec)) == TD_SPOOL_RECORD) {
            records++;
            if (rec.query)
                dump(d, rec.query_ts_ns, &rec, 1, rec.query, rec.query_len, &frames);
            if (rec.response)
                dump(d, rec.response_ts_ns, &rec, 0, rec.response, rec.response_len, &frames);
        }
        if (got == TD_SPOOL_ERROR) {
            uint64_t off = 0;
            const char *e = td_spool_reader_error(r, &off);
            fprintf(stderr, "tapdns-spool to-pcap: %s: %s (byte %llu)\n", argv[i], e ? e : "error",
                    (unsigned long long)off);
            rc = 1;
        }
        td_spool_reader_close(&r);
    }
    if (pcap_dump_flush(d) != 0)
        rc = 1;
    pcap_dump_close(d);
    pcap_close(p);
    fprintf(stderr, "tapdns-spool to-pcap: %llu records, %llu frames written to %s\n",
            (unsigned long long)records, (unsigned long long)frames, out);
    return rc;
}
