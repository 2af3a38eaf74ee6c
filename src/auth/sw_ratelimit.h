/* sw_ratelimit: failure counting with exponential backoff, for password guessing. Owns one
 * table of keys (an account, an address) in memory: a key that failed `free_failures` times is
 * refused for base_ms, then twice as long after each further failure (capped at max_ms); a key
 * quiet for forget_ms starts over. Attempts in flight count against the free failures, so a
 * burst of concurrent guesses cannot slip past the limit before the first one fails.
 *
 * The table is bounded (set-associative, 4 entries a set; a full set replaces its oldest
 * entry, unblocked ones first) and keyed by a keyed hash (SipHash, random key), so a flood of
 * made-up names costs no memory and cannot aim collisions. State is per process and lost on
 * restart (several nodes would keep it in Redis). Thread-safe; times are the caller's (ms). */
#ifndef SW_RATELIMIT_H
#define SW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct sw_ratelimit sw_ratelimit;

typedef struct sw_ratelimit_opts {
    int free_failures;     /* failures before the first block (>= 1) */
    int64_t base_ms;       /* the first block */
    int64_t max_ms;        /* the longest block */
    int64_t forget_ms;     /* a key without a failure for this long starts over */
    int reset_on_success;  /* a success forgets the key's failures (accounts: yes; addresses: no) */
    unsigned sets;         /* a power of two; 4 keys each */
} sw_ratelimit_opts;

/* NULL when out of memory or the options are invalid. */
sw_ratelimit *sw_ratelimit_new(const sw_ratelimit_opts *o);
void sw_ratelimit_free(sw_ratelimit *rl);

/* May an attempt under key go ahead at now_ms? 0: yes, and it is counted as in flight until
 * sw_ratelimit_end. Otherwise the milliseconds to wait (>= 1), and nothing is counted. */
int64_t sw_ratelimit_begin(sw_ratelimit *rl, const void *key, size_t len, int64_t now_ms);
/* Ends an attempt begun with 0: ok = 1 for a success, 0 for a failure (which may block). */
void sw_ratelimit_end(sw_ratelimit *rl, const void *key, size_t len, int ok, int64_t now_ms);
/* Ends an attempt begun with 0 that never ran: neither a success nor a failure. */
void sw_ratelimit_cancel(sw_ratelimit *rl, const void *key, size_t len, int64_t now_ms);

#endif
