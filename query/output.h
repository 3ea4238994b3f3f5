/* output.h: the framing of query answers (REFERENCE.md 1 "SAF", "Objects", 2 "Needs", 3).
 * One function per line kind; each appends complete lines ending in "\n" to j (td_json), and
 * the caller decides when to flush (tapdns-queryd: into an evbuffer per chunk; tapdns-query:
 * to stdout).
 *
 *   api V2:    {"cond":"begin"}  {"obj":{...}} ...  {"cond":"succeeded"} | {"cond":"limited","msg":...}
 *              | {"cond":"failed","msg":...}
 *   api V1:    bare objects, one per line, no framing (the server answers 404 when there are none)
 *   api CIRCL: bare COF objects with rdata as a string, one line per rdata of an RRset
 *
 * Objects come from lib/cof.h (one COF writer). rdata lookups carry no bailiwick (req->rdata).
 * Summaries (verb SUMMARIZE) are one object {"count":N,"num_results":M,"time_first":..,"time_last":..}
 * (inside {"obj":...} for V2), accumulated with td_qsummary_add; time fields absent when
 * num_results is 0. */
#ifndef TD_QUERY_OUTPUT_H
#define TD_QUERY_OUTPUT_H
#include <stdint.h>
#include "cof.h"
#include "json.h"
#include "index.h"
#include "request.h"

void td_qout_begin(struct td_json *j, const struct td_qrequest *req);
/* An index result as the COF writer's entry (pointers into res; an rdata result has one rdata). */
struct td_cof_entry td_qout_cof_entry(const struct td_index_result *res);
/* One lookup result (V2: one line; V1: one line; CIRCL: one line per rdata). 0, or -1 if the
 * result could not be printed (nothing appended; the caller counts it and goes on). */
int td_qout_result(struct td_json *j, const struct td_qrequest *req, const struct td_index_result *res);
/* cond: "succeeded", "limited" or "failed"; msg may be NULL. Nothing for V1 and CIRCL. */
void td_qout_end(struct td_json *j, const struct td_qrequest *req, const char *cond, const char *msg);

struct td_qsummary {
    uint64_t count, num_results;
    uint32_t time_first, time_last;
};
void td_qsummary_add(struct td_qsummary *s, const struct td_index_result *res);
void td_qout_summary(struct td_json *j, const struct td_qrequest *req, const struct td_qsummary *s);

/* rate_limit body: {"rate":{...}} + "\n" (V2: compact; V1: the same, compact). Values
 * UINT64_MAX print as "unlimited" (limit) or "n/a" (others); 0 reset prints "n/a".
 * burst_size and burst_window appear only when the key has a burst cap (both set). */
struct td_quota_view;
void td_qout_rate_limit(struct td_json *j, const struct td_quota_view *v);

#endif
