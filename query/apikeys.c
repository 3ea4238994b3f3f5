/* apikeys.c: see apikeys.h. The table is one calloc of TD_KEYS_MAX entries made at load, so
 * pointers from td_keys_find stay valid across td_keys_add (untouched pages cost nothing).
 * td_keys_find goes through an open-addressing index on the first bytes of the SHA-256 (a
 * linear scan of 4096 keys cost 110 us per request); the candidates are compared in full in
 * constant time. The probe path depends only on the hash of the presented string, so its
 * timing tells an attacker nothing usable about stored keys (finding a key from its hash
 * is a SHA-256 preimage).
 *
 * Quota state file (text, atomically replaced):
 *   tapdns-quota 1
 *   NAME DAY USED_TODAY BURST_START BURST_USED        (one line per key)
 * Lines naming keys that are not in the keys file are ignored (the key was deleted); a
 * malformed line fails the load with "FILE:LINE: reason", as the keys file does. */
#include "apikeys.h"
#include "config.h"
#include "durable.h"
#include "errf.h"
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYS_FILE_MAX (8u << 20) /* bytes: far more than TD_KEYS_MAX lines */
#define LINE_MAX_LEN 1024
#define FIELDS_MAX 9
#define DAY_SECONDS 86400u
#define STATE_MAGIC "tapdns-quota"
#define STATE_VERSION "1"
#define SLOTS (2 * TD_KEYS_MAX) /* power of two: load factor at most 1/2 */

struct td_keys {
    char *keys_path, *state_path;
    size_t n;
    int dirty;          /* charged since the last state save */
    uint64_t last_save; /* time of the last state save */
    struct td_key *keys; /* TD_KEYS_MAX entries */
    int32_t *slot;       /* SLOTS entries: key index, or -1 */
};

/* ---- small parsers ---- */

static int name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* Decimal digits only: no sign, no blanks, no overflow (the config layer's number rule). */
static int parse_u64(const char *s, uint64_t *out)
{
    return td_config_parse_u64(s, out) ? -1 : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_hash(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static void hash_key(const char *key_string, uint8_t out[32])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, strlen(key_string), (const uint8_t *)key_string);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

/* Reads a whole file (at most KEYS_FILE_MAX bytes) into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len, int *missing, char *err, size_t errlen)
{
    char *buf;
    int r = td_read_file(path, KEYS_FILE_MAX, &buf, len, err, errlen);
    *missing = r == 0;
    if (r == -2)
        td_errf(err, errlen, "%s: file larger than %u bytes", path, KEYS_FILE_MAX);
    return r == 1 ? buf : NULL;
}

/* Calls fn for each line that is not blank or a comment, split on spaces/tabs (a trailing
 * \r is whitespace). Stops at the first nonzero return of fn; checks length and NUL bytes. */
typedef int (*line_fn)(void *ctx, char **fields, int nf, const char *path, unsigned lineno, char *err,
                       size_t errlen);

static int each_line(const char *buf, size_t len, const char *path, line_fn fn, void *ctx, char *err,
                     size_t errlen)
{
    size_t pos = 0;
    unsigned lineno = 0;
    char line[LINE_MAX_LEN + 1];
    while (pos < len) {
        lineno++;
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        if (l > LINE_MAX_LEN) {
            td_errf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno, LINE_MAX_LEN);
            return -1;
        }
        if (memchr(buf + pos, '\0', l)) {
            td_errf(err, errlen, "%s:%u: NUL byte", path, lineno);
            return -1;
        }
        memcpy(line, buf + pos, l);
        line[l] = '\0';
        pos += l + (nl ? 1 : 0);

        char *fields[FIELDS_MAX];
        int nf = 0;
        char *p = line;
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == '\r')
                p++;
            if (!*p || (nf == 0 && *p == '#'))
                break;
            if (nf == FIELDS_MAX) {
                td_errf(err, errlen, "%s:%u: too many fields", path, lineno);
                return -1;
            }
            fields[nf++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r')
                p++;
            if (*p)
                *p++ = '\0';
        }
        if (nf == 0)
            continue;
        if (fn(ctx, fields, nf, path, lineno, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static size_t slot_of(const uint8_t h[32])
{
    uint32_t v;
    memcpy(&v, h, sizeof v);
    return v & (SLOTS - 1);
}

static void index_add(struct td_keys *k, size_t i)
{
    size_t s = slot_of(k->keys[i].hash);
    while (k->slot[s] >= 0)
        s = (s + 1) & (SLOTS - 1);
    k->slot[s] = (int32_t)i;
}

static struct td_key *find_name(struct td_keys *k, const char *name)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->keys[i].name, name) == 0)
            return &k->keys[i];
    return NULL;
}

/* ---- keys file ---- */

static int key_line(void *ctx, char **f, int nf, const char *path, unsigned ln, char *err, size_t errlen)
{
    struct td_keys *k = ctx;
    static const char *const num_names[5] = {"daily_limit", "results_max", "offset_max", "burst_size",
                                             "burst_window"};
    if (nf < 7 || nf > 8) {
        td_errf(err, errlen, "%s:%u: expected NAME SHA256HEX daily_limit results_max offset_max burst_size "
                             "burst_window [revoked], got %d fields", path, ln, nf);
        return -1;
    }
    if (!name_valid(f[0])) {
        td_errf(err, errlen, "%s:%u: bad key name (1-32 of A-Za-z0-9_.-)", path, ln);
        return -1;
    }
    if (find_name(k, f[0])) {
        td_errf(err, errlen, "%s:%u: duplicate key name %s", path, ln, f[0]);
        return -1;
    }
    if (k->n >= TD_KEYS_MAX) {
        td_errf(err, errlen, "%s:%u: more than %d keys", path, ln, TD_KEYS_MAX);
        return -1;
    }
    struct td_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.name, f[0], strlen(f[0]) + 1);
    if (parse_hash(f[1], key.hash) != 0) {
        td_errf(err, errlen, "%s:%u: bad hash (64 lowercase hex digits)", path, ln);
        return -1;
    }
    uint64_t nums[5];
    for (int i = 0; i < 5; i++) {
        if (parse_u64(f[2 + i], &nums[i]) != 0) {
            td_errf(err, errlen, "%s:%u: bad %s (a decimal number)", path, ln, num_names[i]);
            return -1;
        }
    }
    key.daily_limit = nums[0];
    key.results_max = nums[1];
    key.offset_max = nums[2];
    key.burst_size = nums[3];
    key.burst_window = nums[4];
    if (nf == 8) {
        if (strcmp(f[7], "revoked") != 0) {
            td_errf(err, errlen, "%s:%u: unexpected field after burst_window (only \"revoked\")", path, ln);
            return -1;
        }
        key.revoked = 1;
    }
    k->keys[k->n] = key;
    index_add(k, k->n++);
    return 0;
}

/* ---- state file ---- */

struct state_ctx {
    struct td_keys *k;
    int seen_magic;
    /* names already seen in the state file: one bit per key slot */
    unsigned char seen[TD_KEYS_MAX / 8];
};

static int state_line(void *ctx, char **f, int nf, const char *path, unsigned ln, char *err, size_t errlen)
{
    struct state_ctx *s = ctx;
    if (!s->seen_magic) {
        if (nf != 2 || strcmp(f[0], STATE_MAGIC) != 0) {
            td_errf(err, errlen, "%s:%u: not a quota state file (no \"%s %s\" line)", path, ln, STATE_MAGIC,
                    STATE_VERSION);
            return -1;
        }
        if (strcmp(f[1], STATE_VERSION) != 0) {
            td_errf(err, errlen, "%s:%u: unknown quota state version %s", path, ln, f[1]);
            return -1;
        }
        s->seen_magic = 1;
        return 0;
    }
    if (nf != 5) {
        td_errf(err, errlen, "%s:%u: expected NAME DAY USED BURST_START BURST_USED, got %d fields", path, ln,
                nf);
        return -1;
    }
    if (!name_valid(f[0])) {
        td_errf(err, errlen, "%s:%u: bad key name", path, ln);
        return -1;
    }
    uint64_t day, used, bstart, bused;
    if (parse_u64(f[1], &day) != 0 || day > UINT32_MAX) {
        td_errf(err, errlen, "%s:%u: bad day", path, ln);
        return -1;
    }
    if (parse_u64(f[2], &used) != 0 || parse_u64(f[3], &bstart) != 0 || parse_u64(f[4], &bused) != 0) {
        td_errf(err, errlen, "%s:%u: bad counter (a decimal number)", path, ln);
        return -1;
    }
    struct td_key *key = find_name(s->k, f[0]);
    if (!key)
        return 0; /* deleted from the keys file */
    size_t i = (size_t)(key - s->k->keys);
    if (s->seen[i / 8] & (1u << (i % 8))) {
        td_errf(err, errlen, "%s:%u: duplicate key name %s", path, ln, f[0]);
        return -1;
    }
    s->seen[i / 8] |= (unsigned char)(1u << (i % 8));
    key->day = (uint32_t)day;
    key->used_today = used;
    key->burst_start = bstart;
    key->burst_used = bused;
    return 0;
}

static int load_state(struct td_keys *k, char *err, size_t errlen)
{
    size_t len;
    int missing;
    char *buf = read_file(k->state_path, &len, &missing, err, errlen);
    if (!buf) {
        if (missing) {
            if (err && errlen)
                err[0] = '\0';
            return 0;
        }
        return -1;
    }
    struct state_ctx *s = calloc(1, sizeof *s);
    if (!s) {
        free(buf);
        td_errf(err, errlen, "%s: out of memory", k->state_path);
        return -1;
    }
    s->k = k;
    int rc = each_line(buf, len, k->state_path, state_line, s, err, errlen);
    if (rc == 0 && !s->seen_magic && len > 0) {
        /* only comments or blank lines */
        td_errf(err, errlen, "%s: not a quota state file (no \"%s %s\" line)", k->state_path, STATE_MAGIC,
                STATE_VERSION);
        rc = -1;
    }
    free(s);
    free(buf);
    return rc;
}

struct td_keys *td_keys_load(const char *keys_path, const char *state_path, char *err, size_t errlen)
{
    if (!keys_path) {
        td_errf(err, errlen, "no keys file");
        return NULL;
    }
    struct td_keys *k = calloc(1, sizeof *k);
    if (!k) {
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    k->keys = calloc(TD_KEYS_MAX, sizeof *k->keys);
    k->slot = malloc(SLOTS * sizeof *k->slot);
    if (k->slot)
        memset(k->slot, 0xff, SLOTS * sizeof *k->slot);
    k->keys_path = strdup(keys_path);
    k->state_path = state_path ? strdup(state_path) : NULL;
    if (!k->keys || !k->slot || !k->keys_path || (state_path && !k->state_path)) {
        td_errf(err, errlen, "out of memory");
        td_keys_free(&k);
        return NULL;
    }
    size_t len;
    int missing;
    char *buf = read_file(keys_path, &len, &missing, err, errlen);
    if (!buf) {
        td_keys_free(&k);
        return NULL;
    }
    int rc = each_line(buf, len, keys_path, key_line, k, err, errlen);
    free(buf);
    if (rc != 0 || (k->state_path && load_state(k, err, errlen) != 0)) {
        td_keys_free(&k);
        return NULL;
    }
    return k;
}

void td_keys_free(struct td_keys **kp)
{
    if (!kp || !*kp)
        return;
    struct td_keys *k = *kp;
    free(k->keys);
    free(k->slot);
    free(k->keys_path);
    free(k->state_path);
    free(k);
    *kp = NULL;
}

/* ---- atomic saves ---- */

/* Writes buf to a temp file next to path (mode 0600), fsyncs it and renames it over path. */
static int write_atomic(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 8);
    if (!tmp) {
        td_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".XXXXXX", 8);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t off = 0;
    int rc = fchmod(fd, 0600);
    while (rc == 0 && off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0)
        rc = fsync(fd);
    if (rc != 0) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    if (close(fd) != 0) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    rc = td_rename_durable(tmp, path, err, errlen);
    free(tmp);
    return rc;
}

/* Appends to a growing malloc'd text buffer; sticky failure. */
struct text {
    char *p;
    size_t len, cap;
    int failed;
};

static void text_addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->p && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t want = t->cap ? t->cap * 2 : 4096;
        while (want < t->len + (size_t)n + 1)
            want *= 2;
        char *np = realloc(t->p, want);
        if (!np) {
            t->failed = 1;
            return;
        }
        t->p = np;
        t->cap = want;
    }
}

int td_keys_save(const struct td_keys *k, char *err, size_t errlen)
{
    struct text t = {0};
    text_addf(&t, "# tapdns API keys: NAME SHA256HEX daily_limit results_max offset_max burst_size "
                  "burst_window [revoked]\n");
    for (size_t i = 0; i < k->n; i++) {
        const struct td_key *key = &k->keys[i];
        char hex[65];
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", key->hash[j]);
        text_addf(&t, "%s %s %llu %llu %llu %llu %llu%s\n", key->name, hex,
                  (unsigned long long)key->daily_limit, (unsigned long long)key->results_max,
                  (unsigned long long)key->offset_max, (unsigned long long)key->burst_size,
                  (unsigned long long)key->burst_window, key->revoked ? " revoked" : "");
    }
    if (t.failed) {
        free(t.p);
        td_errf(err, errlen, "%s: out of memory", k->keys_path);
        return -1;
    }
    int rc = write_atomic(k->keys_path, t.p, t.len, err, errlen);
    free(t.p);
    return rc;
}

int td_quota_save_if_dirty(struct td_keys *k, uint64_t now, int force, char *err, size_t errlen)
{
    if (!k->state_path || !k->dirty)
        return 0;
    if (!force && now < k->last_save + 1 && now >= k->last_save)
        return 0;
    struct text t = {0};
    text_addf(&t, "%s %s\n", STATE_MAGIC, STATE_VERSION);
    for (size_t i = 0; i < k->n; i++) {
        const struct td_key *key = &k->keys[i];
        text_addf(&t, "%s %u %llu %llu %llu\n", key->name, (unsigned)key->day,
                  (unsigned long long)key->used_today, (unsigned long long)key->burst_start,
                  (unsigned long long)key->burst_used);
    }
    if (t.failed) {
        free(t.p);
        td_errf(err, errlen, "%s: out of memory", k->state_path);
        return -1;
    }
    int rc = write_atomic(k->state_path, t.p, t.len, err, errlen);
    free(t.p);
    if (rc == 0) {
        k->dirty = 0;
        k->last_save = now;
    }
    return rc;
}

/* ---- lookup and management ---- */

struct td_key *td_keys_find(struct td_keys *k, const char *key_string)
{
    if (!k || !key_string)
        return NULL;
    uint8_t h[32];
    hash_key(key_string, h);
    for (size_t s = slot_of(h); k->slot[s] >= 0; s = (s + 1) & (SLOTS - 1)) {
        struct td_key *c = &k->keys[k->slot[s]];
        unsigned diff = 0;
        for (int j = 0; j < 32; j++) /* constant time: no early exit */
            diff |= (unsigned)(h[j] ^ c->hash[j]);
        if (diff == 0 && !c->revoked)
            return c;
    }
    return NULL;
}

static int random_bytes(uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t r = getrandom(p + off, n - off, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)r;
    }
    return 0;
}

int td_keys_add(struct td_keys *k, const char *name, uint64_t daily_limit, uint64_t results_max,
                uint64_t offset_max, uint64_t burst_size, uint64_t burst_window, char out[TD_KEY_STRING_LEN + 1],
                char *err, size_t errlen)
{
    if (!name || !name_valid(name)) {
        td_errf(err, errlen, "bad key name (1-32 of A-Za-z0-9_.-)");
        return -1;
    }
    if (find_name(k, name)) {
        td_errf(err, errlen, "key %s exists", name);
        return -1;
    }
    if (k->n >= TD_KEYS_MAX) {
        td_errf(err, errlen, "too many keys (%d)", TD_KEYS_MAX);
        return -1;
    }
    uint8_t rnd[16];
    if (random_bytes(rnd, sizeof rnd) != 0) {
        td_errf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    char ks[TD_KEY_STRING_LEN + 1];
    memcpy(ks, "tdk_", 4);
    for (int i = 0; i < 16; i++)
        snprintf(ks + 4 + 2 * i, 3, "%02x", rnd[i]);
    struct td_key *key = &k->keys[k->n];
    memset(key, 0, sizeof *key);
    memcpy(key->name, name, strlen(name) + 1);
    hash_key(ks, key->hash);
    key->daily_limit = daily_limit;
    key->results_max = results_max;
    key->offset_max = offset_max;
    key->burst_size = burst_size;
    key->burst_window = burst_window;
    index_add(k, k->n++);
    memcpy(out, ks, sizeof ks);
    return 0;
}

int td_keys_revoke(struct td_keys *k, const char *name, char *err, size_t errlen)
{
    struct td_key *key = name ? find_name(k, name) : NULL;
    if (!key) {
        td_errf(err, errlen, "no key named %s", name ? name : "(null)");
        return -1;
    }
    key->revoked = 1; /* revoking twice is no error */
    return 0;
}

size_t td_keys_count(const struct td_keys *k)
{
    return k ? k->n : 0;
}

const struct td_key *td_keys_at(const struct td_keys *k, size_t i)
{
    return k && i < k->n ? &k->keys[i] : NULL;
}

/* ---- quotas ---- */

/* Brings the day and burst window up to now (a new day or an ended window starts at 0; a
 * clock that went back also starts a new window). */
static void roll(struct td_key *key, uint64_t now)
{
    uint64_t day = now / DAY_SECONDS;
    if (key->day != day) {
        key->day = (uint32_t)day;
        key->used_today = 0;
    }
    if (key->burst_size && key->burst_window &&
        (now < key->burst_start || now - key->burst_start >= key->burst_window)) {
        key->burst_start = now;
        key->burst_used = 0;
    }
}

int td_quota_charge(struct td_keys *k, struct td_key *key, uint64_t now, char *err, size_t errlen)
{
    roll(key, now);
    if (key->daily_limit && key->used_today >= key->daily_limit) {
        td_errf(err, errlen, "daily quota of %llu queries exceeded; resets at %llu",
                (unsigned long long)key->daily_limit, (unsigned long long)(now / DAY_SECONDS + 1) * DAY_SECONDS);
        return 429;
    }
    int burst = key->burst_size && key->burst_window;
    if (burst && key->burst_used >= key->burst_size) {
        td_errf(err, errlen, "burst quota of %llu queries per %llu seconds exceeded; resets at %llu",
                (unsigned long long)key->burst_size, (unsigned long long)key->burst_window,
                (unsigned long long)(key->burst_start + key->burst_window));
        return 429;
    }
    key->used_today++;
    if (burst)
        key->burst_used++;
    k->dirty = 1;
    return 0;
}

void td_quota_view(const struct td_key *key, uint64_t now, struct td_quota_view *v)
{
    memset(v, 0, sizeof *v);
    uint64_t day = now / DAY_SECONDS;
    /* a daily_limit of UINT64_MAX can never be reached: shown as unlimited, as 0 is (the
     * view's UINT64_MAX means "unlimited") */
    if (key->daily_limit && key->daily_limit != UINT64_MAX) {
        uint64_t used = key->day == day ? key->used_today : 0;
        v->limit = key->daily_limit;
        v->remaining = used >= key->daily_limit ? 0 : key->daily_limit - used;
        v->reset = (day + 1) * DAY_SECONDS;
    } else {
        v->limit = UINT64_MAX;     /* "unlimited" */
        v->remaining = UINT64_MAX; /* "n/a" */
        v->reset = 0;              /* "n/a" */
    }
    /* 0 in the keys file: no per-key cap (results), offsets refused: both "n/a" */
    v->results_max = key->results_max ? key->results_max : UINT64_MAX;
    v->offset_max = key->offset_max ? key->offset_max : UINT64_MAX;
    if (key->burst_size && key->burst_window) {
        v->burst_size = key->burst_size;
        v->burst_window = key->burst_window;
    } else {
        v->burst_size = UINT64_MAX;
        v->burst_window = UINT64_MAX;
    }
}
