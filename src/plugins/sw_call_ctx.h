/* sw_call_ctx: the per-call context on the host side, and sw_host_env, what the host services
 * need of the server (store, plugin states, pool, bus, model client, outbound policy, token
 * key, the host table). The host services (sw_host*.c) see only this header; the dispatcher
 * includes it and embeds an sw_host_env — one direction, no dispatcher <-> host cycle. */
#ifndef SW_CALL_CTX_H
#define SW_CALL_CTX_H

#include "core/sw_arena.h"
#include "core/sw_pool.h"
#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"
#include "store/sw_db.h"

#include <jansson.h>
#include <pthread.h>
#include <scaiwave/plugin.h>

struct sw_bus;
struct sw_netpolicy;

/* The members of sw_host_env, also spliced into sw_dispatcher (which sets them by name). */
#define SW_HOST_ENV_FIELDS                                                                       \
    sw_db *db;                                                                                   \
    sw_registry *reg;                                                                            \
    sw_plugin_states *states;                                                                    \
    sw_pool *pool;                                                                               \
    swp_host host;             /* the host-services table handed to plugins */                   \
    struct sw_bus *bus;       /* event publisher for swp_publish, or NULL */                     \
    /* The model client for swp_model_complete, provided by the AI layer (which sits above the  \
     * plugins): answers into a malloc'd string; returns SWP_OK or an SWP_E_* status. NULL = none. */ \
    int (*model_complete)(void *arg, const char *tenant_id, const char *participant_id,         \
                          const char *system, const char *prompt, char **answer);               \
    void *model_arg;                                                                             \
    /* where swp_http_fetch may connect (sw_netpolicy.h); NULL = the default rules */            \
    const struct sw_netpolicy *netpolicy;                                                        \
    /* the key swp_token_exchange signs with (the server's JWT key; tokens carry `aud`, which   \
     * the API's authn refuses); NULL = the service is unavailable */                           \
    const uint8_t *token_key;                                                                    \
    size_t token_key_len;

typedef struct sw_host_env {
    SW_HOST_ENV_FIELDS
} sw_host_env;

/* Who and where a context is for (strings are copied into the context's arena). */
typedef struct sw_ctx_ids {
    const char *tenant_id, *tenant_slug, *room_id, *sender_id, *initiator_id;
    const int *cancel; /* the caller's cancel flag (an AI turn's Stop), or NULL */
} sw_ctx_ids;

typedef struct sw_call_ctx {
    swp_ctx pub;               /* what the plugin sees; pub.host_data points back here */
    sw_arena arena;
    const sw_host_env *d;
    const sw_reg_plugin *rp;
    sw_tenant_plugins *snapshot; /* a reference, released with the context */
    const sw_plugin_tenant_state *state;
    json_t *args;             /* parsed arguments (object) or NULL: the one parse of the call */
    const char *args_json;    /* args as compact JSON, dumped into the arena on first ask */
    int64_t deadline_ns;      /* CLOCK_MONOTONIC; 0 = none */
    int cancelled;            /* set (atomically) by the dispatcher's timeout paths */
    const int *ext_cancel;    /* the caller's flag (sw_ctx_ids.cancel), under cancel_mu */
    pthread_mutex_t cancel_mu;
    char inline_buf[2048];
} sw_call_ctx;

/* Builds a context for plugin rp in caller-provided memory. `granted` overrides the tenant's
 * grants when >= 0; `snapshot` (may be NULL: loaded here) is the tenant's plugin snapshot the
 * caller holds (a reference is taken). Undo with sw_call_ctx_fini. */
void sw_call_ctx_setup(sw_call_ctx *cc, const sw_host_env *env, const sw_reg_plugin *rp, const sw_ctx_ids *ids,
                       int64_t granted, sw_tenant_plugins *snapshot);
/* The same, malloc'd (NULL when out of memory); free with sw_call_ctx_free. */
sw_call_ctx *sw_call_ctx_open(const sw_host_env *env, const sw_reg_plugin *rp, const sw_ctx_ids *ids,
                              int64_t granted);
void sw_call_ctx_fini(sw_call_ctx *cc);
void sw_call_ctx_free(sw_call_ctx *cc);
/* Sets the call's arguments: takes `parsed` (a reference), or parses the text (a JSON object). */
void sw_call_ctx_set_args(sw_call_ctx *cc, const char *args, size_t len, json_t *parsed);
/* Sets the call's cancel flag and forgets the caller's (which may go away after this). */
void sw_call_ctx_cancel(sw_call_ctx *cc);
/* 1 once the call is cancelled (its own flag or the caller's). */
int sw_call_ctx_cancelled(sw_call_ctx *cc);

/* The host-services table (sw_host.c); the notes feature service (sw_host_notes.c); token
 * exchange (sw_host_token.c). */
void sw_host_init(swp_host *h);
const swp_notes_api *sw_host_notes_api(void);
int sw_host_token_exchange(swp_ctx *ctx, const char *audience, int ttl_s, const char **token);

#endif
