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
#include "plugins/sw_call_ctx.h"
#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"
#include "plugins/sw_resolve.h"
#include "store/sw_db.h"

#include <jansson.h>
#include <pthread.h>
#include <scaiwave/plugin.h>

typedef struct sw_dispatcher {
    /* What the host services see (sw_call_ctx.h): d->db, d->host, d->bus, ... by name, or the
     * whole as d->env (the same bytes). */
    union {
        sw_host_env env;
        struct {
            SW_HOST_ENV_FIELDS
        };
    };
    sw_audit *audit;
    sw_metrics *metrics;      /* may be NULL */
    int default_timeout_ms;
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
    /* Or the arguments already parsed (any JSON value; an object normally): used instead of
     * args, referenced, never re-serialised (slash commands, POST /v1/tools/{tool}/call). */
    const json_t *args_json;
    /* Or the tool as the caller already resolved it (sw_resolve_tool, status OK) in a snapshot
     * the caller holds for the call: the dispatcher does not look it up again, and only_plugin
     * and plugin_visible are not consulted. */
    const struct sw_resolved *resolved;
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

/* ---- The per-call context (sw_call_ctx.h) of an sw_call. ---- */
/* Builds a context for plugin rp in a tenant (strings are copied into the arena). `granted`
 * overrides the tenant's grants when >= 0. Returns NULL when out of memory. */
sw_call_ctx *sw_call_ctx_new(sw_dispatcher *d, const sw_reg_plugin *rp, const sw_call *call,
                             int64_t granted);
/* The same in caller-provided memory; `snapshot` (may be NULL) is the tenant's plugin snapshot
 * the caller already holds (a reference is taken). Undo with sw_call_ctx_fini. */
void sw_call_ctx_init(sw_call_ctx *cc, sw_dispatcher *d, const sw_reg_plugin *rp, const sw_call *call,
                      int64_t granted, sw_tenant_plugins *snapshot);

#endif
