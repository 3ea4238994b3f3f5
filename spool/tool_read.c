/* tapdns-spool cat, verify and stats: the commands that read spool files. */
#include "cli.h"
#include "json.h"
#include "record_json.h"
#include "spool.h"
#include "tool.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int tool_cat(int argc, char **argv)
{
    const struct td_option opts[] = { { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 } };
    int first, rc = 0;
    int pr = tool_parse("tapdns-spool cat", "FILE...", opts, argc, argv, &first, 1, NULL);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    struct td_json j;
    td_json_init(&j);
    for (int i = first; i < argc; i++) {
        const char *err;
        struct td_spool_reader *r = td_spool_reader_open(argv[i], &err);
        if (!r) {
            fprintf(stderr, "tapdns-spool cat: %s: %s\n", argv[i], err);
            rc = 1;
            continue;
        }
        struct td_record rec;
        int got;
        while ((got = td_spool_read(r, &rec)) == TD_SPOOL_RECORD) {
            td_record_to_json(&j, &rec);
            td_json_newline(&j);
            if (j.len > 1u << 16 && td_json_flush(&j, stdout) != 0)
                break;
        }
        td_json_flush(&j, stdout);
        if (got == TD_SPOOL_ERROR) {
            uint64_t off = 0;
            const char *e = td_spool_reader_error(r, &off);
            fprintf(stderr, "tapdns-spool cat: %s: %s (byte %llu)\n", argv[i], e ? e : "error",
                    (unsigned long long)off);
            rc = 1;
        }
        td_spool_reader_close(&r);
    }
    td_json_free(&j);
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}

struct file_summary {
    uint64_t records, by_type[4], tcp, fragmented, cksum[5], bytes_msg;
    uint64_t t_min, t_max;
};

static int read_all(const char *path, struct file_summary *s, char *why, size_t whylen)
{
    const char *err;
    struct td_spool_reader *r = td_spool_reader_open(path, &err);
    if (!r) {
        snprintf(why, whylen, "%s", err);
        return -1;
    }
    struct td_record rec;
    int got;
    while ((got = td_spool_read(r, &rec)) == TD_SPOOL_RECORD) {
        s->records++;
        s->by_type[rec.type < 4 ? rec.type : 0]++;
        if (rec.flags & TD_RF_TCP)
            s->tcp++;
        if (rec.flags & TD_RF_FRAGMENTED)
            s->fragmented++;
        s->cksum[rec.cksum < 5 ? rec.cksum : 4]++;
        s->bytes_msg += rec.response_len + rec.query_len;
        uint64_t t = rec.response_ts_ns ? rec.response_ts_ns : rec.query_ts_ns;
        if (!s->t_min || t < s->t_min)
            s->t_min = t;
        if (t > s->t_max)
            s->t_max = t;
    }
    int rc = 0;
    if (got == TD_SPOOL_ERROR) {
        uint64_t off = 0;
        const char *e = td_spool_reader_error(r, &off);
        snprintf(why, whylen, "%s (byte %llu)", e ? e : "error", (unsigned long long)off);
        rc = -1;
    }
    td_spool_reader_close(&r);
    return rc;
}

int tool_verify(int argc, char **argv)
{
    int quiet = 0;
    const struct td_option opts[] = {
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "print only bad files", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first, rc = 0;
    int pr = tool_parse("tapdns-spool verify", "[--quiet] FILE...", opts, argc, argv, &first, 1, NULL);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    for (int i = first; i < argc; i++) {
        struct file_summary s;
        memset(&s, 0, sizeof s);
        char why[512];
        if (read_all(argv[i], &s, why, sizeof why) != 0) {
            printf("%s: BAD: %s; %llu records before it\n", argv[i], why, (unsigned long long)s.records);
            rc = 1;
        } else if (!quiet) {
            printf("%s: OK: %llu records\n", argv[i], (unsigned long long)s.records);
        }
    }
    return rc;
}

int tool_stats(int argc, char **argv)
{
    const struct td_option opts[] = { { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 } };
    int first, rc = 0;
    int pr = tool_parse("tapdns-spool stats", "FILE...", opts, argc, argv, &first, 1, NULL);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    struct file_summary tot;
    memset(&tot, 0, sizeof tot);
    uint64_t disk = 0;
    int files = 0, bad = 0;
    for (int i = first; i < argc; i++) {
        char why[512];
        struct stat st;
        files++;
        if (stat(argv[i], &st) == 0)
            disk += (uint64_t)st.st_size;
        if (read_all(argv[i], &tot, why, sizeof why) != 0) {
            fprintf(stderr, "tapdns-spool stats: %s: %s\n", argv[i], why);
            bad++;
            rc = 1;
        }
    }
    printf("files                %d (%d bad)\n", files, bad);
    printf("records              %llu\n", (unsigned long long)tot.records);
    printf("  matched            %llu\n", (unsigned long long)tot.by_type[TD_REC_MATCHED]);
    printf("  unsolicited        %llu\n", (unsigned long long)tot.by_type[TD_REC_UNSOLICITED]);
    printf("  unanswered         %llu\n", (unsigned long long)tot.by_type[TD_REC_UNANSWERED]);
    printf("  tcp                %llu\n", (unsigned long long)tot.tcp);
    printf("  fragmented         %llu\n", (unsigned long long)tot.fragmented);
    printf("checksum correct     %llu\n", (unsigned long long)tot.cksum[TD_CKSUM_CORRECT]);
    printf("checksum incorrect   %llu\n", (unsigned long long)tot.cksum[TD_CKSUM_INCORRECT]);
    printf("checksum absent      %llu\n", (unsigned long long)tot.cksum[TD_CKSUM_ABSENT]);
    printf("first record (s)     %llu\n", (unsigned long long)(tot.t_min / 1000000000ull));
    printf("last record (s)      %llu\n", (unsigned long long)(tot.t_max / 1000000000ull));
    printf("DNS message octets   %llu\n", (unsigned long long)tot.bytes_msg);
    printf("octets on disk       %llu\n", (unsigned long long)disk);
    if (disk)
        printf("compression ratio    %.2f\n", (double)tot.bytes_msg / (double)disk);
    return rc;
}
