/* h_approvals: the human-in-the-loop queue — the pending approval requests a caller can see
 * (rooms they have joined) and the initiator's approve / reject. Another tenant's request
 * answers exactly like a missing one (404 SW_APPROVAL_NOT_FOUND). */
#include "http/sw_handlers.h"

#include <stdio.h>
#include <string.h>

void sw_h_hitl_list(sw_req *req, sw_resp *resp)
{
    int limit;
    if (sw_req_limit(req, resp, &limit) != 0) return;
    json_t *rows = sw_approvals_list(req->app->approvals, req->auth.tenant_id, req->auth.participant_id, limit);
    if (!rows) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    sw_resp_data(resp, 200, rows, NULL);
}

static void decide(sw_req *req, sw_resp *resp, int approve)
{
    const char *id = sw_req_param(req, "request_id");
    json_t *body = sw_req_json(req, resp, 1);
    if (!body) return;
    const char *reason = NULL;
    if (!approve && sw_field_string(resp, body, "reason", 0, 1000, &reason)) goto out;
    json_t *row = NULL;
    int rc = sw_approvals_decide(req->app->approvals, req->auth.tenant_id, id ? id : "", req->auth.participant_id,
                                 approve, reason, &row);
    switch (rc) {
    case 0:
        sw_resp_data(resp, 200, row, NULL);
        row = NULL;
        break;
    case SW_ERR_APPROVAL_NOT_FOUND:
        sw_resp_error(resp, SW_ERR_APPROVAL_NOT_FOUND, NULL, "no approval request with id \"%.64s\"", id ? id : "");
        break;
    case SW_ERR_APPROVAL_FORBIDDEN:
        sw_resp_error(resp, SW_ERR_APPROVAL_FORBIDDEN, NULL,
                      "only the person whose message started the AI's turn can decide this request");
        break;
    case SW_ERR_APPROVAL_DECIDED: {
        const char *st = json_string_value(json_object_get(row, "status"));
        sw_resp_error(resp, SW_ERR_APPROVAL_DECIDED, st ? json_pack("{s:s}", "status", st) : NULL,
                      "this request was already decided (%s)", st ? st : "not pending");
        break;
    }
    default:
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
    }
    json_decref(row);
out:
    json_decref(body);
}

void sw_h_hitl_approve(sw_req *req, sw_resp *resp)
{
    decide(req, resp, 1);
}

void sw_h_hitl_reject(sw_req *req, sw_resp *resp)
{
    decide(req, resp, 0);
}
