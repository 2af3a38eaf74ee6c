/* sw_approval_repo: parked_turns and approval_requests (see sw_approval_repo.h). */
#include "store/sw_approval_repo.h"
#include "core/sw_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static json_t *load_array(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(j)) {
        json_decref(j);
        j = json_array();
    }
    return j;
}

void sw_park_fini(sw_park *p)
{
    json_decref(p->messages);
    json_decref(p->calls);
    json_decref(p->results);
    p->messages = p->calls = p->results = NULL;
}

void sw_approval_fini(sw_approval *a)
{
    free(a->tool_call_id);
    free(a->arguments);
    free(a->reason);
    free(a->result);
    a->tool_call_id = a->arguments = a->reason = a->result = NULL;
}

/* ---- parks ---- */

int sw_park_insert(sw_db *db, const sw_park *p, const json_t *requests, int64_t created_ms, int64_t expires_ms)
{
    char created[40], expires[40];
    sw_time_rfc3339(created_ms, created, sizeof created);
    sw_time_rfc3339(expires_ms, expires, sizeof expires);
    char *messages = json_dumps(p->messages, JSON_COMPACT);
    char *calls = json_dumps(p->calls, JSON_COMPACT);
    char *results = json_dumps(p->results, JSON_COMPACT);
    int rc = SW_REPO_ERROR;
    if (!messages || !calls || !results || sw_db_begin(db) != 0) goto out;
    if (sw_db_run(db, "INSERT INTO parked_turns (id, tenant_id, turn_id, room_id, ai_id, initiator_id, round,"
                      " messages, calls, results, state, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'parking', ?, ?)",
                  "ttttttittttt", p->id, p->tenant_id, p->turn_id, p->room_id, p->ai_id, p->initiator_id,
                  (int64_t)p->round, messages, calls, results, created, created) < 0)
        goto rollback;
    size_t i;
    json_t *r;
    json_array_foreach(requests, i, r) {
        if (sw_db_run(db, "INSERT INTO approval_requests (id, tenant_id, park_id, call_index, tool_call_id, turn_id,"
                          " room_id, ai_id, initiator_id, plugin_id, tool, arguments, status, created_at,"
                          " expires_at, expires_at_ms)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                      "tttitttttttttti", json_string_value(json_object_get(r, "id")), p->tenant_id, p->id,
                      (int64_t)json_integer_value(json_object_get(r, "call_index")),
                      json_string_value(json_object_get(r, "tool_call_id")), p->turn_id, p->room_id, p->ai_id,
                      p->initiator_id, json_string_value(json_object_get(r, "plugin_id")),
                      json_string_value(json_object_get(r, "tool")),
                      json_string_value(json_object_get(r, "arguments")), created, expires,
                      (int64_t)expires_ms) < 0)
            goto rollback;
    }
    if (sw_db_commit(db) != 0) goto rollback;
    rc = SW_REPO_OK;
    goto out;
rollback:
    sw_db_rollback(db);
out:
    free(messages);
    free(calls);
    free(results);
    return rc;
}

static int set_state(sw_db *db, const char *tenant_id, const char *park_id, const char *from, const char *to)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    if (sw_db_run(db, "UPDATE parked_turns SET state = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND state = ?",
                  "ttttt", to, ts, park_id, tenant_id, from) < 0)
        return -1;
    return sw_db_changes(db) > 0;
}

int sw_park_set_results(sw_db *db, const char *tenant_id, const char *park_id, const json_t *results)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    char *txt = json_dumps(results, JSON_COMPACT);
    if (!txt) return SW_REPO_ERROR;
    int rc = sw_db_run(db, "UPDATE parked_turns SET results = ?, state = 'parked', updated_at = ?"
                           " WHERE id = ? AND tenant_id = ? AND state = 'parking'",
                       "tttt", txt, ts, park_id, tenant_id);
    free(txt);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_park_claim(sw_db *db, const char *tenant_id, const char *park_id)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    /* One statement: whoever stores the last missing result and then claims wins, on any node;
     * a claim that sees a request still open changes nothing. */
    if (sw_db_run(db, "UPDATE parked_turns SET state = 'resuming', updated_at = ?"
                      " WHERE id = ? AND tenant_id = ? AND state = 'parked' AND NOT EXISTS"
                      " (SELECT 1 FROM approval_requests r WHERE r.park_id = parked_turns.id"
                      "  AND (r.status = 'pending' OR r.result IS NULL))",
                  "ttt", ts, park_id, tenant_id) < 0)
        return -1;
    return sw_db_changes(db) > 0 ? 1 : 0;
}

int sw_park_release(sw_db *db, const char *tenant_id, const char *park_id)
{
    return set_state(db, tenant_id, park_id, "resuming", "parked") < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_park_finish(sw_db *db, const char *tenant_id, const char *park_id)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    return sw_db_run(db, "UPDATE parked_turns SET state = 'done', updated_at = ? WHERE id = ? AND tenant_id = ?",
                     "ttt", ts, park_id, tenant_id) < 0
               ? SW_REPO_ERROR
               : SW_REPO_OK;
}

int sw_park_get(sw_db *db, const char *tenant_id, const char *park_id, sw_park *out)
{
    memset(out, 0, sizeof *out);
    sw_stmt *st = sw_db_prepare(db, "SELECT id, tenant_id, turn_id, room_id, ai_id, initiator_id, round, messages,"
                                    " calls, results, state FROM parked_turns WHERE id = ? AND tenant_id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, park_id);
    sw_stmt_bind_text(st, 2, tenant_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) {
        SW_COPY(out->id, sw_stmt_text(st, 0));
        SW_COPY(out->tenant_id, sw_stmt_text(st, 1));
        SW_COPY(out->turn_id, sw_stmt_text(st, 2));
        SW_COPY(out->room_id, sw_stmt_text(st, 3));
        SW_COPY(out->ai_id, sw_stmt_text(st, 4));
        SW_COPY(out->initiator_id, sw_stmt_text(st, 5));
        out->round = (int)sw_stmt_int64(st, 6);
        out->messages = load_array(sw_stmt_text(st, 7));
        out->calls = load_array(sw_stmt_text(st, 8));
        out->results = load_array(sw_stmt_text(st, 9));
        SW_COPY(out->state, sw_stmt_text(st, 10));
    }
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

static int scan_ids(sw_db *db, const char *sql, const char *text_arg, const char *text_arg2, int64_t int_arg,
                    int has_int, char (*ids)[40], char (*tenants)[40], int max)
{
    sw_stmt *st = sw_db_prepare(db, sql);
    if (!st) return -1;
    int k = 1;
    if (text_arg) sw_stmt_bind_text(st, k++, text_arg);
    if (text_arg2) sw_stmt_bind_text(st, k++, text_arg2);
    if (has_int) sw_stmt_bind_int64(st, k++, int_arg);
    sw_stmt_bind_int64(st, k, max);
    int n = 0;
    while (n < max && sw_stmt_step(st) == SW_DB_ROW) {
        SW_COPY(ids[n], sw_stmt_text(st, 0));
        SW_COPY(tenants[n], sw_stmt_text(st, 1));
        n++;
    }
    sw_stmt_finish(st);
    return n;
}

int sw_parks_in_state(sw_db *db, const char *state, const char *after, char (*ids)[40], char (*tenants)[40], int max)
{
    return scan_ids(db, "SELECT id, tenant_id FROM parked_turns WHERE state = ? AND id > ? ORDER BY id LIMIT ?", state,
                    after ? after : "", 0, 0, ids, tenants, max);
}

/* ---- requests ---- */

#define APPROVAL_COLS                                                                                         \
    "id, tenant_id, park_id, call_index, tool_call_id, turn_id, room_id, ai_id, initiator_id, plugin_id, tool," \
    " arguments, status, reason, decided_by, decided_at, started_at, result, created_at, expires_at,"           \
    " expires_at_ms"

static void read_approval(sw_stmt *st, sw_approval *out)
{
    memset(out, 0, sizeof *out);
    SW_COPY(out->id, sw_stmt_text(st, 0));
    SW_COPY(out->tenant_id, sw_stmt_text(st, 1));
    SW_COPY(out->park_id, sw_stmt_text(st, 2));
    out->call_index = (int)sw_stmt_int64(st, 3);
    out->tool_call_id = strdup(sw_stmt_text(st, 4) ? sw_stmt_text(st, 4) : "");
    SW_COPY(out->turn_id, sw_stmt_text(st, 5));
    SW_COPY(out->room_id, sw_stmt_text(st, 6));
    SW_COPY(out->ai_id, sw_stmt_text(st, 7));
    SW_COPY(out->initiator_id, sw_stmt_text(st, 8));
    SW_COPY(out->plugin_id, sw_stmt_text(st, 9));
    SW_COPY(out->tool, sw_stmt_text(st, 10));
    out->arguments = strdup(sw_stmt_text(st, 11) ? sw_stmt_text(st, 11) : "");
    SW_COPY(out->status, sw_stmt_text(st, 12));
    out->reason = dup_or_null(sw_stmt_text(st, 13));
    SW_COPY(out->decided_by, sw_stmt_text(st, 14));
    SW_COPY(out->decided_at, sw_stmt_text(st, 15));
    out->started = !sw_stmt_is_null(st, 16);
    out->result = dup_or_null(sw_stmt_text(st, 17));
    SW_COPY(out->created_at, sw_stmt_text(st, 18));
    SW_COPY(out->expires_at, sw_stmt_text(st, 19));
    out->expires_at_ms = sw_stmt_int64(st, 20);
}

int sw_approval_get(sw_db *db, const char *tenant_id, const char *id, sw_approval *out)
{
    memset(out, 0, sizeof *out);
    sw_stmt *st = sw_db_prepare(db, "SELECT " APPROVAL_COLS " FROM approval_requests WHERE id = ? AND tenant_id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, id);
    sw_stmt_bind_text(st, 2, tenant_id);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW) read_approval(st, out);
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_approvals_of_park(sw_db *db, const char *tenant_id, const char *park_id, sw_approval *out, int max)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT " APPROVAL_COLS " FROM approval_requests"
                                    " WHERE park_id = ? AND tenant_id = ? ORDER BY call_index");
    if (!st) return -1;
    sw_stmt_bind_text(st, 1, park_id);
    sw_stmt_bind_text(st, 2, tenant_id);
    int n = 0;
    while (n < max && sw_stmt_step(st) == SW_DB_ROW) read_approval(st, &out[n++]);
    sw_stmt_finish(st);
    return n;
}

int sw_approval_decide(sw_db *db, const char *tenant_id, const char *id, const char *status,
                       const char *decided_by, const char *reason, const char *result, int64_t now_ms)
{
    char ts[40];
    sw_time_rfc3339(now_ms, ts, sizeof ts);
    int expiring = strcmp(status, "expired") == 0;
    int rc = sw_db_run(db,
                       expiring ? "UPDATE approval_requests SET status = ?, decided_by = ?, reason = ?, result = ?,"
                                  " decided_at = ? WHERE id = ? AND tenant_id = ? AND status = 'pending'"
                                  " AND expires_at_ms <= ?"
                                : "UPDATE approval_requests SET status = ?, decided_by = ?, reason = ?, result = ?,"
                                  " decided_at = ? WHERE id = ? AND tenant_id = ? AND status = 'pending'"
                                  " AND expires_at_ms > ?",
                       "ttttttti", status, decided_by, reason, result, ts, id, tenant_id, now_ms);
    if (rc < 0) return -1;
    return sw_db_changes(db) > 0 ? 1 : 0;
}

int sw_approval_mark_started(sw_db *db, const char *tenant_id, const char *id)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    if (sw_db_run(db, "UPDATE approval_requests SET started_at = ? WHERE id = ? AND tenant_id = ?"
                      " AND status = 'approved' AND started_at IS NULL",
                  "ttt", ts, id, tenant_id) < 0)
        return -1;
    return sw_db_changes(db) > 0 ? 1 : 0;
}

int sw_approval_set_result(sw_db *db, const char *tenant_id, const char *id, const char *result)
{
    return sw_db_run(db, "UPDATE approval_requests SET result = ? WHERE id = ? AND tenant_id = ? AND result IS NULL",
                     "ttt", result, id, tenant_id) < 0
               ? SW_REPO_ERROR
               : SW_REPO_OK;
}

json_t *sw_approvals_pending_json(sw_db *db, const char *tenant_id, const char *participant_id, int64_t now_ms,
                                  int limit)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT r.id, r.room_id, r.plugin_id, r.tool, r.arguments, r.initiator_id,"
                                    " r.created_at, r.expires_at, r.status, r.ai_id, r.turn_id"
                                    " FROM approval_requests r JOIN room_members m"
                                    " ON m.room_id = r.room_id AND m.tenant_id = r.tenant_id"
                                    " WHERE r.tenant_id = ? AND r.status = 'pending' AND r.expires_at_ms > ?"
                                    " AND m.participant_id = ? AND m.membership = 'join'"
                                    " ORDER BY r.id LIMIT ?");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_int64(st, 2, now_ms);
    sw_stmt_bind_text(st, 3, participant_id);
    sw_stmt_bind_int64(st, 4, limit);
    json_t *arr = json_array();
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        const char *args = sw_stmt_text(st, 4) ? sw_stmt_text(st, 4) : "";
        json_t *a = json_loads(args, 0, NULL);
        if (!json_is_object(a)) {
            json_decref(a);
            a = json_string(args);
            if (!a) a = json_null();
        }
        json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s}", "id", sw_stmt_text(st, 0),
                                "room_id", sw_stmt_text(st, 1), "plugin_id", sw_stmt_text(st, 2), "tool",
                                sw_stmt_text(st, 3), "arguments", a, "initiator_id", sw_stmt_text(st, 5),
                                "created_at", sw_stmt_text(st, 6), "expires_at", sw_stmt_text(st, 7), "status",
                                sw_stmt_text(st, 8), "ai_id", sw_stmt_text(st, 9), "turn_id", sw_stmt_text(st, 10));
        if (row) json_array_append_new(arr, row);
    }
    sw_stmt_finish(st);
    if (rc < 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int sw_approvals_due(sw_db *db, int64_t now_ms, char (*ids)[40], char (*tenants)[40], int max)
{
    return scan_ids(db, "SELECT id, tenant_id FROM approval_requests WHERE status = 'pending' AND expires_at_ms <= ?"
                        " ORDER BY expires_at_ms LIMIT ?",
                    NULL, NULL, now_ms, 1, ids, tenants, max);
}

int sw_approvals_unfinished(sw_db *db, char (*ids)[40], char (*tenants)[40], int max)
{
    return scan_ids(db, "SELECT id, tenant_id FROM approval_requests WHERE status = 'approved' AND result IS NULL"
                        " ORDER BY id LIMIT ?",
                    NULL, NULL, 0, 0, ids, tenants, max);
}
