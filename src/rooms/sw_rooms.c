/* sw_rooms: ordered append+publish, membership events, slash commands. */
#include "rooms/sw_rooms.h"
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

typedef struct { /* what r->members remembers */
    char membership[8];
    int power;
} member_entry;

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
    r->members = sw_cache_new(2048, sizeof(member_entry));
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
        if (!single) sw_db_exec(r->db, "SAVEPOINT ev");
        a->rc = sw_event_append_in_tx(r->db, a->tenant_id, a->room_id, a->sender_id, a->event_type, a->content,
                                      a->event_uuid, &a->wire, &a->existed) == SW_REPO_OK ? 0 : -1;
        if (!single) sw_db_exec(r->db, a->rc == 0 ? "RELEASE ev" : "ROLLBACK TO ev; RELEASE ev");
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

static void pending_add(sw_rooms *r, int d)
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
            pending_add(r, -finished_async);
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
    pending_add(r, 1);
    pthread_mutex_lock(&r->write_mu);
    enqueue(r, a);
    if (!r->flusher_started) /* no flusher (it could not start): commit now */
        lead(r, NULL);
    else if (!r->flusher_ticking)
        pthread_cond_signal(&r->flush_cv);
    pthread_mutex_unlock(&r->write_mu);
    return 0;
}

int sw_rooms_membership(sw_rooms *r, const char *tenant_id, const char *room_id, const char *participant_id,
                        char membership[8], int *power)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, tenant_id, room_id, participant_id);
    member_entry e;
    uint64_t gen;
    if (sw_cache_get(r->members, key, &e, &gen)) {
        memcpy(membership, e.membership, 8);
        *power = e.power;
        return SW_REPO_OK;
    }
    sw_room room;
    int rc = sw_room_get_with_membership(r->db, tenant_id, room_id, participant_id, &room, membership, power);
    if (rc != SW_REPO_OK) return rc;
    memcpy(e.membership, membership, 8);
    e.power = *power;
    sw_cache_put(r->members, key, &e, gen);
    return SW_REPO_OK;
}

int sw_rooms_set_member(sw_rooms *r, const char *tenant_id, const char *room_id, const char *actor_id,
                        const char *participant_id, const char *membership, int power)
{
    char kb[SW_CACHE_KEY_MAX];
    int set = sw_room_set_member(r->db, tenant_id, room_id, participant_id, membership, power);
    sw_cache_forget(r->members, sw_cache_key(kb, tenant_id, room_id, participant_id));
    if (set != 0) return -1;
    json_t *content = json_pack("{s:s, s:s, s:i}", "participant_id", participant_id, "membership",
                                membership, "power_level", power);
    int rc = sw_rooms_append(r, tenant_id, room_id, actor_id, "swp.room.member", content, NULL, NULL, NULL);
    json_decref(content);
    return rc;
}

static void system_message(sw_rooms *r, const char *tenant_id, const char *room_id, const char *text)
{
    json_t *c = json_pack("{s:s, s:s}", "msgtype", "swp.system", "body", text);
    if (c) sw_rooms_append_async(r, tenant_id, room_id, "system", "swp.room.message", c);
    json_decref(c);
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

/* Is the plugin usable in this room? 1 yes; 0 disabled in the tenant; -1 toggled off here. */
static int usable(sw_rooms *r, const sw_plugin_tenant_state *st, const char *tenant_id, const char *room_id)
{
    if (!st->enabled) return 0;
    sw_rooms_scope scope = {r, tenant_id, room_id};
    if (!sw_rooms_plugin_visible(&scope, st->rp->p->id)) return -1;
    return 1;
}

json_t *sw_rooms_commands(sw_rooms *r, const char *tenant_id, const char *room_id)
{
    json_t *arr = json_array();
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name", "help", "usage", "[/help]",
                                         "description", "List the commands you can use here.", "source",
                                         "builtin"));
    sw_tenant_plugins *tp = sw_plugin_states_get(r->disp->states, tenant_id);
    if (!tp) return arr;
    for (int i = 0; i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        if (usable(r, st, tenant_id, room_id) != 1) continue;
        for (int k = 0; k < st->rp->ntools; k++) {
            const sw_tool *t = st->rp->tools[k].def;
            if (!t->usage) continue;
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", t->name, "usage",
                                                 t->usage, "description", t->description, "source", "plugin",
                                                 "plugin_id", st->rp->p->id, "side_effects", t->side_effects));
        }
    }
    sw_tenant_plugins_release(tp);
    return arr;
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

typedef struct {
    sw_rooms *r;
    char tenant_id[40], tenant_slug[72], room_id[40], sender_id[40];
    char *token;
    char *body;
    char tool[72];
    sw_pool_job node; /* the pool's queue node: no allocation of its own */
} slash_job;


/* Stores a command's result as a swp.tool_result message from the plugin. */
static void post_result(slash_job *j, const sw_dispatch_result *res)
{
    json_t *body = json_string(res->text ? res->text : "");
    if (!body) body = json_string("(the tool returned text that is not valid UTF-8)");
    json_t *content = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s}", "msgtype", "swp.tool_result", "plugin_id",
                                res->plugin_id, "tool", j->tool, "body", body, "is_error", res->is_error,
                                "status", res->status);
    char sender[96];
    snprintf(sender, sizeof sender, "plugin:%s", res->plugin_id);
    if (content) sw_rooms_append_async(j->r, j->tenant_id, j->room_id, sender, "swp.room.message", content);
    json_decref(content);
}

/* The watchdog's answer when the tool overran its timeout (the tool is still running). */
static void slash_timeout(void *arg, const sw_dispatch_result *res)
{
    post_result(arg, res);
}

static void run_slash(slash_job *j)
{
    sw_rooms *r = j->r;
    char name[72], msg[1024];
    const char *rest = "";
    if (!sw_slash_split(j->body, name, sizeof name, &rest)) return;
    json_t *cmds = NULL; /* built only for /help and for suggestions */
    if (!strcmp(name, "help")) {
        cmds = sw_rooms_commands(r, j->tenant_id, j->room_id);
        size_t used = (size_t)snprintf(msg, sizeof msg, "Commands here:");
        size_t i;
        json_t *c;
        json_array_foreach(cmds, i, c) {
            int n = snprintf(msg + used, sizeof msg - used, "\n%s — %s",
                             json_string_value(json_object_get(c, "usage")),
                             json_string_value(json_object_get(c, "description")));
            if (n < 0 || (size_t)n >= sizeof msg - used) break;
            used += (size_t)n;
        }
        system_message(r, j->tenant_id, j->room_id, msg);
        json_decref(cmds);
        return;
    }
    sw_tenant_plugins *tp = sw_plugin_states_get(r->disp->states, j->tenant_id);
    const sw_plugin_tenant_state *hit = NULL, *off = NULL;
    const sw_reg_tool *rt = NULL;
    int off_reason = 0;
    for (int i = 0; tp && i < tp->n; i++) {
        const sw_reg_tool *t = sw_registry_tool(tp->items[i].rp, name);
        if (!t) continue;
        int u = usable(r, &tp->items[i], j->tenant_id, j->room_id);
        if (u == 1) {
            hit = &tp->items[i];
            rt = t;
            break;
        }
        if (!off) {
            off = &tp->items[i];
            off_reason = u;
        }
    }
    if (!hit) {
        if (off) {
            snprintf(msg, sizeof msg, "/%s is not available in this room: the plugin %s is %s. Nothing was run.",
                     name, off->rp->p->id, off_reason < 0 ? "turned off in this room" : "disabled in this tenant");
        } else {
            const char *best = NULL;
            size_t bd = 3;
            size_t i;
            json_t *c;
            cmds = sw_rooms_commands(r, j->tenant_id, j->room_id);
            json_array_foreach(cmds, i, c) {
                const char *cn = json_string_value(json_object_get(c, "name"));
                size_t d = sw_edit_distance(name, cn);
                if (d < bd) {
                    bd = d;
                    best = cn;
                }
            }
            snprintf(msg, sizeof msg, "Unknown command /%.64s.%s%s%s Type /help for the list. Nothing was run.",
                     name, best ? " Did you mean /" : "", best ? best : "", best ? "?" : "");
        }
        system_message(r, j->tenant_id, j->room_id, msg);
        goto out;
    }
    char err[200];
    json_t *args = sw_slash_args(rt, rest, err, sizeof err);
    if (!args) {
        snprintf(msg, sizeof msg, "/%s: %s. Usage: %s", name, err, rt->def->usage ? rt->def->usage : name);
        system_message(r, j->tenant_id, j->room_id, msg);
        goto out;
    }
    char *atext = json_dumps(args, JSON_COMPACT);
    json_decref(args);
    sw_call call = {.tenant_id = j->tenant_id, .tenant_slug = j->tenant_slug, .room_id = j->room_id,
                    .caller_id = j->sender_id, .initiator_id = j->sender_id,
                    .tool = name, .args = atext ? atext : "{}", .args_len = atext ? strlen(atext) : 2,
                    .only_plugin = hit->rp->p->id,
                    /* this is a pool worker: run the tool right here, a watchdog keeps its timeout */
                    .on_timeout = slash_timeout, .on_timeout_arg = j};
    snprintf(j->tool, sizeof j->tool, "%s", name);
    sw_dispatch_result res;
    sw_dispatch(r->disp, &call, &res);
    free(atext);
    if (!res.reported) post_result(j, &res);
    sw_dispatch_result_fini(&res);
out:
    json_decref(cmds);
    sw_tenant_plugins_release(tp);
}

static void slash_job_run(void *arg)
{
    slash_job *j = arg;
    run_slash(j);
    sw_rooms *r = j->r;
    __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL);
    free(j->token);
    free(j->body);
    free(j);
    pending_add(r, -1);
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
    slash_job *j = calloc(1, sizeof *j);
    if (!j) {
        __atomic_sub_fetch(&r->slash_inflight, 1, __ATOMIC_ACQ_REL);
        return 0;
    }
    j->r = r;
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", tenant_id);
    snprintf(j->tenant_slug, sizeof j->tenant_slug, "%s", tenant_slug ? tenant_slug : "");
    if (!j->tenant_slug[0]) tenant_slug_of(r, tenant_id, j->tenant_slug); /* commands only need it */
    snprintf(j->room_id, sizeof j->room_id, "%s", room_id);
    snprintf(j->sender_id, sizeof j->sender_id, "%s", sender_id);
    j->token = user_token ? strdup(user_token) : NULL;
    j->body = strdup(body);
    pending_add(r, 1);
    j->node.fn = slash_job_run;
    j->node.arg = j;
    if (!j->body || sw_pool_submit_job(r->pool, &j->node) != 0) slash_job_run(j);
    return 0;
}
