/* reason.h: why batch drops an RRset (the discard files store these codes: never renumber). */
#ifndef TD_REASON_H
#define TD_REASON_H

enum td_discard_reason {
    TD_DR_NONE = 0,
    TD_DR_UNSOLICITED = 1,     /* response without a matching query */
    TD_DR_CHECKSUM = 2,        /* UDP checksum incorrect */
    TD_DR_MISMATCH = 3,        /* response question/flags do not answer the query */
    TD_DR_RCODE = 4,           /* rcode other than NOERROR/NXDOMAIN */
    TD_DR_OUT_OF_BAILIWICK = 5,/* owner not in a zone the responding server is known to serve */
    TD_DR_FILTER = 6,          /* a filter rule (SOA, blacklist, regex, local zone): rule number kept */
    TD_DR_MALFORMED = 7,       /* message does not parse or holds too many records */
    TD_DR_TRUNCATED = 8,       /* TC=1: the answer is incomplete */
    TD_DR_CLASS = 9,           /* class other than IN */
    TD_DR__COUNT
};

static inline const char *td_discard_reason_str(int r)
{
    switch (r) {
    case TD_DR_UNSOLICITED: return "unsolicited";
    case TD_DR_CHECKSUM: return "checksum";
    case TD_DR_MISMATCH: return "mismatch";
    case TD_DR_RCODE: return "rcode";
    case TD_DR_OUT_OF_BAILIWICK: return "out-of-bailiwick";
    case TD_DR_FILTER: return "filter";
    case TD_DR_MALFORMED: return "malformed";
    case TD_DR_TRUNCATED: return "truncated";
    case TD_DR_CLASS: return "class";
    default: return "none";
    }
}

#endif
