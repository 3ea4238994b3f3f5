/* pcapgen: builds test frames (Ethernet, VLAN tags, IPv4/IPv6 with options, extension
 * headers and fragments, UDP/TCP) and writes them into pcap files. Used by unit tests,
 * crafted-pcap tests and the benchmark. Test code only. */
#ifndef TD_PCAPGEN_H
#define TD_PCAPGEN_H
#include <stddef.h>
#include <stdint.h>

struct pg_pkt {
    int ip_version;              /* 4 or 6 */
    const char *src, *dst;       /* textual addresses */
    uint16_t sport, dport;
    int proto;                   /* 17 or 6 */
    int vlan_count;              /* 0..2 (first tag 0x88a8 when 2 = QinQ) */
    uint16_t vlan_id[2];
    int ipv4_options_len;        /* multiple of 4, <= 40 (NOPs + EOL) */
    int ipv6_ext_count;          /* hop-by-hop/dest-opts headers before L4 */
    /* TCP */
    uint32_t tcp_seq;
    uint8_t tcp_flags;           /* default ACK|PSH when 0 */
    int bad_udp_checksum;        /* 1 = corrupt the UDP checksum, 2 = zero it (IPv4) */
    const uint8_t *payload;      /* L4 payload (DNS message; for TCP the caller adds the length prefix) */
    size_t payload_len;
};

/* Builds one frame into out; returns its length or 0 if cap is too small. */
size_t pg_build(const struct pg_pkt *p, uint8_t *out, size_t cap);
/* Splits p into IP fragments of at most `frag_payload` octets of L4 data (multiple of 8);
 * writes up to max frames into frames[i] (each cap octets), lens[i]; returns the count. */
int pg_build_fragments(const struct pg_pkt *p, size_t frag_payload, uint8_t frames[][2048],
                       size_t *lens, int max);

/* pcap writer (classic pcap, microsecond or nanosecond timestamps, LINKTYPE_ETHERNET). */
struct pg_pcap;
struct pg_pcap *pg_pcap_open(const char *path, int nanosecond);
/* The same with another link type (frames are then written as given, e.g. raw IP). */
struct pg_pcap *pg_pcap_open_link(const char *path, int nanosecond, uint32_t linktype);
void pg_pcap_write(struct pg_pcap *w, uint64_t ts_ns, const uint8_t *frame, size_t len);
void pg_pcap_close(struct pg_pcap *w);

/* A DNS message builder for tests: a query or response for qname/qtype with the given
 * id and flags; for a response, `answers` A records (192.0.2.x) under the qname, using
 * compression pointers. Returns the length. */
size_t pg_dns_message(uint8_t *out, size_t cap, uint16_t id, uint16_t flags,
                      const char *qname, uint16_t qtype, int answers);

#endif
