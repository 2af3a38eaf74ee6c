/* h_ops: operational endpoints without auth: /healthz, /readyz, /metrics. */
#include "http/sw_handlers.h"

#include <stdlib.h>
#include <string.h>

void sw_h_healthz(sw_req *req, sw_resp *resp)
{
    (void)req;
    char *b = strdup("{\"status\":\"ok\"}");
    sw_resp_text(resp, 200, "application/json; charset=utf-8", b, b ? strlen(b) : 0);
}

void sw_h_readyz(sw_req *req, sw_resp *resp)
{
    int ok = sw_app_store_answers(req->app);
    if (ok && !req->app->draining) {
        char *b = strdup("{\"status\":\"ready\",\"store\":\"ok\"}");
        sw_resp_text(resp, 200, "application/json; charset=utf-8", b, b ? strlen(b) : 0);
    } else {
        sw_resp_error(resp, SW_ERR_UNAVAILABLE, json_pack("{s:s}", "store", ok ? "ok" : "down"),
                      ok ? "the server is shutting down" : "the store does not answer");
    }
}

void sw_h_metrics(sw_req *req, sw_resp *resp)
{
    size_t len = 0;
    char *b = sw_metrics_render(req->app->metrics, &len);
    if (!b) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    sw_resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", b, len);
}
