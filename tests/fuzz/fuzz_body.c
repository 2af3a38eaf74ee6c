/* fuzz_body: the request-body / envelope path every handler uses: sw_req_json (JSON object
 * bodies, line/column errors), the typed field readers, the error envelope, and the router on
 * arbitrary paths. */
#include "http/sw_http.h"
#include "http/sw_router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    sw_req req = {.method = "POST", .path = "/v1/x", .body = (const char *)data, .body_len = size};
    sw_resp resp = {0};
    json_t *o = sw_req_json(&req, &resp, size & 1);
    if (o) {
        const char *s;
        int b, present;
        const json_t *obj;
        sw_resp r2 = {0};
        sw_field_string(&r2, o, "tenant", 1, 64, &s);
        free(r2.body);
        r2.body = NULL;
        sw_field_bool(&r2, o, "enabled", &b, &present);
        free(r2.body);
        r2.body = NULL;
        sw_field_object(&r2, o, "settings", &obj);
        free(r2.body);
        r2.body = NULL;
        sw_field_array(&r2, o, "permissions", &obj);
        free(r2.body);
        sw_resp_data(&resp, 200, json_incref(o), NULL);
        json_decref(o);
    }
    if (!resp.body || resp.len == 0 || resp.status < 200) __builtin_trap(); /* always an answer */
    json_t *back = json_loadb(resp.body, resp.len, 0, NULL); /* the envelope is valid JSON */
    if (!back) __builtin_trap();
    json_decref(back);
    free(resp.body);

    /* the router on the input as a path */
    char path[512], scratch[520], allow[128];
    size_t n = size < sizeof path - 2 ? size : sizeof path - 2;
    path[0] = '/';
    memcpy(path + 1, data, n);
    path[n + 1] = 0;
    sw_req r = {0};
    const sw_route *route = NULL;
    sw_router_match(sw_routes, sw_routes_count, (size & 2) ? "GET" : "POST", path, &r, scratch, &route,
                    allow, sizeof allow);
    return 0;
}
