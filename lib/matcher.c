/* matcher.c: bounded query/response matcher (see matcher.h for the contract).
 * Entries live in one pool allocated at init; their links (hash chains, arrival order as the
 * age list, free list) are an index table (index_table.h) indexed like the pool, so expiry
 * pops the oldest and eviction takes the oldest. */
#include "matcher.h"
#include "index_table.h"
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct entry {
    uint64_t hash;
    uint64_t ts_ns;
    uint32_t msg_len;             /* original query length */
    uint16_t flags;
    uint8_t stored;               /* 1 if msg holds the whole query */
    struct td_match_key key;      /* key.qname points to qname below */
    uint8_t qname[TD_DNS_NAME_MAX];
    uint8_t msg[TD_MATCH_QUERY_STORE];
};

struct td_matcher {
    struct td_match_opts opts;
    struct entry *pool;
    struct td_itab tab;           /* links of pool[i] */
    td_match_expire_fn expire_fn;
    void *ctx;
    struct td_match_stats stats;
};

static uint64_t key_hash(const struct td_match_key *k)
{
    uint8_t buf[64 + TD_DNS_NAME_MAX];
    size_t n = 0;
    buf[n++] = k->proto;
    buf[n++] = k->ip_version;
    memcpy(buf + n, &k->client_port, 2); n += 2;
    memcpy(buf + n, &k->server_port, 2); n += 2;
    memcpy(buf + n, &k->id, 2); n += 2;
    memcpy(buf + n, &k->qtype, 2); n += 2;
    memcpy(buf + n, &k->qclass, 2); n += 2;
    size_t alen = k->ip_version == 6 ? 16 : 4;
    memcpy(buf + n, k->client_ip, alen); n += alen;
    memcpy(buf + n, k->server_ip, alen); n += alen;
    for (size_t i = 0; i < k->qname_len && i < TD_DNS_NAME_MAX; i++) {
        uint8_t c = k->qname[i];
        buf[n++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
    }
    return XXH3_64bits(buf, n);
}

static int key_equal(const struct td_match_key *a, const struct td_match_key *b)
{
    size_t alen = a->ip_version == 6 ? 16 : 4;
    return a->proto == b->proto && a->ip_version == b->ip_version &&
           a->client_port == b->client_port && a->server_port == b->server_port &&
           a->id == b->id && a->qtype == b->qtype && a->qclass == b->qclass &&
           memcmp(a->client_ip, b->client_ip, alen) == 0 &&
           memcmp(a->server_ip, b->server_ip, alen) == 0 &&
           td_dns_name_equal_nocase(a->qname, a->qname_len, b->qname, b->qname_len);
}

struct td_matcher *td_matcher_init(const struct td_match_opts *opts, td_match_expire_fn fn, void *ctx)
{
    struct td_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->opts = *opts;
    if (m->opts.max_entries == 0)
        m->opts.max_entries = 131072;
    if (m->opts.max_entries > (1u << 30))
        m->opts.max_entries = 1u << 30;
    if (m->opts.timeout_ns == 0)
        m->opts.timeout_ns = 60ull * 1000000000ull;
    m->pool = calloc(m->opts.max_entries, sizeof *m->pool);
    if (!m->pool || td_itab_init(&m->tab, (uint32_t)m->opts.max_entries,
                                 (uint64_t)m->opts.max_entries * 2) < 0) {
        td_matcher_destroy(&m);
        return NULL;
    }
    m->expire_fn = fn;
    m->ctx = ctx;
    return m;
}

void td_matcher_destroy(struct td_matcher **mp)
{
    if (!mp || !*mp)
        return;
    free((*mp)->pool);
    td_itab_destroy(&(*mp)->tab);
    free(*mp);
    *mp = NULL;
}

/* Unlinks entry i from its bucket chain and the age list and returns it to the free list;
 * its bytes stay as they are. */
static void entry_remove(struct td_matcher *m, uint32_t i)
{
    td_itab_remove(&m->tab, i);
    m->stats.waiting--;
}

static void entry_to_query(const struct entry *e, struct td_match_query *q)
{
    q->ts_ns = e->ts_ns;
    q->msg = e->stored ? e->msg : NULL;
    q->len = e->stored ? e->msg_len : 0;
    q->flags = e->flags;
    q->key = &e->key;
}

/* Reports entry i as expired/evicted and removes it. */
static void entry_expire(struct td_matcher *m, uint32_t i, int evicted)
{
    if (m->expire_fn) {
        struct td_match_query q;
        entry_to_query(&m->pool[i], &q);
        m->expire_fn(m->ctx, &q, evicted);
    }
    if (evicted)
        m->stats.evicted++;
    else
        m->stats.expired++;
    entry_remove(m, i);
}

static uint32_t find(const struct td_matcher *m, const struct td_match_key *k, uint64_t h)
{
    for (uint32_t i = td_itab_first(&m->tab, h); i != TD_ITAB_NIL; i = td_itab_next(&m->tab, i)) {
        const struct entry *e = &m->pool[i];
        if (e->hash == h && key_equal(&e->key, k))
            return i;
    }
    return TD_ITAB_NIL;
}

void td_matcher_query(struct td_matcher *m, const struct td_match_key *k, uint64_t ts_ns,
                      const uint8_t *msg, size_t len, uint16_t flags)
{
    if (k->qname_len > TD_DNS_NAME_MAX)
        return;
    m->stats.queries++;
    uint64_t h = key_hash(k);
    uint32_t old = find(m, k, h);
    if (old != TD_ITAB_NIL) {
        m->stats.duplicates++;
        entry_remove(m, old);
    }
    if (td_itab_full(&m->tab))
        entry_expire(m, td_itab_oldest(&m->tab), 1);
    uint32_t i = td_itab_insert(&m->tab, h);
    struct entry *e = &m->pool[i];

    e->key = *k;
    memcpy(e->qname, k->qname, k->qname_len);
    e->key.qname = e->qname;
    e->hash = h;
    e->ts_ns = ts_ns;
    e->flags = flags;
    e->msg_len = (uint32_t)len;
    e->stored = len <= TD_MATCH_QUERY_STORE;
    if (e->stored)
        memcpy(e->msg, msg, len);
    else
        m->stats.query_too_big++;
    m->stats.waiting++;
}

int td_matcher_response(struct td_matcher *m, const struct td_match_key *k, struct td_match_query *q)
{
    uint64_t h = key_hash(k);
    uint32_t i = find(m, k, h);
    if (i == TD_ITAB_NIL) {
        m->stats.unmatched++;
        return 0;
    }
    m->stats.matched++;
    /* The entry goes back to the free list but its bytes stay untouched until the next
     * call, which is what the contract promises for *q. */
    entry_to_query(&m->pool[i], q);
    entry_remove(m, i);
    return 1;
}

void td_matcher_expire(struct td_matcher *m, uint64_t now_ns)
{
    uint32_t i;
    while ((i = td_itab_oldest(&m->tab)) != TD_ITAB_NIL &&
           m->pool[i].ts_ns + m->opts.timeout_ns < now_ns)
        entry_expire(m, i, 0);
}

void td_matcher_flush(struct td_matcher *m)
{
    uint32_t i;
    while ((i = td_itab_oldest(&m->tab)) != TD_ITAB_NIL)
        entry_expire(m, i, 0);
}

const struct td_match_stats *td_matcher_stats(const struct td_matcher *m)
{
    return &m->stats;
}
