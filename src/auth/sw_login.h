/* sw_login: password sign-in off the HTTP threads. Owns the verifier threads and their bounded
 * queue, the per-account and per-address guessing limits (sw_ratelimit, in memory) and the
 * dummy hash that makes an unknown tenant or user cost one argon2id verification, exactly like
 * a wrong password (no user enumeration by timing).
 *
 * The caller fills an sw_login_attempt and calls sw_login_start: a refusal (limited, queue
 * full, stopping) comes back at once with a Retry-After; otherwise a verifier thread looks the
 * user up, verifies, records the outcome with the limits and calls done(a) — the caller's last
 * chance to touch a before it hands it back (sw_login_drain waits for every done). */
#ifndef SW_LOGIN_H
#define SW_LOGIN_H

#include "auth/sw_password.h"
#include "core/sw_pool.h"
#include "store/sw_repo.h"

typedef struct sw_login sw_login;

typedef struct sw_login_opts {
    int workers;          /* verifier threads (2) */
    int queue;            /* verifications that may wait for a thread (64) */
    int account_failures; /* free failures per tenant+username (5) */
    int address_failures; /* free failures per client address (20) */
} sw_login_opts;

typedef enum {
    SW_LOGIN_QUEUED = 0,  /* done() will be called */
    SW_LOGIN_LIMITED,     /* too many failures for the account or the address: 429 */
    SW_LOGIN_BUSY,        /* every verifier busy and the queue full, or stopping: 503 */
} sw_login_status;

typedef struct sw_login_attempt {
    /* in */
    char tenant[72], username[72], address[64];
    char password[SW_PASSWORD_MAX_LEN + 1]; /* wiped once verified */
    void (*done)(struct sw_login_attempt *a);
    /* out (valid in done) */
    int ok;        /* the password matched */
    int cancelled; /* not verified: the server is stopping */
    sw_tenant tenant_row;
    sw_participant participant;
    /* internal */
    sw_login *lg;
    sw_pool_job job;
} sw_login_attempt;

sw_login *sw_login_new(sw_db *db, const sw_login_opts *o);
/* Waits for the verifications in flight (queued ones are cancelled), then frees. NULL is fine. */
void sw_login_free(sw_login *lg);
/* No new attempts; queued ones end cancelled; returns once every done() has returned. */
void sw_login_drain(sw_login *lg);

/* Starts an attempt (a->tenant, username, address, password, done set). On a refusal,
 * *retry_after_s is the seconds to wait (>= 1) and done is not called. */
sw_login_status sw_login_start(sw_login *lg, sw_login_attempt *a, int *retry_after_s);

#endif
