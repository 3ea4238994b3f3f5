/* capture.h: the capture core, the one code path from frame to spool record shared by
 * offline import (pcap/pcapng), XDP/AF_XDP and DPDK:
 *   frame -> L2-L4 decode -> IP reassembly -> port and resolver filters -> TCP stream
 *   reassembly -> DNS header/question (+ whole-message validation for responses) -> RD and
 *   local-domain filters -> query/response matcher -> record -> sink.
 * One instance per thread (no locks; nothing shared). Every frame that does not become part
 * of a record is counted under exactly one reason (see TD_CAPTURE_COUNTERS). Memory is
 * allocated at init and bounded by the options; nothing is allocated per frame. */
#ifndef TD_CAPTURE_H
#define TD_CAPTURE_H
#include <stddef.h>
#include <stdint.h>
#include "record.h"
#include "sensor_filter.h"
#include "ipfrag.h"
#include "tcp_stream.h"
#include "matcher.h"

/* Link types (pcap LINKTYPE_* values) the core decodes. */
#define TD_LINK_ETHERNET 1
#define TD_LINK_RAW 101      /* raw IPv4/IPv6 */

/* X(name, description): every counter of the core, printed by tools and metrics. */
#define TD_CAPTURE_COUNTERS(X) \
    X(frames, "frames seen") \
    X(bytes, "octets seen (wire length)") \
    X(ip_fragments, "IP fragments fed to reassembly") \
    X(datagrams_reassembled, "datagrams rebuilt from fragments") \
    X(tcp_segments, "TCP segments on DNS ports fed to stream reassembly") \
    X(tcp_messages, "DNS messages taken out of TCP streams") \
    X(dns_queries, "DNS queries seen") \
    X(dns_responses, "DNS responses seen") \
    X(records_matched, "records written: response with its query") \
    X(records_unsolicited, "records written: response without query") \
    X(records_unanswered, "records written: query without response") \
    X(sink_errors, "records the sink refused (write error)") \
    X(skip_not_ip, "skipped: not IPv4/IPv6") \
    X(skip_not_udp_tcp, "skipped: not UDP/TCP") \
    X(skip_port, "skipped: no DNS port") \
    X(skip_not_resolver, "skipped: not between a resolver and the outside") \
    X(skip_rd, "skipped: RD=1 (recursive) traffic") \
    X(skip_local_domain, "skipped: local domain") \
    X(skip_opcode, "skipped: opcode other than QUERY") \
    X(skip_unanswered_query, "queries expired without response (not recorded)") \
    X(drop_truncated_frame, "dropped: frame ends inside a header") \
    X(drop_vlan, "dropped: more than two VLAN tags") \
    X(drop_bad_ip, "dropped: malformed IP header") \
    X(drop_bad_ext, "dropped: bad or too long IPv6 extension chain") \
    X(drop_bad_l4, "dropped: malformed UDP/TCP header") \
    X(drop_fragment, "dropped by fragment reassembly (see ipfrag counters)") \
    X(drop_tcp, "dropped by TCP reassembly (see tcp counters)") \
    X(drop_payload_truncated, "dropped: DNS payload cut by the capture length") \
    X(drop_dns_short, "malformed DNS: shorter than the header") \
    X(drop_dns_no_question, "malformed DNS: no question") \
    X(drop_dns_name, "malformed DNS: bad name (pointer, label, length)") \
    X(drop_dns_past_end, "malformed DNS: record or rdata past the end") \
    X(drop_dns_rdata, "malformed DNS: rdata does not fit its type") \
    X(drop_dns_counts, "malformed DNS: header counts larger than records present")

struct td_capture_stats {
#define TD_X(name, desc) uint64_t name;
    TD_CAPTURE_COUNTERS(TD_X)
#undef TD_X
};

struct td_capture_opts {
    struct td_sensor_filter filter;
    int zero_resolver;          /* replace the client (resolver) address with zeros */
    int record_unanswered;      /* write UNANSWERED records for expired queries */
    struct td_match_opts match;
    struct td_ipfrag_opts ipfrag;
    struct td_tcp_opts tcp;
};

/* Receives each record; the record and what it points to are valid during the call only.
 * Returns 0, or -1 if it could not take it (counted as sink_errors). */
typedef int (*td_capture_sink_fn)(void *ctx, const struct td_record *rec);

struct td_capture;
/* opts is copied. NULL if memory for the tables cannot be had. */
struct td_capture *td_capture_init(const struct td_capture_opts *opts, td_capture_sink_fn sink, void *ctx);
void td_capture_destroy(struct td_capture **cp);
void td_capture_opts_default(struct td_capture_opts *o);

/* Feeds one frame. caplen octets are present at data; wirelen is the original length. */
void td_capture_frame(struct td_capture *c, uint64_t ts_ns, int linktype,
                      const uint8_t *data, size_t caplen, size_t wirelen);
/* Expires timed-out state (queries, fragments, streams). The core calls it itself as capture
 * time advances; call it when idle so a quiet link still expires. */
void td_capture_tick(struct td_capture *c, uint64_t now_ns);
/* End of input: every waiting query is expired (and written if record_unanswered). */
void td_capture_finish(struct td_capture *c);

const struct td_capture_stats *td_capture_stats(const struct td_capture *c);
const struct td_ipfrag_stats *td_capture_ipfrag_stats(const struct td_capture *c);
const struct td_tcp_stats *td_capture_tcp_stats(const struct td_capture *c);
const struct td_match_stats *td_capture_match_stats(const struct td_capture *c);
/* Calls fn for each counter (name, description, value) of the core and its parts, in a
 * fixed order: capture, ipfrag, tcp, matcher. */
void td_capture_stats_foreach(const struct td_capture *c,
                              void (*fn)(void *ctx, const char *name, const char *desc, uint64_t v),
                              void *ctx);

/* UDP checksum of a datagram (l4 = UDP header + payload, the checksum field as received):
 * returns TD_CKSUM_CORRECT, TD_CKSUM_INCORRECT or TD_CKSUM_ABSENT (IPv4 with 0). */
int td_udp_checksum_check(int ip_version, const uint8_t *src, const uint8_t *dst,
                          const uint8_t *l4, size_t len);

#endif
