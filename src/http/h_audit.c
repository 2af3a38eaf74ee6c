/* h_audit: GET /v1/admin/audit — the tenant's tool-call log, newest first, filterable by
 * plugin_id, tool and status, paged with limit and cursor. */
#include "http/sw_handlers.h"

#include <stdlib.h>

void sw_h_admin_audit(sw_req *req, sw_resp *resp)
{
    int limit;
    if (sw_req_limit(req, resp, &limit) != 0) return;
    char *next = NULL;
    json_t *rows = sw_audit_list(req->app->audit, req->auth.tenant_id, sw_req_query(req, "plugin_id"),
                                 sw_req_query(req, "tool"), sw_req_query(req, "status"),
                                 sw_req_query(req, "cursor"), limit, &next);
    if (!rows) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    sw_resp_data(resp, 200, rows, json_pack("{s:b, s:s?}", "has_more", next != NULL, "next_cursor", next));
    free(next);
}
