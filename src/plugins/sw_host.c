/* swp_host: the host services a plugin reaches through ctx->host: the per-call arena, argument
 * accessors, settings, logging, tenant-scoped key/value storage, outbound HTTP, people lookup,
 * the job queue, the call's deadline and cancel flag, token exchange (sw_host_token.c) and the
 * feature services by name and version (notes: sw_host_notes.c). Every service that needs a
 * permission checks the plugin's grant in this tenant before doing anything; storage and HTTP
 * refuse once the call's deadline has passed. */
#include "core/sw_id.h"
#include "core/sw_log.h"
#include "core/sw_netpolicy.h"
#include "events/sw_bus.h"
#include "core/sw_time.h"
#include "plugins/sw_call_ctx.h"
#include "core/sw_secretbox.h"
#include "store/sw_repo.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CC(ctx) ((sw_call_ctx *)(ctx)->host_data)
#define HTTP_MAX_BODY (4u << 20)

/* A service needing `perm` refuses unless the tenant granted it to this plugin. */
static int need(swp_ctx *ctx, uint32_t perm, const char *what)
{
    if (ctx->granted & perm) return 0;
    char msg[160];
    snprintf(msg, sizeof msg, "%s refused: permission not granted to %s in this tenant", what,
             ctx->plugin_id);
    SW_WARN("%s", msg);
    return -1;
}

static void *h_alloc(swp_ctx *ctx, size_t n)
{
    return sw_arena_alloc(&CC(ctx)->arena, n);
}

static char *h_strdup(swp_ctx *ctx, const char *s)
{
    return sw_arena_strdup(&CC(ctx)->arena, s);
}

static char *h_vprintf(swp_ctx *ctx, const char *fmt, va_list ap)
{
    return sw_arena_vprintf(&CC(ctx)->arena, fmt, ap);
}

/* The parsed arguments as compact JSON (for execute_tool fallbacks): never the raw text. */
static const char *h_args_text(swp_ctx *ctx)
{
    sw_call_ctx *cc = CC(ctx);
    if (!cc->args_json && cc->args) {
        char *s = json_dumps(cc->args, JSON_COMPACT);
        cc->args_json = s ? sw_arena_strdup(&cc->arena, s) : NULL;
        free(s);
    }
    return cc->args_json ? cc->args_json : "{}";
}

static const char *h_arg_string(swp_ctx *ctx, const char *key)
{
    return json_string_value(json_object_get(CC(ctx)->args, key));
}

static int h_arg_int(swp_ctx *ctx, const char *key, int64_t *out)
{
    json_t *v = json_object_get(CC(ctx)->args, key);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return SWP_OK;
    }
    if (json_is_real(v) && json_real_value(v) == (double)(int64_t)json_real_value(v)) {
        *out = (int64_t)json_real_value(v);
        return SWP_OK;
    }
    return SWP_E_NOTFOUND;
}

static int h_arg_bool(swp_ctx *ctx, const char *key, int *out)
{
    json_t *v = json_object_get(CC(ctx)->args, key);
    if (!json_is_boolean(v)) return SWP_E_NOTFOUND;
    *out = json_is_true(v);
    return SWP_OK;
}

static const char *h_arg_json(swp_ctx *ctx, const char *key)
{
    json_t *v = json_object_get(CC(ctx)->args, key);
    if (!v) return NULL;
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) return NULL;
    char *r = sw_arena_strdup(&CC(ctx)->arena, s);
    free(s);
    return r;
}

static const char *h_setting(swp_ctx *ctx, const char *key)
{
    sw_call_ctx *cc = CC(ctx);
    const char *v = cc->state ? json_string_value(json_object_get(cc->state->settings, key)) : NULL;
    const swp_plugin *p = cc->rp->p;
    if (sw_secretbox_is_sealed(v)) {
        /* opened here, where it is used, into the call's arena (gone with the call) */
        char *plain = NULL;
        int rc = sw_secretbox_open(sw_db_secretbox(cc->d->db), v, &plain);
        if (rc < 0) {
            SW_WARN("plugin %s: the stored secret setting \"%.64s\" cannot be decrypted with this server's "
                    "secret.key; an admin must set it again", p->id, key);
            return NULL;
        }
        const char *r = sw_arena_strdup(&cc->arena, plain);
        sodium_memzero(plain, strlen(plain));
        free(plain);
        return r;
    }
    if (v) return v;
    for (const swp_setting_def *s = cc->rp->settings; s && s->key; s++)
        if (strcmp(s->key, key) == 0) return s->default_value;
    return NULL;
}

static void h_log(swp_ctx *ctx, int level, const char *msg)
{
    sw_log_level l = level <= 0 ? SW_LOG_DEBUG : level == 1 ? SW_LOG_INFO : level == 2 ? SW_LOG_WARN : SW_LOG_ERROR;
    sw_log(l, "plugin %s: %s", ctx->plugin_id, msg ? msg : "");
}

static int h_kv_get(swp_ctx *ctx, const char *key, const char **value)
{
    if (!key || !value) return SWP_E_INVAL;
    sw_call_ctx *cc = CC(ctx);
    char *v = NULL;
    int rc = sw_plugin_kv_get(cc->d->db, ctx->tenant_id, ctx->plugin_id, key, &v);
    int out = rc == SW_REPO_OK ? SWP_OK : rc == SW_REPO_NOT_FOUND ? SWP_E_NOTFOUND : SWP_E_IO;
    if (rc == SW_REPO_OK) {
        *value = sw_arena_strdup(&cc->arena, v);
        if (!*value) out = SWP_E_NOMEM;
    }
    free(v);
    return out;
}

static int h_kv_set(swp_ctx *ctx, const char *key, const char *value)
{
    if (!key || strlen(key) > 256 || (value && strlen(value) > (1u << 20))) return SWP_E_INVAL;
    sw_call_ctx *cc = CC(ctx);
    return sw_plugin_kv_set(cc->d->db, ctx->tenant_id, ctx->plugin_id, key, value) == SW_REPO_OK ? SWP_OK : SWP_E_IO;
}

/* ---- the call's deadline and cancel flag ---- */

static int64_t h_deadline_ms(swp_ctx *ctx)
{
    int64_t d = CC(ctx)->deadline_ns;
    return d ? d / 1000000 : 0;
}

static int64_t h_remaining_ms(swp_ctx *ctx)
{
    int64_t d = CC(ctx)->deadline_ns;
    if (!d) return -1;
    int64_t left = (d - sw_time_mono_ns()) / 1000000;
    return left > 0 ? left : 0;
}

static int h_cancelled(swp_ctx *ctx)
{
    return sw_call_ctx_cancelled(CC(ctx));
}

/* Storage and HTTP refuse once the call is over: SWP_E_CANCELLED, or SWP_E_TIMEDOUT past the
 * deadline (even when the dispatcher has not noticed yet). */
static int past_deadline(swp_ctx *ctx)
{
    sw_call_ctx *cc = CC(ctx);
    if (cc->deadline_ns && sw_time_mono_ns() >= cc->deadline_ns) return SWP_E_TIMEDOUT;
    return sw_call_ctx_cancelled(cc) ? SWP_E_CANCELLED : SWP_OK;
}

static int h_kv_get_in_time(swp_ctx *ctx, const char *key, const char **value)
{
    int rc = past_deadline(ctx);
    return rc != SWP_OK ? rc : h_kv_get(ctx, key, value);
}

static int h_kv_set_in_time(swp_ctx *ctx, const char *key, const char *value)
{
    int rc = past_deadline(ctx);
    return rc != SWP_OK ? rc : h_kv_set(ctx, key, value);
}

typedef struct {
    sw_arena *arena;
    char *buf;
    size_t len, cap;
    int too_big;
} http_body;

static size_t on_body(char *data, size_t sz, size_t nm, void *arg)
{
    http_body *b = arg;
    size_t n = sz * nm;
    if (b->len + n > HTTP_MAX_BODY) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8192;
        while (cap < b->len + n + 1) cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) return 0;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    return n;
}

/* libcurl's progress callback: a cancelled call aborts its transfer. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return sw_call_ctx_cancelled(arg) ? 1 : 0;
}

/* The transfer's timeout: the request's (10 s by default), never past the call's deadline. */
static long http_timeout_ms(sw_call_ctx *cc, const swp_http_request *req)
{
    long t = req->timeout_ms > 0 ? req->timeout_ms : 10000;
    if (cc->deadline_ns) {
        int64_t left = (cc->deadline_ns - sw_time_mono_ns()) / 1000000;
        if (left < t) t = left > 1 ? (long)left : 1;
    }
    return t;
}

static int h_http_fetch(swp_ctx *ctx, const swp_http_request *req, swp_http_response *resp)
{
    if (!req || !resp || !req->url) return SWP_E_INVAL;
    memset(resp, 0, sizeof *resp);
    if (need(ctx, SWP_PERM_EXTERNAL_HTTP, "HTTP request") != 0) return SWP_E_PERM;
    if (strncmp(req->url, "http://", 7) != 0 && strncmp(req->url, "https://", 8) != 0) return SWP_E_INVAL;
    int late = past_deadline(ctx);
    if (late != SWP_OK) return late; /* no connection once the call is over */
    sw_call_ctx *cc = CC(ctx);
    char why[300];
    if (sw_netpolicy_check_url(cc->d->netpolicy, req->url, why, sizeof why) != 1) {
        SW_WARN("HTTP request of %s refused: %s", ctx->plugin_id, why); /* the host only, no path */
        return SWP_E_PERM;
    }
    CURL *c = curl_easy_init();
    if (!c) return SWP_E_NOMEM;
    sw_netguard guard; /* every connection, redirects too, checked once resolved */
    sw_netguard_install(&guard, c, cc->d->netpolicy);
    http_body b = {.arena = &cc->arena};
    struct curl_slist *hdrs = NULL;
    if (req->headers)
        for (const char *const *h = req->headers; *h; h++) hdrs = curl_slist_append(hdrs, *h);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, http_timeout_ms(cc, req));
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, cc);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ScaiWave-C plugin host");
    if (hdrs) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (req->method) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    int out = SWP_OK;
    if (rc != CURLE_OK && guard.refused) {
        SW_WARN("HTTP request of %s refused: %s is a %s address", ctx->plugin_id, guard.addr, guard.why);
        out = SWP_E_PERM;
    } else if (rc != CURLE_OK) {
        out = rc == CURLE_OPERATION_TIMEDOUT                          ? SWP_E_TIMEDOUT
              : rc == CURLE_ABORTED_BY_CALLBACK && !b.too_big         ? SWP_E_CANCELLED
              : b.too_big                                             ? SWP_E_INVAL
                                                                      : SWP_E_IO;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        const char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        resp->content_type = ct ? sw_arena_strdup(&cc->arena, ct) : NULL;
        char *body = sw_arena_alloc(&cc->arena, b.len + 1);
        if (!body) {
            out = SWP_E_NOMEM;
        } else {
            if (b.len) memcpy(body, b.buf, b.len);
            body[b.len] = 0;
            resp->body = body;
            resp->body_len = b.len;
        }
    }
    free(b.buf);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return out;
}

static int h_user_get(swp_ctx *ctx, const char *participant_id, const char **json)
{
    if (!participant_id || !json) return SWP_E_INVAL;
    if (need(ctx, SWP_PERM_READ_USERS, "user lookup") != 0) return SWP_E_PERM;
    sw_participant p;
    int rc = sw_participant_by_id(CC(ctx)->d->db, ctx->tenant_id, participant_id, &p);
    if (rc == SW_REPO_NOT_FOUND) return SWP_E_NOTFOUND;
    if (rc != SW_REPO_OK) return SWP_E_IO;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "participant_id", p.id, "local_id", p.local_id,
                          "display_name", p.display_name, "participant_type", p.participant_type);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    *json = s ? sw_arena_strdup(&CC(ctx)->arena, s) : NULL;
    free(s);
    return *json ? SWP_OK : SWP_E_NOMEM;
}

/* Publishes {"type":"swp.plugin.event","content":{plugin_id, type, data}} to the tenant (the room
 * when the call has one). Plugins cannot forge the server's own event types. Needs
 * WRITE_MESSAGES when the event goes to a room. */
static int h_publish(swp_ctx *ctx, const char *type, const char *content_json)
{
    sw_call_ctx *cc = CC(ctx);
    if (!type || !*type || strlen(type) > 48 || strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(type))
        return SWP_E_INVAL;
    if (!cc->d->bus) return SWP_E_UNAVAIL;
    if (ctx->room_id && *ctx->room_id && need(ctx, SWP_PERM_WRITE_MESSAGES, "event publishing") != 0) return SWP_E_PERM;
    json_t *data = content_json ? json_loads(content_json, JSON_DECODE_ANY, NULL) : json_null();
    if (!data) return SWP_E_INVAL;
    if (sw_bus_publish_ephemeral(cc->d->bus, ctx->tenant_id, ctx->room_id, "swp.plugin.event", ctx->sender_id,
                                 json_pack("{s:s, s:s, s:o}", "plugin_id", ctx->plugin_id, "type", type, "data", data)) != 0)
        return SWP_E_NOMEM;
    return SWP_OK;
}

/* A queued job: runs the plugin's run_job hook later on the worker pool. */
typedef struct {
    const sw_host_env *d;
    const sw_reg_plugin *rp;
    char tenant_id[40], tenant_slug[72], room_id[40], sender_id[40], initiator_id[40];
    char *name, *payload;
} job;

static void run_job(void *arg)
{
    job *j = arg;
    sw_ctx_ids ids = {.tenant_id = j->tenant_id, .tenant_slug = j->tenant_slug, .room_id = j->room_id,
                      .sender_id = j->sender_id, .initiator_id = j->initiator_id};
    sw_call_ctx *cc = sw_call_ctx_open(j->d, j->rp, &ids, -1);
    if (cc) {
        sw_call_ctx_set_args(cc, j->payload, strlen(j->payload), NULL);
        int rc = j->rp->p->run_job(&cc->pub, j->name, j->payload);
        if (rc != SWP_OK) SW_WARN("plugin %s: job %s failed (%d)", j->rp->p->id, j->name, rc);
        sw_call_ctx_free(cc);
    }
    free(j->name);
    free(j->payload);
    free(j);
}

static int h_job_enqueue(swp_ctx *ctx, const char *name, const char *payload_json)
{
    if (!name) return SWP_E_INVAL;
    if (need(ctx, SWP_PERM_MANAGE_TASKS, "job queue") != 0) return SWP_E_PERM;
    sw_call_ctx *cc = CC(ctx);
    const swp_plugin *p = cc->rp->p;
    if (p->struct_size < offsetof(swp_plugin, run_job) + sizeof(void *) || !p->run_job) return SWP_E_INVAL;
    job *j = calloc(1, sizeof *j);
    if (!j) return SWP_E_NOMEM;
    j->d = cc->d;
    j->rp = cc->rp;
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", ctx->tenant_id);
    snprintf(j->tenant_slug, sizeof j->tenant_slug, "%s", ctx->tenant_slug ? ctx->tenant_slug : "");
    snprintf(j->room_id, sizeof j->room_id, "%s", ctx->room_id ? ctx->room_id : "");
    snprintf(j->sender_id, sizeof j->sender_id, "%s", ctx->sender_id ? ctx->sender_id : "");
    snprintf(j->initiator_id, sizeof j->initiator_id, "%s", ctx->initiator_id ? ctx->initiator_id : "");
    j->name = strdup(name);
    j->payload = strdup(payload_json ? payload_json : "{}");
    if (!j->name || !j->payload || sw_pool_submit(cc->d->pool, run_job, j) != 0) {
        free(j->name);
        free(j->payload);
        free(j);
        return SWP_E_NOMEM;
    }
    return SWP_OK;
}

/* One chat completion with the calling AI's model (or the server's default model). */
static int h_model_complete(swp_ctx *ctx, const char *system, const char *prompt, const char **answer)
{
    if (!prompt || !answer) return SWP_E_INVAL;
    *answer = NULL;
    sw_call_ctx *cc = CC(ctx);
    if (!cc->d->model_complete) return SWP_E_UNAVAIL;
    char *out = NULL;
    int rc = cc->d->model_complete(cc->d->model_arg, ctx->tenant_id, ctx->sender_id, system, prompt, &out);
    if (rc == SWP_OK && out) *answer = sw_arena_strdup(&cc->arena, out);
    free(out);
    return rc == SWP_OK && !*answer ? SWP_E_NOMEM : rc;
}

/* Feature services by name and version (the core table stays small): notes v1 today. */
static const void *h_service(swp_ctx *ctx, const char *name, uint32_t version)
{
    (void)ctx;
    if (!name) return NULL;
    if (strcmp(name, SWP_NOTES_SERVICE) == 0 && version == 1) return sw_host_notes_api();
    return NULL;
}

void sw_host_init(swp_host *h)
{
    memset(h, 0, sizeof *h);
    h->abi_version = SWP_PLUGIN_ABI_VERSION;
    h->struct_size = sizeof *h;
    h->alloc = h_alloc;
    h->strdup = h_strdup;
    h->vprintf = h_vprintf;
    h->args_text = h_args_text;
    h->arg_string = h_arg_string;
    h->arg_int = h_arg_int;
    h->arg_bool = h_arg_bool;
    h->arg_json = h_arg_json;
    h->setting = h_setting;
    h->log = h_log;
    h->kv_get = h_kv_get_in_time;
    h->kv_set = h_kv_set_in_time;
    h->http_fetch = h_http_fetch;
    h->user_get = h_user_get;
    h->publish = h_publish;
    h->job_enqueue = h_job_enqueue;
    h->model_complete = h_model_complete;
    h->service = h_service;
    h->deadline_ms = h_deadline_ms;
    h->remaining_ms = h_remaining_ms;
    h->cancelled = h_cancelled;
    h->token_exchange = sw_host_token_exchange;
}
