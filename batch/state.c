/* state.c: the batch state file (see state.h for the format and the commit rule). */
#include "state.h"
#include "durable.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAGIC "tapdns-batch-state 1"

void td_batch_state_free(struct td_batch_state *s)
{
    for (size_t i = 0; i < s->ndone; i++)
        free(s->done[i]);
    free(s->done);
    free(s->seq);
    memset(s, 0, sizeof *s);
}

/* Index where name is or would go. */
static size_t done_pos(const struct td_batch_state *s, const char *name, int *found)
{
    size_t lo = 0, hi = s->ndone;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->done[mid], name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

int td_batch_state_is_done(const struct td_batch_state *s, const char *name)
{
    int found;
    done_pos(s, name, &found);
    return found;
}

int td_batch_state_add_done(struct td_batch_state *s, const char *name)
{
    int found;
    size_t at = done_pos(s, name, &found);
    if (found)
        return 0;
    if (s->ndone == s->done_cap) {
        size_t nc = s->done_cap ? s->done_cap * 2 : 64;
        char **nd = realloc(s->done, nc * sizeof *nd);
        if (!nd)
            return -1;
        s->done = nd;
        s->done_cap = nc;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    memmove(s->done + at + 1, s->done + at, (s->ndone - at) * sizeof *s->done);
    s->done[at] = copy;
    s->ndone++;
    return 0;
}

static struct td_hour_seq *seq_find(const struct td_batch_state *s, uint32_t hour)
{
    for (size_t i = 0; i < s->nseq; i++)
        if (s->seq[i].hour == hour)
            return &s->seq[i];
    return NULL;
}

uint32_t td_batch_state_next_seq(const struct td_batch_state *s, uint32_t hour)
{
    const struct td_hour_seq *q = seq_find(s, hour);
    return q ? q->next : 0;
}

static int set_seq(struct td_batch_state *s, uint32_t hour, uint32_t next)
{
    struct td_hour_seq *q = seq_find(s, hour);
    if (q) {
        q->next = next;
        return 0;
    }
    if (s->nseq == s->seq_cap) {
        size_t nc = s->seq_cap ? s->seq_cap * 2 : 32;
        struct td_hour_seq *ns = realloc(s->seq, nc * sizeof *ns);
        if (!ns)
            return -1;
        s->seq = ns;
        s->seq_cap = nc;
    }
    size_t at = 0;
    while (at < s->nseq && s->seq[at].hour < hour)
        at++;
    memmove(s->seq + at + 1, s->seq + at, (s->nseq - at) * sizeof *s->seq);
    s->seq[at].hour = hour;
    s->seq[at].next = next;
    s->nseq++;
    return 0;
}

int td_batch_state_bump_seq(struct td_batch_state *s, uint32_t hour)
{
    return set_seq(s, hour, td_batch_state_next_seq(s, hour) + 1);
}

void td_batch_state_prune(struct td_batch_state *s, int (*keep)(void *ctx, const char *name), void *ctx)
{
    size_t w = 0;
    for (size_t i = 0; i < s->ndone; i++) {
        if (keep(ctx, s->done[i]))
            s->done[w++] = s->done[i];
        else
            free(s->done[i]);
    }
    s->ndone = w;
}

/* "YYYYMMDDHH" <-> hours since the epoch */
static int hour_parse(const char *t, uint32_t *hour)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strlen(t) != 10 || !strptime(t, "%Y%m%d%H", &tm))
        return -1;
    time_t v = timegm(&tm);
    if (v < 0)
        return -1;
    *hour = (uint32_t)(v / 3600);
    return 0;
}

static void hour_format(uint32_t hour, char out[16])
{
    time_t t = (time_t)hour * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H", &tm);
}

int td_batch_state_load(const char *dir, struct td_batch_state *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    char path[4096];
    snprintf(path, sizeof path, "%s/state", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n') {
            snprintf(err, errlen, "%s:%d: line too long or cut", path, lineno);
            rc = -1;
            break;
        }
        line[n - 1] = '\0';
        char a[512], b[512];
        unsigned long seq;
        if (lineno == 1) {
            if (strcmp(line, STATE_MAGIC) != 0) {
                snprintf(err, errlen, "%s:1: not a tapdns-batch state file (want '%s')", path, STATE_MAGIC);
                rc = -1;
                break;
            }
        } else if (sscanf(line, "bailiwick %255s", a) == 1) {
            snprintf(s->bailiwick, sizeof s->bailiwick, "%s", strcmp(a, "-") ? a : "");
        } else if (sscanf(line, "next %15s %lu", a, &seq) == 2) {
            uint32_t hour;
            if (hour_parse(a, &hour) != 0 || seq > UINT32_MAX || set_seq(s, hour, (uint32_t)seq) != 0) {
                snprintf(err, errlen, "%s:%d: bad 'next' line", path, lineno);
                rc = -1;
                break;
            }
        } else if (sscanf(line, "done %511s", b) == 1) {
            if (td_batch_state_add_done(s, b) != 0) {
                snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
                rc = -1;
                break;
            }
        } else {
            snprintf(err, errlen, "%s:%d: unknown line '%.60s'", path, lineno, line);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && lineno == 0) {
        snprintf(err, errlen, "%s: empty state file", path);
        rc = -1;
    }
    fclose(f);
    if (rc != 0)
        td_batch_state_free(s);
    return rc;
}

int td_batch_state_commit(const char *dir, const struct td_batch_state *s, char *err, size_t errlen)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/state.tmp", dir);
    snprintf(path, sizeof path, "%s/state", dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "%s\nbailiwick %s\n", STATE_MAGIC, s->bailiwick[0] ? s->bailiwick : "-");
    for (size_t i = 0; i < s->nseq; i++) {
        char h[16];
        hour_format(s->seq[i].hour, h);
        fprintf(f, "next %s %u\n", h, s->seq[i].next);
    }
    for (size_t i = 0; i < s->ndone; i++)
        fprintf(f, "done %s\n", s->done[i]);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return td_rename_durable(tmp, path, err, errlen);
}
