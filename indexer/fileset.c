/* fileset.c: see fileset.h. */
#include "fileset.h"
#include "readfile.h"
#include "errf.h"
#include "generation.h"
#include "durable.h"
#include <dirent.h>
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER "tapdns-fileset"
#define FILE_MAX (TD_FILESET_MAX_GENS * 96u)

void td_fileset_free(struct td_fileset *fs)
{
    free(fs->gens);
    fs->gens = NULL;
    fs->n = fs->cap = 0;
}

int td_fileset_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TD_FILESET_NAME_MAX || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* Binary search: index of name, or -(insertion point) - 1. */
static long search(const struct td_fileset *fs, const char *name)
{
    long lo = 0, hi = (long)fs->n;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        int c = strcmp(fs->gens[mid].name, name);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -lo - 1;
}

int td_fileset_find(const struct td_fileset *fs, const char *name)
{
    long i = search(fs, name);
    return i >= 0 ? (int)i : -1;
}

static const char *check_gen(const struct td_fileset_gen *g)
{
    if (memchr(g->name, 0, sizeof g->name) == NULL || !td_fileset_name_ok(g->name))
        return "bad generation name";
    if (g->tier != 'h' && g->tier != 'd' && g->tier != 'm')
        return "tier must be h, d or m";
    if (g->name[0] != g->tier || g->name[1] != '.')
        return "name must start with its tier letter and '.'";
    if (g->min_time_first > g->max_time_last)
        return "min time_first above max time_last";
    return NULL;
}

int td_fileset_put(struct td_fileset *fs, const struct td_fileset_gen *g, char *err, size_t errlen)
{
    const char *why = check_gen(g);
    if (why) {
        td_errf(err, errlen, "%s", why);
        return -1;
    }
    long i = search(fs, g->name);
    if (i >= 0) {
        fs->gens[i] = *g;
        return 0;
    }
    if (fs->n >= TD_FILESET_MAX_GENS) {
        td_errf(err, errlen, "more than %u generations", TD_FILESET_MAX_GENS);
        return -1;
    }
    if (fs->n == fs->cap) {
        uint32_t cap = fs->cap ? fs->cap * 2 : 16;
        struct td_fileset_gen *p = realloc(fs->gens, cap * sizeof *p);
        if (!p) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        fs->gens = p;
        fs->cap = cap;
    }
    size_t at = (size_t)(-i - 1);
    memmove(fs->gens + at + 1, fs->gens + at, (fs->n - at) * sizeof *fs->gens);
    fs->gens[at] = *g;
    fs->n++;
    return 0;
}

int td_fileset_remove(struct td_fileset *fs, const char *name)
{
    long i = search(fs, name);
    if (i < 0)
        return 0;
    memmove(fs->gens + i, fs->gens + i + 1, (fs->n - (size_t)i - 1) * sizeof *fs->gens);
    fs->n--;
    return 1;
}

/* Decimal u32, no sign, no leading zeros beyond "0". */
static int parse_u32(const char *s, size_t n, uint32_t *out)
{
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Splits line into exactly 4 fields separated by single spaces. */
static int parse_line(const char *p, size_t n, struct td_fileset_gen *g, const char **why)
{
    const char *f[4];
    size_t fl[4];
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == ' ') {
            if (k == 4) {
                *why = "more than 4 fields";
                return -1;
            }
            f[k] = p + start;
            fl[k++] = i - start;
            start = i + 1;
        }
    }
    if (k != 4) {
        *why = "expected NAME TIER MIN_TIME_FIRST MAX_TIME_LAST";
        return -1;
    }
    memset(g, 0, sizeof *g);
    if (fl[0] == 0 || fl[0] >= TD_FILESET_NAME_MAX) {
        *why = "bad generation name";
        return -1;
    }
    memcpy(g->name, f[0], fl[0]);
    if (fl[1] != 1) {
        *why = "tier must be h, d or m";
        return -1;
    }
    g->tier = f[1][0];
    if (parse_u32(f[2], fl[2], &g->min_time_first) || parse_u32(f[3], fl[3], &g->max_time_last)) {
        *why = "times must be decimal seconds";
        return -1;
    }
    *why = check_gen(g);
    return *why ? -1 : 0;
}

int td_fileset_parse(const char *text, size_t len, struct td_fileset *fs, char *err, size_t errlen)
{
    memset(fs, 0, sizeof *fs);
    size_t pos = 0;
    unsigned line = 0;
    while (pos < len) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        if (!nl) {
            td_errf(err, errlen, "FILESET:%u: line not ended (truncated file)", line);
            goto fail;
        }
        const char *p = text + pos;
        size_t n = (size_t)(nl - p);
        pos += n + 1;
        if (memchr(p, 0, n)) {
            td_errf(err, errlen, "FILESET:%u: NUL octet", line);
            goto fail;
        }
        if (line == 1) {
            char want[32];
            int wn = snprintf(want, sizeof want, HEADER " %d", TD_FILESET_VERSION);
            if (n != (size_t)wn || memcmp(p, want, n) != 0) {
                if (n > sizeof HEADER && memcmp(p, HEADER " ", sizeof HEADER) == 0)
                    td_errf(err, errlen, "FILESET:1: unsupported version (this program reads version %d)",
                            TD_FILESET_VERSION);
                else
                    td_errf(err, errlen, "FILESET:1: not a FILESET (expected \"%s\")", want);
                goto fail;
            }
            continue;
        }
        struct td_fileset_gen g;
        const char *why = NULL;
        if (parse_line(p, n, &g, &why) != 0) {
            td_errf(err, errlen, "FILESET:%u: %s", line, why);
            goto fail;
        }
        if (fs->n && strcmp(fs->gens[fs->n - 1].name, g.name) >= 0) {
            td_errf(err, errlen, "FILESET:%u: %s: names not sorted or duplicated", line, g.name);
            goto fail;
        }
        char e2[128];
        if (td_fileset_put(fs, &g, e2, sizeof e2) != 0) {
            td_errf(err, errlen, "FILESET:%u: %s", line, e2);
            goto fail;
        }
    }
    if (line == 0) {
        td_errf(err, errlen, "FILESET: empty file (no version line)");
        goto fail;
    }
    return 0;
fail:
    td_fileset_free(fs);
    return -1;
}

int td_fileset_load(const char *root, struct td_fileset *fs, char *err, size_t errlen)
{
    memset(fs, 0, sizeof *fs);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/FILESET", root) >= (int)sizeof path) {
        td_errf(err, errlen, "%s: path too long", root);
        return -1;
    }
    char *buf;
    size_t len;
    int r = td_read_file(path, FILE_MAX, &buf, &len, err, errlen);
    if (r == 0)
        return 0;
    if (r == -2)
        td_errf(err, errlen, "%s: not a regular file of at most %u octets", path, FILE_MAX);
    if (r < 0)
        return -1;
    int rc = td_fileset_parse(buf, len, fs, err, errlen);
    free(buf);
    return rc;
}

char *td_fileset_format(const struct td_fileset *fs, size_t *len)
{
    size_t cap = 32 + (size_t)fs->n * (TD_FILESET_NAME_MAX + 32);
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t n = (size_t)snprintf(buf, cap, HEADER " %d\n", TD_FILESET_VERSION);
    for (uint32_t i = 0; i < fs->n; i++) {
        const struct td_fileset_gen *g = &fs->gens[i];
        n += (size_t)snprintf(buf + n, cap - n, "%s %c %u %u\n", g->name, g->tier, (unsigned)g->min_time_first,
                              (unsigned)g->max_time_last);
    }
    *len = n;
    return buf;
}

int td_fileset_store(const char *root, const struct td_fileset *fs, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < fs->n; i++) {
        const char *why = check_gen(&fs->gens[i]);
        if (why || (i && strcmp(fs->gens[i - 1].name, fs->gens[i].name) >= 0)) {
            td_errf(err, errlen, "generation %u: %s", i, why ? why : "names not sorted or duplicated");
            return -1;
        }
    }
    char path[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/FILESET", root) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/FILESET.tmp", root) >= (int)sizeof tmp) {
        td_errf(err, errlen, "%s: path too long", root);
        return -1;
    }
    size_t len;
    char *text = td_fileset_format(fs, &len);
    if (!text) {
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        free(text);
        return -1;
    }
    int rc = td_write_all(fd, text, len) == 0 && fsync(fd) == 0 ? 0 : -1;
    int e = errno;
    free(text);
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(e));
        unlink(tmp);
        return -1;
    }
    return td_rename_durable(tmp, path, err, errlen);
}

int td_fileset_lock(const char *root, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/index.lock", root) >= (int)sizeof path) {
        td_errf(err, errlen, "%s: path too long", root);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        td_errf(err, errlen, "%s: %s", path,
                errno == EWOULDBLOCK ? "held by another process (a build or merge is running)" : strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Removes every entry of dir (not dir itself); count added to *n. */
static int empty_dir(const char *dir, int *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        td_errf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) {
            td_errf(err, errlen, "%s: path too long", dir);
            rc = -1;
        } else if (td_gen_remove_tree(path, err, errlen) != 0) {
            rc = -1;
        } else {
            (*n)++;
        }
    }
    closedir(d);
    return rc;
}

int td_fileset_cleanup(const char *root, const struct td_fileset *fs, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int n = 0;
    if (snprintf(path, sizeof path, "%s/tmp", root) >= (int)sizeof path) {
        td_errf(err, errlen, "%s: path too long", root);
        return -1;
    }
    if (empty_dir(path, &n, err, errlen) != 0)
        return -1;
    DIR *d = opendir(root);
    if (!d) {
        td_errf(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (!td_fileset_name_ok(nm) || !(nm[0] == 'h' || nm[0] == 'd' || nm[0] == 'm') || nm[1] != '.' ||
            td_fileset_find(fs, nm) >= 0)
            continue;
        struct stat sb;
        if (fstatat(dirfd(d), nm, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", root, nm) >= (int)sizeof path) {
            td_errf(err, errlen, "%s: path too long", root);
            rc = -1;
        } else if (td_gen_remove_tree(path, err, errlen) != 0) {
            rc = -1;
        } else {
            n++;
        }
    }
    closedir(d);
    return rc ? -1 : n;
}
