/* sw_mcp_serve_sessions: the /v1/mcp sessions table (see sw_mcp_serve_sessions.h). A hash of
 * NBUCKETS chains keyed by the id's first hex digits (the ids are random, so that is a fine
 * hash); a full scan only when a session opens (bounds, expiry). */
#include "mcp/sw_mcp_serve_sessions.h"

#include "core/sw_time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024

typedef struct session {
    struct session *next;
    char id[SW_MCP_SESSION_ID_LEN + 1];
    char tenant_id[40];
    char participant_id[40];
    char protocol[16];
    int initialized;
    int64_t last_used_us;
} session;

struct sw_mcp_sessions {
    pthread_mutex_t mu;
    session *buckets[NBUCKETS];
    int n, max, per_caller;
    int64_t idle_us;
    sw_mcp_inflight *inflight;
};

sw_mcp_sessions *sw_mcp_sessions_new(int max, int per_caller, int idle_s)
{
    if (sodium_init() < 0) return NULL;
    sw_mcp_sessions *ss = calloc(1, sizeof *ss);
    if (!ss) return NULL;
    pthread_mutex_init(&ss->mu, NULL);
    ss->max = max > 0 ? max : 10000;
    ss->per_caller = per_caller > 0 ? per_caller : 64;
    ss->idle_us = (int64_t)(idle_s > 0 ? idle_s : 3600) * 1000000;
    return ss;
}

void sw_mcp_sessions_free(sw_mcp_sessions *ss)
{
    if (!ss) return;
    for (int b = 0; b < NBUCKETS; b++)
        for (session *s = ss->buckets[b], *nx; s; s = nx) {
            nx = s->next;
            free(s);
        }
    pthread_mutex_destroy(&ss->mu);
    free(ss);
}

/* The bucket of a well-formed id (32 lowercase hex), or -1. */
static int bucket_of(const char *id)
{
    if (!id || strlen(id) != SW_MCP_SESSION_ID_LEN) return -1;
    unsigned v = 0;
    for (int i = 0; i < SW_MCP_SESSION_ID_LEN; i++) {
        char c = id[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        if (i < 4) v = v * 16 + (unsigned)d;
    }
    return (int)(v % NBUCKETS);
}

static int same_caller(const session *s, const sw_mcp_caller *c)
{
    return c && c->tenant_id && c->participant_id && !strcmp(s->tenant_id, c->tenant_id) &&
           !strcmp(s->participant_id, c->participant_id);
}

/* Under mu: cancels the in-flight requests of session sid (it is going away). */
static void cancel_of(sw_mcp_sessions *ss, const char *sid)
{
    for (sw_mcp_inflight *f = ss->inflight; f; f = f->next)
        if (!strcmp(f->sid, sid)) __atomic_store_n(&f->cancel, 1, __ATOMIC_RELEASE);
}

/* Under mu: unlinks and frees *ps. */
static void drop(sw_mcp_sessions *ss, session **ps)
{
    session *s = *ps;
    *ps = s->next;
    cancel_of(ss, s->id);
    free(s);
    ss->n--;
}

/* Under mu: drops expired sessions; then, while the caller has per_caller or more (or the table
 * is full), the least recently used of theirs (or of anyone). */
static void make_room(sw_mcp_sessions *ss, const sw_mcp_caller *caller, int64_t now)
{
    for (;;) {
        session **lru_mine = NULL, **lru_any = NULL;
        int mine = 0;
        for (int b = 0; b < NBUCKETS; b++)
            for (session **ps = &ss->buckets[b]; *ps;) {
                session *s = *ps;
                if (now - s->last_used_us > ss->idle_us) {
                    drop(ss, ps);
                    continue;
                }
                if (same_caller(s, caller)) {
                    mine++;
                    if (!lru_mine || s->last_used_us < (*lru_mine)->last_used_us) lru_mine = ps;
                }
                if (!lru_any || s->last_used_us < (*lru_any)->last_used_us) lru_any = ps;
                ps = &s->next;
            }
        if (mine >= ss->per_caller && lru_mine) drop(ss, lru_mine);
        else if (ss->n >= ss->max && lru_any) drop(ss, lru_any);
        else return;
    }
}

int sw_mcp_sessions_open(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *protocol,
                         char id[SW_MCP_SESSION_ID_LEN + 1])
{
    session *s = calloc(1, sizeof *s);
    if (!s) return -1;
    unsigned char raw[SW_MCP_SESSION_ID_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(s->id, sizeof s->id, raw, sizeof raw);
    snprintf(s->tenant_id, sizeof s->tenant_id, "%s", caller->tenant_id);
    snprintf(s->participant_id, sizeof s->participant_id, "%s", caller->participant_id);
    snprintf(s->protocol, sizeof s->protocol, "%s", protocol);
    int64_t now = sw_time_mono_us();
    s->last_used_us = now;
    int b = bucket_of(s->id);
    pthread_mutex_lock(&ss->mu);
    make_room(ss, caller, now);
    s->next = ss->buckets[b];
    ss->buckets[b] = s;
    ss->n++;
    pthread_mutex_unlock(&ss->mu);
    memcpy(id, s->id, sizeof s->id);
    return 0;
}

/* Under mu: the link to the caller's live session id, or NULL (an expired one is dropped). */
static session **lookup(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *id, int64_t now)
{
    int b = bucket_of(id);
    if (b < 0) return NULL;
    for (session **ps = &ss->buckets[b]; *ps; ps = &(*ps)->next) {
        session *s = *ps;
        if (strcmp(s->id, id) != 0) continue;
        if (now - s->last_used_us > ss->idle_us) {
            drop(ss, ps);
            return NULL;
        }
        return caller && !same_caller(s, caller) ? NULL : ps;
    }
    return NULL;
}

int sw_mcp_sessions_find(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *id, char protocol[16])
{
    int64_t now = sw_time_mono_us();
    pthread_mutex_lock(&ss->mu);
    session **ps = lookup(ss, caller, id, now);
    if (ps) {
        (*ps)->last_used_us = now;
        memcpy(protocol, (*ps)->protocol, 16);
    }
    pthread_mutex_unlock(&ss->mu);
    return ps ? 0 : -1;
}

void sw_mcp_sessions_initialized(sw_mcp_sessions *ss, const char *id)
{
    pthread_mutex_lock(&ss->mu);
    session **ps = lookup(ss, NULL, id, sw_time_mono_us());
    if (ps) (*ps)->initialized = 1;
    pthread_mutex_unlock(&ss->mu);
}

int sw_mcp_sessions_close(sw_mcp_sessions *ss, const sw_mcp_caller *caller, const char *id)
{
    pthread_mutex_lock(&ss->mu);
    session **ps = lookup(ss, caller, id, sw_time_mono_us());
    if (ps) drop(ss, ps);
    pthread_mutex_unlock(&ss->mu);
    return ps ? 0 : -1;
}

int sw_mcp_sessions_count(sw_mcp_sessions *ss)
{
    pthread_mutex_lock(&ss->mu);
    int n = ss->n;
    pthread_mutex_unlock(&ss->mu);
    return n;
}

void sw_mcp_inflight_add(sw_mcp_sessions *ss, sw_mcp_inflight *f)
{
    pthread_mutex_lock(&ss->mu);
    f->next = ss->inflight;
    ss->inflight = f;
    pthread_mutex_unlock(&ss->mu);
}

void sw_mcp_inflight_remove(sw_mcp_sessions *ss, sw_mcp_inflight *f)
{
    pthread_mutex_lock(&ss->mu);
    for (sw_mcp_inflight **pf = &ss->inflight; *pf; pf = &(*pf)->next)
        if (*pf == f) {
            *pf = f->next;
            break;
        }
    pthread_mutex_unlock(&ss->mu);
}

int sw_mcp_inflight_cancel(sw_mcp_sessions *ss, const char *sid, const json_t *request_id)
{
    int found = 0;
    pthread_mutex_lock(&ss->mu);
    for (sw_mcp_inflight *f = ss->inflight; f; f = f->next)
        if (!strcmp(f->sid, sid) && json_equal(f->id, request_id)) {
            __atomic_store_n(&f->cancel, 1, __ATOMIC_RELEASE);
            found = 1;
        }
    pthread_mutex_unlock(&ss->mu);
    return found;
}
