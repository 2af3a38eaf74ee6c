/* sw_host_token: the token-exchange host service (swp_token_exchange in <scaiwave/plugin.h>).
 * Instead of the caller's bearer token, a plugin that declared (and was granted)
 * SWP_PERM_TOKEN_EXCHANGE gets a short-lived HS256 token (sw_jwt) for ONE named audience that
 * names the caller: {sub: the calling participant, tid: the tenant, aud, azp: the plugin id,
 * iat, exp <= iat + 300}. The API's authn refuses every token that carries `aud`, so an
 * exchanged token never works as an API bearer token. Tokens are never logged. */
#include "auth/sw_jwt.h"
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "plugins/sw_call_ctx.h"

#include <stdlib.h>
#include <string.h>

#define CC(ctx) ((sw_call_ctx *)(ctx)->host_data)
#define TOKEN_TTL_MAX 300

/* An audience: 1..64 characters of [a-z0-9._:-]. */
static int audience_valid(const char *a)
{
    size_t n = a ? strlen(a) : 0;
    return n >= 1 && n <= 64 && strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

int sw_host_token_exchange(swp_ctx *ctx, const char *audience, int ttl_s, const char **token)
{
    if (!token) return SWP_E_INVAL;
    *token = NULL;
    if (!(ctx->granted & SWP_PERM_TOKEN_EXCHANGE)) {
        SW_WARN("token exchange refused: permission not granted to %s in this tenant", ctx->plugin_id);
        return SWP_E_PERM;
    }
    if (!audience_valid(audience) || ttl_s < 0 || !ctx->tenant_id || !*ctx->tenant_id || !ctx->sender_id ||
        !*ctx->sender_id)
        return SWP_E_INVAL;
    sw_call_ctx *cc = CC(ctx);
    if (!cc->d->token_key || !cc->d->token_key_len) return SWP_E_UNAVAIL;
    if (ttl_s == 0 || ttl_s > TOKEN_TTL_MAX) ttl_s = TOKEN_TTL_MAX;
    int64_t now = sw_time_now_ms() / 1000;
    json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "sub", ctx->sender_id, "tid", ctx->tenant_id,
                               "aud", audience, "azp", ctx->plugin_id, "iat", (json_int_t)now, "exp",
                               (json_int_t)(now + ttl_s));
    char *t = claims ? sw_jwt_sign(cc->d->token_key, cc->d->token_key_len, claims) : NULL;
    json_decref(claims);
    if (!t) return SWP_E_NOMEM;
    *token = sw_arena_strdup(&cc->arena, t);
    memset(t, 0, strlen(t));
    free(t);
    return *token ? SWP_OK : SWP_E_NOMEM;
}
