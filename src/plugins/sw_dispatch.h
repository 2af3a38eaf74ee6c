/* sw_dispatch: the one path every tool call takes — from the AI, a slash command, the API or a
 * test. Owns: finding the tool among the tenant's enabled plugins, defensive argument parsing,
 * schema validation, permission checks, running the tool on the worker pool with a timeout,
 * and one audit record per call. Framework failures come back as error results whose text ends
 * in a "Fallback suggestions:" line, the convention plugins follow too. */
#ifndef SW_DISPATCH_H
#define SW_DISPATCH_H

#include "core/sw_arena.h"
#include "core/sw_error.h"
#include "core/sw_metrics.h"
#include "core/sw_pool.h"
#include "core/sw_spin.h"
#include "plugins/sw_audit.h"
#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"
#include "store/sw_db.h"

#include <jansson.h>
#include <pthread.h>
#include <scaiwave/plugin.h>

typedef struct sw_dispatcher {
    sw_db *db;
    sw_registry *reg;
    sw_plugin_states *states;
    sw_audit *audit;
    sw_pool *pool;
    sw_metrics *metrics;      /* may be NULL */
    int default_timeout_ms;
    sw_host host;             /* the host-services table handed to plugins */
    struct sw_bus *bus;       /* event publisher for sw_publish, or NULL */
    /* The model client for sw_model_complete, provided by the AI layer (which sits above the
     * plugins): answers into a malloc'd string; returns SW_OK or an SW_E_* status. NULL = none. */
    int (*model_complete)(void *arg, const char *tenant_id, const char *participant_id,
                          const char *system, const char *prompt, char **answer);
    void *model_arg;
    /* where sw_http_fetch may connect (sw_netpolicy.h); NULL = the default rules */
    const struct sw_netpolicy *netpolicy;
    /* the key sw_token_exchange signs with (the server's JWT key; tokens carry `aud`, which the
     * API's authn refuses); NULL = the service is unavailable */
    const uint8_t *token_key;
    size_t token_key_len;
    sw_spin wait_spin;        /* whether waiting for a tool starts with a spin (sw_spin.h) */
    /* The watchdog of calls run inline (sw_call.on_timeout): started with the first such call */
    pthread_mutex_t wd_mu;
    pthread_cond_t wd_cv, wd_done_cv;
    struct wd_entry *wd_list;
    int64_t wd_next_ns;       /* when the watchdog wakes next */
    int wd_started, wd_stop;
    pthread_t wd_thread;
} sw_dispatcher;

struct sw_dispatch_result;

/* One call. Strings are borrowed for the duration of sw_dispatch. */
typedef struct sw_call {
    const char *tenant_id;
    const char *tenant_slug;
    const char *room_id;      /* NULL or "" outside a room */
    const char *caller_id;    /* who calls: the AI participant, or the human for /commands */
    const char *initiator_id; /* the human who started it */
    /* the caller's cancel flag (an AI turn's Stop), read atomically; NULL = none. It must stay
     * valid until sw_dispatch returns. */
    const int *cancel;
    const char *tool;         /* tool name as the model sent it */
    const char *args;         /* raw argument text (NULL = "{}") */
    size_t args_len;
    const char *only_plugin;  /* restrict the lookup to this plugin id, or NULL */
    /* Optional filter (AI loadout, room toggles): return 0 to hide a plugin from this call. */
    int (*plugin_visible)(void *arg, const char *plugin_id);
    void *plugin_visible_arg;
    /* Optional: run the tool on the calling thread (one where blocking is fine: a pool worker)
     * instead of handing it to the pool. If it overruns its timeout, a watchdog thread fills the
     * caller's result with the timeout answer (audited then) and calls on_timeout with it at the
     * deadline; sw_dispatch returns that same result, with `reported` set, once the tool has
     * returned. Saves a hand-over between threads per call. */
    void (*on_timeout)(void *arg, const struct sw_dispatch_result *res);
    void *on_timeout_arg;
} sw_call;

typedef struct sw_dispatch_result {
    char *text;           /* malloc'd; free with sw_dispatch_result_fini */
    int is_error;
    const char *status;   /* "ok" | "error" | "denied" | "timeout" (static) */
    sw_err err;           /* framework error (SW_ERR_TOOL_NOT_FOUND, SW_ERR_VALIDATION, ...) or -1 */
    char plugin_id[72];
    int64_t duration_us;
    int reported;         /* 1: already handed to sw_call.on_timeout */
} sw_dispatch_result;

/* Sets up the dispatcher (the host table included). The caller owns every component. */
void sw_dispatcher_init(sw_dispatcher *d, sw_db *db, sw_registry *reg, sw_plugin_states *states,
                        sw_audit *audit, sw_pool *pool, sw_metrics *metrics, int default_timeout_ms);

/* Runs one call. Always fills *out (framework failures included); returns 0, or -1 only when
 * memory ran out before anything could be written. */
int sw_dispatch(sw_dispatcher *d, const sw_call *call, sw_dispatch_result *out);
void sw_dispatch_result_fini(sw_dispatch_result *r);
/* Stops the watchdog thread, if it was started. */
void sw_dispatcher_fini(sw_dispatcher *d);

/* ---- The per-call context (host side). Exposed for the plugin test harness. ---- */
typedef struct sw_call_ctx {
    sw_ctx pub;               /* what the plugin sees; pub.host_data points back here */
    sw_arena arena;
    sw_dispatcher *d;
    const sw_reg_plugin *rp;
    sw_tenant_plugins *snapshot; /* a reference, released with the context */
    const sw_plugin_tenant_state *state;
    json_t *args;             /* parsed arguments (object) or NULL: the one parse of the call */
    const char *args_json;    /* args as compact JSON, dumped into the arena on first ask */
    int64_t deadline_ns;      /* CLOCK_MONOTONIC; 0 = none */
    int cancelled;            /* set (atomically) by the dispatcher's timeout paths */
    const int *ext_cancel;    /* the caller's flag (sw_call.cancel), under cancel_mu */
    pthread_mutex_t cancel_mu;
    char inline_buf[2048];
} sw_call_ctx;

/* Builds a context for plugin rp in a tenant (strings are copied into the arena). `granted`
 * overrides the tenant's grants when >= 0. Returns NULL when out of memory. */
sw_call_ctx *sw_call_ctx_new(sw_dispatcher *d, const sw_reg_plugin *rp, const sw_call *call,
                             int64_t granted);
/* The same in caller-provided memory; `snapshot` (may be NULL) is the tenant's plugin snapshot
 * the caller already holds (a reference is taken). Undo with sw_call_ctx_fini. */
void sw_call_ctx_init(sw_call_ctx *cc, sw_dispatcher *d, const sw_reg_plugin *rp, const sw_call *call,
                      int64_t granted, sw_tenant_plugins *snapshot);
void sw_call_ctx_fini(sw_call_ctx *cc);
/* Sets the call's cancel flag and forgets the caller's (which may go away after this). */
void sw_call_ctx_cancel(sw_call_ctx *cc);
/* 1 once the call is cancelled (its own flag or the caller's). */
int sw_call_ctx_cancelled(sw_call_ctx *cc);
/* Sets the call's arguments: takes `parsed` (a reference), or parses the text (a JSON object). */
void sw_call_ctx_set_args(sw_call_ctx *cc, const char *args, size_t len, json_t *parsed);
void sw_call_ctx_free(sw_call_ctx *cc);

/* The host-services table (sw_host.c); the notes feature service (sw_host_notes.c); token
 * exchange (sw_host_token.c). */
void sw_host_init(sw_host *h);
const sw_notes_api *sw_host_notes_api(void);
int sw_host_token_exchange(sw_ctx *ctx, const char *audience, int ttl_s, const char **token);

#endif
