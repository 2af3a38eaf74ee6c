/* sw_turn: the AI service's object, the turn registry (one reply per room and AI; stop and a
 * newer message cancel it) and the model loop of a turn (see sw_turn.h, sw_ai_internal.h). */
#include "ai/sw_turn.h"
#include "ai/sw_ai_internal.h"
#include "ai/sw_approvals.h"
#include "core/sw_error.h"
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *default_etiquette =
    "Tool etiquette: call a tool only when it helps answer the person; pass arguments that match "
    "its schema exactly. After a tool returns, summarise its result in plain words instead of "
    "pasting it. When a result ends with a \"Fallback suggestions:\" line, follow it — try the "
    "different angle it suggests — rather than giving up or repeating the same call.";

/* ---- the service object ---- */

static void on_bus_event(void *arg, sw_event *ev)
{
    sw_ai *ai = arg;
    if (strcmp(ev->type, "swp.room.member") != 0) return;
    char kb[SW_CACHE_KEY_MAX];
    sw_cache_forget(ai->has_ai, sw_cache_key(kb, ev->room_id, NULL, NULL));
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

static int resume_entry(void *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                        const char *initiator_id, const char *turn_id, const char *park_id)
{
    return sw_ai_resume(ai, tenant_id, room_id, ai_id, initiator_id, turn_id, park_id);
}

static void run_tool_entry(void *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                           const char *initiator_id, const char *turn_id, const char *tool_call_id,
                           const char *tool, const char *args, sw_dispatch_result *out)
{
    sw_ai_run_tool(ai, tenant_id, room_id, ai_id, initiator_id, turn_id, tool_call_id, tool, args, out);
}

void sw_ai_set_approvals(sw_ai *ai, sw_approvals *a)
{
    ai->approvals = a;
    if (a) sw_approvals_set_turns(a, &(sw_approval_turns){.arg = ai, .resume = resume_entry, .run_tool = run_tool_entry});
}

/* ---- events ---- */

static void status(turn *t, const char *s)
{
    sw_ai_publish(t->ai, t->tenant_id, t->room_id, "swp.ai.status",
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
    sw_ai_publish(s->t->ai, s->t->tenant_id, s->t->room_id, "swp.room.message.chunk",
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
    sw_ai_publish(t->ai, t->tenant_id, t->room_id, "swp.model.error",
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


/* The messages a turn starts from: the system prompt and the history, or for a resumed turn
 * the stored round with every result of its calls, in the original order (then *first_round
 * follows the stored one). NULL when a resumed turn's round cannot be read. */
static json_t *turn_messages(turn *t, const sw_model_config *mc, int *first_round)
{
    sw_ai *ai = t->ai;
    if (t->park_id[0]) {
        int round = 0;
        json_t *messages = sw_approvals_resume_messages(ai->approvals, t->tenant_id, t->park_id, &round);
        *first_round = round + 1;
        return messages;
    }
    char *system = sw_ai_system_prompt(ai, t->tenant_id, t->room_id, t->ai_id, mc->system_prompt, mc->plugins);
    json_t *messages = json_array();
    json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system", "content", system ? system : ""));
    free(system);
    json_t *hist = sw_ai_history(ai, t);
    json_array_extend(messages, hist);
    json_decref(hist);
    return messages;
}

/* Stores what ends the turn after a model answer, if it does: 1 when stopped, failed, or an
 * answer without (runnable) tool calls; 0 when its tool calls are to run. */
static int turn_ends(turn *t, const sw_llm_result *r, int rc, int last, const char *base_url)
{
    if (r->cancelled) {
        /* keep what was said, marked; say so even when nothing was */
        char *body = NULL;
        if (asprintf(&body, "%s%s[stopped]", r->content ? r->content : "", r->content && *r->content ? "\n\n" : "") >= 0)
            store_message(t, "swp.text", t->ai_id, body);
        free(body);
        return 1;
    }
    if (rc != 0) {
        model_error(t, r, base_url);
        return 1;
    }
    if (r->ncalls == 0 || last || r->truncated) { /* cut-off tool calls may be cut mid-JSON: never run them */
        const char *content = r->content ? r->content : "";
        char *body = NULL;
        if (r->truncated) {
            if (asprintf(&body, "%s\n\n[the answer was cut off: the model's stream ended early]", content) < 0) body = NULL;
        }
        store_message(t, "swp.text", t->ai_id, body ? body : (*content ? content : "(no answer)"));
        free(body);
        return 1;
    }
    return 0;
}

/* The assistant's message with the first n tool calls of r. */
static void append_tool_calls(json_t *messages, const sw_llm_result *r, int n)
{
    json_t *calls = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(calls, json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", r->calls[i].id ? r->calls[i].id : "",
                                               "type", "function", "function", "name", r->calls[i].name ? r->calls[i].name : "",
                                               "arguments", r->calls[i].arguments ? r->calls[i].arguments : ""));
    json_t *am = json_pack("{s:s, s:o}", "role", "assistant", "tool_calls", calls);
    json_object_set_new(am, "content", r->content && *r->content ? json_string(r->content) : json_null());
    json_array_append_new(messages, am);
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
    endpoint ep = sw_ai_endpoint(ai, &mc);
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
    int first_round = 0;
    json_t *messages = turn_messages(t, &mc, &first_round);
    if (!messages && resuming) {
        store_message(t, "swp.system", "system", "The AI could not continue after the approval: its saved turn "
                                                 "could not be read.");
        sw_approvals_finish(ai->approvals, t->tenant_id, t->park_id);
        sw_model_config_fini(&mc);
        status(t, NULL);
        return;
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
            sw_ai_publish(ai, t->tenant_id, t->room_id, "swp.room.message.chunk",
                          json_pack("{s:s, s:s, s:s, s:b}", "participant_id", t->ai_id, "turn_id", t->turn_id,
                                    "chunk_text", "", "done", 1));
        if (turn_ends(t, &r, rc, last, base_url)) {
            sw_llm_result_fini(&r);
            break;
        }
        /* the assistant's tool calls, then each result as a tool message with its id */
        int n = r.ncalls > MAX_CALLS_PER_ROUND ? MAX_CALLS_PER_ROUND : r.ncalls;
        append_tool_calls(messages, &r, n);
        char st[96];
        snprintf(st, sizeof st, "calling %.80s", r.calls[0].name ? r.calls[0].name : "a tool");
        status(t, st);
        parked = sw_ai_run_round(t, &va, &r, n, round, &messages);
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

int sw_ai_start_turn(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
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
    return sw_ai_start_turn(ai, tenant_id, room_id, ai_id, initiator_id, TURN_ALONGSIDE, turn_id, park_id);
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
