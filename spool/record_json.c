/* record_json.c: see record_json.h. */
#include "record_json.h"
#include "dns_wire.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *td_record_type_str(int type)
{
    switch (type) {
    case TD_REC_MATCHED: return "matched";
    case TD_REC_UNSOLICITED: return "unsolicited";
    case TD_REC_UNANSWERED: return "unanswered";
    default: return "unknown";
    }
}

const char *td_cksum_str(int cksum)
{
    switch (cksum) {
    case TD_CKSUM_NONE: return "none";
    case TD_CKSUM_ABSENT: return "absent";
    case TD_CKSUM_INCORRECT: return "incorrect";
    case TD_CKSUM_CORRECT: return "correct";
    default: return "unknown";
    }
}

static void addr_json(struct td_json *j, const char *key, int ipv, const uint8_t *a)
{
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(ipv == 6 ? AF_INET6 : AF_INET, a, buf, sizeof buf))
        snprintf(buf, sizeof buf, "?");
    td_json_kstring(j, key, buf);
}

/* "owner ttl class type rdata" */
static int rr_text(const uint8_t *msg, size_t len, const struct td_dns_rr *rr, char *out, size_t cap)
{
    char owner[1024], cls[32], type[32], rdata[65536 / 2];
    static uint8_t canon[65535 + 512];
    size_t clen;
    if (td_dns_name_to_text(rr->owner, rr->owner_len, owner, sizeof owner) < 0 ||
        td_dns_class_to_text(rr->rclass, cls, sizeof cls) < 0 ||
        td_dns_type_to_text(rr->type, type, sizeof type) < 0)
        return -1;
    if (td_dns_rdata_uncompress(msg, len, rr, 0, canon, sizeof canon, &clen) != TD_DNS_OK ||
        td_dns_rdata_to_text(rr->type, canon, clen, rdata, sizeof rdata) < 0)
        snprintf(rdata, sizeof rdata, "; unprintable rdata");
    int n = snprintf(out, cap, "%s %u %s %s %s", owner, rr->ttl, cls, type, rdata);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

static void message_json(struct td_json *j, const uint8_t *msg, size_t len)
{
    struct td_dns_header h;
    if (td_dns_parse_header(msg, len, &h) != TD_DNS_OK) {
        td_json_kstring(j, "error", td_dns_res_str(TD_DNS_SHORT_HEADER));
        return;
    }
    td_json_kuint(j, "id", h.id);
    struct td_dns_question q;
    enum td_dns_res r = td_dns_parse_question(msg, len, &q, NULL);
    if (r == TD_DNS_OK) {
        char buf[1024];
        if (td_dns_name_to_text(q.name, q.name_len, buf, sizeof buf) >= 0)
            td_json_kstring(j, "qname", buf);
        if (td_dns_type_to_text(q.qtype, buf, sizeof buf) >= 0)
            td_json_kstring(j, "qtype", buf);
        if (td_dns_class_to_text(q.qclass, buf, sizeof buf) >= 0)
            td_json_kstring(j, "qclass", buf);
    }
    char rc[32];
    if (td_dns_rcode_to_text(TD_DNS_RCODE(h.flags), rc, sizeof rc) >= 0)
        td_json_kstring(j, "rcode", rc);
    td_json_kbool(j, "aa", (h.flags & TD_DNS_AA) != 0);
    td_json_kbool(j, "tc", (h.flags & TD_DNS_TC) != 0);
    td_json_kbool(j, "rd", (h.flags & TD_DNS_RD) != 0);
    td_json_kbool(j, "ra", (h.flags & TD_DNS_RA) != 0);
    if (r != TD_DNS_OK) {
        td_json_kstring(j, "error", td_dns_res_str(r));
        return;
    }
    struct td_dns_iter it;
    r = td_dns_iter_init(&it, msg, len);
    if (r != TD_DNS_OK) {
        td_json_kstring(j, "error", td_dns_res_str(r));
        return;
    }
    static const char *const names[4] = { "", "answer", "authority", "additional" };
    int open_section = -1;
    struct td_dns_rr rr;
    static char line[65536];
    int got;
    while ((got = td_dns_iter_next(&it, &rr)) == 1) {
        if (rr.type == 41) /* OPT: transport metadata, not data */
            continue;
        if (rr.section != open_section) {
            if (open_section >= 0)
                td_json_array_end(j);
            td_json_key(j, names[rr.section & 3]);
            td_json_array_begin(j);
            open_section = rr.section;
        }
        if (rr_text(msg, len, &rr, line, sizeof line) >= 0)
            td_json_string(j, line);
        else
            td_json_string(j, "; unprintable record");
    }
    if (open_section >= 0)
        td_json_array_end(j);
    if (got < 0)
        td_json_kstring(j, "error", td_dns_res_str(it.err));
}

void td_record_to_json(struct td_json *j, const struct td_record *rec)
{
    td_json_object_begin(j);
    td_json_kstring(j, "type", td_record_type_str(rec->type));
    if (rec->query_ts_ns)
        td_json_kuint(j, "query_time", rec->query_ts_ns);
    if (rec->response_ts_ns)
        td_json_kuint(j, "response_time", rec->response_ts_ns);
    td_json_kuint(j, "ip_version", rec->ip_version);
    td_json_kstring(j, "proto", rec->proto == 6 ? "tcp" : rec->proto == 17 ? "udp" : "other");
    addr_json(j, "client", rec->ip_version, rec->client_ip);
    td_json_kuint(j, "client_port", rec->client_port);
    addr_json(j, "server", rec->ip_version, rec->server_ip);
    td_json_kuint(j, "server_port", rec->server_port);
    td_json_kstring(j, "checksum", td_cksum_str(rec->cksum));
    td_json_key(j, "flags");
    td_json_array_begin(j);
    if (rec->flags & TD_RF_FRAGMENTED)
        td_json_string(j, "fragmented");
    if (rec->flags & TD_RF_TCP)
        td_json_string(j, "tcp");
    if (rec->flags & TD_RF_RESOLVER_ZEROED)
        td_json_string(j, "resolver_zeroed");
    if (rec->flags & TD_RF_QUERY_FRAGMENTED)
        td_json_string(j, "query_fragmented");
    td_json_array_end(j);
    td_json_kuint(j, "response_len", rec->response_len);
    td_json_kuint(j, "query_len", rec->query_len);
    if (rec->response)
        message_json(j, rec->response, rec->response_len);
    else if (rec->query)
        message_json(j, rec->query, rec->query_len);
    td_json_object_end(j);
}
