/* h_auth: POST /v1/auth/token (password sign-in) and GET /v1/me. */
#include "auth/sw_password.h"
#include "http/sw_handlers.h"
#include "store/sw_repo.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A valid argon2id hash of a random password: verifying against it when the user does not
 * exist keeps "no such user" and "wrong password" equally slow. */
static char dummy[SW_PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    unsigned char r[16];
    char pw[33];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(pw, sizeof pw, r, sizeof r);
    if (sw_password_hash(pw, dummy, sizeof dummy) != 0) dummy[0] = 0;
}

static const char *dummy_hash(void)
{
    pthread_once(&dummy_once, dummy_init);
    return dummy;
}

void sw_h_auth_token(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *tenant, *user, *password;
    if (sw_field_string(resp, body, "tenant", 1, 64, &tenant) ||
        sw_field_string(resp, body, "username", 1, 64, &user) ||
        sw_field_string(resp, body, "password", 1, SW_PASSWORD_MAX_LEN, &password)) {
        json_decref(body);
        return;
    }
    sw_app *app = req->app;
    sw_tenant t;
    sw_participant p;
    int found = sw_tenant_by_slug(app->db, tenant, &t) == SW_REPO_OK &&
                sw_participant_by_local_id(app->db, t.id, user, &p) == SW_REPO_OK &&
                p.password_hash[0];
    int ok = sw_password_verify(found ? p.password_hash : dummy_hash(), password) && found;
    json_decref(body);
    if (!ok) {
        sw_resp_error(resp, SW_ERR_AUTH_INVALID_CREDENTIALS, NULL,
                      "unknown tenant or username, or wrong password");
        return;
    }
    char *tok = sw_app_issue_token(app, t.id, p.id, p.roles, app->cfg.token_ttl);
    if (!tok) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "cannot sign a token");
        return;
    }
    sw_resp_data(resp, 200,
                 json_pack("{s:s, s:s, s:i}", "access_token", tok, "token_type", "Bearer",
                           "expires_in", app->cfg.token_ttl),
                 NULL);
    free(tok);
}

void sw_h_me(sw_req *req, sw_resp *resp)
{
    sw_participant p;
    int rc = sw_participant_by_id(req->app->db, req->auth.tenant_id, req->auth.participant_id, &p);
    if (rc == SW_REPO_NOT_FOUND) {
        sw_resp_error(resp, SW_ERR_AUTH_INVALID_TOKEN, NULL, "the token's participant no longer exists");
        return;
    }
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    sw_resp_data(resp, 200,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "participant_id", p.id, "tenant_id",
                           p.tenant_id, "local_id", p.local_id, "display_name", p.display_name,
                           "participant_type", p.participant_type, "roles", sw_roles_json(p.roles)),
                 NULL);
}
