/* sw_audit_repo: tool_audit rows (see sw_audit_repo.h). */
#include "store/sw_audit_repo.h"
#include "core/sw_log.h"
#include "store/sw_rows.h"

#include <stdlib.h>
#include <string.h>

static void bind_row(sw_stmt *st, const sw_audit_row *r)
{
    sw_stmt_bind_text(st, 1, r->id);
    sw_stmt_bind_text(st, 2, r->tenant_id);
    sw_stmt_bind_text(st, 3, r->ts);
    sw_stmt_bind_text(st, 4, r->room_id);
    sw_stmt_bind_text(st, 5, r->plugin_id ? r->plugin_id : "");
    sw_stmt_bind_text(st, 6, r->tool ? r->tool : "");
    sw_stmt_bind_text(st, 7, r->caller_id);
    sw_stmt_bind_text(st, 8, r->initiator_id);
    sw_stmt_bind_text(st, 9, r->args_redacted ? r->args_redacted : "{}");
    sw_stmt_bind_text(st, 10, r->status ? r->status : "error");
    sw_stmt_bind_int64(st, 11, r->duration_ms);
    sw_stmt_bind_text(st, 12, r->detail);
}

int sw_audit_repo_insert(sw_db *db, sw_audit_row_next next, void *arg)
{
    int in_tx = sw_db_begin(db) == 0;
    /* one statement for the whole batch: bind, step, reset per row */
    sw_stmt *st = sw_db_prepare(db, "INSERT INTO tool_audit (id, tenant_id, ts, room_id, plugin_id, tool,"
                                    " caller_id, initiator_id, args_redacted, status, duration_ms, detail)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    int failed = 0;
    sw_audit_row r;
    while (st && next(arg, &r)) {
        bind_row(st, &r);
        if (sw_stmt_step(st) < 0) {
            SW_ERROR("audit: cannot write a record: %s", sw_db_errmsg(db));
            failed++;
        }
        sw_stmt_reset(st);
    }
    if (!st) SW_ERROR("audit: cannot prepare the insert: %s", sw_db_errmsg(db));
    sw_stmt_finish(st);
    if (in_tx && sw_db_commit(db) != 0) {
        SW_ERROR("audit: commit failed: %s", sw_db_errmsg(db));
        return -1;
    }
    return st ? failed : -1;
}

static json_t *audit_row(sw_stmt *st)
{
    json_t *args = json_loads(sw_stmt_text(st, 8) ? sw_stmt_text(st, 8) : "", JSON_DECODE_ANY, NULL);
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:I, s:s?}",
                     "id", sw_stmt_text(st, 0), "ts", sw_stmt_text(st, 1),
                     "tenant_id", sw_stmt_text(st, 2), "room_id", sw_stmt_text(st, 3),
                     "plugin_id", sw_stmt_text(st, 4), "tool", sw_stmt_text(st, 5),
                     "caller_id", sw_stmt_text(st, 6), "initiator_id", sw_stmt_text(st, 7),
                     "args_redacted", args ? args : json_null(), "status", sw_stmt_text(st, 9),
                     "duration_ms", (json_int_t)sw_stmt_int64(st, 10), "detail", sw_stmt_text(st, 11));
}

json_t *sw_audit_repo_list(sw_db *db, const char *tenant_id, const sw_audit_filter *f, char **next_cursor)
{
    *next_cursor = NULL;
    sw_stmt *st = sw_db_prepare(
        db, "SELECT id, ts, tenant_id, room_id, plugin_id, tool, caller_id, initiator_id,"
            " args_redacted, status, duration_ms, detail FROM tool_audit"
            " WHERE tenant_id = ? AND (? IS NULL OR plugin_id = ?) AND (? IS NULL OR tool = ?)"
            " AND (? IS NULL OR status = ?) AND (? IS NULL OR id < ?)"
            " ORDER BY id DESC LIMIT ?");
    if (!st) return NULL;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, f->plugin_id);
    sw_stmt_bind_text(st, 3, f->plugin_id);
    sw_stmt_bind_text(st, 4, f->tool);
    sw_stmt_bind_text(st, 5, f->tool);
    sw_stmt_bind_text(st, 6, f->status);
    sw_stmt_bind_text(st, 7, f->status);
    sw_stmt_bind_text(st, 8, f->before);
    sw_stmt_bind_text(st, 9, f->before);
    sw_stmt_bind_int64(st, 10, f->limit + 1);
    int more = 0;
    json_t *arr = sw_rows_collect(st, f->limit, &more, audit_row);
    if (arr && more) {
        const char *last = json_string_value(json_object_get(json_array_get(arr, json_array_size(arr) - 1), "id"));
        *next_cursor = last ? strdup(last) : NULL;
    }
    return arr;
}
