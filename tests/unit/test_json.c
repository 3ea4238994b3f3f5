/* Unit tests for lib/json.c: exact output for every escape, UTF-8 validity, nesting,
 * commas, integers at their limits, NDJSON lines, the sticky error flag, and a randomized
 * property check (output parses back to the input with invalid octets as U+FFFD). */
#include "json.h"
#include "tt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Escapes s[0..n) as one JSON string value and compares with want. */
static int esc_is(const char *s, size_t n, const char *want)
{
    struct td_json j;
    td_json_init(&j);
    td_json_string_len(&j, s, n);
    int ok = !j.oom && j.buf && strcmp(j.buf, want) == 0;
    if (!ok)
        printf("#   input of %zu octets gave %s, expected %s\n", n, j.buf ? j.buf : "(null)", want);
    td_json_free(&j);
    return ok;
}
#define ESC(lit, want) CHECK(esc_is(lit, sizeof(lit) - 1, want))

static void test_escapes(void)
{
    ESC("", "\"\"");
    ESC("abc", "\"abc\"");
    ESC("\"", "\"\\\"\"");
    ESC("\\", "\"\\\\\"");
    ESC("/", "\"/\"");
    ESC("\b", "\"\\b\"");
    ESC("\f", "\"\\f\"");
    ESC("\n", "\"\\n\"");
    ESC("\r", "\"\\r\"");
    ESC("\t", "\"\\t\"");
    ESC("\x00", "\"\\u0000\"");
    ESC("\x01", "\"\\u0001\"");
    ESC("\x0b", "\"\\u000b\"");
    ESC("\x1f", "\"\\u001f\"");
    ESC("\x1b[0m", "\"\\u001b[0m\"");
    ESC("\x7f", "\"\x7f\"");
    ESC(" ~", "\" ~\"");
    ESC("a\"b\\c\nd", "\"a\\\"b\\\\c\\nd\"");
    ESC("x\x00y", "\"x\\u0000y\"");
    /* every control octet */
    static const char *const ctl[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    };
    for (int c = 0; c < 32; c++) {
        char in[1] = { (char)c }, want[16];
        snprintf(want, sizeof want, "\"%s\"", ctl[c]);
        CHECK(esc_is(in, 1, want));
    }
    /* every printable ASCII octet except '"' and '\\' passes unchanged */
    for (int c = 0x20; c < 0x80; c++) {
        if (c == '"' || c == '\\')
            continue;
        char in[1] = { (char)c }, want[4] = { '"', (char)c, '"', 0 };
        CHECK(esc_is(in, 1, want));
    }
}

static void test_utf8_valid(void)
{
    ESC("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080 */
    ESC("\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\"");
    ESC("\xdf\xbf", "\"\xdf\xbf\"");                 /* U+07FF */
    ESC("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800 */
    ESC("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* euro */
    ESC("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF */
    ESC("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000 */
    ESC("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");         /* U+FFFF */
    ESC("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
    ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* emoji */
    ESC("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
    ESC("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");         /* U+FFFD itself */
    ESC("a\xe2\x82\xac\"", "\"a\xe2\x82\xac\\\"\"");
}

static void test_utf8_invalid(void)
{
#define R "\\ufffd"
    ESC("\x80", "\"" R "\"");                        /* lone continuation */
    ESC("\xbf", "\"" R "\"");
    ESC("\xc0\x80", "\"" R R "\"");                  /* overlong NUL */
    ESC("\xc1\xbf", "\"" R R "\"");                  /* overlong */
    ESC("\xc2", "\"" R "\"");                        /* truncated at end */
    ESC("\xc2" "A", "\"" R "A\"");                   /* truncated before ASCII */
    ESC("\xe0\x80\x80", "\"" R R R "\"");            /* overlong 3 */
    ESC("\xe0\x9f\xbf", "\"" R R R "\"");            /* overlong U+07FF */
    ESC("\xed\xa0\x80", "\"" R R R "\"");            /* surrogate U+D800 */
    ESC("\xed\xbf\xbf", "\"" R R R "\"");            /* surrogate U+DFFF */
    ESC("\xe2\x82", "\"" R R "\"");                  /* truncated 3 */
    ESC("\xe2\x82" "A", "\"" R R "A\"");
    ESC("\xe2\x28\xa1", "\"" R "(" R "\"");
    ESC("\xf0\x80\x80\x80", "\"" R R R R "\"");      /* overlong 4 */
    ESC("\xf0\x8f\xbf\xbf", "\"" R R R R "\"");      /* overlong U+FFFF */
    ESC("\xf4\x90\x80\x80", "\"" R R R R "\"");      /* U+110000 */
    ESC("\xf5\x80\x80\x80", "\"" R R R R "\"");
    ESC("\xf8\x88\x80\x80\x80", "\"" R R R R R "\""); /* 5-octet form */
    ESC("\xfe", "\"" R "\"");
    ESC("\xff", "\"" R "\"");
    ESC("\xf0\x9f\x98", "\"" R R R "\"");            /* truncated 4 */
    ESC("\xf0\x9f\x98" "\x80\x80", "\"\xf0\x9f\x98\x80" R "\"");
    ESC("a\xffz\xc3\xa9", "\"a" R "z\xc3\xa9\"");
#undef R
}

static void test_structure(void)
{
    struct td_json j;
    td_json_init(&j);
    td_json_object_begin(&j);
    td_json_object_end(&j);
    CHECK_STR(j.buf, "{}");
    td_json_reset(&j);
    td_json_array_begin(&j);
    td_json_array_end(&j);
    CHECK_STR(j.buf, "[]");
    td_json_reset(&j);

    td_json_object_begin(&j);
    td_json_kstring(&j, "rrname", "example.com.");
    td_json_kint(&j, "count", 3);
    td_json_kuint(&j, "time_first", 1700000000);
    td_json_kbool(&j, "ok", 1);
    td_json_kbool(&j, "bad", 0);
    td_json_key(&j, "rdata");
    td_json_array_begin(&j);
    td_json_string(&j, "192.0.2.1");
    td_json_string(&j, "192.0.2.2");
    td_json_array_begin(&j);
    td_json_array_end(&j);
    td_json_object_begin(&j);
    td_json_object_end(&j);
    td_json_null(&j);
    td_json_array_end(&j);
    td_json_key(&j, "o");
    td_json_object_begin(&j);
    td_json_key(&j, "n");
    td_json_null(&j);
    td_json_key(&j, "k\"q");
    td_json_string(&j, NULL);
    td_json_object_end(&j);
    td_json_object_end(&j);
    CHECK_EQ(j.oom, 0);
    CHECK_EQ(j.depth, 0);
    CHECK_STR(j.buf, "{\"rrname\":\"example.com.\",\"count\":3,\"time_first\":1700000000,"
                     "\"ok\":true,\"bad\":false,\"rdata\":[\"192.0.2.1\",\"192.0.2.2\",[],{},null],"
                     "\"o\":{\"n\":null,\"k\\\"q\":null}}");
    td_json_reset(&j);

    /* top-level scalars */
    td_json_int(&j, 7);
    CHECK_STR(j.buf, "7");
    td_json_reset(&j);
    td_json_string(&j, "x");
    CHECK_STR(j.buf, "\"x\"");
    td_json_free(&j);
}

static void test_integers(void)
{
    struct { int64_t v; const char *s; } ic[] = {
        { 0, "0" }, { 1, "1" }, { -1, "-1" }, { 9, "9" }, { 10, "10" }, { -10, "-10" },
        { INT64_MAX, "9223372036854775807" }, { INT64_MIN, "-9223372036854775808" },
        { INT64_MIN + 1, "-9223372036854775807" }, { 4294967296LL, "4294967296" },
    };
    struct td_json j;
    td_json_init(&j);
    for (size_t i = 0; i < sizeof ic / sizeof ic[0]; i++) {
        td_json_reset(&j);
        td_json_int(&j, ic[i].v);
        CHECK_STR(j.buf, ic[i].s);
    }
    struct { uint64_t v; const char *s; } uc[] = {
        { 0, "0" }, { 42, "42" }, { UINT64_MAX, "18446744073709551615" },
        { (uint64_t)INT64_MAX + 1, "9223372036854775808" },
    };
    for (size_t i = 0; i < sizeof uc / sizeof uc[0]; i++) {
        td_json_reset(&j);
        td_json_uint(&j, uc[i].v);
        CHECK_STR(j.buf, uc[i].s);
    }
    td_json_reset(&j);
    td_json_array_begin(&j);
    td_json_int(&j, INT64_MIN);
    td_json_uint(&j, UINT64_MAX);
    td_json_bool(&j, 5);
    td_json_array_end(&j);
    CHECK_STR(j.buf, "[-9223372036854775808,18446744073709551615,true]");
    td_json_free(&j);
}

static void test_ndjson(void)
{
    struct td_json j;
    td_json_init(&j);
    for (int i = 0; i < 3; i++) {
        td_json_object_begin(&j);
        td_json_kint(&j, "i", i);
        td_json_object_end(&j);
        td_json_newline(&j);
    }
    td_json_array_begin(&j);
    td_json_array_end(&j);
    td_json_newline(&j);
    CHECK_EQ(j.oom, 0);
    CHECK_STR(j.buf, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n[]\n");

    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ(td_json_flush(&j, f), 0);
        CHECK_EQ(j.len, 0);
        CHECK(j.cap > 0);         /* memory kept */
        td_json_object_begin(&j);
        td_json_kstring(&j, "a", "b");
        td_json_object_end(&j);
        td_json_newline(&j);
        CHECK_EQ(td_json_flush(&j, f), 0);
        char got[128] = { 0 };
        rewind(f);
        size_t n = fread(got, 1, sizeof got - 1, f);
        CHECK_EQ(n, strlen(got));
        CHECK_STR(got, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n[]\n{\"a\":\"b\"}\n");
        fclose(f);
    }
    td_json_free(&j);
}

static void test_depth(void)
{
    struct td_json j;
    td_json_init(&j);
    for (int i = 0; i < TD_JSON_MAX_DEPTH; i++)
        td_json_array_begin(&j);
    CHECK_EQ(j.oom, 0);
    CHECK_EQ(j.depth, TD_JSON_MAX_DEPTH);
    for (int i = 0; i < TD_JSON_MAX_DEPTH; i++)
        td_json_array_end(&j);
    CHECK_EQ(j.oom, 0);
    CHECK_EQ(j.len, 2 * TD_JSON_MAX_DEPTH);
    td_json_reset(&j);
    for (int i = 0; i <= TD_JSON_MAX_DEPTH; i++)
        td_json_array_begin(&j);
    CHECK_EQ(j.oom, 1);
    /* sticky: later calls do nothing, flush reports it and resets */
    size_t len = j.len;
    td_json_int(&j, 1);
    CHECK_EQ(j.len, len);
    FILE *f = tmpfile();
    if (f) {
        CHECK_EQ(td_json_flush(&j, f), -1);
        CHECK_EQ(ftell(f), 0);
        CHECK_EQ(j.oom, 0);
        td_json_int(&j, 2);
        CHECK_EQ(td_json_flush(&j, f), 0);
        CHECK_EQ(ftell(f), 1);
        fclose(f);
    }
    td_json_free(&j);
}

/* Each misuse the writer can detect sets the sticky flag. */
static void test_misuse(void)
{
    struct td_json j;
    for (int c = 0; c < 8; c++) {
        td_json_init(&j);
        switch (c) {
        case 0: td_json_array_begin(&j); td_json_key(&j, "k"); break;
        case 1: td_json_object_begin(&j); td_json_int(&j, 1); break;
        case 2: td_json_object_begin(&j); td_json_array_end(&j); break;
        case 3: td_json_array_begin(&j); td_json_object_end(&j); break;
        case 4: td_json_object_end(&j); break;
        case 5: td_json_object_begin(&j); td_json_newline(&j); break;
        case 6: td_json_object_begin(&j); td_json_key(&j, "a"); td_json_object_end(&j); break;
        case 7: td_json_object_begin(&j); td_json_key(&j, "a"); td_json_key(&j, "b"); break;
        }
        if (!j.oom)
            printf("#   misuse case %d not detected\n", c);
        CHECK_EQ(j.oom, 1);
        td_json_free(&j);
    }
}

static void test_growth(void)
{
    struct td_json j;
    td_json_init(&j);
    size_t n = 100000;
    char *s = malloc(n);
    char *want = malloc(2 * n + 3);
    CHECK(s && want);
    if (!s || !want) {
        free(s);
        free(want);
        return;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + i % 26);
    want[0] = '"';
    memcpy(want + 1, s, n);
    want[n + 1] = '"';
    want[n + 2] = 0;
    td_json_string_len(&j, s, n);
    CHECK(j.buf && strcmp(j.buf, want) == 0);
    /* many small appends */
    td_json_reset(&j);
    td_json_array_begin(&j);
    for (int i = 0; i < 20000; i++)
        td_json_int(&j, 1);
    td_json_array_end(&j);
    CHECK_EQ(j.len, 2 + 20000 * 2 - 1);
    CHECK_EQ(j.oom, 0);
    free(s);
    free(want);
    td_json_free(&j);
}

/* ---- randomized property: decode the output with an independent decoder ---- */

/* Decodes one code point from UTF-8 by arithmetic; -1 if not well formed. */
static long ref_decode(const uint8_t *s, size_t n, size_t *used)
{
    if (s[0] < 0x80) {
        *used = 1;
        return s[0];
    }
    int k;
    long cp;
    if ((s[0] & 0xe0) == 0xc0) { k = 2; cp = s[0] & 0x1f; }
    else if ((s[0] & 0xf0) == 0xe0) { k = 3; cp = s[0] & 0x0f; }
    else if ((s[0] & 0xf8) == 0xf0) { k = 4; cp = s[0] & 0x07; }
    else return -1;
    if ((size_t)k > n)
        return -1;
    for (int i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const long minv[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < minv[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *used = (size_t)k;
    return cp;
}

/* Expected: the input with each octet that does not start a well-formed sequence
 * replaced by EF BF BD. */
static size_t ref_expected(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t used;
        if (ref_decode(s + i, n - i, &used) >= 0) {
            memcpy(out + o, s + i, used);
            o += used;
            i += used;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    return o;
}

/* Minimal JSON string decoder: returns decoded length or -1 on anything invalid. */
static long ref_unescape(const char *js, uint8_t *out)
{
    const uint8_t *p = (const uint8_t *)js;
    size_t o = 0;
    if (*p++ != '"')
        return -1;
    for (;;) {
        uint8_t c = *p++;
        if (c == 0 || c < 0x20)
            return -1;
        if (c == '"')
            break;
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        c = *p++;
        switch (c) {
        case '"': case '\\': case '/': out[o++] = c; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned v = 0;
            for (int i = 0; i < 4; i++) {
                char h = (char)*p++;
                v <<= 4;
                if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                else return -1;
            }
            if (v < 0x80) {
                out[o++] = (uint8_t)v;
            } else if (v == 0xfffd) {
                memcpy(out + o, "\xef\xbf\xbd", 3);
                o += 3;
            } else {
                return -1; /* the writer never emits other escapes */
            }
            break;
        }
        default:
            return -1;
        }
    }
    return *p == 0 ? (long)o : -1;
}

static void test_random_roundtrip(void)
{
    uint32_t seed = 12345;
    struct td_json j;
    td_json_init(&j);
    uint8_t in[64], want[64 * 3], got[64 * 6];
    int bad = 0;
    for (int iter = 0; iter < 200000 && !bad; iter++) {
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 24;
        for (; n < len; n++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8;
            /* bias towards interesting octets */
            static const uint8_t pick[] = { 0x00, 0x1f, '"', '\\', 0x7f, 0x80, 0xbf, 0xc0, 0xc2,
                                            0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 'a' };
            in[n] = (r & 1) ? (uint8_t)(r >> 1) : pick[(r >> 1) % sizeof pick];
        }
        td_json_reset(&j);
        td_json_string_len(&j, (const char *)in, n);
        size_t wn = ref_expected(in, n, want);
        long gn = ref_unescape(j.buf, got);
        if (gn < 0 || (size_t)gn != wn || memcmp(got, want, wn) != 0) {
            printf("#   iteration %d: output %s does not decode to the expected text\n", iter, j.buf);
            bad = 1;
        }
    }
    CHECK(!bad);
    td_json_free(&j);
}

int main(void)
{
    TT_RUN(test_escapes);
    TT_RUN(test_utf8_valid);
    TT_RUN(test_utf8_invalid);
    TT_RUN(test_structure);
    TT_RUN(test_integers);
    TT_RUN(test_ndjson);
    TT_RUN(test_depth);
    TT_RUN(test_misuse);
    TT_RUN(test_growth);
    TT_RUN(test_random_roundtrip);
    return tt_finish();
}
