/* tapdns-spool recover: turns the ".open" files a crashed writer left into closed files, so
 * batch (which reads only closed files) gets every record that reached the disk.
 * For each DIR/X.open: every record the reader delivers (all complete frames, up to the tear)
 * is written with the spool writer into DIR/.recover/ under the same sensor and writer id,
 * the result is renamed to DIR/X (fsync of file and directory by the writer and here), then
 * X.open is removed. Refuses when X already exists, and when the file's records would span
 * several hours (a writer rotates, so a crashed .open never does that). The writer of X must
 * not be running (recover at sensor start-up, before capture).
 * --dir DIR (or [spool] dir from --config): every X.open of DIR whose writer is gone. A live
 * writer holds an exclusive flock on its .open file for as long as it writes it, so a file
 * whose lock can be taken is a dead writer's, and one whose lock cannot is skipped: several
 * capture instances may share DIR (the systemd units run this before each start). */
#include "cli.h"
#include "config.h"
#include "durable.h"
#include "spool.h"
#include "tool.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "tapdns-spool recover";

static int recover_one(const char *path, int quiet)
{
    size_t len = strlen(path);
    if (len < 6 || strcmp(path + len - 5, ".open") != 0) {
        fprintf(stderr, "%s: %s: not a .open spool file\n", prog, path);
        return 1;
    }
    char final[4096], dircopy[4096], tmpdir[4200], base[256];
    if (len >= sizeof final) {
        fprintf(stderr, "%s: %.200s...: path too long\n", prog, path);
        return 1;
    }
    snprintf(final, sizeof final, "%.*s", (int)(len - 5), path);
    snprintf(dircopy, sizeof dircopy, "%s", path);
    const char *dir = dirname(dircopy);
    const char *slash = strrchr(final, '/');
    if (snprintf(base, sizeof base, "%s", slash ? slash + 1 : final) >= (int)sizeof base) {
        fprintf(stderr, "%s: %s: name too long\n", prog, path);
        return 1;
    }
    if (access(final, F_OK) == 0) {
        fprintf(stderr, "%s: %s exists already; not touching %s\n", prog, final, path);
        return 1;
    }
    const char *err;
    struct td_spool_reader *r = td_spool_reader_open(path, &err);
    if (!r) {
        fprintf(stderr, "%s: %s: %s (nothing recoverable)\n", prog, path, err);
        return 1;
    }
    const struct td_spool_header *h = td_spool_reader_header(r);
    snprintf(tmpdir, sizeof tmpdir, "%s/.recover", dir);
    if (mkdir(tmpdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", prog, tmpdir, strerror(errno));
        td_spool_reader_close(&r);
        return 1;
    }
    struct td_spool_writer_opts wo = { .dir = tmpdir, .sensor = h->sensor, .writer_id = h->writer_id };
    struct td_spool_writer *w = td_spool_writer_init(&wo, &err);
    if (!w) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, err);
        td_spool_reader_close(&r);
        return 1;
    }
    struct td_record rec;
    uint64_t n = 0;
    int got, rc = 0;
    while ((got = td_spool_read(r, &rec)) == TD_SPOOL_RECORD) {
        uint64_t t = rec.response_ts_ns ? rec.response_ts_ns : rec.query_ts_ns;
        if (td_spool_write(w, &rec, t, &err) != 0) {
            fprintf(stderr, "%s: %s: %s\n", prog, path, err);
            rc = 1;
            break;
        }
        n++;
    }
    uint64_t off = 0;
    const char *why = got == TD_SPOOL_ERROR ? td_spool_reader_error(r, &off) : NULL;
    uint64_t files = 0;
    if (td_spool_writer_close_file(w, &err) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, err);
        rc = 1;
    }
    files = td_spool_writer_stats(w)->files_closed;
    td_spool_writer_destroy(&w, &err);
    td_spool_reader_close(&r);
    char made[4500];
    if (snprintf(made, sizeof made, "%s/%s", tmpdir, base) >= (int)sizeof made)
        return 1;
    if (rc == 0 && n > 0 && (files != 1 || access(made, F_OK) != 0)) {
        fprintf(stderr, "%s: %s: records span several hours or writer ids; left in %s\n", prog, path, tmpdir);
        return 1;
    }
    if (rc != 0)
        return 1;
    if (n > 0 && (rename(made, final) != 0 || td_fsync_dir(dir) != 0)) {
        fprintf(stderr, "%s: %s: %s\n", prog, final, strerror(errno));
        return 1;
    }
    if (unlink(path) != 0 || td_fsync_dir(dir) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return 1;
    }
    rmdir(tmpdir);
    if (!quiet)
        printf("%s: %llu records recovered into %s%s%s\n", path, (unsigned long long)n, n ? final : "(none; removed)",
               why ? "; the rest was lost: " : "", why ? why : "");
    return 0;
}

/* 1 if a live writer holds path (its flock), 0 if not, -1 if it cannot be opened. */
static int in_use(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* a writer never reopens an existing .open file: a free one stays free */
    return held;
}

static int recover_dir(const char *dir, int quiet)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
        return 1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char sensor[TD_SPOOL_SENSOR_MAX + 1], path[4096];
        uint32_t hour, wid;
        int is_open;
        if (td_spool_parse_name(e->d_name, sensor, sizeof sensor, &hour, &wid, &is_open) != 0 || !is_open)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        int u = in_use(path);
        if (u == 1) {
            if (!quiet)
                printf("%s: in use by a running writer, left alone\n", path);
            continue;
        }
        if (u == 0)
            rc |= recover_one(path, quiet);
    }
    closedir(d);
    return rc;
}

int tool_recover(int argc, char **argv)
{
    int quiet = 0;
    const char *dir = NULL, *config = NULL;
    const struct td_option opts[] = {
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "print nothing on success", NULL, 0 },
        { "dir", 'd', TD_OPT_STRING, &dir, "DIR", "every .open file of DIR whose writer is gone", "spool.dir", 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file ([spool] dir)", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first, rc = 0;
    struct td_config *cfg = NULL;
    int pr = tool_parse(prog, "[--quiet] FILE.open... | --dir DIR | --config FILE", opts, argc, argv, &first, 0, &cfg);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    if (!dir && first >= argc) {
        fprintf(stderr, "%s: no FILE.open and no --dir (see --help)\n", prog);
        td_config_free(&cfg);
        return 2;
    }
    if (dir)
        rc |= recover_dir(dir, quiet);
    for (int i = first; i < argc; i++)
        rc |= recover_one(argv[i], quiet);
    td_config_free(&cfg);
    return rc;
}
