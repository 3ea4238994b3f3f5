/* fuzz_frame: lib/frame.h on arbitrary bytes, as an Ethernet frame (td_frame_decode), as a
 * raw IP packet (td_frame_decode_ip) and as reassembled L4 bytes (td_frame_decode_l4, UDP and
 * TCP). Checks the result contract: offsets and lengths stay within the input, the payload
 * lies inside the L4 length, every byte reported as present is readable (ASan checks it). */
#include "frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static volatile unsigned sink;

static void touch(const uint8_t *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    sink += s;
}

static void check(const uint8_t *data, size_t size, const struct td_frame *f, int r)
{
    REQUIRE(r >= 0 && r < TD_FRAME__COUNT);
    REQUIRE(f->vlan_count <= TD_FRAME_MAX_VLAN);
    REQUIRE((f->flags & ~(TD_FF_VLAN | TD_FF_FRAGMENT | TD_FF_MORE_FRAGS | TD_FF_IP_TRUNC)) == 0);
    REQUIRE(f->l3_off <= size);
    if (r == TD_FRAME_OK || r == TD_FRAME_FRAGMENT || r == TD_FRAME_NOT_UDP_TCP ||
        r == TD_FRAME_BAD_L4) {
        REQUIRE(f->ip_version == 4 || f->ip_version == 6);
        REQUIRE(f->l4_off >= f->l3_off);
        REQUIRE(f->l4_off <= size);
    }
    if (f->ip_version == 4)
        for (int i = 4; i < 16; i++)
            REQUIRE(f->src[i] == 0 && f->dst[i] == 0);
    if (r == TD_FRAME_OK) {
        REQUIRE(f->l4_proto == 17 || f->l4_proto == 6);
        REQUIRE(f->payload_off >= f->l4_off + (f->l4_proto == 17 ? 8 : 20));
        REQUIRE((size_t)f->payload_off + f->payload_len <= size);
        REQUIRE(f->payload_len <= f->ip_payload_len);
        REQUIRE((size_t)(f->payload_off - f->l4_off) + f->payload_len <= f->ip_payload_len);
        if (f->l4_proto == 17) {
            const uint8_t *u = data + f->l4_off;
            unsigned ulen = (unsigned)(u[4] << 8 | u[5]);
            REQUIRE(f->payload_off == f->l4_off + 8);
            REQUIRE(ulen >= 8 && ulen <= f->ip_payload_len);
            REQUIRE(f->payload_len <= ulen - 8);
            if (!(f->flags & TD_FF_IP_TRUNC))
                REQUIRE(f->payload_len == ulen - 8);
            REQUIRE(f->sport == (u[0] << 8 | u[1]) && f->dport == (u[2] << 8 | u[3]));
        }
        touch(data + f->payload_off, f->payload_len);
    }
    if (r == TD_FRAME_FRAGMENT) {
        REQUIRE(f->flags & TD_FF_FRAGMENT);
        REQUIRE(f->payload_off == f->l4_off);
        REQUIRE((size_t)f->l4_off + f->payload_len <= size);
        REQUIRE(f->payload_len <= f->ip_payload_len);
        if (!(f->flags & TD_FF_IP_TRUNC))
            REQUIRE(f->payload_len == f->ip_payload_len);
        if (f->ip_version == 4)
            REQUIRE(f->frag_id <= 0xffff && (f->frag_off & 7) == 0);
        REQUIRE(f->frag_off % 8 == 0);
        REQUIRE(f->frag_off != 0 || (f->flags & TD_FF_MORE_FRAGS) || f->ip_version == 6);
        touch(data + f->l4_off, f->payload_len);
    } else {
        REQUIRE(!(f->flags & (TD_FF_FRAGMENT | TD_FF_MORE_FRAGS)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct td_frame f, g;
    int r, r2;

    r = td_frame_decode(data, data + size, &f);
    check(data, size, &f, r);
    r2 = td_frame_decode(data, data + size, &g);
    REQUIRE(r == r2 && memcmp(&f, &g, sizeof f) == 0);

    r = td_frame_decode_ip(data, data + size, &f);
    check(data, size, &f, r);
    REQUIRE(f.l3_off == 0 && f.vlan_count == 0);

    /* the same bytes as a reassembled datagram's L4 */
    for (int proto = 6; proto <= 17; proto += 11) {
        memset(&f, 0, sizeof f);
        f.ip_version = 4;
        f.l4_proto = (uint8_t)proto;
        r = td_frame_decode_l4(data, data + size, &f);
        if (size > 65535) {
            REQUIRE(r == TD_FRAME_BAD_L4);
            break;
        }
        REQUIRE(r == TD_FRAME_OK || r == TD_FRAME_BAD_L4 || r == TD_FRAME_TRUNCATED);
        REQUIRE(f.l4_off == 0 && f.ip_payload_len == size);
        if (r == TD_FRAME_OK) {
            REQUIRE((size_t)f.payload_off + f.payload_len <= size);
            REQUIRE(!(f.flags & TD_FF_IP_TRUNC));
            touch(data + f.payload_off, f.payload_len);
        }
    }
    return 0;
}
