/* sw_login: password verification on its own threads, behind the guessing limits (see
 * sw_login.h). */
#include "auth/sw_login.h"
#include "auth/sw_ratelimit.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sw_login {
    sw_db *db;
    sw_pool *pool;
    sw_ratelimit *accounts, *addresses;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int cap;         /* verifications running or queued at most */
    int outstanding; /* started and done() not yet returned */
    int stopping;
};

/* A valid argon2id hash of a random password: an unknown tenant or user is verified against
 * it, so "no such user" costs what "wrong password" costs. Made by the first verification (of
 * either kind), on a verifier thread. */
static char dummy[SW_PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    unsigned char r[16];
    char pw[33];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(pw, sizeof pw, r, sizeof r);
    if (sw_password_hash(pw, dummy, sizeof dummy) != 0) dummy[0] = 0;
    sodium_memzero(pw, sizeof pw);
}

static sw_ratelimit *limiter(int free_failures, int reset_on_success)
{
    sw_ratelimit_opts o = {.free_failures = free_failures > 0 ? free_failures : 1,
                           .base_ms = 1000,
                           .max_ms = 15 * 60 * 1000,
                           .forget_ms = 60 * 60 * 1000,
                           .reset_on_success = reset_on_success,
                           .sets = 16384};
    return sw_ratelimit_new(&o);
}

sw_login *sw_login_new(sw_db *db, const sw_login_opts *o)
{
    sw_login *lg = calloc(1, sizeof *lg);
    if (!lg) return NULL;
    lg->db = db;
    int workers = o && o->workers > 0 ? o->workers : 2;
    lg->cap = workers + (o && o->queue >= 0 ? o->queue : 64);
    lg->accounts = limiter(o ? o->account_failures : 5, 1);
    lg->addresses = limiter(o ? o->address_failures : 20, 0);
    lg->pool = sw_pool_new(workers);
    pthread_mutex_init(&lg->mu, NULL);
    pthread_cond_init(&lg->cv, NULL);
    if (!lg->accounts || !lg->addresses || !lg->pool) {
        sw_login_free(lg);
        return NULL;
    }
    return lg;
}

void sw_login_drain(sw_login *lg)
{
    if (!lg) return;
    pthread_mutex_lock(&lg->mu);
    lg->stopping = 1;
    while (lg->outstanding > 0) pthread_cond_wait(&lg->cv, &lg->mu);
    pthread_mutex_unlock(&lg->mu);
}

void sw_login_free(sw_login *lg)
{
    if (!lg) return;
    sw_login_drain(lg);
    sw_pool_free(lg->pool);
    sw_ratelimit_free(lg->accounts);
    sw_ratelimit_free(lg->addresses);
    pthread_mutex_destroy(&lg->mu);
    pthread_cond_destroy(&lg->cv);
    free(lg);
}

/* "tenant\x1fusername": the account key, whether or not the account exists. */
static size_t account_key(const sw_login_attempt *a, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s\x1f%s", a->tenant, a->username);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static void verify(sw_login *lg, sw_login_attempt *a)
{
    int found = sw_tenant_by_slug(lg->db, a->tenant, &a->tenant_row) == SW_REPO_OK &&
                sw_participant_by_local_id(lg->db, a->tenant_row.id, a->username, &a->participant) ==
                    SW_REPO_OK &&
                a->participant.password_hash[0];
    /* the same single verification either way; the result counts only for a real user */
    a->ok = sw_password_verify(found ? a->participant.password_hash : dummy, a->password) && found;
}

static void run(void *arg)
{
    sw_login_attempt *a = arg;
    sw_login *lg = a->lg;
    pthread_once(&dummy_once, dummy_init);
    pthread_mutex_lock(&lg->mu);
    a->cancelled = lg->stopping;
    pthread_mutex_unlock(&lg->mu);
    if (!a->cancelled) verify(lg, a);
    sodium_memzero(a->password, sizeof a->password);
    char key[160];
    size_t klen = account_key(a, key, sizeof key);
    int64_t now = sw_time_mono_us() / 1000;
    if (a->cancelled) {
        sw_ratelimit_cancel(lg->accounts, key, klen, now);
        sw_ratelimit_cancel(lg->addresses, a->address, strlen(a->address), now);
    } else {
        sw_ratelimit_end(lg->accounts, key, klen, a->ok, now);
        sw_ratelimit_end(lg->addresses, a->address, strlen(a->address), a->ok, now);
    }
    a->done(a); /* a belongs to the caller again */
    pthread_mutex_lock(&lg->mu);
    if (--lg->outstanding == 0) pthread_cond_broadcast(&lg->cv);
    pthread_mutex_unlock(&lg->mu);
}

static int seconds(int64_t ms)
{
    int64_t s = (ms + 999) / 1000;
    return s < 1 ? 1 : s > 86400 ? 86400 : (int)s;
}

sw_login_status sw_login_start(sw_login *lg, sw_login_attempt *a, int *retry_after_s)
{
    *retry_after_s = 1;
    a->lg = lg;
    a->ok = a->cancelled = 0;
    char key[160];
    size_t klen = account_key(a, key, sizeof key);
    size_t alen = strlen(a->address);
    int64_t now = sw_time_mono_us() / 1000;
    int64_t wait = sw_ratelimit_begin(lg->addresses, a->address, alen, now);
    if (wait) {
        *retry_after_s = seconds(wait);
        return SW_LOGIN_LIMITED;
    }
    wait = sw_ratelimit_begin(lg->accounts, key, klen, now);
    if (wait) {
        sw_ratelimit_cancel(lg->addresses, a->address, alen, now);
        *retry_after_s = seconds(wait);
        return SW_LOGIN_LIMITED;
    }
    pthread_mutex_lock(&lg->mu);
    int room = !lg->stopping && lg->outstanding < lg->cap;
    if (room) lg->outstanding++;
    pthread_mutex_unlock(&lg->mu);
    memset(&a->job, 0, sizeof a->job);
    a->job.fn = run;
    a->job.arg = a;
    if (room && sw_pool_submit_job(lg->pool, &a->job) == 0) return SW_LOGIN_QUEUED;
    if (room) {
        pthread_mutex_lock(&lg->mu);
        if (--lg->outstanding == 0) pthread_cond_broadcast(&lg->cv);
        pthread_mutex_unlock(&lg->mu);
    }
    sw_ratelimit_cancel(lg->accounts, key, klen, now);
    sw_ratelimit_cancel(lg->addresses, a->address, alen, now);
    sodium_memzero(a->password, sizeof a->password);
    return SW_LOGIN_BUSY;
}
