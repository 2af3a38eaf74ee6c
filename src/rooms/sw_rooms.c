/* sw_rooms: ordered append+publish, room plugin toggles (membership: sw_room_members.c); a
 * command typed in a room is handed to the slash interpreter (sw_slash_cmd.c). */
#include "rooms/sw_rooms.h"
#include "rooms/sw_room_policy.h"
#include "core/sw_log.h"
#include "core/sw_text.h"
#include "core/sw_time.h"
#include "plugins/sw_slash.h"
#include "store/sw_repo.h"
#include "store/sw_room_repo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *flusher_main(void *arg);

int sw_rooms_init(sw_rooms *r, sw_db *db, sw_bus *bus, sw_dispatcher *disp, sw_pool *pool)
{
    memset(r, 0, sizeof *r);
    r->db = db;
    r->bus = bus;
    r->disp = disp;
    r->pool = pool;
    pthread_mutex_init(&r->write_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->flush_cv, &ca);
    pthread_condattr_destroy(&ca);
    r->members = sw_cache_new(2048, sizeof(sw_member_entry));
    r->toggles = sw_cache_new(1024, sizeof(int));
    r->slugs = sw_cache_new(64, 72);
    pthread_mutex_init(&r->pending_mu, NULL);
    pthread_cond_init(&r->pending_cv, NULL);
    r->flusher_ticking = 1;
    r->flusher_started = pthread_create(&r->flusher, NULL, flusher_main, r) == 0;
    return 0;
}

void sw_rooms_drain(sw_rooms *r)
{
    pthread_mutex_lock(&r->pending_mu);
    while (r->pending > 0) pthread_cond_wait(&r->pending_cv, &r->pending_mu);
    pthread_mutex_unlock(&r->pending_mu);
}

void sw_rooms_fini(sw_rooms *r)
{
    sw_rooms_drain(r);
    if (r->flusher_started) {
        pthread_mutex_lock(&r->write_mu);
        r->flush_stop = 1;
        pthread_cond_signal(&r->flush_cv);
        pthread_mutex_unlock(&r->write_mu);
        pthread_join(r->flusher, NULL);
    }
    pthread_cond_destroy(&r->flush_cv);
    pthread_mutex_destroy(&r->write_mu);
    sw_cache_free(r->members);
    sw_cache_free(r->toggles);
    sw_cache_free(r->slugs);
    pthread_mutex_destroy(&r->pending_mu);
    pthread_cond_destroy(&r->pending_cv);
}

typedef struct append_req {
    struct append_req *next;
    const char *tenant_id, *room_id, *sender_id, *event_type, *event_uuid;
    const json_t *content;
    json_t *wire;
    int existed, rc, done;
    int async;          /* heap-allocated by sw_rooms_append_async: the committer frees it */
    pthread_cond_t cv;  /* a synchronous writer waits here, and only it is woken */
} append_req;

static void publish(sw_rooms *r, const append_req *a)
{
    json_t *ev = a->wire;
    json_t *wire = json_pack("{s:s, s:O, s:O, s:s, s:O, s:O, s:O, s:O}", "type", a->event_type, "id",
                             json_object_get(ev, "id"), "room_id", json_object_get(ev, "room_id"),
                             "tenant_id", a->tenant_id, "ts", json_object_get(ev, "origin_ts"),
                             "stream_position", json_object_get(ev, "stream_position"), "sender_id",
                             json_object_get(ev, "sender_id"), "content", json_object_get(ev, "content"));
    sw_event *bev = wire ? sw_event_new(a->tenant_id, a->room_id, a->event_type,
                                        json_integer_value(json_object_get(ev, "stream_position")), wire)
                         : NULL;
    json_decref(wire);
    if (bev) {
        sw_bus_publish(r->bus, bev);
        sw_event_unref(bev);
    }
}

/* Stores a batch in one transaction (a savepoint per event, so one failure spares the rest),
 * then publishes what was stored, in order. */
static void commit_batch(sw_rooms *r, append_req *batch)
{
    int tx = sw_db_begin(r->db) == 0;
    int single = batch && !batch->next; /* the common case under light load: no savepoint needed */
    for (append_req *a = batch; a; a = a->next) {
        if (!tx) {
            a->rc = -1;
            continue;
        }
        if (!single) sw_db_savepoint(r->db);
        a->rc = sw_event_append_in_tx(r->db, a->tenant_id, a->room_id, a->sender_id, a->event_type, a->content,
                                      a->event_uuid, &a->wire, &a->existed) == SW_REPO_OK ? 0 : -1;
        if (!single) sw_db_savepoint_end(r->db, a->rc == 0);
    }
    if (single && batch->rc != 0) { /* nothing else to keep */
        sw_db_rollback(r->db);
        return;
    }
    if (tx && sw_db_commit(r->db) != 0) {
        SW_ERROR("rooms: commit of %s failed: %s", "a batch of events", sw_db_errmsg(r->db));
        for (append_req *a = batch; a; a = a->next) {
            a->rc = -1;
            json_decref(a->wire);
            a->wire = NULL;
        }
        return;
    }
    for (append_req *a = batch; a; a = a->next)
        if (a->rc == 0 && !a->existed && r->bus) publish(r, a);
}

void sw_rooms_pending_add(sw_rooms *r, int d)
{
    pthread_mutex_lock(&r->pending_mu);
    r->pending += d;
    if (r->pending == 0) pthread_cond_broadcast(&r->pending_cv);
    pthread_mutex_unlock(&r->pending_mu);
}

static void enqueue(sw_rooms *r, append_req *me)
{
    if (r->queue_tail) r->queue_tail->next = me;
    else r->queue = me;
    r->queue_tail = me;
}

/* Commits the queue batch after batch until it is empty, so whatever was queued before a leader
 * stepped down is committed. Called and returns with write_mu held; me (or NULL) is the
 * leader's own request, which it does not need to wake. */
static void lead(sw_rooms *r, append_req *me)
{
    r->leader = 1;
    while (r->queue) {
        append_req *batch = r->queue;
        r->queue = r->queue_tail = NULL;
        pthread_mutex_unlock(&r->write_mu);
        commit_batch(r, batch);
        int finished_async = 0;
        pthread_mutex_lock(&r->write_mu);
        for (append_req *a = batch, *n; a; a = n) {
            n = a->next; /* a synchronous request's memory is gone once its writer wakes */
            if (a->async) {
                if (a->rc != 0) SW_ERROR("rooms: a %s event for room %s was not stored", a->event_type, a->room_id);
                json_decref(a->wire);
                json_decref((json_t *)a->content);
                free(a);
                finished_async++;
            } else {
                a->done = 1;
                if (a != me) pthread_cond_signal(&a->cv);
            }
        }
        if (finished_async) {
            pthread_mutex_unlock(&r->write_mu);
            sw_rooms_pending_add(r, -finished_async);
            pthread_mutex_lock(&r->write_mu);
        }
    }
    r->leader = 0;
}

/* The flusher: commits asynchronous appends that no synchronous writer took along. It ticks
 * every FLUSH_TICK_US while there is traffic and sleeps once there has been none for a while,
 * so under load a tool result rides in the transaction of the next message sent, and a quiet
 * room sees it within a millisecond. */
#define FLUSH_TICK_US 1000
#define FLUSH_IDLE_TICKS 200

static void *flusher_main(void *arg)
{
    sw_rooms *r = arg;
    int idle = 0;
    pthread_mutex_lock(&r->write_mu);
    while (!r->flush_stop) {
        if (r->queue) {
            idle = 0;
        } else if (++idle > FLUSH_IDLE_TICKS) {
            r->flusher_ticking = 0;
            while (!r->queue && !r->flush_stop) pthread_cond_wait(&r->flush_cv, &r->write_mu);
            r->flusher_ticking = 1;
            idle = 0;
        }
        struct timespec ts = sw_time_after_us(CLOCK_MONOTONIC, FLUSH_TICK_US);
        if (!r->flush_stop) pthread_cond_timedwait(&r->flush_cv, &r->write_mu, &ts);
        if (r->queue && !r->leader) lead(r, NULL);
    }
    if (r->queue && !r->leader) lead(r, NULL);
    pthread_mutex_unlock(&r->write_mu);
    return NULL;
}

int sw_rooms_append(sw_rooms *r, const char *tenant_id, const char *room_id, const char *sender_id,
                    const char *event_type, const json_t *content, const char *event_uuid,
                    json_t **wire_out, int *existed)
{
    append_req me = {.tenant_id = tenant_id, .room_id = room_id, .sender_id = sender_id,
                     .event_type = event_type, .event_uuid = event_uuid, .content = content,
                     .cv = PTHREAD_COND_INITIALIZER};
    pthread_mutex_lock(&r->write_mu);
    enqueue(r, &me);
    if (!r->leader)
        lead(r, &me);
    else
        while (!me.done) pthread_cond_wait(&me.cv, &r->write_mu);
    pthread_mutex_unlock(&r->write_mu);
    pthread_cond_destroy(&me.cv);
    if (existed) *existed = me.existed;
    if (wire_out) *wire_out = me.wire;
    else json_decref(me.wire);
    return me.rc;
}

int sw_rooms_append_async(sw_rooms *r, const char *tenant_id, const char *room_id, const char *sender_id,
                          const char *event_type, json_t *content)
{
    size_t lt = strlen(tenant_id) + 1, lr = strlen(room_id) + 1, ls = strlen(sender_id) + 1,
           le = strlen(event_type) + 1;
    append_req *a = calloc(1, sizeof *a + lt + lr + ls + le);
    if (!a) return -1;
    char *p = (char *)(a + 1);
    a->tenant_id = memcpy(p, tenant_id, lt);
    a->room_id = memcpy(p += lt, room_id, lr);
    a->sender_id = memcpy(p += lr, sender_id, ls);
    a->event_type = memcpy(p += ls, event_type, le);
    a->content = json_incref(content);
    a->async = 1;
    sw_rooms_pending_add(r, 1);
    pthread_mutex_lock(&r->write_mu);
    enqueue(r, a);
    if (!r->flusher_started) /* no flusher (it could not start): commit now */
        lead(r, NULL);
    else if (!r->flusher_ticking)
        pthread_cond_signal(&r->flush_cv);
    pthread_mutex_unlock(&r->write_mu);
    return 0;
}

int sw_rooms_plugin_toggle(sw_rooms *r, const char *tenant_id, const char *room_id, const char *plugin_id)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, tenant_id, room_id, plugin_id);
    int v;
    uint64_t gen;
    if (sw_cache_get(r->toggles, key, &v, &gen)) return v;
    v = sw_room_plugin_toggle_get(r->db, tenant_id, room_id, plugin_id);
    sw_cache_put(r->toggles, key, &v, gen);
    return v;
}

int sw_rooms_toggle_plugin(sw_rooms *r, const char *tenant_id, const char *room_id, const char *plugin_id,
                           int enabled)
{
    char kb[SW_CACHE_KEY_MAX];
    int rc = sw_room_plugin_toggle_set(r->db, tenant_id, room_id, plugin_id, enabled);
    sw_cache_forget(r->toggles, sw_cache_key(kb, tenant_id, room_id, plugin_id));
    return rc == SW_REPO_OK ? 0 : -1;
}

int sw_rooms_plugin_visible(void *arg, const char *plugin_id)
{
    const sw_rooms_scope *s = arg;
    if (!s->room_id || !s->room_id[0]) return 1;
    return sw_rooms_plugin_toggle(s->r, s->tenant_id, s->room_id, plugin_id) != 0;
}

/* The tenant's slug, remembered (it never changes); "" when the tenant cannot be read. */
static void tenant_slug_of(sw_rooms *r, const char *tenant_id, char slug[72])
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, tenant_id, NULL, NULL);
    uint64_t gen;
    if (sw_cache_get(r->slugs, key, slug, &gen)) return;
    sw_tenant t;
    slug[0] = 0;
    if (sw_tenant_by_id(r->db, tenant_id, &t) != SW_REPO_OK) return;
    snprintf(slug, 72, "%s", t.slug);
    sw_cache_put(r->slugs, key, slug, gen);
}

void sw_rooms_tenant_slug(sw_rooms *r, const char *tenant_id, char slug[72])
{
    tenant_slug_of(r, tenant_id, slug);
}

int sw_rooms_send_message(sw_rooms *r, const char *tenant_id, const char *tenant_slug,
                          const char *room_id, const char *sender_id, const char *user_token,
                          const json_t *content, const char *event_uuid, json_t **wire_out)
{
    const char *msgtype = json_string_value(json_object_get(content, "msgtype"));
    const char *body = json_string_value(json_object_get(content, "body"));
    char name[72];
    const char *rest;
    int is_text = msgtype && strcmp(msgtype, "swp.text") == 0;
    int command = is_text && sw_slash_split(body, name, sizeof name, &rest);
    /* a command's slot is taken before it is stored: a refused one leaves nothing behind */
    if (command && __atomic_add_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL) > r->max_slash &&
        r->max_slash > 0) {
        __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL);
        return SW_ROOMS_OVERLOADED;
    }
    int existed = 0;
    int rc = sw_rooms_append(r, tenant_id, room_id, sender_id, "swp.room.message", content,
                             event_uuid, wire_out, &existed);
    if (rc != 0 || existed || !command) {
        if (command) __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL);
        if (rc == 0 && !command && is_text && !existed && r->on_message && wire_out && *wire_out)
            r->on_message(r->on_message_arg, *wire_out);
        return rc == 0 ? 0 : -1;
    }
    if (r->on_command) r->on_command(r, tenant_id, tenant_slug, room_id, sender_id, user_token, body);
    else __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL); /* no interpreter: stored only */
    return 0;
}
