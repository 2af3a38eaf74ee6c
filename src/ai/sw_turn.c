/* sw_turn: engagement, the turn registry and the tool-calling turn loop (see sw_turn.h). */
#include "ai/sw_turn.h"
#include "ai/sw_approvals.h"
#include "ai/sw_llm.h"
#include "core/sw_cache.h"
#include "core/sw_error.h"
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_netpolicy.h"
#include "core/sw_time.h"
#include "plugins/sw_redact.h"
#include "store/sw_ai_repo.h"
#include "store/sw_room_repo.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOOLS 128
#define MAX_CALLS_PER_ROUND 16
#define MAX_AIS_PER_ROOM 16

static const char *default_etiquette =
    "Tool etiquette: call a tool only when it helps answer the person; pass arguments that match "
    "its schema exactly. After a tool returns, summarise its result in plain words instead of "
    "pasting it. When a result ends with a \"Fallback suggestions:\" line, follow it — try the "
    "different angle it suggests — rather than giving up or repeating the same call.";

typedef struct turn {
    struct turn *next;
    sw_ai *ai;
    char tenant_id[40], room_id[40], ai_id[40], initiator_id[40], turn_id[40];
    char park_id[40]; /* a resumed turn: the parked round it continues, else "" */
    int cancel; /* set by stop / a newer message */
    int done;
    int64_t created_us; /* when the turn was triggered (monotonic) */
} turn;

struct sw_ai {
    sw_db *db;
    sw_bus *bus;
    sw_rooms *rooms;
    sw_dispatcher *disp;
    sw_pool *pool;
    sw_approvals *approvals; /* or NULL: no call waits for approval */
    sw_ai_config cfg;
    char *default_base_url, *default_api_key, *etiquette;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    turn *active; /* running turns */
    int stopping;
    /* Which rooms have AI members: asked on every person's message, so remembered here
     * (sw_cache.h) and forgotten when a membership event of the room goes by on the bus. */
    sw_cache *has_ai;
    int bus_sub;
};

static void on_bus_event(void *arg, sw_event *ev)
{
    sw_ai *ai = arg;
    if (strcmp(ev->type, "swp.room.member") != 0) return;
    char kb[SW_CACHE_KEY_MAX];
    sw_cache_forget(ai->has_ai, sw_cache_key(kb, ev->room_id, NULL, NULL));
}

/* 1 when the room may have AI members (cached), 0 when it has none. */
static int room_has_ai(sw_ai *ai, const char *tenant_id, const char *room_id)
{
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, room_id, NULL, NULL); /* room ids are unique across tenants */
    int v;
    uint64_t gen;
    if (sw_cache_get(ai->has_ai, key, &v, &gen)) return v;
    char one[1][40];
    int n = sw_room_ai_members(ai->db, tenant_id, room_id, one, 1);
    if (n < 0) return 1; /* unknown: let the caller look properly */
    v = n > 0;
    sw_cache_put(ai->has_ai, key, &v, gen);
    return v;
}

sw_ai *sw_ai_new(sw_db *db, sw_bus *bus, sw_rooms *rooms, sw_dispatcher *disp, sw_pool *pool,
                 const sw_ai_config *cfg)
{
    sw_ai *ai = calloc(1, sizeof *ai);
    if (!ai) return NULL;
    ai->db = db;
    ai->bus = bus;
    ai->rooms = rooms;
    ai->disp = disp;
    ai->pool = pool;
    ai->cfg = *cfg;
    if (ai->cfg.max_rounds <= 0) ai->cfg.max_rounds = 8;
    if (ai->cfg.history_chars <= 0) ai->cfg.history_chars = 24000;
    ai->default_base_url = cfg->default_base_url && *cfg->default_base_url ? strdup(cfg->default_base_url) : NULL;
    ai->default_api_key = cfg->default_api_key && *cfg->default_api_key ? strdup(cfg->default_api_key) : NULL;
    ai->etiquette = strdup(cfg->etiquette && *cfg->etiquette ? cfg->etiquette : default_etiquette);
    pthread_mutex_init(&ai->mu, NULL);
    pthread_cond_init(&ai->cv, NULL);
    ai->has_ai = sw_cache_new(1024, sizeof(int));
    ai->bus_sub = bus ? sw_bus_subscribe(bus, on_bus_event, ai) : -1;
    return ai;
}

void sw_ai_quiesce(sw_ai *ai)
{
    if (!ai) return;
    pthread_mutex_lock(&ai->mu);
    ai->stopping = 1;
    for (turn *t = ai->active; t; t = t->next) __atomic_store_n(&t->cancel, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&ai->mu);
}

void sw_ai_free(sw_ai *ai)
{
    if (!ai) return;
    pthread_mutex_lock(&ai->mu);
    ai->stopping = 1;
    for (turn *t = ai->active; t; t = t->next) __atomic_store_n(&t->cancel, 1, __ATOMIC_RELEASE);
    while (ai->active) pthread_cond_wait(&ai->cv, &ai->mu);
    pthread_mutex_unlock(&ai->mu);
    if (ai->bus_sub > 0) sw_bus_unsubscribe(ai->bus, ai->bus_sub);
    pthread_mutex_destroy(&ai->mu);
    pthread_cond_destroy(&ai->cv);
    sw_cache_free(ai->has_ai);
    free(ai->default_base_url);
    free(ai->default_api_key);
    free(ai->etiquette);
    free(ai);
}

void sw_ai_set_approvals(sw_ai *ai, sw_approvals *a)
{
    ai->approvals = a;
}

/* ---- events ---- */

static void publish_ephemeral(sw_ai *ai, const char *tenant_id, const char *room_id, const char *type,
                              json_t *content /* stolen */)
{
    sw_bus_publish_ephemeral(ai->bus, tenant_id, room_id, type, NULL, content);
}

static void status(turn *t, const char *s)
{
    publish_ephemeral(t->ai, t->tenant_id, t->room_id, "swp.ai.status",
                      json_pack("{s:s, s:s?, s:s}", "participant_id", t->ai_id, "status", s, "turn_id", t->turn_id));
}

static void store_message(turn *t, const char *msgtype, const char *sender, const char *body)
{
    json_t *b = json_string(body);
    if (!b) b = json_string("(the answer was not valid UTF-8)");
    json_t *c = json_pack("{s:s, s:o, s:s}", "msgtype", msgtype, "body", b, "turn_id", t->turn_id);
    if (c) sw_rooms_append(t->ai->rooms, t->tenant_id, t->room_id, sender, "swp.room.message", c, NULL, NULL, NULL);
    json_decref(c);
}

/* ---- the model endpoint ---- */

typedef struct {
    const char *base_url, *key;
    const sw_netpolicy *policy; /* NULL: the operator's default URL, trusted */
} endpoint;

/* Where an AI's model calls go, with which key: an AI with its own base_url gets only its own
 * api_key (or none) and its connections are checked against the outbound policy; the operator's
 * key (SCAIWAVE_SCAIGRID_API_KEY) goes only to the operator's URL. mc may be NULL. */
static endpoint endpoint_of(const sw_ai *ai, const sw_model_config *mc)
{
    endpoint ep = {0};
    if (mc && mc->base_url[0]) {
        ep.base_url = mc->base_url;
        ep.key = mc->api_key[0] ? mc->api_key : NULL;
        ep.policy = ai->cfg.netpolicy ? ai->cfg.netpolicy : sw_netpolicy_default();
    } else {
        ep.base_url = ai->default_base_url;
        ep.key = mc && mc->api_key[0] ? mc->api_key : ai->default_api_key;
    }
    return ep;
}

/* ---- the tool set ---- */

typedef struct {
    sw_ai *ai;
    const char *tenant_id, *room_id;
    const json_t *loadout;
} vis_arg;

static int in_loadout(const json_t *loadout, const char *plugin_id)
{
    if (!loadout) return 1;
    size_t i;
    json_t *v;
    json_array_foreach(loadout, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), plugin_id)) return 1;
    return 0;
}

static int plugin_visible(void *arg, const char *plugin_id)
{
    vis_arg *v = arg;
    if (!in_loadout(v->loadout, plugin_id)) return 0;
    return sw_rooms_plugin_toggle(v->ai->rooms, v->tenant_id, v->room_id, plugin_id) != 0;
}

json_t *sw_ai_tools(sw_ai *ai, const char *tenant_id, const char *room_id, const json_t *loadout)
{
    json_t *tools = json_array();
    sw_tenant_plugins *tp = sw_plugin_states_get(ai->disp->states, tenant_id);
    vis_arg va = {ai, tenant_id, room_id, loadout};
    for (int i = 0; tp && i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        if (!st->enabled || !plugin_visible(&va, st->rp->p->id)) continue;
        for (int k = 0; k < st->rp->ntools && json_array_size(tools) < MAX_TOOLS; k++) {
            const sw_reg_tool *rt = &st->rp->tools[k];
            json_array_append_new(tools, json_pack("{s:s, s:{s:s, s:s, s:O}}", "type", "function", "function",
                                                   "name", rt->def->name, "description", rt->def->description,
                                                   "parameters", rt->schema));
        }
    }
    sw_tenant_plugins_release(tp);
    return tools;
}

char *sw_ai_system_prompt(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                          const char *base_prompt, const json_t *loadout)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs(base_prompt && *base_prompt ? base_prompt : "You are a helpful assistant in a shared chat room.", f);
    char mode[12];
    char *room_prompt = NULL;
    if (sw_room_ai_get(ai->db, tenant_id, room_id, mode, &room_prompt) == SW_REPO_OK && room_prompt && *room_prompt)
        fprintf(f, "\n\n%s", room_prompt);
    free(room_prompt);
    fprintf(f, "\n\n%s", ai->etiquette);
    /* each enabled, visible plugin that injects context */
    sw_tenant_plugins *tp = sw_plugin_states_get(ai->disp->states, tenant_id);
    vis_arg va = {ai, tenant_id, room_id, loadout};
    for (int i = 0; tp && i < tp->n; i++) {
        const sw_plugin_tenant_state *st = &tp->items[i];
        const sw_plugin *p = st->rp->p;
        if (!st->enabled || !p->injects_context || !p->get_system_context || !plugin_visible(&va, p->id)) continue;
        char slug[72];
        sw_rooms_tenant_slug(ai->rooms, tenant_id, slug);
        sw_call call = {.tenant_id = tenant_id, .tenant_slug = slug, .room_id = room_id, .caller_id = ai_id,
                        .initiator_id = ai_id};
        sw_call_ctx *cc = sw_call_ctx_new(ai->disp, st->rp, &call, -1);
        if (!cc) continue;
        sw_call_ctx_set_args(cc, "{}", 2, NULL);
        const char *text = NULL;
        if (p->get_system_context(&cc->pub, &text) == SW_OK && text && *text) fprintf(f, "\n\n%s", text);
        sw_call_ctx_free(cc);
    }
    sw_tenant_plugins_release(tp);
    fclose(f);
    return buf;
}

/* ---- history ---- */

/* The room's recent people and AI messages as chat messages, oldest first, within the budget. */
static json_t *history(sw_ai *ai, turn *t)
{
    int more = 0;
    json_t *evs = sw_events_page(ai->db, t->tenant_id, t->room_id, 0, 0, 60, &more); /* newest first */
    json_t *out = json_array();
    size_t used = 0;
    json_t *picked[60];
    int n = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev) {
        const json_t *c = json_object_get(ev, "content");
        const char *mt = json_string_value(json_object_get(c, "msgtype"));
        const char *body = json_string_value(json_object_get(c, "body"));
        if (!mt || !body || strcmp(json_string_value(json_object_get(ev, "event_type")), "swp.room.message") != 0)
            continue;
        if (strcmp(mt, "swp.text") != 0 && strcmp(mt, "swp.tool_result") != 0) continue;
        used += strlen(body);
        if (used > (size_t)ai->cfg.history_chars && n > 0) break;
        picked[n++] = ev;
        if (n == 60) break;
    }
    for (int k = n - 1; k >= 0; k--) {
        ev = picked[k];
        const json_t *c = json_object_get(ev, "content");
        const char *mt = json_string_value(json_object_get(c, "msgtype"));
        const char *sender = json_string_value(json_object_get(ev, "sender_id"));
        const char *body = json_string_value(json_object_get(c, "body"));
        if (!strcmp(mt, "swp.text") && sender && !strcmp(sender, t->ai_id)) {
            json_array_append_new(out, json_pack("{s:s, s:s}", "role", "assistant", "content", body));
        } else {
            char *txt = NULL;
            if (!strcmp(mt, "swp.tool_result")) {
                if (asprintf(&txt, "[result of /%s] %s", json_string_value(json_object_get(c, "tool")), body) < 0) txt = NULL;
            } else {
                sw_participant p;
                const char *name = sender && sw_participant_by_id(ai->db, t->tenant_id, sender, &p) == SW_REPO_OK
                                       ? p.display_name : "someone";
                if (asprintf(&txt, "%s: %s", name, body) < 0) txt = NULL;
            }
            if (txt) json_array_append_new(out, json_pack("{s:s, s:s}", "role", "user", "content", txt));
            free(txt);
        }
    }
    json_decref(evs);
    return out;
}

/* ---- tool calls in parallel ---- */

/* One call through the dispatcher with the turn's visibility, announced as swp.tool.call
 * events (running, then the outcome). */
static void exec_call(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                      const char *initiator_id, const char *turn_id, vis_arg *va, const char *call_id,
                      const char *name, const char *arguments, const int *cancel, sw_dispatch_result *res)
{
    publish_ephemeral(ai, tenant_id, room_id, "swp.tool.call",
                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "participant_id", ai_id, "tool", name ? name : "",
                                "tool_call_id", call_id ? call_id : "", "status", "running", "turn_id", turn_id));
    char slug[72];
    sw_rooms_tenant_slug(ai->rooms, tenant_id, slug);
    sw_call c = {.tenant_id = tenant_id, .tenant_slug = slug, .room_id = room_id, .caller_id = ai_id,
                 .initiator_id = initiator_id, .tool = name,
                 .args = arguments ? arguments : "{}",
                 .args_len = arguments ? strlen(arguments) : 2,
                 .plugin_visible = plugin_visible, .plugin_visible_arg = va,
                 .cancel = cancel}; /* Stop (t->cancel) reaches the running tool's sw_cancelled() */
    sw_dispatch(ai->disp, &c, res);
    json_t *args = sw_redact_args_text(ai->disp->reg, res->plugin_id, name, c.args); /* the one redaction */
    json_t *result = json_string(res->text ? res->text : "");
    publish_ephemeral(ai, tenant_id, room_id, "swp.tool.call",
                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:b, s:s}", "participant_id", ai_id,
                                "plugin_id", res->plugin_id, "tool", name ? name : "", "tool_call_id",
                                call_id ? call_id : "", "status", res->status, "turn_id", turn_id,
                                "duration_ms", (json_int_t)(res->duration_us / 1000),
                                "arguments", args ? args : json_string(SW_REDACT_MASK), "result",
                                result ? result : json_string(""), "is_error", res->is_error, "initiator_id",
                                initiator_id));
}

typedef struct {
    turn *t;
    vis_arg *va;
    const sw_llm_tool_call *call;
    sw_dispatch_result res;
    pthread_t th;
} call_job;

static void *run_call(void *arg)
{
    call_job *j = arg;
    turn *t = j->t;
    exec_call(t->ai, t->tenant_id, t->room_id, t->ai_id, t->initiator_id, t->turn_id, j->va, j->call->id,
              j->call->name, j->call->arguments, &t->cancel, &j->res);
    return NULL;
}

void sw_ai_run_tool(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                    const char *initiator_id, const char *turn_id, const char *tool_call_id,
                    const char *tool, const char *args, sw_dispatch_result *out)
{
    sw_model_config mc;
    int have = sw_model_config_get(ai->db, tenant_id, ai_id, &mc) == SW_REPO_OK;
    vis_arg va = {ai, tenant_id, room_id, have ? mc.plugins : NULL};
    exec_call(ai, tenant_id, room_id, ai_id, initiator_id, turn_id, &va, tool_call_id, tool, args, NULL, out);
    if (have) sw_model_config_fini(&mc);
}

/* ---- the turn ---- */

typedef struct {
    turn *t;
    size_t streamed;
} stream_ctx;

static void on_text(void *arg, const char *delta, size_t len)
{
    stream_ctx *s = arg;
    json_t *txt = json_stringn(delta, len);
    if (!txt) return;
    if (s->streamed == 0) status(s->t, "generating");
    s->streamed += len;
    publish_ephemeral(s->t->ai, s->t->tenant_id, s->t->room_id, "swp.room.message.chunk",
                      json_pack("{s:s, s:s, s:o, s:b}", "participant_id", s->t->ai_id, "turn_id", s->t->turn_id,
                                "chunk_text", txt, "done", 0));
}

static int should_cancel(void *arg)
{
    stream_ctx *s = arg;
    return __atomic_load_n(&s->t->cancel, __ATOMIC_ACQUIRE);
}

static void model_error(turn *t, const sw_llm_result *r, const char *base_url)
{
    char msg[700];
    snprintf(msg, sizeof msg, "The AI could not answer: %s%s. An admin can fix the model settings under Admin → AI "
                              "(model, endpoint, API key).",
             r->error ? r->error : "the model endpoint failed", r->http_status ? "" : " (no response)");
    publish_ephemeral(t->ai, t->tenant_id, t->room_id, "swp.model.error",
                      json_pack("{s:s, s:s, s:I, s:s, s:s}", "participant_id", t->ai_id, "turn_id", t->turn_id,
                                "http_status", (json_int_t)r->http_status, "error", r->error ? r->error : "failed",
                                "endpoint", base_url));
    store_message(t, "swp.system", "system", msg);
}

static int ai_stopping(sw_ai *ai)
{
    pthread_mutex_lock(&ai->mu);
    int s = ai->stopping;
    pthread_mutex_unlock(&ai->mu);
    return s;
}

/* Runs the round's calls: those that need approval are parked (cards posted) and the others run
 * at once, in parallel. Appends the role:tool messages and returns 0 when every result is in
 * (nothing needed approval, or every decision came in meanwhile); returns 1 when the turn is
 * parked (a decision will resume it from the store). *messages may be replaced. */
static int run_round(turn *t, vis_arg *va, const sw_llm_result *r, int n, int round, json_t **messages)
{
    sw_ai *ai = t->ai;
    int need[MAX_CALLS_PER_ROUND] = {0}, nneed = 0;
    char plugin_ids[MAX_CALLS_PER_ROUND][72];
    if (ai->approvals)
        for (int i = 0; i < n; i++) {
            need[i] = sw_approvals_needed(ai->approvals, t->tenant_id, t->room_id, r->calls[i].name, plugin_visible,
                                          va, plugin_ids[i]);
            nneed += need[i];
        }
    char park_id[40] = "";
    int park_failed = 0;
    if (nneed) {
        json_t *calls = json_array();
        for (int i = 0; i < n && !park_failed; i++) /* a call that cannot be stored is not run */
            park_failed = json_array_append_new(calls, json_pack("{s:s, s:s, s:s}", "id",
                                                                 r->calls[i].id ? r->calls[i].id : "", "name",
                                                                 r->calls[i].name ? r->calls[i].name : "", "arguments",
                                                                 r->calls[i].arguments ? r->calls[i].arguments : "")) != 0;
        sw_park_request pr = {.tenant_id = t->tenant_id, .room_id = t->room_id, .ai_id = t->ai_id,
                              .initiator_id = t->initiator_id, .turn_id = t->turn_id, .round = round,
                              .messages = *messages, .calls = calls, .needs = need,
                              .plugin_ids = (const char(*)[72])plugin_ids};
        if (!park_failed) park_failed = sw_approvals_park(ai->approvals, &pr, park_id) != 0;
        json_decref(calls);
    }
    call_job jobs[MAX_CALLS_PER_ROUND];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < n; i++) {
        if (need[i]) continue;
        jobs[i] = (call_job){.t = t, .va = va, .call = &r->calls[i]};
        if (pthread_create(&jobs[i].th, NULL, run_call, &jobs[i]) != 0) {
            run_call(&jobs[i]);
            jobs[i].th = 0;
        }
    }
    for (int i = 0; i < n; i++)
        if (!need[i] && jobs[i].th) pthread_join(jobs[i].th, NULL);
    if (!nneed || park_failed) {
        for (int i = 0; i < n; i++) {
            char *refused = NULL;
            if (need[i] && asprintf(&refused, "%s was not run: the request for approval could not be stored.\n"
                                              "Fallback suggestions: tell the person, and try again later.",
                                    r->calls[i].name ? r->calls[i].name : "The tool") < 0)
                refused = NULL;
            const char *text = need[i] ? (refused ? refused : "not run") : jobs[i].res.text ? jobs[i].res.text : "";
            json_t *txt = json_string(text);
            json_array_append_new(*messages, json_pack("{s:s, s:s, s:o}", "role", "tool", "tool_call_id",
                                                       r->calls[i].id ? r->calls[i].id : "", "content",
                                                       txt ? txt : json_string("(invalid UTF-8)")));
            free(refused);
            sw_dispatch_result_fini(&jobs[i].res);
        }
        return 0;
    }
    json_t *results = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(results, need[i] ? json_null() : json_string(jobs[i].res.text ? jobs[i].res.text : ""));
        sw_dispatch_result_fini(&jobs[i].res);
    }
    int claimed = sw_approvals_parked(ai->approvals, t->tenant_id, park_id, results);
    json_decref(results);
    if (claimed != 1) return 1;
    /* every decision came in while the other calls ran: continue here */
    int stored_round = 0;
    json_t *m = sw_approvals_resume_messages(ai->approvals, t->tenant_id, park_id, &stored_round);
    sw_approvals_finish(ai->approvals, t->tenant_id, park_id);
    if (!m) return 1;
    json_decref(*messages);
    *messages = m;
    return 0;
}

static void run_turn(turn *t)
{
    sw_ai *ai = t->ai;
    int resuming = t->park_id[0] != 0;
    if (resuming && ai_stopping(ai)) {
        /* shutting down before the resumed turn began: the next start-up resumes it */
        sw_approvals_release(ai->approvals, t->tenant_id, t->park_id);
        return;
    }
    status(t, "thinking");
    sw_model_config mc;
    if (sw_model_config_get(ai->db, t->tenant_id, t->ai_id, &mc) != SW_REPO_OK) {
        store_message(t, "swp.system", "system", "This AI participant has no model settings; an admin can add them under Admin → AI.");
        if (resuming) sw_approvals_finish(ai->approvals, t->tenant_id, t->park_id);
        status(t, NULL);
        return;
    }
    endpoint ep = endpoint_of(ai, &mc);
    const char *base_url = ep.base_url;
    if (!base_url) {
        store_message(t, "swp.system", "system",
                      "This AI has no model endpoint: set its base_url under Admin → AI, or start the server "
                      "with SCAIWAVE_SCAIGRID_URL.");
        if (resuming) sw_approvals_finish(ai->approvals, t->tenant_id, t->park_id);
        sw_model_config_fini(&mc);
        status(t, NULL);
        return;
    }
    vis_arg va = {ai, t->tenant_id, t->room_id, mc.plugins};
    json_t *messages = NULL;
    int first_round = 0;
    if (resuming) {
        /* the stored round, with every result of its calls, in the original order */
        int round = 0;
        messages = sw_approvals_resume_messages(ai->approvals, t->tenant_id, t->park_id, &round);
        first_round = round + 1;
        if (!messages) {
            store_message(t, "swp.system", "system", "The AI could not continue after the approval: its saved turn "
                                                     "could not be read.");
            sw_approvals_finish(ai->approvals, t->tenant_id, t->park_id);
            sw_model_config_fini(&mc);
            status(t, NULL);
            return;
        }
    } else {
        char *system = sw_ai_system_prompt(ai, t->tenant_id, t->room_id, t->ai_id, mc.system_prompt, mc.plugins);
        messages = json_array();
        json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system", "content", system ? system : ""));
        free(system);
        json_t *hist = history(ai, t);
        json_array_extend(messages, hist);
        json_decref(hist);
    }
    json_t *tools = sw_ai_tools(ai, t->tenant_id, t->room_id, mc.plugins);
    sw_llm_config lc = {.base_url = base_url, .api_key = ep.key, .model = mc.model,
                        .temperature = mc.temperature_milli >= 0 ? mc.temperature_milli / 1000.0 : -1,
                        .stream = mc.stream, .policy = ep.policy};
    stream_ctx sc = {.t = t};
    sw_llm_callbacks cb = {.on_text = on_text, .should_cancel = should_cancel, .arg = &sc};
    int parked = 0;
    int64_t model_us = 0; /* time spent waiting for the model: the rest is the turn's own overhead */
    for (int round = first_round; round <= ai->cfg.max_rounds; round++) {
        int last = round == ai->cfg.max_rounds; /* ask once more without tools */
        sw_llm_result r;
        sc.streamed = 0;
        int64_t m0 = sw_time_mono_us();
        int rc = sw_llm_chat(&lc, messages, last || json_array_size(tools) == 0 ? NULL : tools, &cb, &r);
        model_us += sw_time_mono_us() - m0;
        if (sc.streamed)
            publish_ephemeral(ai, t->tenant_id, t->room_id, "swp.room.message.chunk",
                              json_pack("{s:s, s:s, s:s, s:b}", "participant_id", t->ai_id, "turn_id", t->turn_id,
                                        "chunk_text", "", "done", 1));
        if (r.cancelled) {
            /* keep what was said, marked; say so even when nothing was */
            char *body = NULL;
            if (asprintf(&body, "%s%s[stopped]", r.content ? r.content : "", r.content && *r.content ? "\n\n" : "") >= 0)
                store_message(t, "swp.text", t->ai_id, body);
            free(body);
            sw_llm_result_fini(&r);
            break;
        }
        if (rc != 0) {
            model_error(t, &r, base_url);
            sw_llm_result_fini(&r);
            break;
        }
        if (r.ncalls == 0 || last || r.truncated) { /* cut-off tool calls may be cut mid-JSON: never run them */
            const char *content = r.content ? r.content : "";
            char *body = NULL;
            if (r.truncated) {
                if (asprintf(&body, "%s\n\n[the answer was cut off: the model's stream ended early]", content) < 0) body = NULL;
            }
            store_message(t, "swp.text", t->ai_id, body ? body : (*content ? content : "(no answer)"));
            free(body);
            sw_llm_result_fini(&r);
            break;
        }
        /* the assistant's tool calls, then each result as a tool message with its id */
        json_t *calls = json_array();
        int n = r.ncalls > MAX_CALLS_PER_ROUND ? MAX_CALLS_PER_ROUND : r.ncalls;
        for (int i = 0; i < n; i++)
            json_array_append_new(calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", r.calls[i].id ? r.calls[i].id : "",
                                                   "type", "function", "function", "name", r.calls[i].name ? r.calls[i].name : "",
                                                   "arguments", r.calls[i].arguments ? r.calls[i].arguments : ""));
        json_t *am = json_pack("{s:s, s:o}", "role", "assistant", "tool_calls", calls);
        json_object_set_new(am, "content", r.content && *r.content ? json_string(r.content) : json_null());
        json_array_append_new(messages, am);
        char st[96];
        snprintf(st, sizeof st, "calling %.80s", r.calls[0].name ? r.calls[0].name : "a tool");
        status(t, st);
        parked = run_round(t, &va, &r, n, round, &messages);
        sw_llm_result_fini(&r);
        if (parked) break;
        if (__atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE)) break;
        status(t, "thinking");
    }
    if (resuming) sw_approvals_finish(ai->approvals, t->tenant_id, t->park_id);
    json_decref(messages);
    json_decref(tools);
    sw_model_config_fini(&mc);
    status(t, parked ? "awaiting approval" : NULL);
    int64_t total_us = sw_time_mono_us() - t->created_us;
    SW_DEBUG("ai turn %s: %lld us from the trigger to the end, %lld us waiting for the model, %lld us overhead",
             t->turn_id, (long long)total_us, (long long)model_us, (long long)(total_us - model_us));
}

static void turn_job(void *arg)
{
    turn *t = arg;
    sw_ai *ai = t->ai;
    run_turn(t);
    pthread_mutex_lock(&ai->mu);
    for (turn **pt = &ai->active; *pt; pt = &(*pt)->next)
        if (*pt == t) {
            *pt = t->next;
            break;
        }
    pthread_cond_broadcast(&ai->cv);
    pthread_mutex_unlock(&ai->mu);
    free(t);
}

enum { TURN_REFUSE_BUSY, TURN_REPLACE, TURN_ALONGSIDE };

/* Registers and queues a turn. mode: TURN_REFUSE_BUSY (engage: SW_ERR_AI_BUSY while the AI
 * answers in this room), TURN_REPLACE (a new human message: cancel that reply first),
 * TURN_ALONGSIDE (a resumed turn: leave the other one alone). turn_id/park_id: a resumed turn. */
static int start_turn(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                      const char *initiator_id, int mode, const char *turn_id, const char *park_id)
{
    pthread_mutex_lock(&ai->mu);
    if (ai->stopping) {
        pthread_mutex_unlock(&ai->mu);
        return SW_ERR_UNAVAILABLE;
    }
    for (turn *x = ai->active; x && mode != TURN_ALONGSIDE; x = x->next) {
        if (strcmp(x->room_id, room_id) || strcmp(x->ai_id, ai_id)) continue;
        if (mode == TURN_REFUSE_BUSY && !__atomic_load_n(&x->cancel, __ATOMIC_ACQUIRE)) {
            pthread_mutex_unlock(&ai->mu);
            return SW_ERR_AI_BUSY;
        }
        __atomic_store_n(&x->cancel, 1, __ATOMIC_RELEASE);
    }
    turn *t = calloc(1, sizeof *t);
    if (!t) {
        pthread_mutex_unlock(&ai->mu);
        return SW_ERR_INTERNAL;
    }
    t->ai = ai;
    snprintf(t->tenant_id, sizeof t->tenant_id, "%s", tenant_id);
    snprintf(t->room_id, sizeof t->room_id, "%s", room_id);
    snprintf(t->ai_id, sizeof t->ai_id, "%s", ai_id);
    snprintf(t->initiator_id, sizeof t->initiator_id, "%s", initiator_id ? initiator_id : "");
    if (turn_id && *turn_id) snprintf(t->turn_id, sizeof t->turn_id, "%s", turn_id);
    else sw_id_new(t->turn_id);
    t->created_us = sw_time_mono_us();
    if (park_id) snprintf(t->park_id, sizeof t->park_id, "%s", park_id);
    t->next = ai->active;
    ai->active = t;
    pthread_mutex_unlock(&ai->mu);
    if (sw_pool_submit(ai->pool, turn_job, t) != 0) turn_job(t);
    return 0;
}

int sw_ai_resume(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                 const char *initiator_id, const char *turn_id, const char *park_id)
{
    if (!ai->approvals || !park_id || !*park_id) return SW_ERR_INTERNAL;
    return start_turn(ai, tenant_id, room_id, ai_id, initiator_id, TURN_ALONGSIDE, turn_id, park_id);
}

int sw_ai_has_model(sw_ai *ai, const char *tenant_id, const char *ai_id)
{
    sw_model_config mc;
    if (sw_model_config_get(ai->db, tenant_id, ai_id, &mc) != SW_REPO_OK) return 0;
    int ok = (mc.base_url[0] || ai->default_base_url) && mc.model[0];
    sw_model_config_fini(&mc);
    return ok;
}

int sw_ai_engage(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id, const char *initiator_id)
{
    if (!sw_ai_has_model(ai, tenant_id, ai_id)) return SW_ERR_AI_NO_MODEL;
    return start_turn(ai, tenant_id, room_id, ai_id, initiator_id, TURN_REFUSE_BUSY, NULL, NULL);
}

int sw_ai_stop(sw_ai *ai, const char *tenant_id, const char *room_id)
{
    int n = 0;
    pthread_mutex_lock(&ai->mu);
    for (turn *t = ai->active; t; t = t->next)
        if (!strcmp(t->tenant_id, tenant_id) && !strcmp(t->room_id, room_id) && !t->cancel) {
            __atomic_store_n(&t->cancel, 1, __ATOMIC_RELEASE);
            n++;
        }
    pthread_mutex_unlock(&ai->mu);
    return n;
}

/* "@local_id" as a whole word in body */
static int mentions(const char *body, const char *local_id)
{
    size_t n = strlen(local_id);
    for (const char *p = strchr(body, '@'); p; p = strchr(p + 1, '@')) {
        if (strncasecmp(p + 1, local_id, n) == 0) {
            char c = p[1 + n];
            if (!(isalnum((unsigned char)c) || c == '_' || c == '-')) return 1;
        }
    }
    return 0;
}

void sw_ai_on_message(void *arg, const json_t *ev)
{
    sw_ai *ai = arg;
    const char *tenant_id = json_string_value(json_object_get(ev, "tenant_id"));
    const char *room_id = json_string_value(json_object_get(ev, "room_id"));
    const char *sender = json_string_value(json_object_get(ev, "sender_id"));
    const char *body = json_string_value(json_object_get(json_object_get(ev, "content"), "body"));
    if (!tenant_id || !room_id || !sender || !body) return;
    char ais[MAX_AIS_PER_ROOM][40];
    if (!room_has_ai(ai, tenant_id, room_id)) return;
    int n = sw_room_ai_members(ai->db, tenant_id, room_id, ais, MAX_AIS_PER_ROOM);
    if (n <= 0) return;
    char mode[12] = "mention";
    sw_room_ai_get(ai->db, tenant_id, room_id, mode, NULL);
    for (int i = 0; i < n; i++) {
        sw_participant p;
        if (sw_participant_by_id(ai->db, tenant_id, ais[i], &p) != SW_REPO_OK) continue;
        if (strcmp(mode, "always") != 0 && !mentions(body, p.local_id)) continue;
        if (!sw_ai_has_model(ai, tenant_id, ais[i])) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s cannot answer: it has no model endpoint. An admin can set one under Admin → AI.",
                     p.display_name);
            json_t *c = json_pack("{s:s, s:s}", "msgtype", "swp.system", "body", msg);
            sw_rooms_append(ai->rooms, tenant_id, room_id, "system", "swp.room.message", c, NULL, NULL, NULL);
            json_decref(c);
            continue;
        }
        start_turn(ai, tenant_id, room_id, ais[i], sender, TURN_REPLACE, NULL, NULL);
    }
}

int sw_ai_model_complete(void *arg, const char *tenant_id, const char *participant_id, const char *system,
                         const char *prompt, char **answer)
{
    sw_ai *ai = arg;
    *answer = NULL;
    sw_model_config mc;
    int have = participant_id && *participant_id &&
               sw_model_config_get(ai->db, tenant_id, participant_id, &mc) == SW_REPO_OK;
    if (!have) memset(&mc, 0, sizeof mc);
    endpoint ep = endpoint_of(ai, have ? &mc : NULL);
    const char *base_url = ep.base_url;
    const char *model = have ? mc.model : getenv("SCAIWAVE_SCAIGRID_MODEL");
    if (!base_url || !model || !*model) {
        if (have) sw_model_config_fini(&mc);
        return SW_E_UNAVAIL;
    }
    json_t *messages = json_array();
    if (system && *system) json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system", "content", system));
    json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "user", "content", prompt));
    sw_llm_config lc = {.base_url = base_url, .api_key = ep.key, .model = model,
                        .temperature = have && mc.temperature_milli >= 0 ? mc.temperature_milli / 1000.0 : -1,
                        .stream = 0, .timeout_ms = 60000, .policy = ep.policy};
    sw_llm_result r;
    int rc = sw_llm_chat(&lc, messages, NULL, NULL, &r);
    int out = SW_E_IO;
    if (rc == 0 && r.content) {
        *answer = strdup(r.content);
        out = *answer ? SW_OK : SW_E_NOMEM;
    }
    sw_llm_result_fini(&r);
    json_decref(messages);
    if (have) sw_model_config_fini(&mc);
    return out;
}
