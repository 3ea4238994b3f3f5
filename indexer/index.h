/* index.h: the reading library of the index (indexer/KEYS.md section 4, REFERENCE.md section 4).
 *
 * Contract:
 * - td_index_open(ROOT) loads ROOT/FILESET (fileset.h) once and opens every generation it
 *   lists, ROOT/NAME, read-only (gen_reader.h: tables open on first use, at most
 *   opts->max_open_files per generation), with one LRU block cache shared by all of them
 *   (opts->cache_bytes). It reads each generation's TIME_RANGE entry (0xFE) for pruning. The set
 *   is fixed for the life of the handle: a FILESET replaced later is seen by the next
 *   td_index_open. Nothing is locked: any number of processes may read one index.
 * - A query (struct td_index_query) names one lookup: rrset by owner (optional rrtype, ANY or
 *   ANY-DNSSEC, optional bailiwick), rrset `*.X` / `+.X` (X and every name below it, or exactly
 *   one label more; label-aligned), rrset `X.*` / `X.+` (owners that start with X's labels and
 *   have more labels / exactly one more, through RRSET_NAME_FWD), rdata name (exact, `*.X`,
 *   `+.X`, `X.*`, `X.+`; optional rrtype), rdata ip (v4 or v6 address, CIDR, or lo..hi range),
 *   rdata raw (the rdata octets exactly; optional rrtype).
 *   Time fences (inclusive, 0 = unset) apply to the values MERGED across generations:
 *     time_first_before: time_first <= T      time_first_after: time_first >= T
 *     time_last_before:  time_last  <= T      time_last_after:  time_last  >= T
 *   offset results passing the fences are skipped, then at most limit (0 = no limit) come out.
 * - td_index_query_start gives an iterator; td_index_next yields results in key order (memcmp
 *   order of the index keys: rrset results by reversed owner, type, reversed bailiwick, rdata;
 *   rdata results by rdata, type, reversed owner), except the two kinds that walk name keys:
 *   rrset `X.*`/`X.+` come by forward owner name (memcmp of wire(owner): `www.example.com`,
 *   `www.example.com.au`, `www.example.net`), then in rrset key order within one owner; rdata
 *   `*.X`/`+.X` come by reversed rdata name (X itself first), then in rdata key order within one
 *   name. Entries with the same key in several generations come out once, merged (min
 *   time_first, max time_last, sum of counts saturating at 2^64-1); with gravel, once per
 *   generation (see the field). A generation whose TIME_RANGE (min_tf, max_tl) cannot pass the fences
 *   (time_first_after > max_tl, or time_last_before < min_tf) is not scanned: every key it
 *   holds fails after the merge (it only lowers time_first / raises time_last), so it is only
 *   probed (one exact get per candidate that passes everything else; the bloom filter
 *   answers misses) and a key found there is dropped ("remove_strict", REFERENCE.md 4).
 *   Skipping it outright would be wrong: a key whose other generations pass would come out.
 *   With gravel a pruned generation is neither scanned nor probed: its entries fail the fences
 *   on their own and do not change the other generations' results.
 * - Wildcards through name keys: rrset `X.*` walks RRSET_NAME_FWD (prefix wire(X) without its
 *   root octet; X itself is skipped), rdata `*.X` walks RDATA_NAME_REV (prefix rev(X) without
 *   its root octet), both merged across the unpruned generations, one name at a time; each name
 *   then gets the rrset (owner[/type[/bailiwick]]) or rdata name (name[/type]) scan, only in the
 *   generations that hold that name key (KEYS.md: every RRSET has its NAME_FWD, every name an
 *   rdata of a NAME_REV type gives has its NAME_REV). A name whose merged name-key value cannot
 *   pass the fences is skipped (the name key's times bound those of every entry made with it).
 *   rdata `*.X` finds only the types that make RDATA_NAME_REV entries (NS, CNAME, DNAME, PTR,
 *   MX, SRV, SVCB, HTTPS, SOA: td_index_name_rev_type), so ANY-DNSSEC finds nothing there.
 *   rdata `X.*` is one RDATA scan (prefix wire(X) without its root octet) with the rdata name
 *   checks below, the name having more labels than X. `+` (one_label) seeks past every name
 *   with two or more extra labels (one seek per subtree), and past X itself, instead of walking
 *   them. Memory stays fixed: the walk holds one name, never a list.
 * - Memory per iterator is fixed: one generation iterator per generation read (two for the kinds
 *   that walk name keys), a heap of their indexes (k-way merge by key), one value slot per
 *   generation, one key buffer, one rdata buffer and the range bounds (at most 64 KiB each).
 *   Nothing grows with the number of results or names.
 * - RRSET results decode the RRSET key; RDATA results decode the RDATA key (owner, rrtype, the
 *   whole rdata rebuilt from a sliced key) and keep only the keys that pass the checks the
 *   range helper reports (TD_IR_CHECK_*): for rdata name, the type (ANY: a type whose rdata
 *   starts with a name) and the rdata: exactly the name for one-name types (NS, CNAME, DNAME,
 *   PTR, MD, MF, MB, MG, MR, and the sliced MX/SRV keys), starting with the name otherwise
 *   (SOA, NSEC, RP, NXT, sliced SVCB/HTTPS). Types with a sliced key (MX, SRV, SVCB, HTTPS)
 *   match a name only through their sliced key, so each rdata comes out once. For rdata ip,
 *   type A (4 octets) or AAAA (16 octets) exactly. For raw: an unsliced RDATA key whose rdata
 *   is exactly raw (scan prefix tb raw, then the stored length must equal raw_len, so a raw
 *   that is a prefix of a longer rdata does not match; the type after, when one is asked).
 * - Library code: no printing; -1 comes back with a reason (err, or td_index_iter_error). A
 *   malformed key or value met in a scan is an error, never skipped silently. */
#ifndef TD_INDEX_H
#define TD_INDEX_H
#include <stddef.h>
#include <stdint.h>
#include "keys.h"

/* Shared LRU block cache. Filled as blocks are read (nothing is allocated up front), so the
 * bound costs nothing until queries touch that much: 256 MiB keeps exact lookups on a 10 M-RRset
 * index under 10 µs (bench_index: 7.8 µs; 12.9 µs with 64 MiB). */
#define TD_INDEX_CACHE_DEFAULT (256u << 20)
#define TD_INDEX_OPEN_FILES_DEFAULT 64     /* tables open at once per generation (gen_reader.h) */

struct td_index_opts {
    size_t cache_bytes;     /* 0 = TD_INDEX_CACHE_DEFAULT */
    int max_open_files;     /* per generation; 0 = TD_INDEX_OPEN_FILES_DEFAULT */
};

struct td_index;

/* NULL with err if FILESET is malformed or a listed generation cannot be opened (or is missing).
 * opts may be NULL. An absent FILESET is an empty index (every query gives no result). */
struct td_index *td_index_open(const char *root, const struct td_index_opts *opts, char *err, size_t errlen);
/* A handle on ROOT/FILESET as it is now (ROOT: old's), for a process that keeps an index open
 * while the jobs replace FILESET (tapdns-queryd). Consecutive sets share most generations:
 * this reuses every generation (its open tables, and the block cache) that old holds, opening
 * only the new ones. old stays valid and unchanged; close each handle when its last query
 * ended. A generation is closed with the last handle that lists it. An index, the handles that
 * share its generations and their queries are used from one thread (plain reference counts,
 * and each generation's table LRU).
 * NULL with err as td_index_open. */
struct td_index *td_index_reopen(const struct td_index *old, char *err, size_t errlen);
void td_index_close(struct td_index **ip);
/* Generations open (FILESET order, by name). */
size_t td_index_generations(const struct td_index *idx);

enum td_index_qkind {
    TD_IQ_RRSET = 1,      /* rrset/name/NAME[/TYPE[/BAILIWICK]] (and rrset/raw/HEX: the same with a wire name) */
    TD_IQ_RRSET_BELOW,    /* rrset/name/ *.NAME: NAME and below, optional type, bailiwick */
    TD_IQ_RDATA_NAME,     /* rdata/name/NAME[/TYPE] */
    TD_IQ_RDATA_IP,       /* rdata/ip/ADDR, ADDR,PFX or LO-HI */
    /* The kinds below were added for the query service (DESIGN.md 7, REFERENCE.md 4). */
    TD_IQ_RRSET_ABOVE,    /* rrset/name/NAME.*: owners that start with NAME's labels and have at least one
                           * more label on the right (name = NAME without the wildcard, as a wire name
                           * ending in the root octet), via RRSET_NAME_FWD; optional type, bailiwick */
    TD_IQ_RDATA_NAME_BELOW, /* rdata/name/ *.NAME: rdata names equal to NAME or below it, via RDATA_NAME_REV */
    TD_IQ_RDATA_NAME_ABOVE, /* rdata/name/NAME.*: rdata names that start with NAME's labels plus >= 1 label */
    TD_IQ_RDATA_RAW,      /* rdata/raw/HEX[/TYPE]: rdata octets equal to raw/raw_len exactly (1..65535
                           * octets; ANY: non-DNSSEC types, ANY-DNSSEC: DNSSEC types) */
};

struct td_index_query {
    enum td_index_qkind kind;
    /* Every kind but RDATA_IP and RDATA_RAW: an uncompressed wire name (any case); for the
     * wildcard kinds X without the `*.`/`.*`/`+.`/`.+` (ending in the root octet). */
    const uint8_t *name;
    size_t name_len;
    /* 0..65535, TD_INDEX_ANY (keys.h, every non-DNSSEC type) or TD_INDEX_ANY_DNSSEC. Note that
     * 0 is a type: set TD_INDEX_ANY explicitly. RDATA_IP: ANY, or 1 (A) / 28 (AAAA) matching
     * ip_len. */
    int rrtype;
    /* RRSET, RRSET_BELOW and RRSET_ABOVE only (rdata kinds refuse one): NULL = any bailiwick. */
    const uint8_t *bailiwick;
    size_t bailiwick_len;
    /* RDATA_IP: ip_len 4 or 16. ip_prefix 0: the range ip_lo..ip_hi inclusive (one address:
     * lo == hi); ip_prefix 1..ip_len*8: the CIDR ip_lo/ip_prefix (ip_hi unused). */
    uint8_t ip_lo[16], ip_hi[16];
    size_t ip_len;
    unsigned ip_prefix;
    /* `+` wildcards (+.NAME, NAME.+): with RRSET_BELOW, RRSET_ABOVE, RDATA_NAME_BELOW, RDATA_NAME_ABOVE,
     * one_label = 1 keeps only names with exactly one label more than NAME (and not NAME itself).
     * Other kinds refuse one_label. */
    int one_label;
    /* RDATA_RAW: the rdata octets (copied at query start). */
    const uint8_t *raw;
    size_t raw_len;
    /* aggr = false ("gravel", REFERENCE.md 1): 1 = do not merge across generations; the same key held
     * by several generations comes out once per generation (in key order, then by time_first, then
     * time_last, then FILESET order), each with that generation's own value; fences, offset and
     * limit then apply per result. */
    int gravel;
    /* Inclusive fences on merged values; 0 = unset. */
    uint32_t time_first_before, time_first_after, time_last_before, time_last_after;
    uint64_t limit;         /* 0 = no limit */
    uint64_t offset;        /* results skipped (after the fences) before the first returned */
};

/* One result. Pointers are valid until the next td_index_next or td_index_query_end. Names
 * in wire order (lowercase, as stored). */
struct td_index_result {
    int is_rdata;                   /* 0: an RRset (RRSET key); 1: one rdata (RDATA key) */
    const uint8_t *owner;
    uint16_t owner_len;
    uint16_t rrtype;
    const uint8_t *bailiwick;       /* RRset results; NULL for rdata results */
    uint16_t bailiwick_len;
    uint16_t nrdata;                /* rdata results: 1 */
    const uint8_t *const *rdata;
    const uint16_t *rdlen;
    uint64_t count;                 /* merged across generations */
    uint32_t time_first, time_last;
};

struct td_index_iter;

/* NULL with err on a bad query (kind, name, type, address length, ...) or out of memory. The
 * query's name and bailiwick are copied: q may go away after this call. */
struct td_index_iter *td_index_query_start(struct td_index *idx, const struct td_index_query *q, char *err,
                                           size_t errlen);
/* 1 = *res holds a result, 0 = end (limit reached or range exhausted), -1 = error
 * (td_index_iter_error says why; the iterator then stays at -1). */
int td_index_next(struct td_index_iter *it, struct td_index_result *res);
const char *td_index_iter_error(const struct td_index_iter *it);
/* Generations this query scans (pruned ones, only probed, not counted). */
size_t td_index_iter_generations(const struct td_index_iter *it);
void td_index_query_end(struct td_index_iter **itp);

#endif
