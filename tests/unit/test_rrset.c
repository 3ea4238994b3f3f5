/* Tests for batch/rrset.c: grouping, canonical rdata (lowercased, decompressed, sorted,
 * unique), min TTL, left-out types, limits, malformed messages (same reason as
 * td_dns_validate), truncation at every octet, order independence. */
#include "dns_wire.h"
#include "rrset.h"
#include "byteorder.h"
#include "pcapgen.h"
#include "tt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct td_rrset_buf B; /* ~200 KB: not on the stack */

/* ---- a small message builder: names from text keep their case, uncompressed ---- */

struct mb {
    uint8_t b[65535];
    size_t n;
    uint16_t cnt[4];
    int bad;
};

/* text -> wire with the library's parser ("" is the root); names here are always valid */
static size_t put_name(uint8_t *p, const char *name)
{
    int n = td_dns_name_from_text(*name ? name : ".", p, TD_DNS_NAME_MAX);
    return n > 0 ? (size_t)n : 0;
}

static void mb_init(struct mb *m, const char *qname, uint16_t qtype, uint16_t flags)
{
    memset(m, 0, sizeof *m);
    td_put_be16(m->b, 0x1234);
    td_put_be16(m->b + 2, flags);
    m->n = 12;
    m->cnt[0] = 1;
    m->n += put_name(m->b + m->n, qname);
    td_put_be16(m->b + m->n, qtype);
    td_put_be16(m->b + m->n + 2, 1);
    m->n += 4;
}

/* owner "@" = pointer to the qname; rdata as hex */
static void mb_rr(struct mb *m, int sec, const char *owner, uint16_t type, uint16_t rclass,
                  uint32_t ttl, const char *rdhex)
{
    if (m->n + 300 + strlen(rdhex) / 2 > sizeof m->b) {
        m->bad = 1;
        return;
    }
    if (strcmp(owner, "@") == 0) {
        td_put_be16(m->b + m->n, 0xc00c);
        m->n += 2;
    } else {
        m->n += put_name(m->b + m->n, owner);
    }
    td_put_be16(m->b + m->n, type);
    td_put_be16(m->b + m->n + 2, rclass);
    td_put_be16(m->b + m->n + 4, (uint16_t)(ttl >> 16));
    td_put_be16(m->b + m->n + 6, (uint16_t)ttl);
    int rl = tt_unhex(rdhex, m->b + m->n + 10, sizeof m->b - m->n - 10);
    if (rl < 0) {
        m->bad = 1;
        return;
    }
    td_put_be16(m->b + m->n + 8, (uint16_t)rl);
    m->n += 10 + (size_t)rl;
    m->cnt[sec]++;
}

static size_t mb_end(struct mb *m)
{
    td_put_be16(m->b + 4, m->cnt[0]);
    td_put_be16(m->b + 6, m->cnt[1]);
    td_put_be16(m->b + 8, m->cnt[2]);
    td_put_be16(m->b + 10, m->cnt[3]);
    return m->n;
}

/* ---- rendering: "SEC owner TYPE[/COVERED][ cCLASS] TTL hex,hex|" ---- */

static void render(const struct td_rrset_buf *b, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (uint16_t i = 0; i < b->nsets; i++) {
        const struct td_rrset *s = &b->sets[i];
        char owner[1100];
        if (td_dns_name_to_text(s->owner, s->owner_len, owner, sizeof owner) < 0)
            strcpy(owner, "?");
        o += (size_t)snprintf(out + o, cap - o, "%c %s %u", "qanr"[s->section & 3], owner, s->type);
        if (s->covered)
            o += (size_t)snprintf(out + o, cap - o, "/%u", s->covered);
        if (s->rclass != 1)
            o += (size_t)snprintf(out + o, cap - o, " c%u", s->rclass);
        o += (size_t)snprintf(out + o, cap - o, " %u ", s->ttl);
        for (uint16_t j = 0; j < s->count && o < cap - 8; j++) {
            uint16_t l;
            const uint8_t *p = td_rrset_rdata(b, s, j, &l);
            if (j)
                out[o++] = ',';
            for (uint16_t k = 0; k < l && o < cap - 8; k++)
                o += (size_t)snprintf(out + o, cap - o, "%02x", p[k]);
        }
        if (o < cap - 2)
            out[o++] = '|';
        out[o] = 0;
    }
}

/* Invariants every OK result must satisfy. Returns 1 if they hold. */
static int invariants(const struct td_rrset_buf *b)
{
    uint32_t used = 0;
    if (b->nsets > TD_RRSET_MAX || b->nrdata > TD_RRSET_RDATA_MAX || b->arena_len > TD_RRSET_ARENA)
        return 0;
    for (uint16_t i = 0; i < b->nsets; i++) {
        const struct td_rrset *s = &b->sets[i];
        if (s->count == 0 || s->first != used || (uint32_t)s->first + s->count > b->nrdata)
            return 0;
        used += s->count;
        if (s->owner_len == 0 || s->owner_len > TD_DNS_NAME_MAX || s->owner[s->owner_len - 1])
            return 0;
        for (uint16_t k = 0; k < s->owner_len; k++)
            if (s->owner[k] >= 'A' && s->owner[k] <= 'Z')
                return 0;
        for (uint16_t j = 0; j < s->count; j++) {
            const struct td_rdata_ref *r = &b->rdata[s->first + j];
            if ((uint64_t)r->off + r->len > b->arena_len)
                return 0;
            if (j > 0) {
                const struct td_rdata_ref *p = &b->rdata[s->first + j - 1];
                size_t ml = p->len < r->len ? p->len : r->len;
                int c = memcmp(b->arena + p->off, b->arena + r->off, ml);
                if (c > 0 || (c == 0 && p->len >= r->len))
                    return 0; /* not strictly increasing */
            }
        }
    }
    return used == b->nrdata;
}

static char got[1 << 16];

struct gcase {
    const char *name;
    void (*build)(struct mb *m);
    const char *want;
};

static void b_a_dups(struct mb *m)
{
    mb_init(m, "www.example.com", 1, 0x8180);
    mb_rr(m, 1, "@", 1, 1, 300, "c0000203");
    mb_rr(m, 1, "@", 1, 1, 120, "c0000201");
    mb_rr(m, 1, "@", 1, 1, 300, "c0000203");
    mb_rr(m, 1, "@", 1, 1, 200, "c0000202");
}

static void b_mixed_case(struct mb *m)
{
    mb_init(m, "www.example.com", 1, 0x8180);
    mb_rr(m, 1, "WWW.Example.COM", 1, 1, 60, "c0000202");
    mb_rr(m, 1, "www.example.com", 1, 1, 30, "c0000201");
    mb_rr(m, 1, "wWw.eXample.com", 1, 1, 90, "c0000202");
}

static void b_two_sections(struct mb *m)
{
    mb_init(m, "example.com", 2, 0x8180);
    mb_rr(m, 1, "ns1.example.com", 1, 1, 60, "c0000235");
    mb_rr(m, 2, "example.com", 2, 1, 60, "036e7331076578616d706c6503636f6d00");
    mb_rr(m, 3, "NS1.example.com", 1, 1, 50, "c0000236");
    mb_rr(m, 3, "ns1.example.com", 1, 1, 40, "c0000235");
}

static void b_classes(struct mb *m)
{
    mb_init(m, "version.bind", 16, 0x8180);
    mb_rr(m, 1, "version.bind", 16, 3, 0, "03393939");
    mb_rr(m, 1, "version.bind", 16, 1, 5, "03393939");
    mb_rr(m, 1, "version.bind", 16, 3, 0, "03393938");
}

/* RRSIG: covered(2) alg(1) labels(1) ottl(4) exp(4) inc(4) tag(2) signer sig */
#define SIG_MID "0d 02 00000e10 65000000 64000000 1234"
static void b_rrsig(struct mb *m)
{
    mb_init(m, "example.com", 1, 0x8180);
    mb_rr(m, 1, "example.com", 1, 1, 300, "c0000201");
    mb_rr(m, 1, "example.com", 46, 1, 300, "0001" SIG_MID "07 4578616d706c65 03636f6d 00 aabb");
    mb_rr(m, 1, "example.com", 2, 1, 300, "01 61 c00c");
    mb_rr(m, 1, "Example.com", 46, 1, 200, "0002" SIG_MID "07 6578616d706c65 03636f6d 00 ccdd");
    mb_rr(m, 1, "example.com", 46, 1, 250, "0001" SIG_MID "07 6578616d706c65 03636f6d 00 0011");
}

static void b_opt_tsig(struct mb *m)
{
    mb_init(m, "x.example", 1, 0x8180);
    mb_rr(m, 1, "@", 1, 1, 300, "c0000201");
    mb_rr(m, 3, "", 41, 1232, 0, "");
    mb_rr(m, 3, "key.example", 250, 255, 0,
          "0b 686d61632d736861323536 00 000065000000 012c 0000 1234 0000 0000");
    mb_rr(m, 3, "key.example", 249, 255, 0, "0b 686d61632d736861323536 00 0000");
}

static void b_sig0(struct mb *m)
{
    mb_init(m, "x.example", 1, 0x8180);
    mb_rr(m, 1, "@", 24, 1, 300, "0001" SIG_MID "07 6578616d706c65 00 ab");
    mb_rr(m, 3, "", 24, 255, 0, "0000" SIG_MID "07 6578616d706c65 00 cd");
}

static void b_empty(struct mb *m)
{
    mb_init(m, "x.example", 1, 0x8183);
}

static const struct gcase gcases[] = {
    {"a_sorted_unique_min_ttl", b_a_dups, "a www.example.com. 1 120 c0000201,c0000202,c0000203|"},
    {"mixed_case_owners_merge", b_mixed_case, "a www.example.com. 1 30 c0000201,c0000202|"},
    {"same_key_two_sections", b_two_sections,
     "a ns1.example.com. 1 60 c0000235|n example.com. 2 60 036e7331076578616d706c6503636f6d00|"
     "r ns1.example.com. 1 40 c0000235,c0000236|"},
    {"class_is_part_of_key", b_classes,
     "a version.bind. 16 c3 0 03393938,03393939|a version.bind. 16 5 03393939|"},
    {"rrsig_split_by_covered", b_rrsig,
     "a example.com. 1 300 c0000201|"
     "a example.com. 46/1 250 0001" "0d02" "00000e10" "65000000" "64000000" "1234"
     "076578616d706c6503636f6d000011,0001" "0d02" "00000e10" "65000000" "64000000" "1234"
     "076578616d706c6503636f6d00aabb|"
     "a example.com. 2 300 0161076578616d706c6503636f6d00|"
     "a example.com. 46/2 200 0002" "0d02" "00000e10" "65000000" "64000000" "1234"
     "076578616d706c6503636f6d00ccdd|"},
    {"opt_tsig_tkey_left_out", b_opt_tsig, "a x.example. 1 300 c0000201|"},
    {"sig0_left_out_sig_kept", b_sig0,
     "a x.example. 24 300 0001" "0d02" "00000e10" "65000000" "64000000" "1234" "076578616d706c6500ab|"},
    {"no_records", b_empty, ""},
};

static void test_grouping(void)
{
    static struct mb m;
    for (size_t i = 0; i < sizeof gcases / sizeof gcases[0]; i++) {
        gcases[i].build(&m);
        size_t n = mb_end(&m);
        CHECK(!m.bad);
        CHECK_EQ(td_dns_validate(m.b, n), TD_DNS_OK);
        enum td_dns_res why = TD_DNS__COUNT;
        enum td_rrset_res r = td_rrsets_from_message(m.b, n, &B, &why);
        CHECK_EQ(r, TD_RRSET_OK);
        CHECK_EQ(why, TD_DNS_OK);
        CHECK(invariants(&B));
        render(&B, got, sizeof got);
        if (strcmp(got, gcases[i].want) != 0)
            TT_FAIL("%s: got \"%s\", want \"%s\"", gcases[i].name, got, gcases[i].want);
    }
}

/* ---- hex messages with compression inside rdata ---- */

struct hcase {
    const char *name, *hex, *want;
};

static const struct hcase hcases[] = {
    {"cname_chain",
     "12 34 81 80 00 01 00 03 00 00 00 00 03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 0c 00 05 00 01 00 00 01 2c 00 04 01 61 c0 10"
     " c0 2d 00 05 00 01 00 00 01 2c 00 0f 01 62 07 65 78 61 6d 70 6c 65 03 6e 65 74 00"
     " c0 3d 00 01 00 01 00 00 00 3c 00 04 c0 00 02 07",
     "a www.example.com. 5 300 0161076578616d706c6503636f6d00|"
     "a a.example.com. 5 300 0162076578616d706c65036e657400|"
     "a b.example.net. 1 60 c0000207|"},
    {"referral_glue",
     "12 34 81 00 00 01 00 00 00 02 00 02 03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 10 00 02 00 01 00 02 a3 00 00 06 03 6e 73 32 c0 10"
     " c0 10 00 02 00 01 00 02 a3 00 00 06 03 6e 73 31 c0 10"
     " c0 3f 00 01 00 01 00 02 a3 00 00 04 c0 00 02 35"
     " c0 2d 00 1c 00 01 00 01 51 80 00 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 35",
     "n example.com. 2 172800 036e7331076578616d706c6503636f6d00,036e7332076578616d706c6503636f6d00|"
     "r ns1.example.com. 1 172800 c0000235|"
     "r ns2.example.com. 28 86400 20010db8000000000000000000000035|"},
    /* NXDOMAIN; SOA names in upper case and compressed: lowercased, decompressed */
    {"nxdomain_soa",
     "12 34 81 83 00 01 00 00 00 01 00 00 04 6e 6f 70 65 07 45 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 11 00 06 00 01 00 00 01 2c 00 27 03 4e 53 31 c0 11 0a 48 6f 73 74 6d 61 73 74 65 72 c0 11"
     " 78 a3 f1 75 00 00 1c 20 00 00 0e 10 00 12 75 00 00 00 01 2c",
     "n example.com. 6 300 036e7331076578616d706c6503636f6d00"
     "0a686f73746d6173746572076578616d706c6503636f6d00"
     "78a3f17500001c2000000e1000127500 0000012c|"},
    /* MX with a pointer inside rdata (preference, then "MAIL" + pointer), two MX; OPT left out */
    {"mx_compressed_opt",
     "12 34 81 80 00 01 00 02 00 00 00 01 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 0f 00 01"
     " c0 0c 00 0f 00 01 00 00 0e 10 00 09 00 14 04 4d 41 49 4c c0 0c"
     " c0 0c 00 0f 00 01 00 00 0e 10 00 09 00 0a 04 6d 61 69 6c c0 0c"
     " 00 00 29 04 d0 00 00 00 00 00 00",
     "a example.com. 15 3600 000a046d61696c076578616d706c6503636f6d00,"
     "0014046d61696c076578616d706c6503636f6d00|"},
};

/* want strings may hold spaces inside the rdata hex for readability */
static void despace_keep_fields(const char *in, char *out, size_t cap)
{
    /* keep the four spaces separating fields in each "SEC owner TYPE TTL rdata|"; drop
     * spaces inside the rdata hex (after the 4th space of a set) */
    size_t o = 0;
    int sp = 0;
    for (; *in && o + 1 < cap; in++) {
        if (*in == '|')
            sp = 0;
        if (*in == ' ') {
            if (sp >= 4)
                continue;
            sp++;
        }
        out[o++] = *in;
    }
    out[o] = 0;
}

static void test_hex_messages(void)
{
    uint8_t msg[4096];
    char want[4096];
    for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
        int n = tt_unhex(hcases[i].hex, msg, sizeof msg);
        CHECK(n > 0);
        if (n <= 0)
            continue;
        CHECK_EQ(td_dns_validate(msg, (size_t)n), TD_DNS_OK);
        enum td_dns_res why = TD_DNS__COUNT;
        CHECK_EQ(td_rrsets_from_message(msg, (size_t)n, &B, &why), TD_RRSET_OK);
        CHECK(invariants(&B));
        render(&B, got, sizeof got);
        despace_keep_fields(hcases[i].want, want, sizeof want);
        if (strcmp(got, want) != 0)
            TT_FAIL("%s: got \"%s\", want \"%s\"", hcases[i].name, got, want);
    }
}

/* ---- limits ---- */

static void test_too_many_sets(void)
{
    static struct mb m;
    char owner[64], rd[16];
    int counts[] = {TD_RRSET_MAX, TD_RRSET_MAX + 1, 300};
    for (size_t c = 0; c < 3; c++) {
        mb_init(&m, "example", 1, 0x8180);
        for (int i = 0; i < counts[c]; i++) {
            snprintf(owner, sizeof owner, "h%d.example", i);
            snprintf(rd, sizeof rd, "c00002%02x", i & 0xff);
            mb_rr(&m, 1, owner, 1, 1, 60, rd);
        }
        size_t n = mb_end(&m);
        CHECK(!m.bad);
        CHECK_EQ(td_dns_validate(m.b, n), TD_DNS_OK);
        enum td_dns_res why = TD_DNS__COUNT;
        enum td_rrset_res r = td_rrsets_from_message(m.b, n, &B, &why);
        if (counts[c] <= TD_RRSET_MAX) {
            CHECK_EQ(r, TD_RRSET_OK);
            CHECK_EQ(B.nsets, counts[c]);
            CHECK(invariants(&B));
            /* order of first appearance */
            CHECK_EQ(B.sets[0].owner[1], 'h');
            CHECK_EQ(B.sets[0].owner[2], '0');
            CHECK_EQ(B.sets[B.nsets - 1].owner_len, 1 + 4 + 8 + 1);
        } else {
            CHECK_EQ(r, TD_RRSET_TOO_MANY);
            CHECK_EQ(why, TD_DNS_OK);
            CHECK_EQ(B.nsets, 0);
        }
    }
    /* too many, and a malformed record after the limit: MALFORMED wins, validate's reason */
    mb_init(&m, "example", 1, 0x8180);
    for (int i = 0; i < 300; i++) {
        snprintf(owner, sizeof owner, "h%d.example", i);
        mb_rr(&m, 1, owner, 1, 1, 60, "c0000201");
    }
    mb_rr(&m, 1, "x.example", 1, 1, 60, "c00002"); /* A with rdlength 3 */
    size_t n = mb_end(&m);
    enum td_dns_res why = TD_DNS__COUNT;
    CHECK_EQ(td_dns_validate(m.b, n), TD_DNS_BAD_RDATA);
    CHECK_EQ(td_rrsets_from_message(m.b, n, &B, &why), TD_RRSET_MALFORMED);
    CHECK_EQ(why, TD_DNS_BAD_RDATA);
}

static void test_too_many_rdata(void)
{
    static struct mb m;
    char rd[16];
    int counts[] = {TD_RRSET_RDATA_MAX, TD_RRSET_RDATA_MAX + 1, 1000};
    for (size_t c = 0; c < 3; c++) {
        mb_init(&m, "example", 1, 0x8180);
        for (int i = 0; i < counts[c]; i++) {
            snprintf(rd, sizeof rd, "0a%02x%02x%02x", (i >> 8) & 0xff, i & 0xff, 7);
            /* reverse order of rdata, split across answer and additional */
            mb_rr(&m, i < counts[c] / 2 ? 1 : 3, "@", 1, 1, (uint32_t)(1000 - i), rd);
        }
        size_t n = mb_end(&m);
        CHECK(!m.bad);
        enum td_dns_res why = TD_DNS__COUNT;
        enum td_rrset_res r = td_rrsets_from_message(m.b, n, &B, &why);
        if (counts[c] <= TD_RRSET_RDATA_MAX) {
            CHECK_EQ(r, TD_RRSET_OK);
            CHECK_EQ(B.nsets, 2);
            CHECK_EQ(B.nrdata, counts[c]);
            CHECK_EQ(B.sets[0].ttl, 1000 - (counts[c] / 2 - 1));
            CHECK_EQ(B.sets[1].ttl, 1000 - (counts[c] - 1));
            CHECK(invariants(&B));
        } else {
            CHECK_EQ(r, TD_RRSET_TOO_MANY);
            CHECK_EQ(why, TD_DNS_OK);
        }
    }
}

/* Canonical rdata larger than the arena: SOA records whose two names are pointers to
 * 253-octet names expand from 24 to 526 octets each. */
static void test_arena_full(void)
{
    static struct mb m;
    char q[300];
    size_t p = 0;
    for (int i = 0; i < 4; i++) { /* 4 labels of 62: wire length 4 * 63 + 1 = 253 */
        if (i)
            q[p++] = '.';
        memset(q + p, 'a' + i, 62);
        p += 62;
    }
    q[p] = 0;
    int counts[] = {300, 400};
    for (size_t c = 0; c < 2; c++) {
        mb_init(&m, q, 6, 0x8180);
        char rd[128];
        for (int i = 0; i < counts[c]; i++) {
            snprintf(rd, sizeof rd, "c00c c00c %08x 00000001 00000002 00000003 00000004", i);
            mb_rr(&m, 1, "@", 6, 1, 60, rd);
        }
        size_t n = mb_end(&m);
        CHECK(!m.bad);
        CHECK_EQ(td_dns_validate(m.b, n), TD_DNS_OK);
        enum td_dns_res why = TD_DNS__COUNT;
        enum td_rrset_res r = td_rrsets_from_message(m.b, n, &B, &why);
        /* 300 * (253*2+20) = 157800 fits; 400 * 526 = 210400 does not */
        if (c == 0) {
            CHECK_EQ(r, TD_RRSET_OK);
            CHECK_EQ(B.nsets, 1);
            CHECK_EQ(B.nrdata, 300);
            CHECK_EQ(B.arena_len, 300 * 526);
            CHECK(invariants(&B));
        } else {
            CHECK_EQ(r, TD_RRSET_TOO_MANY);
            CHECK_EQ(why, TD_DNS_OK);
        }
    }
}

/* ---- malformed: the DNS corpus ---- */

static size_t read_file(const char *path, uint8_t *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return (size_t)-1;
    size_t n = fread(out, 1, cap, f);
    fclose(f);
    return n;
}

static void test_corpus(void)
{
    const char *top = getenv("TAPDNS_TOP");
    char dir[4096], path[8192];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/dns", top ? top : ".");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d)
        return;
    int bad = 0, good = 0;
    static uint8_t msg[65536];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = read_file(path, msg, sizeof msg);
        if (n == (size_t)-1)
            continue;
        enum td_dns_res v = td_dns_validate(msg, n), why = TD_DNS__COUNT;
        enum td_rrset_res r = td_rrsets_from_message(msg, n, &B, &why);
        if (strncmp(e->d_name, "bad_", 4) == 0) {
            bad++;
            if (v == TD_DNS_OK)
                TT_FAIL("%s: validate accepts a bad_ file", e->d_name);
            if (r != TD_RRSET_MALFORMED || why != v)
                TT_FAIL("%s: rrset %d (%s), validate %s", e->d_name, r, td_dns_res_str(why),
                        td_dns_res_str(v));
        } else {
            good++;
            if (v != TD_DNS_OK || r != TD_RRSET_OK || why != TD_DNS_OK || !invariants(&B))
                TT_FAIL("%s: rrset %d, validate %s", e->d_name, r, td_dns_res_str(v));
        }
    }
    closedir(d);
    CHECK(bad >= 15);
    CHECK(good >= 10);
}

/* ---- truncation at every octet; flipped octets ---- */

static void check_consistent(const uint8_t *msg, size_t n, const char *what, size_t at)
{
    enum td_dns_res v = td_dns_validate(msg, n), why = TD_DNS__COUNT;
    enum td_rrset_res r = td_rrsets_from_message(msg, n, &B, &why);
    if (v != TD_DNS_OK) {
        if (r != TD_RRSET_MALFORMED || why != v)
            TT_FAIL("%s at %zu: rrset %d (%s), validate %s", what, at, r, td_dns_res_str(why),
                    td_dns_res_str(v));
    } else if (r == TD_RRSET_OK) {
        if (!invariants(&B))
            TT_FAIL("%s at %zu: invariants", what, at);
    } else if (r != TD_RRSET_TOO_MANY) {
        TT_FAIL("%s at %zu: rrset %d on a valid message", what, at, r);
    }
}

static void test_truncation_and_flips(void)
{
    uint8_t msg[4096], cut[4096];
    for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
        int n = tt_unhex(hcases[i].hex, msg, sizeof msg);
        if (n <= 0)
            continue;
        for (size_t l = 0; l <= (size_t)n; l++) {
            uint8_t *exact = malloc(l ? l : 1); /* exact size: ASan sees any overread */
            memcpy(exact, msg, l);
            check_consistent(exact, l, hcases[i].name, l);
            free(exact);
        }
        for (size_t p = 0; p < (size_t)n; p++) {
            static const uint8_t vals[] = {0x00, 0xff, 0xc0, 0x3f, 0x41, 0x01};
            for (size_t k = 0; k < sizeof vals; k++) {
                memcpy(cut, msg, (size_t)n);
                cut[p] = vals[k];
                check_consistent(cut, (size_t)n, hcases[i].name, p);
            }
        }
    }
}

/* ---- order independence: shuffling records within a section changes nothing but the
 * order of sets (first appearance) ---- */

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void test_shuffle(void)
{
    static struct mb m;
    struct item { const char *owner; uint16_t type; uint32_t ttl; const char *rd; } items[] = {
        {"a.example", 1, 10, "01020304"}, {"A.example", 1, 20, "01020303"},
        {"a.example", 28, 10, "20010db8000000000000000000000001"},
        {"b.example", 1, 30, "01020304"}, {"a.example", 1, 5, "01020304"},
        {"b.EXAMPLE", 1, 30, "01020305"}, {"a.example", 16, 10, "0568656c6c6f"},
        {"a.example", 16, 11, "0568656c6c"}, {"a.example", 16, 12, "0568656c6c6f00"},
        {"c.example", 2, 10, "026e7300"}, {"C.example", 2, 10, "026e73 00"},
    };
    enum { N = sizeof items / sizeof items[0] };
    char ref[4096] = "", cur[4096];
    int order[N];
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < N; i++)
            order[i] = i;
        if (round > 0)
            for (int i = N - 1; i > 0; i--) {
                int j = (int)(rnd() % (uint32_t)(i + 1)), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        mb_init(&m, "a.example", 1, 0x8180);
        for (int i = 0; i < N; i++) {
            const struct item *it = &items[order[i]];
            mb_rr(&m, 1, it->owner, it->type, 1, it->ttl, it->rd);
        }
        size_t n = mb_end(&m);
        CHECK_EQ(td_rrsets_from_message(m.b, n, &B, NULL), TD_RRSET_OK);
        CHECK(invariants(&B));
        /* sort the rendered sets so set order does not matter */
        render(&B, cur, sizeof cur);
        char *lines[16];
        int nl = 0;
        for (char *s = strtok(cur, "|"); s && nl < 16; s = strtok(NULL, "|"))
            lines[nl++] = s;
        for (int i = 1; i < nl; i++)
            for (int j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
                char *t = lines[j];
                lines[j] = lines[j - 1];
                lines[j - 1] = t;
            }
        char joined[4096];
        size_t o = 0;
        joined[0] = 0;
        for (int i = 0; i < nl; i++)
            o += (size_t)snprintf(joined + o, sizeof joined - o, "%s|", lines[i]);
        if (round == 0) {
            strcpy(ref, joined);
            CHECK_STR(ref, "a a.example. 1 5 01020303,01020304|"
                           "a a.example. 16 10 0568656c6c,0568656c6c6f,0568656c6c6f00|"
                           "a a.example. 28 10 20010db8000000000000000000000001|"
                           "a b.example. 1 30 01020304,01020305|"
                           "a c.example. 2 10 026e7300|");
        } else if (strcmp(ref, joined) != 0) {
            TT_FAIL("round %d: %s", round, joined);
            break;
        }
    }
}

/* ---- pg_dns_message: many answers, one set ---- */

static void test_pcapgen_message(void)
{
    uint8_t msg[8192];
    size_t n = pg_dns_message(msg, sizeof msg, 7, 0x8180, "Host.Example.org", 1, 200);
    CHECK(n > 0);
    enum td_dns_res why;
    CHECK_EQ(td_rrsets_from_message(msg, n, &B, &why), TD_RRSET_OK);
    CHECK_EQ(B.nsets, 1);
    CHECK_EQ(B.sets[0].count, 200);
    CHECK_EQ(B.sets[0].ttl, 300);
    CHECK_EQ(B.sets[0].owner[1], 'h');
    CHECK(invariants(&B));
    /* a query: no sets */
    n = pg_dns_message(msg, sizeof msg, 7, 0x0100, "host.example.org", 1, 0);
    CHECK_EQ(td_rrsets_from_message(msg, n, &B, &why), TD_RRSET_OK);
    CHECK_EQ(B.nsets, 0);
    /* short header */
    CHECK_EQ(td_rrsets_from_message(msg, 5, &B, &why), TD_RRSET_MALFORMED);
    CHECK_EQ(why, TD_DNS_SHORT_HEADER);
}

int main(void)
{
    TT_RUN(test_grouping);
    TT_RUN(test_hex_messages);
    TT_RUN(test_too_many_sets);
    TT_RUN(test_too_many_rdata);
    TT_RUN(test_arena_full);
    TT_RUN(test_corpus);
    TT_RUN(test_truncation_and_flips);
    TT_RUN(test_shuffle);
    TT_RUN(test_pcapgen_message);
    return tt_finish();
}
