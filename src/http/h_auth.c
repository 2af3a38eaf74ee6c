/* h_auth: POST /v1/auth/token (password sign-in: verified off the HTTP threads by sw_login,
 * behind its guessing limits), POST /v1/auth/logout (revokes the caller's tokens) and
 * GET /v1/me. */
#include "auth/sw_login.h"
#include "auth/sw_tokgen.h"
#include "app/sw_app_people.h"
#include "http/sw_handlers.h"
#include "store/sw_repo.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A sign-in on its way through the verifier threads (sw_login): the server suspends the
 * connection (start) and the verifier resumes it (done); whichever comes second resumes, so
 * the request is never resumed before it is suspended. */
enum { SUSPENDED = 1, FINISHED = 2 };

typedef struct login_req {
    sw_deferred d; /* first: the server's handle */
    sw_login_attempt a;
    int state;
} login_req;

static void login_release(sw_deferred *d)
{
    login_req *lr = (login_req *)d;
    sodium_memzero(lr->a.password, sizeof lr->a.password);
    free(lr);
}

static void login_start(sw_deferred *d)
{
    login_req *lr = (login_req *)d;
    if (__atomic_fetch_or(&lr->state, SUSPENDED, __ATOMIC_ACQ_REL) & FINISHED) sw_req_resume(d);
}

static void login_done(sw_login_attempt *a)
{
    login_req *lr = (login_req *)((char *)a - offsetof(login_req, a));
    if (__atomic_fetch_or(&lr->state, FINISHED, __ATOMIC_ACQ_REL) & SUSPENDED) sw_req_resume(&lr->d);
}

/* The client's address as text ("" when MHD does not say): the per-address limit's key. A
 * proxy in front makes every client one address; X-Forwarded-For is not trusted. */
static void client_address(struct MHD_Connection *c, char *out, size_t len)
{
    out[0] = 0;
    const union MHD_ConnectionInfo *ci = c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

static void login_answer(sw_app *app, login_req *lr, sw_resp *resp)
{
    sw_login_attempt *a = &lr->a;
    if (a->cancelled) {
        resp->retry_after = 1;
        sw_resp_error(resp, SW_ERR_UNAVAILABLE, json_pack("{s:i}", "retry_after", 1),
                      "the server is shutting down");
        return;
    }
    if (!a->ok) {
        sw_resp_error(resp, SW_ERR_AUTH_INVALID_CREDENTIALS, NULL,
                      "unknown tenant or username, or wrong password");
        return;
    }
    char *tok = sw_app_issue_token(app, a->tenant_row.id, a->participant.id, a->participant.roles,
                                   app->cfg.token_ttl);
    if (!tok) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "cannot sign a token");
        return;
    }
    sw_resp_data(resp, 200,
                 json_pack("{s:s, s:s, s:i}", "access_token", tok, "token_type", "Bearer",
                           "expires_in", app->cfg.token_ttl),
                 NULL);
    sodium_memzero(tok, strlen(tok));
    free(tok);
}

/* First call: validate, check the limits and queue the verification (or refuse at once).
 * Second call, once verified: answer. */
void sw_h_auth_token(sw_req *req, sw_resp *resp)
{
    if (req->deferred && *req->deferred) {
        login_req *lr = (login_req *)*req->deferred;
        *req->deferred = NULL;
        login_answer(req->app, lr, resp);
        login_release(&lr->d);
        return;
    }
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *tenant, *user, *password;
    if (sw_field_string(resp, body, "tenant", 1, 64, &tenant) ||
        sw_field_string(resp, body, "username", 1, 64, &user) ||
        sw_field_string(resp, body, "password", 1, SW_PASSWORD_MAX_LEN, &password)) {
        json_decref(body);
        return;
    }
    login_req *lr = calloc(1, sizeof *lr);
    if (!lr || !req->deferred) {
        free(lr);
        json_decref(body);
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    lr->d.start = login_start;
    lr->d.release = login_release;
    sw_login_attempt *a = &lr->a;
    snprintf(a->tenant, sizeof a->tenant, "%s", tenant);
    snprintf(a->username, sizeof a->username, "%s", user);
    snprintf(a->password, sizeof a->password, "%s", password);
    client_address(req->conn, a->address, sizeof a->address);
    a->done = login_done;
    json_decref(body);
    int retry = 1;
    sw_login_status st = sw_login_start(req->app->login, a, &retry);
    if (st == SW_LOGIN_QUEUED) {
        *req->deferred = &lr->d;
        resp->defer = 1;
        return;
    }
    login_release(&lr->d);
    resp->retry_after = retry;
    if (st == SW_LOGIN_LIMITED)
        sw_resp_error(resp, SW_ERR_RATE_LIMIT_EXCEEDED, json_pack("{s:i}", "retry_after", retry),
                      "too many failed sign-ins for this account or from this address; "
                      "try again in %d s", retry);
    else
        sw_resp_error(resp, SW_ERR_UNAVAILABLE, json_pack("{s:i}", "retry_after", retry),
                      "too many sign-ins are being checked; try again in %d s", retry);
}

void sw_h_auth_logout(sw_req *req, sw_resp *resp)
{
    int rc = sw_tokgen_bump(req->app->tokgen, req->auth.tenant_id, req->auth.participant_id,
                            req->auth.token_gen);
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    sw_resp_data(resp, 200, json_pack("{s:b}", "revoked", 1), NULL);
}

void sw_h_me(sw_req *req, sw_resp *resp)
{
    sw_participant p;
    int rc = sw_app_participant(req->app, req->auth.tenant_id, req->auth.participant_id, &p);
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
