/* sw_ratelimit: per-key failure counts with exponential backoff (see sw_ratelimit.h). */
#include "auth/sw_ratelimit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

typedef struct {
    uint64_t h; /* 0 = empty */
    int32_t fails, pending;
    int64_t last_ms, blocked_until_ms;
} entry;

struct sw_ratelimit {
    pthread_mutex_t mu;
    sw_ratelimit_opts o;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    entry *e; /* sets * WAYS */
};

sw_ratelimit *sw_ratelimit_new(const sw_ratelimit_opts *o)
{
    if (!o || o->free_failures < 1 || o->base_ms < 1 || o->max_ms < o->base_ms || o->sets == 0 ||
        (o->sets & (o->sets - 1)) != 0 || sodium_init() < 0)
        return NULL;
    sw_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return NULL;
    rl->e = calloc((size_t)o->sets * WAYS, sizeof *rl->e);
    if (!rl->e) {
        free(rl);
        return NULL;
    }
    rl->o = *o;
    crypto_shorthash_keygen(rl->hkey);
    pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

void sw_ratelimit_free(sw_ratelimit *rl)
{
    if (!rl) return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->e);
    sodium_memzero(rl->hkey, sizeof rl->hkey);
    free(rl);
}

static uint64_t hash(const sw_ratelimit *rl, const void *key, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, key, len, rl->hkey);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h | 1;
}

/* The key's entry (NULL when absent and !create). A stale one starts over. Under mu. */
static entry *find(sw_ratelimit *rl, uint64_t h, int64_t now, int create)
{
    entry *set = rl->e + (size_t)(h & (rl->o.sets - 1)) * WAYS, *e = NULL;
    for (int i = 0; i < WAYS && !e; i++)
        if (set[i].h == h) e = &set[i];
    if (!e) {
        if (!create) return NULL;
        entry *victim = NULL;
        int victim_busy = 1;
        for (int i = 0; i < WAYS; i++) {
            entry *c = &set[i];
            if (!c->h) {
                victim = c;
                break;
            }
            int busy = c->pending > 0 || now < c->blocked_until_ms;
            if (!victim || busy < victim_busy || (busy == victim_busy && c->last_ms < victim->last_ms)) {
                victim = c;
                victim_busy = busy;
            }
        }
        memset(victim, 0, sizeof *victim);
        victim->h = h;
        victim->last_ms = now;
        return victim;
    }
    if (e->pending == 0 && now >= e->blocked_until_ms && now - e->last_ms >= rl->o.forget_ms) {
        e->fails = 0;
        e->blocked_until_ms = 0;
    }
    return e;
}

int64_t sw_ratelimit_begin(sw_ratelimit *rl, const void *key, size_t len, int64_t now_ms)
{
    if (!rl) return 0;
    uint64_t h = hash(rl, key, len);
    pthread_mutex_lock(&rl->mu);
    entry *e = find(rl, h, now_ms, 0);
    int64_t wait = 0;
    if (e && now_ms < e->blocked_until_ms) {
        wait = e->blocked_until_ms - now_ms;
    } else if (e) {
        /* in flight at once: what is left of the free failures, and one after a block */
        int room = rl->o.free_failures - e->fails;
        if (e->pending >= (room > 1 ? room : 1)) wait = rl->o.base_ms;
    }
    if (!wait) {
        if (!e) e = find(rl, h, now_ms, 1);
        e->pending++;
        e->last_ms = now_ms;
    }
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

void sw_ratelimit_end(sw_ratelimit *rl, const void *key, size_t len, int ok, int64_t now_ms)
{
    if (!rl) return;
    uint64_t h = hash(rl, key, len);
    pthread_mutex_lock(&rl->mu);
    entry *e = find(rl, h, now_ms, 1);
    if (e->pending > 0) e->pending--;
    if (ok) {
        if (rl->o.reset_on_success) {
            e->fails = 0;
            e->blocked_until_ms = 0;
        }
    } else {
        if (e->fails < INT32_MAX) e->fails++;
        if (e->fails >= rl->o.free_failures) {
            int shift = e->fails - rl->o.free_failures;
            int64_t d = rl->o.base_ms;
            while (shift-- > 0 && d < rl->o.max_ms) d *= 2;
            if (d > rl->o.max_ms) d = rl->o.max_ms;
            e->blocked_until_ms = now_ms + d;
        }
    }
    e->last_ms = now_ms;
    pthread_mutex_unlock(&rl->mu);
}

void sw_ratelimit_cancel(sw_ratelimit *rl, const void *key, size_t len, int64_t now_ms)
{
    if (!rl) return;
    uint64_t h = hash(rl, key, len);
    pthread_mutex_lock(&rl->mu);
    entry *e = find(rl, h, now_ms, 0);
    if (e && e->pending > 0) e->pending--;
    pthread_mutex_unlock(&rl->mu);
}
