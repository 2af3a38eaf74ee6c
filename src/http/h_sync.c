/* h_sync: GET /v1/sync?since=&limit=&timeout= — long-poll catch-up. Answers at once with the
 * events after `since` in the rooms the caller has joined; when there are none it parks the
 * request (no thread waits) until a stored event of one of those rooms (or a membership event
 * naming the caller) arrives or `timeout` ms pass. Each look reads from `since` with the limit,
 * room by room (sw_events_since), never the whole tenant. */
#include "core/sw_metrics.h"
#include "core/sw_time.h"
#include "http/sw_handlers.h"
#include "rooms/sw_room_service.h"

#include <stdio.h>
#include <stdlib.h>

void sw_h_sync(sw_req *req, sw_resp *resp)
{
    long long since, limit, timeout;
    if (sw_req_int(req, resp, "since", 0, 0, INT64_MAX, &since) ||
        sw_req_int(req, resp, "limit", 100, 1, 1000, &limit) ||
        sw_req_int(req, resp, "timeout", 30000, 0, 120000, &timeout))
        return;
    int more = 0;
    sw_metrics_sync(req->app->metrics, SW_SYNC_SCANS, 1);
    char (*rooms)[40] = NULL;
    int nrooms = sw_rooms_joined_ids(&req->app->rooms, req->auth.tenant_id, req->auth.participant_id, &rooms);
    json_t *evs = nrooms < 0 ? NULL
                             : sw_rooms_events_after(&req->app->rooms, req->auth.tenant_id, rooms, nrooms, since,
                                               (int)limit, &more);
    if (!evs) {
        free(rooms);
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    if (json_array_size(evs) == 0 && timeout > 0 && !req->app->draining && req->poll_deadline_us && req->poll) {
        int64_t now = sw_time_mono_us();
        if (*req->poll_deadline_us == 0) *req->poll_deadline_us = now + timeout * 1000;
        if (now < *req->poll_deadline_us) {
            json_decref(evs);
            snprintf(req->poll->participant_id, sizeof req->poll->participant_id, "%s", req->auth.participant_id);
            free(req->poll->rooms);
            req->poll->rooms = rooms;
            req->poll->nrooms = nrooms;
            resp->suspend = 1;
            return;
        }
    }
    free(rooms);
    json_t *last = json_array_get(evs, json_array_size(evs) - 1);
    long long next = last ? (long long)json_integer_value(json_object_get(last, "stream_position")) : since;
    sw_resp_data(resp, 200,
                 json_pack("{s:o, s:o, s:b}", "events", evs, "next_cursor", json_sprintf("%lld", next),
                           "has_more", more),
                 NULL);
}
