/* test_obs: observation keys (encode exact bytes, decode round trips, malformed keys, the
 * subtree ordering property) and observation/discard files (round trips of 0, 1 and 100k
 * entries, refused writes, torn files at every offset, every single-bit flip, crafted files). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obs.h"
#include "reason.h"
#include "tt.h"

static char tmpdir[256];

static void path_in_tmp(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

static uint32_t xs(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* ---- building rrset buffers by hand ---- */

static struct td_rrset_buf *new_buf(void)
{
    struct td_rrset_buf *b = calloc(1, sizeof *b);
    return b;
}

/* Adds a set: owner text, type, rdata given as (ptr,len) pairs. Returns the set. */
static struct td_rrset *add_set(struct td_rrset_buf *b, const char *owner, uint16_t type, int n,
                                const uint8_t *const *rd, const uint16_t *rl)
{
    struct td_rrset *s = &b->sets[b->nsets++];
    memset(s, 0, sizeof *s);
    int ol = td_dns_name_from_text(owner, s->owner, sizeof s->owner);
    s->owner_len = (uint16_t)(ol > 0 ? ol : 0);
    s->type = type;
    s->rclass = 1;
    s->first = b->nrdata;
    s->count = (uint16_t)n;
    for (int i = 0; i < n; i++) {
        b->rdata[b->nrdata].off = b->arena_len;
        b->rdata[b->nrdata].len = rl[i];
        memcpy(b->arena + b->arena_len, rd[i], rl[i]);
        b->arena_len += rl[i];
        b->nrdata++;
    }
    return s;
}

static size_t wire(const char *text, uint8_t *out)
{
    int n = td_dns_name_from_text(text, out, 255);
    return n > 0 ? (size_t)n : 0;
}

/* ---- keys ---- */

static void test_key_encode_exact(void)
{
    struct td_rrset_buf *b = new_buf();
    static const uint8_t a1[] = {1, 2, 3, 4}, a2[] = {10, 0, 0, 1};
    const uint8_t *rd[] = {a1, a2};
    uint16_t rl[] = {4, 4};
    struct td_rrset *s = add_set(b, "www.example.com", 1, 2, rd, rl);
    uint8_t zone[255], key[600], exp[600];
    size_t zl = wire("example.com", zone);
    size_t n = td_obs_key_encode(b, s, zone, zl, key, sizeof key);
    int el = tt_unhex("03636f6d 076578616d706c65 03777777 00"  /* rev(www.example.com) */
                      "01"                                    /* type A */
                      "03636f6d 076578616d706c65 00"          /* rev(example.com) */
                      "04 01020304 04 0a000001", exp, sizeof exp);
    CHECK_EQ(n, el);
    CHECK_MEM(key, exp, (size_t)el);
    /* every cap below the length fails, the exact length works */
    for (size_t cap = 0; cap < n; cap++)
        CHECK_EQ(td_obs_key_encode(b, s, zone, zl, key, cap), 0);
    CHECK_EQ(td_obs_key_encode(b, s, zone, zl, key, n), n);

    /* root owner, NS, root bailiwick */
    uint8_t ns[64];
    uint16_t nsl = (uint16_t)wire("a.root-servers.net", ns);
    const uint8_t *rd2[] = {ns};
    struct td_rrset *r = add_set(b, ".", 2, 1, rd2, &nsl);
    n = td_obs_key_encode(b, r, (const uint8_t *)"", 1, key, sizeof key);
    el = tt_unhex("00 02 00 14 01 61 0c 726f6f742d73657276657273 03 6e6574 00", exp, sizeof exp);
    CHECK_EQ(n, el);
    CHECK_MEM(key, exp, (size_t)el);

    /* type 257 (CAA) and a 200-octet RRSIG rdata: two-octet varints */
    uint8_t big[200];
    for (int i = 0; i < 200; i++)
        big[i] = (uint8_t)i;
    const uint8_t *rd3[] = {big};
    uint16_t bl = 200;
    struct td_rrset *c = add_set(b, "x", 257, 1, rd3, &bl);
    n = td_obs_key_encode(b, c, (const uint8_t *)"", 1, key, sizeof key);
    el = tt_unhex("01 78 00 81 02 00 c8 01", exp, sizeof exp);
    CHECK_EQ(n, (size_t)el + 200);
    CHECK_MEM(key, exp, (size_t)el);
    CHECK_MEM(key + el, big, 200);
    struct td_rrset *sig = add_set(b, "x", 46, 1, rd3, &bl);
    n = td_obs_key_encode(b, sig, (const uint8_t *)"", 1, key, sizeof key);
    CHECK_EQ(n, 3 + 1 + 1 + 2 + 200);
    CHECK_EQ(key[3], 46);

    /* malformed owner / zone / rdata references: 0 */
    uint8_t badzone[] = {3, 'c', 'o'};
    CHECK_EQ(td_obs_key_encode(b, s, badzone, sizeof badzone, key, sizeof key), 0);
    s->owner[0] = 64;
    CHECK_EQ(td_obs_key_encode(b, s, zone, zl, key, sizeof key), 0);
    s->owner[0] = 3;
    s->count = (uint16_t)(b->nrdata + 1);
    CHECK_EQ(td_obs_key_encode(b, s, zone, zl, key, sizeof key), 0);
    free(b);
}

static void check_round_trip(const struct td_rrset_buf *b, const struct td_rrset *s, const uint8_t *zone,
                             size_t zl)
{
    static uint8_t key[TD_OBS_KEY_MAX];
    static struct td_obs_key k;
    size_t n = td_obs_key_encode(b, s, zone, zl, key, sizeof key);
    CHECK(n > 0);
    CHECK_EQ(td_obs_key_decode(key, n, &k), 0);
    CHECK_EQ(k.owner_len, s->owner_len);
    CHECK_MEM(k.owner, s->owner, s->owner_len);
    CHECK_EQ(k.bailiwick_len, zl);
    CHECK_MEM(k.bailiwick, zone, zl);
    CHECK_EQ(k.rrtype, s->type);
    CHECK_EQ(k.nrdata, s->count);
    for (uint16_t i = 0; i < s->count && i < k.nrdata; i++) {
        uint16_t l;
        const uint8_t *rd = td_rrset_rdata(b, s, i, &l);
        CHECK_EQ(k.rdlen[i], l);
        CHECK_MEM(k.rdata[i], rd, l);
    }
}

static void test_key_round_trips(void)
{
    struct td_rrset_buf *b = new_buf();
    uint8_t zone[255];
    /* 255-octet owner: 3 labels of 63 and one of 61 */
    char name[300];
    size_t o = 0;
    for (int l = 0; l < 4; l++) {
        int len = l < 3 ? 63 : 61;
        for (int i = 0; i < len; i++)
            name[o++] = (char)('a' + (l + i) % 26);
        name[o++] = '.';
    }
    name[o] = 0;
    static const uint8_t a[] = {192, 0, 2, 1};
    const uint8_t *rd[] = {a};
    uint16_t rl[] = {4};
    struct td_rrset *s = add_set(b, name, 1, 1, rd, rl);
    CHECK_EQ(s->owner_len, 255);
    check_round_trip(b, s, s->owner, s->owner_len); /* 255-octet bailiwick too */
    check_round_trip(b, s, (const uint8_t *)"", 1);
    /* root owner */
    s = add_set(b, ".", 6, 1, rd, rl);
    check_round_trip(b, s, (const uint8_t *)"", 1);
    /* RRSIG with a realistic rdata (covered type inside) */
    uint8_t sig[120];
    for (int i = 0; i < 120; i++)
        sig[i] = (uint8_t)(i * 7);
    sig[0] = 0, sig[1] = 1; /* covers A */
    const uint8_t *rds[] = {sig};
    uint16_t sl = 120;
    s = add_set(b, "www.example.com", 46, 1, rds, &sl);
    check_round_trip(b, s, zone, wire("example.com", zone));
    /* 0 rdata, empty rdata, N rdata up to the maximum */
    free(b);
    b = new_buf();
    static uint8_t data[TD_RRSET_RDATA_MAX * 4];
    const uint8_t *many[TD_RRSET_RDATA_MAX];
    uint16_t ml[TD_RRSET_RDATA_MAX];
    for (int i = 0; i < TD_RRSET_RDATA_MAX; i++) {
        data[4 * i] = (uint8_t)(i >> 8);
        data[4 * i + 1] = (uint8_t)i;
        many[i] = data + 4 * i;
        ml[i] = (uint16_t)(i % 5);
    }
    int counts[] = {0, 1, 2, 3, 17, 511, TD_RRSET_RDATA_MAX};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        b->nsets = b->nrdata = 0;
        b->arena_len = 0;
        s = add_set(b, "many.example", 16, counts[c], many, ml);
        check_round_trip(b, s, zone, wire("example", zone));
    }
    /* a 65535-octet rdata */
    b->nsets = b->nrdata = 0;
    b->arena_len = 0;
    static uint8_t huge[65535];
    memset(huge, 0xab, sizeof huge);
    const uint8_t *hp[] = {huge, huge};
    uint16_t hl[] = {65535, 65535};
    s = add_set(b, "h.example", 99, 2, hp, hl);
    check_round_trip(b, s, zone, wire("example", zone));
    free(b);
}

static void test_key_malformed(void)
{
    static const struct {
        const char *hex, *what;
    } bad[] = {
        {"", "empty"},
        {"00", "no type"},
        {"00 01", "no bailiwick"},
        {"03 636f6d", "owner without root octet"},
        {"03 636f6d 00 01 03 636f", "bailiwick cut inside a label"},
        {"40 " "00", "label length 64"},
        {"c0 0c 00 01 00", "compression pointer"},
        {"00 80", "varint cut"},
        {"00 ffff04 00", "type above 65535"},
        {"00 8100 00", "non-minimal varint (type)"},
        {"00 8080808080808080808001 00", "varint overflow"},
        {"00 01 00 05 010203", "rdata past the end"},
        {"00 01 00 ffff04 00", "rdata length above 65535"},
        {"00 01 00 8000", "non-minimal rdata length"},
        {"00 01 00 80", "rdata length cut"},
    };
    struct td_obs_key k;
    uint8_t key[300];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = tt_unhex(bad[i].hex, key, sizeof key);
        if (td_obs_key_decode(key, (size_t)n, &k) != -1)
            TT_FAIL("decoded a malformed key: %s", bad[i].what);
    }
    /* names above 255 octets: owner of 256 (4 labels of 63 + root = 257, 63*3 + 62 + 1...) */
    for (int which = 0; which < 2; which++) {
        size_t o = 0;
        if (which == 1) {
            key[o++] = 0;
            key[o++] = 1;
        }
        /* labels: 63, 63, 63, 62 -> 64*3 + 63 = 255 octets before the root octet = 256 total */
        for (int l = 0; l < 4; l++) {
            int len = l < 3 ? 63 : 62;
            key[o++] = (uint8_t)len;
            memset(key + o, 'a', (size_t)len);
            o += (size_t)len;
        }
        key[o++] = 0;
        if (which == 0) {
            key[o++] = 1;
            key[o++] = 0;
        }
        CHECK_EQ(td_obs_key_decode(key, o, &k), -1);
        /* one octet less in the last label: 255, accepted */
        size_t p = 0;
        uint8_t ok[300];
        if (which == 1) {
            ok[p++] = 0;
            ok[p++] = 1;
        }
        for (int l = 0; l < 4; l++) {
            int len = l < 3 ? 63 : 61;
            ok[p++] = (uint8_t)len;
            memset(ok + p, 'a', (size_t)len);
            p += (size_t)len;
        }
        ok[p++] = 0;
        if (which == 0) {
            ok[p++] = 1;
            ok[p++] = 0;
        }
        CHECK_EQ(td_obs_key_decode(ok, p, &k), 0);
        CHECK_EQ(which ? k.bailiwick_len : k.owner_len, 255);
    }
    /* more than TD_RRSET_RDATA_MAX rdata: 513 empty rdata */
    uint8_t many[3 + TD_RRSET_RDATA_MAX + 1];
    many[0] = 0, many[1] = 1, many[2] = 0;
    memset(many + 3, 0, TD_RRSET_RDATA_MAX + 1);
    CHECK_EQ(td_obs_key_decode(many, 3 + TD_RRSET_RDATA_MAX, &k), 0);
    CHECK_EQ(k.nrdata, TD_RRSET_RDATA_MAX);
    CHECK_EQ(td_obs_key_decode(many, sizeof many, &k), -1);
    /* longer than TD_OBS_KEY_MAX */
    uint8_t *big = calloc(1, TD_OBS_KEY_MAX + 1);
    size_t o = 3;
    big[1] = 1;
    while (o + 3 + 65535 <= TD_OBS_KEY_MAX + 1) {
        big[o++] = 0xff, big[o++] = 0xff, big[o++] = 3;
        o += 65535;
    }
    CHECK_EQ(td_obs_key_decode(big, o, &k), 0);
    CHECK_EQ(td_obs_key_decode(big, TD_OBS_KEY_MAX + 1, &k), -1);
    free(big);
}

/* td_key_cmp against the definition, one octet at a time: lengths 0..12 around its 8-octet
 * shortcut, octets from a small alphabet (so long shared prefixes) with the high bit too. */
static int key_cmp_ref(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    for (size_t i = 0; i < al && i < bl; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

static void test_key_cmp(void)
{
    static const uint8_t alpha[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
    uint32_t x = 12345;
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint8_t a[12], b[12];
        x = x * 1103515245u + 12345u;
        size_t al = (x >> 8) % 13, bl = (x >> 16) % 13;
        for (size_t j = 0; j < 12; j++) {
            x = x * 1103515245u + 12345u;
            a[j] = alpha[(x >> 10) % 5];
            b[j] = (x >> 20) % 4 ? a[j] : alpha[(x >> 24) % 5];
        }
        int r = td_key_cmp(a, al, b, bl), want = key_cmp_ref(a, al, b, bl);
        if ((r > 0) - (r < 0) != want)
            bad++;
    }
    CHECK_EQ(bad, 0);
}

/* Sorting keys by memcmp keeps each owner's subtree contiguous, the owner's own keys first. */
static void test_key_order(void)
{
    static const char *names[] = {
        "example.com", "a.example.com", "b.example.com", "x.a.example.com", "example", "examples",
        "a.example", "a.examples", "com", ".", "z.com", "examplf.com", "exampl.com", "a.b.c.example.com",
        "net", "example.net", "\\000.example.com", "-.example.com",
    };
    enum { NN = sizeof names / sizeof names[0], PER = 6 };
    struct td_rrset_buf *b = new_buf();
    static uint8_t keys[NN * PER][600];
    size_t klen[NN * PER];
    int owner_of[NN * PER];
    int nk = 0;
    uint8_t zone[255];
    uint16_t types[] = {1, 2, 28, 46, 300, 5};
    for (int i = 0; i < NN; i++) {
        for (int t = 0; t < PER; t++) {
            uint8_t rd[3] = {(uint8_t)t, (uint8_t)i, 9};
            const uint8_t *rp[] = {rd};
            uint16_t rl = (uint16_t)(1 + t % 3);
            b->nsets = b->nrdata = 0;
            b->arena_len = 0;
            struct td_rrset *s = add_set(b, names[i], types[t], 1, rp, &rl);
            size_t zl = t % 2 ? wire(".", zone) : (size_t)s->owner_len;
            if (t % 2 == 0)
                memcpy(zone, s->owner, zl);
            klen[nk] = td_obs_key_encode(b, s, zone, zl, keys[nk], sizeof keys[nk]);
            CHECK(klen[nk] > 0);
            owner_of[nk++] = i;
        }
    }
    /* sort indices by memcmp order */
    int idx[NN * PER];
    for (int i = 0; i < nk; i++)
        idx[i] = i;
    for (int i = 1; i < nk; i++) {
        for (int j = i; j > 0; j--) {
            int a = idx[j - 1], c = idx[j];
            size_t m = klen[a] < klen[c] ? klen[a] : klen[c];
            int r = memcmp(keys[a], keys[c], m);
            if (r < 0 || (r == 0 && klen[a] <= klen[c]))
                break;
            idx[j - 1] = c;
            idx[j] = a;
        }
    }
    uint8_t wn[NN][255];
    size_t wl[NN];
    for (int i = 0; i < NN; i++)
        wl[i] = wire(names[i], wn[i]);
    for (int x = 0; x < NN; x++) {
        /* positions of keys whose owner is x or below x */
        int first = -1, last = -1, count = 0, own_last = -1, sub_first = -1;
        for (int p = 0; p < nk; p++) {
            int o = owner_of[idx[p]];
            if (!td_dns_name_is_below(wn[o], wl[o], wn[x], wl[x]))
                continue;
            if (first < 0)
                first = p;
            last = p;
            count++;
            if (o == x)
                own_last = p;
            else if (sub_first < 0)
                sub_first = p;
        }
        if (last - first + 1 != count)
            TT_FAIL("subtree of %s is not contiguous", names[x]);
        if (sub_first >= 0 && own_last > sub_first)
            TT_FAIL("keys of %s interleave with its subtree", names[x]);
    }
    /* the named cases */
    int pos[NN];
    for (int p = 0; p < nk; p++)
        if (p == 0 || owner_of[idx[p]] != owner_of[idx[p - 1]])
            pos[owner_of[idx[p]]] = p;
    CHECK(pos[0] < pos[1] && pos[1] < pos[3] && pos[3] < pos[2]); /* example.com, a., x.a., b. */
    CHECK(pos[4] < pos[6] && pos[6] < pos[5] && pos[5] < pos[7]); /* example, a.example, examples, a.examples */
    free(b);
}

/* ---- files ---- */

/* a valid key from a number: owner n<i>.example.com type A, bailiwick example.com, rdata i */
static size_t num_key(uint32_t i, uint8_t *key)
{
    static const uint8_t pre[] = {3, 'c', 'o', 'm', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
    size_t o = 0;
    memcpy(key, pre, sizeof pre);
    o = sizeof pre;
    key[o++] = 11;
    snprintf((char *)key + o, 12, "n%010u", i);
    o += 11;
    key[o++] = 0;
    key[o++] = 1;
    memcpy(key + o, pre, sizeof pre);
    o += sizeof pre;
    key[o++] = 0;
    key[o++] = 4;
    key[o++] = (uint8_t)(i >> 24), key[o++] = (uint8_t)(i >> 16), key[o++] = (uint8_t)(i >> 8), key[o++] = (uint8_t)i;
    return o;
}

static struct td_obs_value num_val(uint32_t i, int discard)
{
    struct td_obs_value v = {(uint64_t)i * 1000003u % 5000 + (i == 7 ? UINT64_MAX - 5000 : 0), i, i + i % 77,
                             discard ? (uint8_t)(1 + i % (TD_DR__COUNT - 1)) : 0,
                             discard ? (uint16_t)(i % 70000) : 0};
    return v;
}

static int write_file(const char *path, uint32_t n, int discard, uint32_t step)
{
    char err[256];
    struct td_obs_writer *w = td_obs_writer_open(path, discard, err, sizeof err);
    if (!w)
        return -1;
    uint8_t key[100];
    for (uint32_t i = 0; i < n; i++) {
        size_t kl = num_key(i * step, key);
        struct td_obs_value v = num_val(i * step, discard);
        if (td_obs_write(w, key, kl, &v, err, sizeof err) != 0) {
            td_obs_writer_abort(&w);
            return -1;
        }
    }
    return td_obs_writer_close(&w, err, sizeof err);
}

/* Reads the file and checks it holds exactly entries 0..n-1 (times step). */
static int verify_file(const char *path, uint32_t n, int discard, uint32_t step)
{
    char err[256];
    struct td_obs_reader *r = td_obs_reader_open(path, err, sizeof err);
    if (!r)
        return -1;
    int bad = td_obs_reader_is_discard(r) != discard;
    const uint8_t *k;
    size_t kl;
    struct td_obs_value v;
    uint8_t exp[100];
    uint32_t i = 0;
    int res;
    while ((res = td_obs_read(r, &k, &kl, &v, err, sizeof err)) == 1) {
        size_t el = num_key(i * step, exp);
        struct td_obs_value ev = num_val(i * step, discard);
        if (i >= n || kl != el || memcmp(k, exp, el) != 0 || v.count != ev.count ||
            v.time_first != ev.time_first || v.time_last != ev.time_last || v.reason != ev.reason ||
            v.rule != ev.rule)
            bad = 1;
        i++;
    }
    if (res != 0 || i != n)
        bad = 1;
    /* sticky end */
    if (res == 0 && td_obs_read(r, &k, &kl, &v, err, sizeof err) != 0)
        bad = 1;
    td_obs_reader_close(&r);
    return bad ? -1 : 0;
}

static void test_file_round_trip(void)
{
    char p[512], tmp[520];
    uint32_t sizes[] = {0, 1, 2, 100000};
    for (int discard = 0; discard < 2; discard++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            path_in_tmp(p, sizeof p, discard ? "rt.dis" : "rt.obs");
            CHECK_EQ(write_file(p, sizes[s], discard, 1), 0);
            snprintf(tmp, sizeof tmp, "%s.tmp", p);
            CHECK(access(tmp, F_OK) != 0);
            if (verify_file(p, sizes[s], discard, 1) != 0)
                TT_FAIL("round trip of %u entries (discard %d)", sizes[s], discard);
        }
    }
    /* the 100k file spans several blocks: check its first octets */
    uint8_t h[16];
    int fd = open(p, O_RDONLY);
    CHECK_EQ(read(fd, h, 16), 16);
    close(fd);
    CHECK_MEM(h, "TDDIS001\x01\x00\x00\x00\x00\x00\x00\x00", 16);
    /* an empty file is 16 + 32 octets */
    path_in_tmp(p, sizeof p, "empty.obs");
    CHECK_EQ(write_file(p, 0, 0, 1), 0);
    struct stat st;
    CHECK_EQ(stat(p, &st), 0);
    CHECK_EQ(st.st_size, 48);
}

static void test_writer_refusals(void)
{
    char p[512], err[256];
    path_in_tmp(p, sizeof p, "refuse.obs");
    struct td_obs_writer *w = td_obs_writer_open(p, 0, err, sizeof err);
    CHECK(w != NULL);
    uint8_t k1[100], k2[100];
    size_t l1 = num_key(5, k1), l2 = num_key(6, k2);
    struct td_obs_value v = {1, 10, 20, 0, 0};
    CHECK_EQ(td_obs_write(w, k2, l2, &v, err, sizeof err), 0);
    err[0] = 0;
    CHECK_EQ(td_obs_write(w, k1, l1, &v, err, sizeof err), -1); /* smaller */
    CHECK(strstr(err, "previous") != NULL);
    CHECK_EQ(td_obs_write(w, k2, l2, &v, err, sizeof err), -1); /* equal */
    CHECK_EQ(td_obs_write(w, k2, l2 - 1, &v, err, sizeof err), -1); /* a prefix: smaller, malformed */
    uint8_t bad[] = {0x40, 0};
    CHECK_EQ(td_obs_write(w, bad, sizeof bad, &v, err, sizeof err), -1); /* malformed key */
    struct td_obs_value tv = {1, 21, 20, 0, 0};
    uint8_t k3[100];
    size_t l3 = num_key(7, k3);
    CHECK_EQ(td_obs_write(w, k3, l3, &tv, err, sizeof err), -1); /* time_first > time_last */
    CHECK_EQ(td_obs_write(w, k3, l3, &v, err, sizeof err), 0);   /* still usable */
    CHECK_EQ(td_obs_writer_close(&w, err, sizeof err), 0);
    CHECK(w == NULL);
    struct td_obs_reader *r = td_obs_reader_open(p, err, sizeof err);
    CHECK(r != NULL);
    const uint8_t *k;
    size_t kl;
    struct td_obs_value rv;
    int n = 0, res;
    while ((res = td_obs_read(r, &k, &kl, &rv, err, sizeof err)) == 1)
        n++;
    CHECK_EQ(res, 0);
    CHECK_EQ(n, 2);
    td_obs_reader_close(&r);
    /* discard files need a reason */
    w = td_obs_writer_open(p, 1, err, sizeof err);
    CHECK_EQ(td_obs_write(w, k1, l1, &v, err, sizeof err), -1);
    v.reason = TD_DR__COUNT;
    CHECK_EQ(td_obs_write(w, k1, l1, &v, err, sizeof err), -1);
    v.reason = TD_DR_FILTER;
    v.rule = 3;
    CHECK_EQ(td_obs_write(w, k1, l1, &v, err, sizeof err), 0);
    /* abort leaves nothing behind (the earlier file at p stays as it was) */
    td_obs_writer_abort(&w);
    char tmp[520];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(access(tmp, F_OK) != 0);
    r = td_obs_reader_open(p, err, sizeof err);
    CHECK(r && !td_obs_reader_is_discard(r));
    td_obs_reader_close(&r);
    /* no directory */
    CHECK(td_obs_writer_open("/nonexistent-dir/x.obs", 0, err, sizeof err) == NULL);
    CHECK(td_obs_reader_open("/nonexistent-dir/x.obs", err, sizeof err) == NULL);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return NULL;
    uint8_t *b = malloc((size_t)st.st_size + 1);
    *len = (size_t)read(fd, b, (size_t)st.st_size);
    close(fd);
    return b;
}

/* The damaged copies live in one memfd (opening files on the test machine's disk is slow). */
static int mem_fd = -1;
static char mem_path[64];

static const char *spit_mem(const uint8_t *b, size_t len)
{
    if (mem_fd < 0) {
        mem_fd = memfd_create("test_obs", 0);
        snprintf(mem_path, sizeof mem_path, "/proc/self/fd/%d", mem_fd);
    }
    if (ftruncate(mem_fd, 0) != 0 || pwrite(mem_fd, b, len, 0) != (ssize_t)len)
        TT_FAIL("cannot write the memfd");
    return mem_path;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, b, len) != (ssize_t)len)
        TT_FAIL("cannot write %s", path);
    close(fd);
}

/* -1 if the file is refused somewhere (with an offset in the message), 0 if it reads to its
 * verified end; n = entries delivered. */
static int read_all(const char *path, long *n, char *err, size_t errlen)
{
    *n = 0;
    struct td_obs_reader *r = td_obs_reader_open(path, err, errlen);
    if (!r)
        return -1;
    const uint8_t *k;
    size_t kl;
    struct td_obs_value v;
    int res;
    while ((res = td_obs_read(r, &k, &kl, &v, err, errlen)) == 1)
        (*n)++;
    td_obs_reader_close(&r);
    return res;
}

static void test_torn_and_flipped(void)
{
    char p[512], q[512], err[256];
    path_in_tmp(p, sizeof p, "small.dis");
    path_in_tmp(q, sizeof q, "damaged");
    CHECK_EQ(write_file(p, 40, 1, 3), 0);
    size_t len;
    uint8_t *b = slurp(p, &len);
    CHECK(b && len > 48);
    long n;
    CHECK_EQ(read_all(p, &n, err, sizeof err), 0);
    CHECK_EQ(n, 40);
    int fails = 0;
    for (size_t cut = 0; cut < len; cut++) {
        if (read_all(spit_mem(b, cut), &n, err, sizeof err) != -1 || !strstr(err, "offset"))
            fails++;
    }
    CHECK_EQ(fails, 0);
    /* every single-bit flip is detected */
    fails = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1 << bit);
            if (read_all(spit_mem(b, len), &n, err, sizeof err) != -1) {
                if (fails++ < 5)
                    TT_FAIL("flip of bit %d at %zu not detected", bit, i);
            }
            b[i] ^= (uint8_t)(1 << bit);
        }
    }
    CHECK_EQ(fails, 0);
    /* trailing garbage */
    uint8_t *g = malloc(len + 1);
    memcpy(g, b, len);
    g[len] = 0;
    spit(q, g, len + 1);
    CHECK_EQ(read_all(q, &n, err, sizeof err), -1);
    CHECK(strstr(err, "after the trailer") != NULL);
    free(g);
    free(b);

    /* a multi-block file, torn at many offsets: entries come out as a prefix, then an error */
    path_in_tmp(p, sizeof p, "big.obs");
    CHECK_EQ(write_file(p, 60000, 0, 7919), 0);
    b = slurp(p, &len);
    long total;
    CHECK_EQ(read_all(p, &total, err, sizeof err), 0);
    CHECK_EQ(total, 60000);
    fails = 0;
    long prev = 0;
    uint32_t seed = 12345;
    for (int t = 0; t < 300; t++) {
        size_t cut = t < 100 ? (size_t)t * len / 100 : xs(&seed) % len;
        if (read_all(spit_mem(b, cut), &n, err, sizeof err) != -1 || n > total)
            fails++;
        if (t < 100) {
            if (n < prev)
                fails++;
            prev = n;
        }
    }
    CHECK_EQ(fails, 0);
    CHECK(prev > 0); /* a cut file still yields its complete blocks */
    for (int t = 0; t < 300; t++) {
        size_t i = xs(&seed) % len;
        int bit = (int)(xs(&seed) % 8);
        b[i] ^= (uint8_t)(1 << bit);
        if (read_all(spit_mem(b, len), &n, err, sizeof err) != -1)
            fails++;
        b[i] ^= (uint8_t)(1 << bit);
    }
    CHECK_EQ(fails, 0);
    free(b);
}

/* Crafted files: valid framing around bad content, to reach the entry checks. */
#include <xxhash.h>
#include <zstd.h>

static size_t craft(uint8_t *out, const char *magic, const uint8_t *content, size_t clen, uint64_t count)
{
    size_t o = 0;
    memcpy(out, magic, 8);
    memset(out + 8, 0, 8);
    out[8] = 1;
    o = 16;
    uint64_t h = XXH3_64bits(content, clen);
    if (clen) {
        size_t c = ZSTD_compress(out + o + 16, 4096, content, clen, 1);
        uint64_t bh = XXH3_64bits_withSeed(out + o + 16, c, (uint64_t)clen << 32 | c);
        for (int i = 0; i < 4; i++) {
            out[o + i] = (uint8_t)(c >> (8 * i));
            out[o + 4 + i] = (uint8_t)(clen >> (8 * i));
        }
        for (int i = 0; i < 8; i++)
            out[o + 8 + i] = (uint8_t)(bh >> (8 * i));
        o += 16 + c;
    }
    uint8_t *t = out + o;
    memset(t, 0, 32);
    for (int i = 0; i < 8; i++) {
        t[8 + i] = (uint8_t)(count >> (8 * i));
        t[16 + i] = (uint8_t)(h >> (8 * i));
    }
    uint64_t th = XXH3_64bits(t, 24);
    for (int i = 0; i < 8; i++)
        t[24 + i] = (uint8_t)(th >> (8 * i));
    return o + 32;
}

static void test_crafted(void)
{
    static const struct {
        const char *magic, *content, *what;
        uint64_t count;
        int ok;
    } cases[] = {
        {"TDOBS001", "05000000 0001000000 01 0a 0b", "one valid entry", 1, 1},
        {"TDOBS001", "05000000 0001000000 01 0a 0b", "count mismatch", 2, 0},
        {"TDOBS001", "05000000 0001000000 01 0b 0a", "time_first > time_last", 1, 0},
        {"TDOBS001", "05000000 0001000000 01 0a", "value cut", 1, 0},
        {"TDOBS001", "05000000 0001000000 8100 0a 0b", "non-minimal count", 1, 0},
        {"TDOBS001", "05000000 0001000000 01 8080808010 0b", "time above 2^32", 1, 0},
        {"TDOBS001", "00000000 01 0a 0b", "empty key", 0, 0},
        {"TDOBS001", "05000000 4001000000 01 0a 0b", "malformed key", 1, 0},
        {"TDOBS001", "ffffffff 00", "huge key length", 0, 0},
        {"TDOBS001", "05000000 0001000000 01 0a 0b 05000000 0001000000 01 0a 0b", "equal keys", 2, 0},
        {"TDOBS001", "05000000 0001000162 01 0a 0b 05000000 0001000161 01 0a 0b", "keys going down", 2, 0},
        {"TDOBS001", "05000000 0001000000 01 0a 0b 060000", "entry cut", 1, 0},
        {"TDDIS001", "05000000 0001000000 01 0a 0b 06 0300", "discard entry", 1, 1},
        {"TDDIS001", "05000000 0001000000 01 0a 0b 00 0000", "discard without reason", 1, 0},
        {"TDDIS001", "05000000 0001000000 01 0a 0b 06", "discard reason cut", 1, 0},
        {"TDDIS001", "", "empty discard file", 0, 1},
        {"TDXXX001", "", "bad magic", 0, 0},
    };
    char q[512], err[256];
    path_in_tmp(q, sizeof q, "crafted");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t content[256], file[8192];
        int cl = tt_unhex(cases[i].content, content, sizeof content);
        size_t fl = craft(file, cases[i].magic, content, (size_t)cl, cases[i].count);
        spit(q, file, fl);
        long n;
        err[0] = 0;
        int r = read_all(q, &n, err, sizeof err);
        if ((r == 0) != cases[i].ok)
            TT_FAIL("%s: read gave %d (%s)", cases[i].what, r, err);
        if (r != 0 && !strstr(err, "offset"))
            TT_FAIL("%s: error without offset: %s", cases[i].what, err);
    }
    /* version 2 and reserved octets are refused at open */
    uint8_t file[64];
    size_t fl = craft(file, "TDOBS001", NULL, 0, 0);
    file[8] = 2;
    spit(q, file, fl);
    CHECK(td_obs_reader_open(q, err, sizeof err) == NULL);
    CHECK(strstr(err, "version") != NULL);
    file[8] = 1;
    file[12] = 1;
    spit(q, file, fl);
    CHECK(td_obs_reader_open(q, err, sizeof err) == NULL);
    spit(q, file, 0);
    CHECK(td_obs_reader_open(q, err, sizeof err) == NULL);
    CHECK(strstr(err, "empty") != NULL);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_obs.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_key_encode_exact);
    TT_RUN(test_key_round_trips);
    TT_RUN(test_key_malformed);
    TT_RUN(test_key_cmp);
    TT_RUN(test_key_order);
    TT_RUN(test_file_round_trip);
    TT_RUN(test_writer_refusals);
    TT_RUN(test_torn_and_flipped);
    TT_RUN(test_crafted);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    return tt_finish();
}
