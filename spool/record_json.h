/* record_json.h: one spool record as a JSON object (the `tapdns-spool cat` line format).
 * Fields, in this order (absent ones are left out):
 *   type ("matched"|"unsolicited"|"unanswered"), query_time, response_time (ns since the
 *   epoch, integers), ip_version, proto ("udp"|"tcp"), client, client_port, server,
 *   server_port, checksum ("none"|"absent"|"incorrect"|"correct"|"unknown"), flags (array
 *   of "fragmented","tcp","resolver_zeroed","query_fragmented"), then from the response (or
 *   the query when there is none): id, qname, qtype, qclass, rcode, aa, tc, rd, ra,
 *   response_len, query_len, answer, authority, additional (arrays of RRs in presentation
 *   format "owner ttl class type rdata"; OPT shown as "; OPT ..." is left out), and
 *   "error" with the parser's reason if the message is malformed.
 * Not thread-safe: uses static scratch buffers (one CLI thread). */
#ifndef TD_RECORD_JSON_H
#define TD_RECORD_JSON_H
#include "json.h"
#include "record.h"

void td_record_to_json(struct td_json *j, const struct td_record *rec);
const char *td_record_type_str(int type);
const char *td_cksum_str(int cksum);

#endif
