/* json.h: the one JSON writer. Builds into a growable buffer; commas and nesting tracked
 * by the writer; strings escaped per RFC 8259 (quote, backslash, control octets as \u00XX;
 * valid UTF-8 passes through, each invalid octet becomes U+FFFD). Allocation failure and
 * misuse (a value in an object without a key, a key in an array, closing the wrong
 * container, depth over TD_JSON_MAX_DEPTH, a newline with containers open) are sticky
 * (j->oom) and checked once at the end: td_json_flush() then returns -1.
 * td_json_string(j, NULL) writes null. */
#ifndef TD_JSON_H
#define TD_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TD_JSON_MAX_DEPTH 32

struct td_json {
    char *buf;
    size_t len, cap;
    int depth;
    uint8_t first[TD_JSON_MAX_DEPTH]; /* 1 while the container at that depth is empty */
    int after_key;
    int oom;                          /* sticky: an allocation failed or depth exceeded */
};

void td_json_init(struct td_json *j);
void td_json_reset(struct td_json *j);   /* empty the buffer, keep memory */
void td_json_free(struct td_json *j);
void td_json_object_begin(struct td_json *j);
void td_json_object_end(struct td_json *j);
void td_json_array_begin(struct td_json *j);
void td_json_array_end(struct td_json *j);
void td_json_key(struct td_json *j, const char *key);
void td_json_string(struct td_json *j, const char *s);
void td_json_string_len(struct td_json *j, const char *s, size_t len);
void td_json_int(struct td_json *j, int64_t v);
void td_json_uint(struct td_json *j, uint64_t v);
void td_json_bool(struct td_json *j, int v);
void td_json_null(struct td_json *j);
/* key + value shorthands */
void td_json_kstring(struct td_json *j, const char *key, const char *s);
void td_json_kint(struct td_json *j, const char *key, int64_t v);
void td_json_kuint(struct td_json *j, const char *key, uint64_t v);
void td_json_kbool(struct td_json *j, const char *key, int v);
/* Appends "\n" (NDJSON line end); the next value starts a new top-level document. */
void td_json_newline(struct td_json *j);
/* Writes the buffer to f and resets it; -1 on write error or oom. */
int td_json_flush(struct td_json *j, FILE *f);

#endif
