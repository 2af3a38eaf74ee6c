/* sw_authn: bearer-token verification into an sw_auth (tenant, participant, admin flag):
 * signature and expiry (sw_jwt), then the token generation against the participant's current
 * one (sw_tokgen, remembered), so a revoked token is refused on every route. */
#include "http/sw_authn.h"
#include "auth/sw_jwt.h"
#include "auth/sw_tokgen.h"
#include "store/sw_repo.h"
#include "core/sw_time.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *sw_authn_bearer(const char *h, size_t *len)
{
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ') h++;
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t')) n--;
    if (!n) return NULL;
    *len = n;
    return h;
}

int sw_authn_token(sw_app *app, const char *token, size_t len, sw_auth *auth, const char **why)
{
    memset(auth, 0, sizeof *auth);
    json_t *claims = NULL;
    sw_jwt_status st = sw_jwt_verify(app->jwt_key, sizeof app->jwt_key, token, len,
                                     sw_time_now_ms() / 1000, &claims);
    if (st != SW_JWT_OK) {
        *why = sw_jwt_strerror(st);
        return st == SW_JWT_EXPIRED ? SW_ERR_AUTH_EXPIRED_TOKEN : SW_ERR_AUTH_INVALID_TOKEN;
    }
    if (json_object_get(claims, "aud")) { /* an exchanged token (sw_host_token.c): not for this API */
        json_decref(claims);
        *why = "an audience-bound token (token exchange) is not an API token";
        return SW_ERR_AUTH_INVALID_TOKEN;
    }
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *tid = json_string_value(json_object_get(claims, "tid"));
    json_t *roles = json_object_get(claims, "roles");
    if (!sub || !tid || strlen(sub) >= sizeof auth->participant_id ||
        strlen(tid) >= sizeof auth->tenant_id || (roles && !json_is_array(roles))) {
        json_decref(claims);
        *why = "token claims are incomplete";
        return SW_ERR_AUTH_INVALID_TOKEN;
    }
    json_t *g = json_object_get(claims, "gen"); /* absent in tokens older than migration 10 */
    if (g && !json_is_integer(g)) {
        json_decref(claims);
        *why = "token claims are incomplete";
        return SW_ERR_AUTH_INVALID_TOKEN;
    }
    int64_t gen = g ? (int64_t)json_integer_value(g) : 0, current = -1;
    int rc = sw_tokgen_current(app->tokgen, tid, sub, &current);
    if (rc != 0 || gen != current) {
        json_decref(claims);
        *why = rc == SW_REPO_NOT_FOUND ? "the token's participant no longer exists"
               : rc != 0              ? "the store did not answer"
                                      : "token revoked (logout, token revoke or a new password)";
        return rc != 0 && rc != SW_REPO_NOT_FOUND ? SW_ERR_UNAVAILABLE : SW_ERR_AUTH_INVALID_TOKEN;
    }
    auth->token_gen = gen;
    strcpy(auth->participant_id, sub);
    strcpy(auth->tenant_id, tid);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r) {
        if (json_is_string(r) && strcmp(json_string_value(r), "admin") == 0) auth->is_admin = 1;
    }
    json_decref(claims);
    auth->ok = 1;
    return -1;
}
