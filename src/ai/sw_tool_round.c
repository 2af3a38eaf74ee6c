/* sw_tool_round: one round of an AI's tool calls — which wait for a person's approval
 * (sw_approvals: parked, cards posted) and which run at once, in parallel, as jobs on the tool
 * pool — each announced as swp.tool.call events; and an approved call run as the turn would. */
#include "ai/sw_turn.h"
#include "ai/sw_ai_internal.h"
#include "ai/sw_approvals.h"
#include "plugins/sw_redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tool calls in parallel, on the tool pool ---- */

typedef struct {
    sw_ai *ai;
    const char *tenant_id, *room_id, *ai_id, *initiator_id, *turn_id;
} call_who;

static void announce_running(const call_who *w, const char *call_id, const char *name)
{
    sw_ai_publish(w->ai, w->tenant_id, w->room_id, "swp.tool.call",
                  json_pack("{s:s, s:s, s:s, s:s, s:s}", "participant_id", w->ai_id, "tool", name ? name : "",
                            "tool_call_id", call_id ? call_id : "", "status", "running", "turn_id", w->turn_id));
}

static void announce_outcome(const call_who *w, const char *call_id, const char *name, const char *arguments,
                             const sw_dispatch_result *res)
{
    sw_ai *ai = w->ai;
    json_t *args = sw_redact_args_text(ai->disp->reg, res->plugin_id, name, arguments); /* the one redaction */
    json_t *result = json_string(res->text ? res->text : "");
    sw_ai_publish(ai, w->tenant_id, w->room_id, "swp.tool.call",
                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:b, s:s}", "participant_id", w->ai_id,
                            "plugin_id", res->plugin_id, "tool", name ? name : "", "tool_call_id",
                            call_id ? call_id : "", "status", res->status, "turn_id", w->turn_id,
                            "duration_ms", (json_int_t)(res->duration_us / 1000),
                            "arguments", args ? args : json_string(SW_REDACT_MASK), "result",
                            result ? result : json_string(""), "is_error", res->is_error, "initiator_id",
                            w->initiator_id));
}

/* The call a turn makes: the dispatcher with the turn's visibility. */
static sw_call turn_call(const call_who *w, const char *slug, vis_arg *va, const char *name, const char *arguments)
{
    return (sw_call){.tenant_id = w->tenant_id, .tenant_slug = slug, .room_id = w->room_id,
                     .caller_id = w->ai_id, .initiator_id = w->initiator_id, .tool = name,
                     .args = arguments ? arguments : "{}", .args_len = arguments ? strlen(arguments) : 2,
                     .plugin_visible = sw_ai_plugin_visible, .plugin_visible_arg = va};
}

/* One call through the dispatcher from the calling thread (the dispatcher hands the tool
 * to the tool pool), announced as swp.tool.call events (running, then the outcome). */
static void exec_call(const call_who *w, vis_arg *va, const char *call_id, const char *name, const char *arguments,
                      sw_dispatch_result *res)
{
    announce_running(w, call_id, name);
    char slug[72];
    sw_rooms_tenant_slug(w->ai->rooms, w->tenant_id, slug);
    sw_call c = turn_call(w, slug, va, name, arguments);
    sw_dispatch(w->ai->disp, &c, res);
    announce_outcome(w, call_id, name, c.args, res);
}

/* Where a round's calls meet the turn: each delivers its result once and the turn waits until
 * every one has. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;
} round_wait;

/* One call of a round, a job on the tool pool. The tool runs on that worker (the dispatcher's
 * inline mode): a job never waits on the pool it runs on, so a full pool cannot deadlock. The
 * result is delivered when the tool returns, or at its deadline by the dispatcher's watchdog
 * (on_timeout) while the tool still runs: then the worker keeps the job until the tool returns
 * (refs: the turn and the worker), and everything the call reads is the job's own copy. */
typedef struct call_job {
    sw_pool_job node;
    int refs;
    round_wait *rw;
    call_who who;
    char tenant_id[40], room_id[40], ai_id[40], initiator_id[40], turn_id[40], slug[72];
    char *call_id, *name, *arguments;
    json_t *loadout;
    vis_arg va;
    sw_call call;
    sw_dispatch_result res; /* read by the turn once delivered */
} call_job;

static void call_job_release(call_job *j)
{
    if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    sw_dispatch_result_fini(&j->res);
    json_decref(j->loadout);
    free(j->call_id);
    free(j->name);
    free(j->arguments);
    free(j);
}

/* Announces the outcome, then hands the result to the turn (which may go on at once). */
static void call_job_deliver(call_job *j)
{
    announce_outcome(&j->who, j->call_id, j->name, j->call.args, &j->res);
    round_wait *rw = j->rw;
    pthread_mutex_lock(&rw->mu);
    if (--rw->pending == 0) pthread_cond_signal(&rw->cv);
    pthread_mutex_unlock(&rw->mu);
}

static void call_job_timeout(void *arg, const sw_dispatch_result *res)
{
    (void)res; /* the job's own result, filled with the timeout answer */
    call_job_deliver(arg);
}

static void call_job_run(void *arg)
{
    call_job *j = arg;
    announce_running(&j->who, j->call_id, j->name);
    sw_dispatch(j->who.ai->disp, &j->call, &j->res);
    if (!j->res.reported) call_job_deliver(j);
    call_job_release(j);
}

static call_job *call_job_new(turn *t, const vis_arg *va, const sw_llm_tool_call *c, round_wait *rw)
{
    call_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->call_id = c->id ? strdup(c->id) : NULL;
    j->name = c->name ? strdup(c->name) : NULL;
    j->arguments = c->arguments ? strdup(c->arguments) : NULL;
    j->loadout = va->loadout ? json_deep_copy(va->loadout) : NULL;
    if ((c->id && !j->call_id) || (c->name && !j->name) || (c->arguments && !j->arguments) ||
        (va->loadout && !j->loadout)) {
        j->refs = 1;
        call_job_release(j);
        return NULL;
    }
    j->refs = 2;
    j->rw = rw;
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", t->tenant_id);
    snprintf(j->room_id, sizeof j->room_id, "%s", t->room_id);
    snprintf(j->ai_id, sizeof j->ai_id, "%s", t->ai_id);
    snprintf(j->initiator_id, sizeof j->initiator_id, "%s", t->initiator_id);
    snprintf(j->turn_id, sizeof j->turn_id, "%s", t->turn_id);
    j->who = (call_who){t->ai, j->tenant_id, j->room_id, j->ai_id, j->initiator_id, j->turn_id};
    j->va = (vis_arg){t->ai, j->tenant_id, j->room_id, j->loadout};
    sw_rooms_tenant_slug(t->ai->rooms, j->tenant_id, j->slug);
    j->call = turn_call(&j->who, j->slug, &j->va, j->name, j->arguments);
    /* Stop (t->cancel) reaches the running tool's swp_cancelled(); the dispatcher forgets the
     * pointer before it answers at the deadline, so the flag is never read after the turn moved on */
    j->call.cancel = &t->cancel;
    j->call.on_timeout = call_job_timeout;
    j->call.on_timeout_arg = j;
    j->node.fn = call_job_run;
    j->node.arg = j;
    return j;
}

/* Runs the calls not marked in skip[] on the tool pool and waits for every result; jobs[i] is
 * NULL for a skipped call or one that could not be set up. Release each with call_job_release. */
static void run_calls(turn *t, vis_arg *va, const sw_llm_result *r, int n, const int *skip, call_job **jobs)
{
    round_wait rw = {.pending = 0};
    pthread_mutex_init(&rw.mu, NULL);
    pthread_cond_init(&rw.cv, NULL);
    sw_pool *pool = t->ai->disp->pool;
    for (int i = 0; i < n; i++) {
        jobs[i] = skip[i] ? NULL : call_job_new(t, va, &r->calls[i], &rw);
        if (!jobs[i]) continue;
        pthread_mutex_lock(&rw.mu);
        rw.pending++;
        pthread_mutex_unlock(&rw.mu);
        if (!pool || sw_pool_submit_job(pool, &jobs[i]->node) != 0) call_job_run(jobs[i]); /* stopping */
    }
    pthread_mutex_lock(&rw.mu);
    while (rw.pending > 0) pthread_cond_wait(&rw.cv, &rw.mu);
    pthread_mutex_unlock(&rw.mu);
    pthread_mutex_destroy(&rw.mu);
    pthread_cond_destroy(&rw.cv);
}

/* The text of a call's result for the model. */
static const char *job_text(const call_job *j)
{
    if (!j) return "The tool could not run: the server is out of memory.\n"
                   "Fallback suggestions: try again later, or answer without this tool.";
    return j->res.text ? j->res.text : "";
}

void sw_ai_run_tool(sw_ai *ai, const char *tenant_id, const char *room_id, const char *ai_id,
                    const char *initiator_id, const char *turn_id, const char *tool_call_id,
                    const char *tool, const char *args, sw_dispatch_result *out)
{
    sw_model_config mc;
    int have = sw_model_config_get(ai->db, tenant_id, ai_id, &mc) == SW_REPO_OK;
    vis_arg va = {ai, tenant_id, room_id, have ? mc.plugins : NULL};
    call_who w = {ai, tenant_id, room_id, ai_id, initiator_id, turn_id};
    exec_call(&w, &va, tool_call_id, tool, args, out);
    if (have) sw_model_config_fini(&mc);
}

int sw_ai_run_round(turn *t, vis_arg *va, const sw_llm_result *r, int n, int round, json_t **messages)
{
    sw_ai *ai = t->ai;
    int need[MAX_CALLS_PER_ROUND] = {0}, nneed = 0;
    char plugin_ids[MAX_CALLS_PER_ROUND][72];
    if (ai->approvals)
        for (int i = 0; i < n; i++) {
            need[i] = sw_approvals_needed(ai->approvals, t->tenant_id, t->room_id, r->calls[i].name, sw_ai_plugin_visible,
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
    call_job *jobs[MAX_CALLS_PER_ROUND];
    run_calls(t, va, r, n, need, jobs);
    if (!nneed || park_failed) {
        for (int i = 0; i < n; i++) {
            char *refused = NULL;
            if (need[i] && asprintf(&refused, "%s was not run: the request for approval could not be stored.\n"
                                              "Fallback suggestions: tell the person, and try again later.",
                                    r->calls[i].name ? r->calls[i].name : "The tool") < 0)
                refused = NULL;
            const char *text = need[i] ? (refused ? refused : "not run") : job_text(jobs[i]);
            json_t *txt = json_string(text);
            json_array_append_new(*messages, json_pack("{s:s, s:s, s:o}", "role", "tool", "tool_call_id",
                                                       r->calls[i].id ? r->calls[i].id : "", "content",
                                                       txt ? txt : json_string("(invalid UTF-8)")));
            free(refused);
            if (jobs[i]) call_job_release(jobs[i]);
        }
        return 0;
    }
    json_t *results = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(results, need[i] ? json_null() : json_string(job_text(jobs[i])));
        if (jobs[i]) call_job_release(jobs[i]);
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
