/* prom_sum.c: see prom_sum.h. */
#include "prom_sum.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Does the metric name of line[0..n) match? */
static int name_matches(const char *line, size_t n, const char *name)
{
    size_t nl = 0;
    while (nl < n && line[nl] != '{' && line[nl] != ' ' && line[nl] != '\t')
        nl++;
    size_t want = strlen(name);
    if (want && name[want - 1] == '*')
        return nl >= want - 1 && memcmp(line, name, want - 1) == 0;
    return nl == want && memcmp(line, name, want) == 0;
}

/* The sample value of line[0..n): the token after the labels (a timestamp may follow). */
static int line_value(const char *line, size_t n, double *v)
{
    size_t i = 0;
    while (i < n && line[i] != '{' && line[i] != ' ' && line[i] != '\t')
        i++;
    if (i < n && line[i] == '{') { /* skip labels, honouring quotes and escapes */
        int quoted = 0;
        for (i++; i < n; i++) {
            if (quoted && line[i] == '\\')
                i++;
            else if (line[i] == '"')
                quoted = !quoted;
            else if (!quoted && line[i] == '}')
                break;
        }
        if (i >= n)
            return -1;
        i++;
    }
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t start = i;
    while (i < n && line[i] != ' ' && line[i] != '\t')
        i++;
    char tok[64];
    if (i == start || i - start >= sizeof tok)
        return -1;
    memcpy(tok, line + start, i - start);
    tok[i - start] = '\0';
    char *end;
    *v = strtod(tok, &end);
    return *end || isnan(*v) ? -1 : 0;
}

size_t td_prom_sum(const char *text, size_t len, const char *name, double *sum, size_t *bad)
{
    size_t found = 0, pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n == 0 || line[0] == '#' || !name_matches(line, n, name))
            continue;
        double v;
        if (line_value(line, n, &v) != 0) {
            if (bad)
                (*bad)++;
            continue;
        }
        *sum += v;
        found++;
    }
    return found;
}
