/* sw_call_ctx: building and tearing down the per-call context (see sw_call_ctx.h), its
 * arguments and its cancel flag. */
#include "plugins/sw_call_ctx.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_LIMIT (16u << 20) /* what one call may allocate */

void sw_call_ctx_setup(sw_call_ctx *cc, const sw_host_env *env, const sw_reg_plugin *rp, const sw_ctx_ids *ids,
                       int64_t granted, sw_tenant_plugins *snapshot)
{
    memset(cc, 0, offsetof(sw_call_ctx, inline_buf));
    pthread_mutex_init(&cc->cancel_mu, NULL);
    cc->ext_cancel = ids->cancel;
    sw_arena_init(&cc->arena, cc->inline_buf, sizeof cc->inline_buf, ARENA_LIMIT);
    cc->d = env;
    cc->rp = rp;
    if (snapshot) {
        __atomic_add_fetch(&snapshot->refs, 1, __ATOMIC_ACQ_REL);
        cc->snapshot = snapshot;
    } else {
        cc->snapshot = ids->tenant_id ? sw_plugin_states_get(env->states, ids->tenant_id) : NULL;
    }
    cc->state = cc->snapshot ? sw_tenant_plugins_find(cc->snapshot, rp->p->id) : NULL;
    swp_ctx *c = &cc->pub;
    c->struct_size = sizeof *c;
    c->host = &env->host;
    c->host_data = cc;
    c->plugin_id = rp->p->id;
    c->tenant_id = sw_arena_strdup(&cc->arena, ids->tenant_id ? ids->tenant_id : "");
    c->tenant_slug = sw_arena_strdup(&cc->arena, ids->tenant_slug ? ids->tenant_slug : "");
    c->room_id = sw_arena_strdup(&cc->arena, ids->room_id ? ids->room_id : "");
    c->sender_id = sw_arena_strdup(&cc->arena, ids->sender_id ? ids->sender_id : "");
    c->initiator_id = sw_arena_strdup(&cc->arena, ids->initiator_id ? ids->initiator_id : "");
    c->plugin_state = rp->state;
    c->granted = granted >= 0 ? (uint32_t)granted : cc->state ? cc->state->granted : 0;
}

sw_call_ctx *sw_call_ctx_open(const sw_host_env *env, const sw_reg_plugin *rp, const sw_ctx_ids *ids,
                              int64_t granted)
{
    sw_call_ctx *cc = malloc(sizeof *cc);
    if (cc) sw_call_ctx_setup(cc, env, rp, ids, granted, NULL);
    return cc;
}

void sw_call_ctx_set_args(sw_call_ctx *cc, const char *args, size_t len, json_t *parsed)
{
    cc->args_json = NULL;
    json_decref(cc->args);
    if (parsed) {
        cc->args = json_incref(parsed);
    } else {
        json_t *j = json_loadb(args ? args : "", args ? len : 0, 0, NULL);
        cc->args = json_is_object(j) ? j : NULL;
        if (!cc->args) json_decref(j);
    }
}

void sw_call_ctx_fini(sw_call_ctx *cc)
{
    json_decref(cc->args);
    cc->args = NULL;
    sw_tenant_plugins_release(cc->snapshot);
    cc->snapshot = NULL;
    sw_arena_fini(&cc->arena);
    pthread_mutex_destroy(&cc->cancel_mu);
}

void sw_call_ctx_cancel(sw_call_ctx *cc)
{
    pthread_mutex_lock(&cc->cancel_mu);
    __atomic_store_n(&cc->cancelled, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&cc->ext_cancel, NULL, __ATOMIC_RELEASE); /* read without the lock first */
    pthread_mutex_unlock(&cc->cancel_mu);
}

int sw_call_ctx_cancelled(sw_call_ctx *cc)
{
    if (__atomic_load_n(&cc->cancelled, __ATOMIC_ACQUIRE)) return 1;
    if (!__atomic_load_n(&cc->ext_cancel, __ATOMIC_ACQUIRE)) return 0;
    pthread_mutex_lock(&cc->cancel_mu); /* the caller's flag lives only until sw_call_ctx_cancel */
    int c = cc->ext_cancel && __atomic_load_n(cc->ext_cancel, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&cc->cancel_mu);
    return c;
}

void sw_call_ctx_free(sw_call_ctx *cc)
{
    if (!cc) return;
    sw_call_ctx_fini(cc);
    free(cc);
}
