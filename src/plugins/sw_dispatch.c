/* sw_dispatch: the dispatcher (see sw_dispatch.h) and the per-call context. */
#include "plugins/sw_dispatch.h"
#include "core/sw_log.h"
#include "core/sw_text.h"
#include "core/sw_time.h"
#include "plugins/sw_redact.h"
#include "plugins/sw_resolve.h"
#include "plugins/sw_schema.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESULT_MAX (256u << 10)     /* longest result text handed back */

void sw_dispatcher_init(sw_dispatcher *d, sw_db *db, sw_registry *reg, sw_plugin_states *states,
                        sw_audit *audit, sw_pool *pool, sw_metrics *metrics, int default_timeout_ms)
{
    memset(d, 0, sizeof *d);
    d->db = db;
    d->reg = reg;
    d->states = states;
    d->audit = audit;
    d->pool = pool;
    d->metrics = metrics;
    d->default_timeout_ms = default_timeout_ms > 0 ? default_timeout_ms : 30000;
    sw_host_init(&d->host);
    pthread_mutex_init(&d->wd_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wd_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&d->wd_done_cv, NULL);
}

/* ---- per-call context (sw_call_ctx.c builds it; these map an sw_call onto it) ---- */

static sw_ctx_ids ids_of(const sw_call *call)
{
    return (sw_ctx_ids){.tenant_id = call->tenant_id, .tenant_slug = call->tenant_slug, .room_id = call->room_id,
                        .sender_id = call->caller_id, .initiator_id = call->initiator_id, .cancel = call->cancel};
}

void sw_call_ctx_init(sw_call_ctx *cc, sw_dispatcher *d, const sw_reg_plugin *rp, const sw_call *call,
                      int64_t granted, sw_tenant_plugins *snapshot)
{
    sw_ctx_ids ids = ids_of(call);
    sw_call_ctx_setup(cc, &d->env, rp, &ids, granted, snapshot);
}

sw_call_ctx *sw_call_ctx_new(sw_dispatcher *d, const sw_reg_plugin *rp, const sw_call *call,
                             int64_t granted)
{
    sw_ctx_ids ids = ids_of(call);
    return sw_call_ctx_open(&d->env, rp, &ids, granted);
}

/* ---- results ---- */

void sw_dispatch_result_fini(sw_dispatch_result *r)
{
    free(r->text);
    r->text = NULL;
}

static void set_result(sw_dispatch_result *out, const char *status, int is_error, sw_err err,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set_result(sw_dispatch_result *out, const char *status, int is_error, sw_err err,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(out->text);
    if (vasprintf(&out->text, fmt, ap) < 0) out->text = NULL;
    va_end(ap);
    out->status = status;
    out->is_error = is_error;
    out->err = err;
}

static void audit(sw_dispatcher *d, const sw_call *call, const char *plugin_id, const sw_reg_tool *rt,
                  const json_t *args, const sw_dispatch_result *out, const char *detail)
{
    if (d->metrics) sw_metrics_tool(d->metrics, out->status);
    if (!d->audit) return;
    const char *raw = call->args;
    size_t rawlen = call->args ? call->args_len : 0;
    char *own = NULL;
    if (call->args_json && !args) { /* a parsed value that is not an object (only on errors) */
        own = json_dumps(call->args_json, JSON_COMPACT | JSON_ENCODE_ANY);
        raw = own;
        rawlen = own ? strlen(own) : 0;
    }
    json_t *red = sw_redact_args(rt, args, raw, rawlen);
    free(own);
    char *txt = red ? json_dumps(red, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(red);
    sw_audit_record r = {
        .tenant_id = call->tenant_id,
        .room_id = call->room_id,
        .plugin_id = plugin_id ? plugin_id : "",
        .tool = call->tool ? call->tool : "",
        .caller_id = call->caller_id,
        .initiator_id = call->initiator_id,
        .args_redacted = txt ? txt : "null",
        .status = out->status,
        .duration_ms = out->duration_us / 1000,
        .detail = detail,
    };
    sw_audit_enqueue(d->audit, &r);
    free(txt);
}

/* ---- running a tool with a timeout ---- */

typedef struct exec_job {
    int refs;
    int done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const sw_reg_tool *rt;
    swp_result res;
    int rc;
    sw_pool_job node; /* the pool's queue node: no allocation per hand-off */
    sw_call_ctx cc;   /* one allocation holds the job and the call's context */
} exec_job;

static void job_release(exec_job *j)
{
    if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    sw_call_ctx_fini(&j->cc);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

static void job_run(void *arg)
{
    exec_job *j = arg;
    const swp_tool *def = j->rt->def;
    if (sw_call_ctx_cancelled(&j->cc)) { /* timed out (or stopped) before a worker took it */
        j->rc = SWP_E_CANCELLED;
    } else {
        int64_t t0 = sw_time_mono_ns();
        j->rc = def->run ? def->run(&j->cc.pub, &j->res)
                         : j->cc.rp->p->execute_tool(&j->cc.pub, def->name, swp_args_text(&j->cc.pub), &j->res);
        if (__atomic_load_n(&j->cc.cancelled, __ATOMIC_ACQUIRE))
            SW_WARN("tool %s of %s returned %lld ms after its call was given up (timeout); its result was "
                    "discarded", def->name, j->cc.rp->p->id, (long long)((sw_time_mono_ns() - t0) / 1000000));
    }
    pthread_mutex_lock(&j->mu);
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_release(j);
}

/* Returns 1 when the job finished before the deadline. */
static int job_wait(exec_job *j, int timeout_ms, sw_spin *spin)
{
    /* Most tools answer in microseconds: poll for up to 50 us before sleeping on the condvar,
     * while that pays off (sw_spin.h). */
    if (sw_spin_should(spin)) {
        int64_t until = sw_time_mono_ns() + 50000;
        do { /* check after every pause (a pause can be ~140 cycles); read the clock now and then */
            for (int i = 0; i < 64; i++) {
                if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
                    sw_spin_result(spin, 1);
                    return 1;
                }
                __builtin_ia32_pause();
            }
        } while (sw_time_mono_ns() < until);
        sw_spin_result(spin, 0);
    }
    struct timespec dl = sw_time_after_us(CLOCK_REALTIME, (int64_t)timeout_ms * 1000);
    pthread_mutex_lock(&j->mu);
    int rc = 0;
    while (!j->done && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&j->cv, &j->mu, &dl);
    int done = j->done;
    pthread_mutex_unlock(&j->mu);
    return done;
}

/* ---- the watchdog of inline calls ---- */

typedef struct wd_entry {
    struct wd_entry *next;
    int64_t deadline_ns;
    int state; /* 0 running, 1 the watchdog is answering, 2 answered */
    const sw_call *call;
    const sw_reg_tool *rt;
    const json_t *args;
    sw_dispatch_result *out;
    sw_call_ctx *cc; /* the running call: its cancel flag is set at the deadline */
    int timeout_ms;
    int64_t t0_us;
} wd_entry;

static void timeout_result(sw_dispatch_result *out, const char *tool, int timeout_ms)
{
    set_result(out, "timeout", 1, SW_ERR_UNAVAILABLE,
               "Tool %s timed out after %d ms and its result was discarded.\n"
               "Fallback suggestions: try again with a smaller request, or answer without "
               "this tool.",
               tool, timeout_ms);
}

static void *wd_main(void *arg)
{
    sw_dispatcher *d = arg;
    pthread_mutex_lock(&d->wd_mu);
    while (!d->wd_stop) {
        int64_t now = sw_time_mono_ns(), next = now + 1000000000LL;
        wd_entry *due = NULL;
        for (wd_entry *e = d->wd_list; e; e = e->next) {
            if (e->state != 0) continue;
            if (e->deadline_ns <= now) {
                due = e;
                break;
            }
            if (e->deadline_ns < next) next = e->deadline_ns;
        }
        if (due) { /* the caller is still inside the tool: its frame, call and out are alive */
            due->state = 1;
            pthread_mutex_unlock(&d->wd_mu);
            sw_call_ctx_cancel(due->cc);
            timeout_result(due->out, due->call->tool, due->timeout_ms);
            due->out->duration_us = sw_time_mono_us() - due->t0_us;
            due->out->reported = 1;
            audit(d, due->call, due->out->plugin_id, due->rt, due->args, due->out, "timeout");
            due->call->on_timeout(due->call->on_timeout_arg, due->out);
            pthread_mutex_lock(&d->wd_mu);
            due->state = 2;
            pthread_cond_broadcast(&d->wd_done_cv);
            continue;
        }
        d->wd_next_ns = next;
        struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
        pthread_cond_timedwait(&d->wd_cv, &d->wd_mu, &ts);
    }
    pthread_mutex_unlock(&d->wd_mu);
    return NULL;
}

/* Registers an inline call; 0, or -1 when the watchdog cannot run (the caller uses the pool). */
static int wd_add(sw_dispatcher *d, wd_entry *e)
{
    pthread_mutex_lock(&d->wd_mu);
    if (!d->wd_started && !d->wd_stop) {
        d->wd_next_ns = INT64_MAX;
        d->wd_started = pthread_create(&d->wd_thread, NULL, wd_main, d) == 0 ? 1 : -1;
    }
    if (d->wd_started != 1 || d->wd_stop) {
        pthread_mutex_unlock(&d->wd_mu);
        return -1;
    }
    e->next = d->wd_list;
    d->wd_list = e;
    /* the watchdog sleeps until wd_next_ns: wake it only when this deadline comes first */
    if (e->deadline_ns < d->wd_next_ns) pthread_cond_signal(&d->wd_cv);
    pthread_mutex_unlock(&d->wd_mu);
    return 0;
}

/* Unregisters it once the tool returned; 1 when the watchdog had answered (waits for it). */
static int wd_remove(sw_dispatcher *d, wd_entry *e)
{
    pthread_mutex_lock(&d->wd_mu);
    while (e->state == 1) pthread_cond_wait(&d->wd_done_cv, &d->wd_mu);
    for (wd_entry **pp = &d->wd_list; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    pthread_mutex_unlock(&d->wd_mu);
    return e->state == 2;
}

void sw_dispatcher_fini(sw_dispatcher *d)
{
    pthread_mutex_lock(&d->wd_mu);
    d->wd_stop = 1;
    int started = d->wd_started == 1;
    pthread_cond_signal(&d->wd_cv);
    pthread_mutex_unlock(&d->wd_mu);
    if (started) pthread_join(d->wd_thread, NULL);
    d->wd_started = 0;
}

/* ---- lookup helpers ---- */


static void missing_perms(uint32_t missing, char *buf, size_t len)
{
    buf[0] = 0;
    size_t used = 0;
    for (int i = 0; i < SWP_PERM__COUNT; i++)
        if (missing & (1u << i)) {
            int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", sw_perm_name(i));
            if (n < 0 || (size_t)n >= len - used) break;
            used += (size_t)n;
        }
}

/* Human-readable signature of a tool's parameters for hints: {"language": string (required), ...} */
static void param_hint(const sw_reg_tool *rt, char *buf, size_t len)
{
    const json_t *props = json_object_get(rt->schema, "properties");
    const json_t *req = json_object_get(rt->schema, "required");
    size_t used = 0;
    int n = snprintf(buf, len, "{");
    used = n > 0 ? (size_t)n : 0;
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)props, k, v) {
        int required = 0;
        size_t i;
        json_t *r;
        json_array_foreach(req, i, r) required |= json_string_value(r) && !strcmp(json_string_value(r), k);
        const char *t = json_string_value(json_object_get(v, "type"));
        n = snprintf(buf + used, len - used, "%s\"%s\": %s%s", first ? "" : ", ", k, t ? t : "any",
                     required ? " (required)" : "");
        if (n < 0 || (size_t)n >= len - used) break;
        used += (size_t)n;
        first = 0;
    }
    if (used + 2 < len) strcat(buf, "}");
}

/* ---- the dispatcher: one call, step by step ---- */

typedef struct dcall { /* one call's working state */
    sw_dispatcher *d;
    const sw_call *call;
    sw_dispatch_result *out;
    const char *tool;
    int64_t t0;
    sw_tenant_plugins *tp;  /* the tenant's snapshot: ours, or the caller's (call->resolved) */
    int own_tp;
    sw_resolved res;
    json_t *args;           /* the parsed arguments (a reference) */
    const char *detail;     /* for the audit record */
} dcall;

/* Step 1: the tool, through the one resolver (or as the caller already resolved it). */
static int find_tool(dcall *c)
{
    const sw_call *call = c->call;
    if (call->resolved && call->resolved->status == SW_RESOLVE_OK && call->resolved->snapshot) {
        c->res = *call->resolved; /* resolved once, by the caller, in the snapshot it holds */
        c->tp = c->res.snapshot;
        return 0;
    }
    c->tp = call->tenant_id ? sw_plugin_states_get(c->d->states, call->tenant_id) : NULL;
    c->own_tp = 1;
    if (!c->tp) {
        set_result(c->out, "error", 1, SW_ERR_INTERNAL,
                   "Tool %.64s could not run: the plugin store is unavailable.\n"
                   "Fallback suggestions: try again in a moment, or answer without this tool.", c->tool);
        return -1;
    }
    sw_resolve_filter f = {.only_plugin = call->only_plugin, .visible = call->plugin_visible,
                           .visible_arg = call->plugin_visible_arg, .max_distance = 4};
    sw_resolve_status st = sw_resolve_tool(c->tp, c->tool, &f, &c->res);
    if (st == SW_RESOLVE_OK) return 0;
    if (st == SW_RESOLVE_UNKNOWN) {
        const char *best = c->res.suggestion;
        c->detail = "unknown tool";
        set_result(c->out, "error", 1, SW_ERR_TOOL_NOT_FOUND,
                   "Unknown tool \"%.64s\".\nFallback suggestions: %s%s%s.", c->tool,
                   best ? "did you mean " : "use only the tools listed in your function schema",
                   best ? best : "", best ? "? Call it by its exact name" : "");
        return -1;
    }
    const char *pid = c->res.state->rp->p->id;
    int enabled = st == SW_RESOLVE_HIDDEN;
    snprintf(c->out->plugin_id, sizeof c->out->plugin_id, "%s", pid);
    c->detail = enabled ? "plugin not available here" : "plugin disabled";
    set_result(c->out, "denied", 1, SW_ERR_PLUGIN_DISABLED,
               "Tool %s is not available: the plugin %s is %s.\n"
               "Fallback suggestions: ask a tenant admin to enable %s under Admin → Plugins, "
               "or answer without this tool.",
               c->tool, pid, enabled ? "turned off for this room or this AI" : "disabled in this tenant", pid);
    return -1;
}

static void invalid_args(dcall *c, const char *why)
{
    char hint[512];
    param_hint(c->res.tool, hint, sizeof hint);
    set_result(c->out, "error", 1, SW_ERR_VALIDATION,
               "Invalid arguments for %s: %s.\n"
               "Fallback suggestions: call %s again with a JSON object %s.", c->tool, why, c->tool, hint);
}

/* Step 2: the arguments, a JSON object; tolerate what models and people send. An already-parsed
 * value (call->args_json) is taken as it is; text is parsed once. Plain text (or a bare JSON
 * string) fills the first required string parameter, as the seed's greeter takes "de" for
 * {"language": "de"}; text that starts like JSON but does not parse is reported as broken JSON. */
static int parse_args(dcall *c)
{
    const sw_call *call = c->call;
    const sw_reg_tool *rt = c->res.tool;
    json_t *j = NULL;
    const char *raw = "";
    size_t s = 0, e = 0;
    if (call->args_json) {
        j = json_incref((json_t *)call->args_json);
    } else {
        raw = call->args ? call->args : "";
        e = call->args ? call->args_len : 0;
        while (s < e && isspace((unsigned char)raw[s])) s++;
        while (e > s && isspace((unsigned char)raw[e - 1])) e--;
        if (s == e) {
            c->args = json_object();
            return 0;
        }
        json_error_t je;
        j = json_loadb(raw + s, e - s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
        if (!j && !(rt->first_required && raw[s] != '{' && raw[s] != '[')) {
            char why[300];
            snprintf(why, sizeof why, "not valid JSON (line %d, column %d: %s)", je.line, je.column, je.text);
            invalid_args(c, why);
            return -1;
        }
    }
    if (json_is_object(j)) {
        c->args = j;
        return 0;
    }
    if (rt->first_required && (!j || json_is_string(j))) {
        json_t *v = j ? j : json_stringn(raw + s, e - s);
        if (!v) {
            invalid_args(c, "the text is not valid UTF-8");
            return -1;
        }
        c->args = json_object();
        json_object_set_new(c->args, rt->first_required, v);
        return 0;
    }
    json_decref(j);
    invalid_args(c, "expected a JSON object");
    return -1;
}

/* Step 3: the arguments against the tool's schema. */
static int validate_args(dcall *c)
{
    char verr[300], hint[512];
    const sw_reg_tool *rt = c->res.tool;
    int bad = rt->compiled ? sw_schema_run(rt->compiled, c->args, verr, sizeof verr)
                           : sw_schema_validate(rt->schema, c->args, verr, sizeof verr);
    if (bad == 0) return 0;
    param_hint(c->res.tool, hint, sizeof hint);
    c->detail = "invalid arguments";
    set_result(c->out, "error", 1, SW_ERR_VALIDATION,
               "Invalid arguments for %s: %s.\n"
               "Fallback suggestions: call %s again with arguments matching %s.",
               c->tool, verr, c->tool, hint);
    return -1;
}

/* Step 4: the tool's permissions_required against the tenant's grants. */
static int check_permissions(dcall *c)
{
    const sw_plugin_tenant_state *hit = c->res.state;
    uint32_t missing = c->res.tool->def->permissions_required & ~hit->granted;
    if (!missing) return 0;
    char names[200];
    missing_perms(missing, names, sizeof names);
    c->detail = "permission not granted";
    set_result(c->out, "denied", 1, SW_ERR_AUTH_INSUFFICIENT_PERMISSION,
               "Tool %s was not run: the plugin %s has not been granted %s in this tenant.\n"
               "Fallback suggestions: ask a tenant admin to grant %s to %s, or answer without "
               "this tool.",
               c->tool, hit->rp->p->id, names, names, hit->rp->p->id);
    return -1;
}

/* The tool's answer into the call's result (cut at RESULT_MAX). */
static void take_result(dcall *c, const exec_job *j)
{
    sw_dispatch_result *out = c->out;
    if (j->rc != SWP_OK) {
        c->detail = "plugin failure";
        set_result(out, "error", 1, SW_ERR_INTERNAL,
                   "Tool %s failed inside the plugin %s (%d).\n"
                   "Fallback suggestions: try again once, then answer without this tool.",
                   c->tool, c->res.state->rp->p->id, j->rc);
        return;
    }
    const char *t = j->res.text ? j->res.text : "";
    size_t n = strlen(t);
    free(out->text);
    if (n > RESULT_MAX) {
        out->text = malloc(RESULT_MAX + 32);
        if (out->text) {
            memcpy(out->text, t, RESULT_MAX);
            strcpy(out->text + RESULT_MAX, "\n[result truncated]");
        }
    } else {
        out->text = strdup(t);
    }
    out->is_error = j->res.is_error;
    out->status = j->res.is_error ? "error" : "ok";
}

/* Step 5: runs the tool on the worker pool (or on the caller's thread, sw_call.on_timeout) and
 * waits up to its timeout. Returns 1 when the watchdog already answered and audited the call. */
static int run_tool(dcall *c)
{
    sw_dispatcher *d = c->d;
    const sw_call *call = c->call;
    const sw_reg_tool *rt = c->res.tool;
    const sw_plugin_tenant_state *hit = c->res.state;
    exec_job *j = malloc(sizeof *j);
    if (!j) {
        set_result(c->out, "error", 1, SW_ERR_INTERNAL,
                   "Tool %s could not run: the server is out of memory.\n"
                   "Fallback suggestions: try again later, or answer without this tool.", c->tool);
        return 0;
    }
    memset(j, 0, offsetof(exec_job, cc));
    sw_call_ctx_init(&j->cc, d, hit->rp, call, hit->granted, c->tp);
    sw_call_ctx_set_args(&j->cc, call->args_json ? NULL : call->args ? call->args : "", call->args_len, c->args);
    j->rt = rt;
    j->refs = 2;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->node.fn = job_run;
    j->node.arg = j;
    int timeout_ms = rt->def->timeout_ms > 0 ? rt->def->timeout_ms : d->default_timeout_ms;
    j->cc.deadline_ns = c->t0 * 1000 + (int64_t)timeout_ms * 1000000;
    int ran_here = 0;
    if (call->on_timeout) { /* on the caller's thread, the watchdog keeping the deadline */
        wd_entry we = {.deadline_ns = j->cc.deadline_ns, .call = call, .rt = rt, .args = c->args,
                       .out = c->out, .cc = &j->cc, .timeout_ms = timeout_ms, .t0_us = c->t0};
        if (wd_add(d, &we) == 0) {
            job_run(j);
            ran_here = 1;
            if (wd_remove(d, &we)) { /* the watchdog answered (and audited) at the deadline */
                job_release(j);
                return 1;
            }
        }
    }
    if (!ran_here && (!d->pool || sw_pool_submit_job(d->pool, &j->node) != 0)) job_run(j); /* inline fallback */
    if (!job_wait(j, timeout_ms, &d->wait_spin)) {
        sw_call_ctx_cancel(&j->cc); /* the tool sees swp_cancelled(); the caller's flag is forgotten */
        c->detail = "timeout";
        timeout_result(c->out, c->tool, timeout_ms);
    } else if (j->rc == SWP_E_CANCELLED && sw_call_ctx_cancelled(&j->cc)) {
        c->detail = "cancelled";
        set_result(c->out, "error", 1, SW_ERR_UNAVAILABLE,
                   "Tool %s was stopped before it finished.\n"
                   "Fallback suggestions: ask the person whether to run it again.", c->tool);
    } else {
        take_result(c, j);
    }
    job_release(j);
    return 0;
}

/* Step 6 (every call that was not answered by the watchdog): one audit record. */
static void finish(dcall *c)
{
    sw_dispatch_result *out = c->out;
    if (!out->text) out->text = strdup("");
    out->duration_us = sw_time_mono_us() - c->t0;
    audit(c->d, c->call, out->plugin_id, c->res.tool, c->args, out, c->detail);
}

int sw_dispatch(sw_dispatcher *d, const sw_call *call, sw_dispatch_result *out)
{
    memset(out, 0, sizeof *out);
    out->err = (sw_err)-1;
    dcall c = {.d = d, .call = call, .out = out, .tool = call->tool ? call->tool : "",
               .t0 = sw_time_mono_us()};
    int answered = 0;
    if (find_tool(&c) == 0) {
        snprintf(out->plugin_id, sizeof out->plugin_id, "%s", c.res.state->rp->p->id);
        if (parse_args(&c) == 0 && validate_args(&c) == 0 && check_permissions(&c) == 0)
            answered = run_tool(&c);
    }
    if (!answered) finish(&c);
    json_decref(c.args);
    if (c.own_tp) sw_tenant_plugins_release(c.tp);
    return out->text ? 0 : -1;
}
