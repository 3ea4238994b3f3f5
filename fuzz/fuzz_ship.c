/* fuzz_ship: the tapdns-ship message decoder (lib/ship_proto.h) on arbitrary bytes, read as a
 * stream of messages the way the receiver and sender read a connection. Checks the contract:
 * a decoded message lies inside the input, DATA points inside it with 1..TD_SHIP_DATA_MAX
 * octets, names and texts are NUL-terminated within bounds; re-encoding a decoded message and
 * decoding that again gives the same fields (and, but for ERROR texts with control octets,
 * the same octets); the name check never reads past the name. */
#include "ship_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static uint8_t again[TD_SHIP_MSG_MAX];
static volatile unsigned sink;

static void same(const struct td_ship_msg *a, const struct td_ship_msg *b)
{
    REQUIRE(a->type == b->type);
    switch (a->type) {
    case TD_SHIP_HELLO: REQUIRE(a->version == b->version); break;
    case TD_SHIP_OFFER:
        REQUIRE(a->size == b->size && memcmp(a->sum, b->sum, TD_SHIP_SUM_LEN) == 0 && strcmp(a->name, b->name) == 0);
        break;
    case TD_SHIP_ACCEPT: REQUIRE(a->offset == b->offset); break;
    case TD_SHIP_DATA:
        REQUIRE(a->offset == b->offset && a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0);
        break;
    case TD_SHIP_COMMIT: REQUIRE(a->size == b->size); break;
    case TD_SHIP_ACK: REQUIRE(a->size == b->size && a->flags == b->flags); break;
    case TD_SHIP_ERROR: REQUIRE(a->code == b->code && strcmp(a->text, b->text) == 0); break;
    default: abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        struct td_ship_msg m;
        size_t used = 0;
        const char *why = NULL;
        int r = td_ship_decode(data + off, size - off, &m, &used, &why);
        if (r == TD_SHIP_BAD) {
            REQUIRE(why != NULL);
            break;
        }
        if (r == TD_SHIP_MORE) {
            REQUIRE(used == 0 || (used > size - off && used <= TD_SHIP_MSG_MAX));
            break;
        }
        REQUIRE(r == TD_SHIP_OK);
        REQUIRE(used >= TD_SHIP_FRAME_HDR && used <= size - off && used <= TD_SHIP_MSG_MAX);
        if (m.type == TD_SHIP_DATA) {
            REQUIRE(m.data_len >= 1 && m.data_len <= TD_SHIP_DATA_MAX);
            REQUIRE(m.data == data + off + TD_SHIP_DATA_HDR && m.data + m.data_len == data + off + used);
        }
        if (m.type == TD_SHIP_OFFER) {
            size_t nl = strnlen(m.name, sizeof m.name);
            REQUIRE(nl >= 1 && nl <= TD_SHIP_NAME_MAX);
            sink += (unsigned)td_ship_name_ok(m.name);
        }
        if (m.type == TD_SHIP_ERROR) {
            REQUIRE(strnlen(m.text, sizeof m.text) <= TD_SHIP_TEXT_MAX);
            sink += (unsigned)strlen(td_ship_err_str(m.code));
        }
        size_t l = td_ship_encode(&m, again, sizeof again);
        REQUIRE(l == used);
        if (m.type != TD_SHIP_ERROR)
            REQUIRE(memcmp(again, data + off, used) == 0);
        struct td_ship_msg m2;
        size_t used2;
        REQUIRE(td_ship_decode(again, l, &m2, &used2, NULL) == TD_SHIP_OK && used2 == l);
        same(&m, &m2);
        off += used;
    }
    return 0;
}
