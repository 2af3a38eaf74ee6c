/* sw_approvals: policy, parking, decisions, expiry and resumption (see sw_approvals.h). */
#include "ai/sw_approvals.h"
#include "core/sw_error.h"
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "plugins/sw_redact.h"
#include "store/sw_approval_repo.h"
#include "store/sw_room_repo.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CALLS 16   /* per round (sw_turn's MAX_CALLS_PER_ROUND) */
#define SCAN_BATCH 256 /* rows per sweeper / recovery query */

struct sw_approvals {
    sw_db *db;
    sw_bus *bus;
    sw_rooms *rooms;
    sw_dispatcher *disp;
    sw_pool *pool;
    sw_approval_turns turns; /* turns.resume NULL: none registered */
    int timeout_s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
    int jobs; /* decided calls being run */
    int sweeper_started;
    pthread_t sweeper;
};

sw_approvals *sw_approvals_new(sw_db *db, sw_bus *bus, sw_rooms *rooms, sw_dispatcher *disp, sw_pool *pool,
                               int timeout_s)
{
    sw_approvals *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->db = db;
    a->bus = bus;
    a->rooms = rooms;
    a->disp = disp;
    a->pool = pool;
    a->timeout_s = timeout_s > 0 ? timeout_s : 600;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    return a;
}

void sw_approvals_set_turns(sw_approvals *a, const sw_approval_turns *turns)
{
    a->turns = *turns;
}

/* ---- presentation: arguments, cards, events, audit ---- */

/* The arguments as people and the audit log see them (sw_redact: the one redaction). */
static json_t *shown_args(sw_approvals *a, const char *plugin_id, const char *tool, const char *text)
{
    return sw_redact_args_text(a->disp->reg, plugin_id, tool, text);
}

/* The request in API form (new reference). */
static json_t *request_json(sw_approvals *a, const sw_approval *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id, "room_id",
                          r->room_id, "plugin_id", r->plugin_id, "tool", r->tool, "arguments",
                          shown_args(a, r->plugin_id, r->tool, r->arguments), "initiator_id", r->initiator_id,
                          "created_at", r->created_at, "expires_at", r->expires_at, "status", r->status, "ai_id",
                          r->ai_id, "turn_id", r->turn_id, "tool_call_id", r->tool_call_id ? r->tool_call_id : "");
    if (!o) return NULL;
    if (r->decided_by[0]) json_object_set_new(o, "decided_by", json_string(r->decided_by));
    if (r->decided_at[0]) json_object_set_new(o, "decided_at", json_string(r->decided_at));
    if (r->reason) json_object_set_new(o, "reason", json_string(r->reason));
    return o;
}

static void publish_ephemeral(sw_approvals *a, const char *tenant_id, const char *room_id, const char *type,
                              json_t *content /* stolen */)
{
    sw_bus_publish_ephemeral(a->bus, tenant_id, room_id, type, NULL, content);
}

/* The swp.approval card for the request's current status. Stored with an event_uuid per
 * (request, status), so posting it again (recovery) stores it once. */
static void post_card(sw_approvals *a, const sw_approval *r)
{
    char body[600];
    if (!strcmp(r->status, "pending"))
        snprintf(body, sizeof body, "Approval needed: the AI wants to run %s (%s). Only the person who asked can "
                                    "approve or reject it.", r->tool, r->plugin_id);
    else if (!strcmp(r->status, "approved"))
        snprintf(body, sizeof body, "Approved: %s runs now.", r->tool);
    else if (!strcmp(r->status, "rejected"))
        snprintf(body, sizeof body, "Rejected: %s was not run%s%.400s.", r->tool, r->reason ? ": " : "",
                 r->reason ? r->reason : "");
    else
        snprintf(body, sizeof body, "Expired: nobody approved %s in time, so it was not run.", r->tool);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s}", "msgtype", "swp.approval",
                          "request_id", r->id, "plugin_id", r->plugin_id, "tool", r->tool, "arguments",
                          shown_args(a, r->plugin_id, r->tool, r->arguments), "status", r->status, "initiator_id",
                          r->initiator_id, "expires_at", r->expires_at, "ai_id", r->ai_id, "turn_id", r->turn_id,
                          "body", body);
    if (!c) return;
    if (r->decided_by[0]) json_object_set_new(c, "decided_by", json_string(r->decided_by));
    if (r->reason) json_object_set_new(c, "reason", json_string(r->reason));
    char uuid[80];
    snprintf(uuid, sizeof uuid, "approval:%s:%s", r->id, r->status);
    if (sw_rooms_append(a->rooms, r->tenant_id, r->room_id, r->ai_id, "swp.room.message", c, uuid, NULL, NULL) != 0)
        SW_WARN("approvals: could not store the card of request %s (%s)", r->id, r->status);
    json_decref(c);
}

static void audit_row(sw_approvals *a, const sw_approval *r, const char *status, const char *who,
                      const char *detail)
{
    if (!a->disp->audit) return;
    json_t *args = shown_args(a, r->plugin_id, r->tool, r->arguments);
    char *txt = args ? json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(args);
    sw_audit_record rec = {.tenant_id = r->tenant_id,
                           .room_id = r->room_id,
                           .plugin_id = r->plugin_id,
                           .tool = r->tool,
                           .caller_id = r->ai_id,
                           .initiator_id = who ? who : r->initiator_id,
                           .args_redacted = txt ? txt : "null",
                           .status = status,
                           .duration_ms = 0,
                           .detail = detail};
    sw_audit_enqueue(a->disp->audit, &rec);
    free(txt);
}

/* What follows every decision: the audit row, the card in its final state, the event. */
static void announce_decision(sw_approvals *a, const sw_approval *r)
{
    char detail[600];
    if (!strcmp(r->status, "expired"))
        snprintf(detail, sizeof detail, "approval %s expired: nobody approved in time", r->id);
    else
        snprintf(detail, sizeof detail, "approval %s %s by %s%s%.400s", r->id, r->status, r->decided_by,
                 r->reason ? ": " : "", r->reason ? r->reason : "");
    audit_row(a, r, r->status, r->decided_by[0] ? r->decided_by : NULL, detail);
    post_card(a, r);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "request_id", r->id, "status", r->status, "tool",
                          r->tool, "plugin_id", r->plugin_id, "initiator_id", r->initiator_id, "ai_id", r->ai_id,
                          "turn_id", r->turn_id);
    if (c && r->decided_by[0]) json_object_set_new(c, "decided_by", json_string(r->decided_by));
    if (c && r->reason) json_object_set_new(c, "reason", json_string(r->reason));
    publish_ephemeral(a, r->tenant_id, r->room_id, "swp.approval.resolved", c);
}

/* ---- the tool results the model gets for calls that did not run ---- */

static char *declined_text(const char *tool, const char *reason)
{
    char *s = NULL;
    if (reason && *reason) {
        if (asprintf(&s, "The person declined to run %s: %s.", tool, reason) < 0) s = NULL;
    } else if (asprintf(&s, "The person declined to run %s.", tool) < 0) {
        s = NULL;
    }
    return s;
}

static char *expired_text(const char *tool)
{
    char *s = NULL;
    if (asprintf(&s, "The request to run %s expired: nobody approved in time, so it was not run.", tool) < 0) s = NULL;
    return s;
}

/* ---- resuming ---- */

/* Claims the park when its last decision is in and hands it to the AI service. */
static void try_resume(sw_approvals *a, const char *tenant_id, const char *park_id)
{
    int c = sw_park_claim(a->db, tenant_id, park_id);
    if (c != 1) {
        if (c < 0) SW_WARN("approvals: could not claim parked turn %s: %s", park_id, sw_db_errmsg(a->db));
        return;
    }
    sw_park p;
    int rc = sw_park_get(a->db, tenant_id, park_id, &p);
    if (rc == SW_REPO_OK && a->turns.resume &&
        a->turns.resume(a->turns.arg, tenant_id, p.room_id, p.ai_id, p.initiator_id, p.turn_id, park_id) == 0) {
        sw_park_fini(&p);
        return;
    }
    if (rc == SW_REPO_OK) sw_park_fini(&p);
    sw_park_release(a->db, tenant_id, park_id); /* the next start-up resumes it */
}

/* ---- running an approved call (on the turn pool) ---- */

typedef struct {
    sw_approvals *a;
    char tenant_id[40];
    char id[40];
} run_job;

static void run_approved(sw_approvals *a, const char *tenant_id, const char *id)
{
    sw_approval r;
    if (sw_approval_get(a->db, tenant_id, id, &r) != SW_REPO_OK) return;
    if (!strcmp(r.status, "approved") && !r.result && sw_approval_mark_started(a->db, tenant_id, id) == 1) {
        sw_dispatch_result res;
        memset(&res, 0, sizeof res);
        if (a->turns.run_tool) {
            a->turns.run_tool(a->turns.arg, r.tenant_id, r.room_id, r.ai_id, r.initiator_id, r.turn_id,
                              r.tool_call_id, r.tool, r.arguments, &res);
        } else {
            sw_call c = {.tenant_id = r.tenant_id, .room_id = r.room_id, .caller_id = r.ai_id,
                         .initiator_id = r.initiator_id, .tool = r.tool, .args = r.arguments,
                         .args_len = strlen(r.arguments), .only_plugin = r.plugin_id};
            sw_dispatch(a->disp, &c, &res);
        }
        if (sw_approval_set_result(a->db, tenant_id, id, res.text ? res.text : "") != SW_REPO_OK)
            SW_ERROR("approvals: could not store the result of request %s: %s", id, sw_db_errmsg(a->db));
        sw_dispatch_result_fini(&res);
    }
    char park_id[40];
    snprintf(park_id, sizeof park_id, "%s", r.park_id);
    sw_approval_fini(&r);
    try_resume(a, tenant_id, park_id);
}

static void run_job_fn(void *arg)
{
    run_job *j = arg;
    sw_approvals *a = j->a;
    run_approved(a, j->tenant_id, j->id);
    free(j);
    pthread_mutex_lock(&a->mu);
    a->jobs--;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Queues the approved call; when stopping it is left for the next start-up's recovery. */
static void submit_run(sw_approvals *a, const char *tenant_id, const char *id)
{
    pthread_mutex_lock(&a->mu);
    if (a->stopping) {
        pthread_mutex_unlock(&a->mu);
        return;
    }
    a->jobs++;
    pthread_mutex_unlock(&a->mu);
    run_job *j = calloc(1, sizeof *j);
    if (!j) {
        pthread_mutex_lock(&a->mu);
        a->jobs--;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        return;
    }
    j->a = a;
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", tenant_id);
    snprintf(j->id, sizeof j->id, "%s", id);
    if (!a->pool || sw_pool_submit(a->pool, run_job_fn, j) != 0) run_job_fn(j);
}

/* ---- expiry ---- */

/* Expires one due request (a no-op when it was decided meanwhile). 1 when this call did. */
static int expire_one(sw_approvals *a, const char *tenant_id, const char *id)
{
    sw_approval r;
    if (sw_approval_get(a->db, tenant_id, id, &r) != SW_REPO_OK) return 0;
    int done = 0;
    char *text = expired_text(r.tool);
    if (!strcmp(r.status, "pending") &&
        sw_approval_decide(a->db, tenant_id, id, "expired", NULL, NULL, text ? text : "expired", sw_time_now_ms()) == 1) {
        snprintf(r.status, sizeof r.status, "expired");
        announce_decision(a, &r);
        try_resume(a, tenant_id, r.park_id);
        done = 1;
    }
    free(text);
    sw_approval_fini(&r);
    return done;
}

int sw_approvals_sweep(sw_approvals *a)
{
    char (*ids)[40] = malloc(SCAN_BATCH * sizeof *ids), (*tns)[40] = malloc(SCAN_BATCH * sizeof *tns);
    int total = 0;
    if (ids && tns) {
        for (int rounds = 0; rounds < 64; rounds++) {
            int n = sw_approvals_due(a->db, sw_time_now_ms(), ids, tns, SCAN_BATCH);
            int expired = 0;
            for (int i = 0; i < n; i++) expired += expire_one(a, tns[i], ids[i]);
            total += expired;
            if (n < SCAN_BATCH || expired == 0) break;
        }
    }
    free(ids);
    free(tns);
    return total;
}

static void *sweeper_main(void *arg)
{
    sw_approvals *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->stopping) {
        pthread_mutex_unlock(&a->mu);
        sw_approvals_sweep(a);
        pthread_mutex_lock(&a->mu);
        if (a->stopping) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&a->cv, &a->mu, &ts);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ---- start-up recovery ---- */

static char *restarted_text(const char *tool, int approved)
{
    char *s = NULL;
    if (asprintf(&s, "%s%s was interrupted: the server restarted while it ran, so it may or may not have completed.",
                 approved ? "The approved call of " : "", tool) < 0)
        s = NULL;
    return s;
}

static void recover(sw_approvals *a)
{
    char (*ids)[40] = malloc(SCAN_BATCH * sizeof *ids), (*tns)[40] = malloc(SCAN_BATCH * sizeof *tns);
    if (!ids || !tns) goto out;
    /* 1. rounds stopped while their other calls ran: those results are lost; post any card
     *    that was not posted yet (stored once per request and status). */
    int n = sw_parks_in_state(a->db, "parking", "", ids, tns, SCAN_BATCH);
    for (int i = 0; i < n; i++) {
        sw_park p;
        if (sw_park_get(a->db, tns[i], ids[i], &p) != SW_REPO_OK) continue;
        sw_approval rs[MAX_CALLS];
        int m = sw_approvals_of_park(a->db, tns[i], ids[i], rs, MAX_CALLS);
        json_t *results = json_deep_copy(p.results);
        size_t k;
        json_t *call;
        json_array_foreach(p.calls, k, call) {
            int waits = 0;
            for (int q = 0; q < m; q++) waits |= rs[q].call_index == (int)k;
            if (waits || json_is_string(json_array_get(results, k))) continue;
            char *t = restarted_text(json_string_value(json_object_get(call, "name")) ?: "the tool", 0);
            while (json_array_size(results) <= k) json_array_append_new(results, json_null());
            json_array_set_new(results, k, json_string(t ? t : "interrupted"));
            free(t);
        }
        for (int q = 0; q < m; q++) {
            if (!strcmp(rs[q].status, "pending")) post_card(a, &rs[q]);
            sw_approval_fini(&rs[q]);
        }
        sw_park_set_results(a->db, tns[i], ids[i], results);
        json_decref(results);
        sw_park_fini(&p);
    }
    /* 2. approved calls without a result: run them unless they had started (then the outcome
     *    is unknown, and a call runs at most once). */
    n = sw_approvals_unfinished(a->db, ids, tns, SCAN_BATCH);
    for (int i = 0; i < n; i++) {
        sw_approval r;
        if (sw_approval_get(a->db, tns[i], ids[i], &r) != SW_REPO_OK) continue;
        if (r.started) {
            char *t = restarted_text(r.tool, 1);
            sw_approval_set_result(a->db, tns[i], ids[i], t ? t : "interrupted");
            free(t);
        } else {
            submit_run(a, tns[i], ids[i]);
        }
        sw_approval_fini(&r);
    }
    /* 3. turns whose resumption was cut short by a crash: resume them again. */
    n = sw_parks_in_state(a->db, "resuming", "", ids, tns, SCAN_BATCH);
    for (int i = 0; i < n; i++) sw_park_release(a->db, tns[i], ids[i]);
    /* 4. every parked turn whose decisions are all in. */
    char after[40] = "";
    do {
        n = sw_parks_in_state(a->db, "parked", after, ids, tns, SCAN_BATCH);
        for (int i = 0; i < n; i++) try_resume(a, tns[i], ids[i]);
        if (n > 0) snprintf(after, sizeof after, "%s", ids[n - 1]);
    } while (n == SCAN_BATCH);
out:
    free(ids);
    free(tns);
}

int sw_approvals_start(sw_approvals *a)
{
    recover(a);
    sw_approvals_sweep(a);
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    if (!a->sweeper_started && !a->stopping) {
        rc = pthread_create(&a->sweeper, NULL, sweeper_main, a);
        a->sweeper_started = rc == 0;
    }
    pthread_mutex_unlock(&a->mu);
    if (rc) SW_ERROR("approvals: cannot start the expiry sweeper: %s", strerror(rc));
    return rc ? -1 : 0;
}

void sw_approvals_stop(sw_approvals *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stopping = 1;
    pthread_cond_broadcast(&a->cv);
    int started = a->sweeper_started;
    a->sweeper_started = 0;
    pthread_mutex_unlock(&a->mu);
    if (started) pthread_join(a->sweeper, NULL);
    pthread_mutex_lock(&a->mu);
    while (a->jobs > 0) pthread_cond_wait(&a->cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
}

void sw_approvals_free(sw_approvals *a)
{
    if (!a) return;
    sw_approvals_stop(a);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}

/* ---- policy ---- */

int sw_approvals_needed(sw_approvals *a, const char *tenant_id, const char *room_id, const char *tool,
                        int (*visible)(void *arg, const char *plugin_id), void *visible_arg, char *plugin_id)
{
    if (!tool) return 0;
    sw_tenant_plugins *tp = sw_plugin_states_get(a->disp->states, tenant_id);
    if (!tp) return 0; /* the dispatcher will refuse the call: nothing runs */
    const sw_plugin_tenant_state *hit = NULL;
    const sw_reg_tool *rt = NULL;
    for (int i = 0; i < tp->n && !hit; i++) {
        const sw_plugin_tenant_state *s = &tp->items[i];
        const sw_reg_tool *t = sw_registry_tool(s->rp, tool);
        if (t && s->enabled && (!visible || visible(visible_arg, s->rp->p->id))) {
            hit = s;
            rt = t;
        }
    }
    int need = 0;
    if (hit) {
        const char *policy = json_string_value(json_object_get(hit->tool_policies, tool));
        if (!policy) policy = rt->def->side_effects ? "auto_run_in_dm" : "auto_run_everywhere";
        if (!strcmp(policy, "ask")) need = 1;
        else if (!strcmp(policy, "auto_run_in_dm")) need = sw_room_human_count(a->db, tenant_id, room_id) != 1;
        if (need) snprintf(plugin_id, 72, "%s", hit->rp->p->id);
    }
    sw_tenant_plugins_release(tp);
    return need;
}

/* ---- parking ---- */

int sw_approvals_park(sw_approvals *a, const sw_park_request *req, char *park_id)
{
    size_t n = json_array_size(req->calls);
    if (n > MAX_CALLS) n = MAX_CALLS;
    int64_t now = sw_time_now_ms(), expires = now + (int64_t)a->timeout_s * 1000;
    sw_park p;
    memset(&p, 0, sizeof p);
    sw_id_new(p.id);
    snprintf(p.tenant_id, sizeof p.tenant_id, "%s", req->tenant_id);
    snprintf(p.turn_id, sizeof p.turn_id, "%s", req->turn_id);
    snprintf(p.room_id, sizeof p.room_id, "%s", req->room_id);
    snprintf(p.ai_id, sizeof p.ai_id, "%s", req->ai_id);
    snprintf(p.initiator_id, sizeof p.initiator_id, "%s", req->initiator_id);
    p.round = req->round;
    p.messages = (json_t *)req->messages;
    p.calls = (json_t *)req->calls;
    p.results = json_array();
    json_t *requests = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(p.results, json_null());
        if (!req->needs[i]) continue;
        const json_t *c = json_array_get(req->calls, i);
        char id[40];
        sw_id_new(id);
        const char *args = json_string_value(json_object_get(c, "arguments"));
        json_array_append_new(requests, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "id", id, "call_index",
                                                  (json_int_t)i, "tool_call_id",
                                                  json_string_value(json_object_get(c, "id")) ?: "", "plugin_id",
                                                  req->plugin_ids[i], "tool",
                                                  json_string_value(json_object_get(c, "name")) ?: "", "arguments",
                                                  args && *args ? args : "{}"));
    }
    int rc = sw_park_insert(a->db, &p, requests, now, expires);
    json_decref(p.results);
    if (rc != SW_REPO_OK) {
        SW_ERROR("approvals: could not park a turn of %s: %s", req->ai_id, sw_db_errmsg(a->db));
        json_decref(requests);
        return -1;
    }
    snprintf(park_id, 40, "%s", p.id);
    size_t i;
    json_t *q;
    json_array_foreach(requests, i, q) {
        sw_approval r;
        if (sw_approval_get(a->db, req->tenant_id, json_string_value(json_object_get(q, "id")), &r) != SW_REPO_OK)
            continue;
        post_card(a, &r);
        json_t *ev = request_json(a, &r);
        if (ev) json_object_set_new(ev, "request_id", json_string(r.id));
        publish_ephemeral(a, r.tenant_id, r.room_id, "swp.approval.requested", ev);
        char detail[120];
        snprintf(detail, sizeof detail, "approval %s requested", r.id);
        audit_row(a, &r, "requested", NULL, detail);
        sw_approval_fini(&r);
    }
    json_decref(requests);
    return 0;
}

int sw_approvals_parked(sw_approvals *a, const char *tenant_id, const char *park_id, const json_t *results)
{
    if (sw_park_set_results(a->db, tenant_id, park_id, results) != SW_REPO_OK) {
        SW_ERROR("approvals: could not store the results of parked turn %s: %s", park_id, sw_db_errmsg(a->db));
        return -1;
    }
    return sw_park_claim(a->db, tenant_id, park_id);
}

json_t *sw_approvals_resume_messages(sw_approvals *a, const char *tenant_id, const char *park_id, int *round)
{
    sw_park p;
    if (sw_park_get(a->db, tenant_id, park_id, &p) != SW_REPO_OK) return NULL;
    sw_approval rs[MAX_CALLS];
    int m = sw_approvals_of_park(a->db, tenant_id, park_id, rs, MAX_CALLS);
    json_t *messages = json_incref(p.messages);
    size_t i;
    json_t *call;
    json_array_foreach(p.calls, i, call) {
        const char *content = json_string_value(json_array_get(p.results, i));
        for (int q = 0; q < m && !content; q++)
            if (rs[q].call_index == (int)i) content = rs[q].result;
        json_t *txt = json_string(content ? content : "(the tool returned nothing)");
        json_array_append_new(messages, json_pack("{s:s, s:s, s:o}", "role", "tool", "tool_call_id",
                                                  json_string_value(json_object_get(call, "id")) ?: "", "content",
                                                  txt ? txt : json_string("(invalid UTF-8)")));
    }
    for (int q = 0; q < m; q++) sw_approval_fini(&rs[q]);
    *round = p.round;
    sw_park_fini(&p);
    return messages;
}

void sw_approvals_release(sw_approvals *a, const char *tenant_id, const char *park_id)
{
    sw_park_release(a->db, tenant_id, park_id);
}

void sw_approvals_finish(sw_approvals *a, const char *tenant_id, const char *park_id)
{
    if (sw_park_finish(a->db, tenant_id, park_id) != SW_REPO_OK)
        SW_WARN("approvals: could not close parked turn %s: %s", park_id, sw_db_errmsg(a->db));
}

/* ---- decisions ---- */

int sw_approvals_decide(sw_approvals *a, const char *tenant_id, const char *request_id, const char *participant_id,
                        int approve, const char *reason, json_t **out)
{
    *out = NULL;
    sw_approval r;
    int rc = sw_approval_get(a->db, tenant_id, request_id, &r);
    if (rc == SW_REPO_NOT_FOUND) return SW_ERR_APPROVAL_NOT_FOUND;
    if (rc != SW_REPO_OK) return SW_ERR_INTERNAL;
    /* the initiator decides, and only while still a joined member of the room (checked now, at
     * decision time: leaving the room gives up the decision) */
    char m[8] = "";
    int power = 0;
    if (strcmp(r.initiator_id, participant_id) != 0 ||
        sw_rooms_membership(a->rooms, tenant_id, r.room_id, participant_id, m, &power) != SW_REPO_OK ||
        strcmp(m, "join") != 0) {
        sw_approval_fini(&r);
        return SW_ERR_APPROVAL_FORBIDDEN;
    }
    if (strcmp(r.status, "pending") != 0) {
        *out = request_json(a, &r);
        sw_approval_fini(&r);
        return SW_ERR_APPROVAL_DECIDED;
    }
    if (reason && !*reason) reason = NULL;
    const char *status = approve ? "approved" : "rejected";
    char *result = approve ? NULL : declined_text(r.tool, reason);
    int won = sw_approval_decide(a->db, tenant_id, request_id, status, participant_id, approve ? NULL : reason,
                                 result, sw_time_now_ms());
    free(result);
    char park_id[40];
    snprintf(park_id, sizeof park_id, "%s", r.park_id);
    sw_approval_fini(&r);
    if (won < 0) return SW_ERR_INTERNAL;
    if (won == 0) {
        /* someone else decided first, or it is due: then it expires now, never approves */
        expire_one(a, tenant_id, request_id);
        if (sw_approval_get(a->db, tenant_id, request_id, &r) == SW_REPO_OK) {
            *out = request_json(a, &r);
            sw_approval_fini(&r);
        }
        return SW_ERR_APPROVAL_DECIDED;
    }
    if (sw_approval_get(a->db, tenant_id, request_id, &r) != SW_REPO_OK) return SW_ERR_INTERNAL;
    announce_decision(a, &r);
    *out = request_json(a, &r);
    sw_approval_fini(&r);
    if (approve) submit_run(a, tenant_id, request_id);
    else try_resume(a, tenant_id, park_id);
    return 0;
}

json_t *sw_approvals_list(sw_approvals *a, const char *tenant_id, const char *participant_id, int limit)
{
    json_t *rows = sw_approvals_pending_json(a->db, tenant_id, participant_id, sw_time_now_ms(), limit);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *args = json_object_get(row, "arguments");
        char *txt = args ? json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (json_is_string(args)) {
            free(txt);
            txt = strdup(json_string_value(args));
        }
        json_t *shown = shown_args(a, json_string_value(json_object_get(row, "plugin_id")),
                                   json_string_value(json_object_get(row, "tool")), txt);
        free(txt);
        if (shown) json_object_set_new(row, "arguments", shown);
    }
    return rows;
}
