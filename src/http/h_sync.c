/* h_sync: GET /v1/sync?since=&limit=&timeout= — long-poll catch-up. Answers at once with the
 * events after `since` in the rooms the caller has joined; when there are none it parks the
 * request (no thread waits) until an event of the tenant arrives or `timeout` ms pass. */
#include "core/sw_time.h"
#include "http/sw_handlers.h"
#include "store/sw_room_repo.h"

#include <stdlib.h>

static int query_int(sw_req *req, sw_resp *resp, const char *name, long long def, long long lo,
                     long long hi, long long *out)
{
    const char *s = sw_req_query(req, name);
    *out = def;
    if (!s) return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", name),
                      "%s: expected an integer from %lld to %lld", name, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

void sw_h_sync(sw_req *req, sw_resp *resp)
{
    long long since, limit, timeout;
    if (query_int(req, resp, "since", 0, 0, INT64_MAX, &since) ||
        query_int(req, resp, "limit", 100, 1, 1000, &limit) ||
        query_int(req, resp, "timeout", 30000, 0, 120000, &timeout))
        return;
    int more = 0;
    json_t *evs = sw_events_since(req->app->db, req->auth.tenant_id, req->auth.participant_id, since,
                                  (int)limit, &more);
    if (!evs) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    if (json_array_size(evs) == 0 && timeout > 0 && !req->app->draining && req->poll_deadline_us) {
        int64_t now = sw_time_mono_us();
        if (*req->poll_deadline_us == 0) *req->poll_deadline_us = now + timeout * 1000;
        if (now < *req->poll_deadline_us) {
            json_decref(evs);
            resp->suspend = 1;
            return;
        }
    }
    json_t *last = json_array_get(evs, json_array_size(evs) - 1);
    long long next = last ? (long long)json_integer_value(json_object_get(last, "stream_position")) : since;
    sw_resp_data(resp, 200,
                 json_pack("{s:o, s:o, s:b}", "events", evs, "next_cursor", json_sprintf("%lld", next),
                           "has_more", more),
                 NULL);
}
