/* sw_mcp_server_repo: mcp_servers rows (see sw_mcp_server_repo.h). */
#include "store/sw_mcp_server_repo.h"
#include "core/sw_time.h"
#include "store/sw_repo.h"

#define COLS "tenant_id, id, transport, config, enabled, created_at, updated_at"

static void row_of(sw_stmt *st, sw_mcp_server_row *r)
{
    *r = (sw_mcp_server_row){.tenant_id = sw_stmt_text(st, 0), .id = sw_stmt_text(st, 1),
                             .transport = sw_stmt_text(st, 2), .config = sw_stmt_text(st, 3),
                             .enabled = (int)sw_stmt_int64(st, 4), .created_at = sw_stmt_text(st, 5),
                             .updated_at = sw_stmt_text(st, 6)};
}

int sw_mcp_server_repo_each(sw_db *db, const char *tenant_id, sw_mcp_server_row_fn fn, void *arg)
{
    sw_stmt *st = sw_db_prepare(db, tenant_id ? "SELECT " COLS " FROM mcp_servers WHERE tenant_id = ? ORDER BY id"
                                              : "SELECT " COLS " FROM mcp_servers ORDER BY tenant_id, id");
    if (!st) return SW_REPO_ERROR;
    if (tenant_id) sw_stmt_bind_text(st, 1, tenant_id);
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        sw_mcp_server_row r;
        row_of(st, &r);
        if (r.tenant_id && r.id && r.transport && r.config) fn(arg, &r);
    }
    sw_stmt_finish(st);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_mcp_server_repo_get(sw_db *db, const char *tenant_id, const char *id, sw_mcp_server_row_fn fn, void *arg)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT " COLS " FROM mcp_servers WHERE tenant_id = ? AND id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, id);
    int rc = sw_stmt_step(st), out = rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
    if (rc == SW_DB_ROW) {
        sw_mcp_server_row r;
        row_of(st, &r);
        fn(arg, &r);
    }
    sw_stmt_finish(st);
    return out;
}

int sw_mcp_server_repo_insert(sw_db *db, const char *tenant_id, const sw_mcp_server_row *row)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    int rc = sw_db_run(db, "INSERT INTO mcp_servers (" COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)", "ttttitt", tenant_id,
                       row->id, row->transport, row->config, (int64_t)row->enabled, ts, ts);
    return rc == SW_DB_CONSTRAINT ? SW_REPO_CONFLICT : rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_mcp_server_repo_update(sw_db *db, const char *tenant_id, const sw_mcp_server_row *row)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    int rc = sw_db_run(db, "UPDATE mcp_servers SET config = ?, enabled = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                       "tittt", row->config, (int64_t)row->enabled, ts, tenant_id, row->id);
    if (rc < 0) return SW_REPO_ERROR;
    return sw_db_changes(db) > 0 ? SW_REPO_OK : SW_REPO_NOT_FOUND;
}

int sw_mcp_server_repo_delete(sw_db *db, const char *tenant_id, const char *id, const char *plugin_id)
{
    if (sw_db_begin(db) != 0) return SW_REPO_ERROR;
    int rc = sw_db_run(db, "DELETE FROM mcp_servers WHERE tenant_id = ? AND id = ?", "tt", tenant_id, id);
    int gone = rc >= 0 ? sw_db_changes(db) : 0;
    if (rc >= 0 && gone)
        rc = sw_db_run(db, "DELETE FROM plugin_states WHERE tenant_id = ? AND plugin_id = ?", "tt", tenant_id, plugin_id);
    if (rc >= 0 && gone)
        rc = sw_db_run(db, "DELETE FROM plugin_kv WHERE tenant_id = ? AND plugin_id = ?", "tt", tenant_id, plugin_id);
    if (rc < 0 || sw_db_commit(db) != 0) {
        sw_db_rollback(db);
        return SW_REPO_ERROR;
    }
    return gone ? SW_REPO_OK : SW_REPO_NOT_FOUND;
}

int sw_mcp_server_repo_reseal(sw_db *db, sw_reseal_fn fn, void *arg, int *changed)
{
    int rc = sw_reseal_rows(db, "SELECT tenant_id, id, config FROM mcp_servers", 2,
                            "UPDATE mcp_servers SET config = ? WHERE tenant_id = ? AND id = ?", fn, arg, changed);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}
