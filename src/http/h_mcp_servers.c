/* h_mcp_servers: the tenant admin's MCP servers (admin_api.md, docs/api.md "MCP servers"):
 * register, list, read, change, delete and reconnect; the manager does the work, this file maps
 * its answers onto the JSON envelope. */
#include "http/sw_handlers.h"
#include "mcp/sw_mcp_manager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The manager's refusal as an error envelope (details.field for a validation error). */
static void op_error(sw_resp *resp, const sw_mcp_op *op)
{
    json_t *details = op->field[0] ? json_pack("{s:s}", "field", op->field) : NULL;
    sw_resp_error(resp, op->err, details, "%s", op->msg);
}

static sw_mcp_op op_init(void)
{
    sw_mcp_op op = {.err = SW_ERR_INTERNAL};
    snprintf(op.msg, sizeof op.msg, "the MCP servers are not available in this process");
    return op;
}

void sw_h_mcp_servers_list(sw_req *req, sw_resp *resp)
{
    if (!req->app->mcp_mgr) {
        sw_mcp_op op = op_init();
        op_error(resp, &op);
        return;
    }
    json_t *arr = sw_mcp_manager_list(req->app->mcp_mgr, req->auth.tenant_id);
    sw_resp_data(resp, 200, arr, json_pack("{s:i}", "count", (int)json_array_size(arr)));
}

void sw_h_mcp_server_get(sw_req *req, sw_resp *resp)
{
    sw_mcp_op op = op_init();
    json_t *v = req->app->mcp_mgr ? sw_mcp_manager_get(req->app->mcp_mgr, req->auth.tenant_id,
                                                       sw_req_param(req, "server_id"), &op)
                                  : NULL;
    if (v) sw_resp_data(resp, 200, v, NULL);
    else op_error(resp, &op);
}

void sw_h_mcp_servers_create(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    sw_mcp_op op = op_init();
    json_t *v = req->app->mcp_mgr ? sw_mcp_manager_create(req->app->mcp_mgr, req->auth.tenant_id, body, &op) : NULL;
    json_decref(body);
    if (v) sw_resp_data(resp, 201, v, NULL);
    else op_error(resp, &op);
}

void sw_h_mcp_server_update(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    sw_mcp_op op = op_init();
    json_t *v = req->app->mcp_mgr ? sw_mcp_manager_update(req->app->mcp_mgr, req->auth.tenant_id,
                                                          sw_req_param(req, "server_id"), body, &op)
                                  : NULL;
    json_decref(body);
    if (v) sw_resp_data(resp, 200, v, NULL);
    else op_error(resp, &op);
}

void sw_h_mcp_server_delete(sw_req *req, sw_resp *resp)
{
    sw_mcp_op op = op_init();
    if (req->app->mcp_mgr &&
        sw_mcp_manager_delete(req->app->mcp_mgr, req->auth.tenant_id, sw_req_param(req, "server_id"), &op) == 0) {
        sw_resp_text(resp, 204, NULL, strdup(""), 0); /* the child's process group is gone */
        return;
    }
    op_error(resp, &op);
}

void sw_h_mcp_server_reconnect(sw_req *req, sw_resp *resp)
{
    sw_mcp_op op = op_init();
    json_t *v = req->app->mcp_mgr ? sw_mcp_manager_reconnect(req->app->mcp_mgr, req->auth.tenant_id,
                                                             sw_req_param(req, "server_id"), &op)
                                  : NULL;
    if (v) sw_resp_data(resp, 202, v, NULL);
    else op_error(resp, &op);
}
