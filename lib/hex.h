/* hex.h: one hex digit's value (either case), for the parsers that read hex text (rdata/raw
 * paths, COF rdata_raw). -1 for anything else. */
#ifndef TD_HEX_H
#define TD_HEX_H

static inline int td_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
