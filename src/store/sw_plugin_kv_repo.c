/* sw_plugin_kv_repo: plugin_kv, the tenant-scoped key/value storage behind the host's kv service. */
#include "core/sw_time.h"
#include "store/sw_repo.h"

#include <stdlib.h>
#include <string.h>

int sw_plugin_kv_get(sw_db *db, const char *tenant_id, const char *plugin_id, const char *key, char **value)
{
    *value = NULL;
    sw_stmt *st = sw_db_prepare(db, "SELECT value FROM plugin_kv WHERE tenant_id = ? AND plugin_id = ? AND key = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    sw_stmt_bind_text(st, 2, plugin_id);
    sw_stmt_bind_text(st, 3, key);
    int rc = sw_stmt_step(st);
    int out = rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
    if (rc == SW_DB_ROW) {
        *value = strdup(sw_stmt_text(st, 0) ? sw_stmt_text(st, 0) : "");
        if (!*value) out = SW_REPO_ERROR;
    }
    sw_stmt_finish(st);
    return out;
}

int sw_plugin_kv_set(sw_db *db, const char *tenant_id, const char *plugin_id, const char *key, const char *value)
{
    int rc;
    if (!value) {
        rc = sw_db_run(db, "DELETE FROM plugin_kv WHERE tenant_id = ? AND plugin_id = ? AND key = ?", "ttt",
                       tenant_id, plugin_id, key);
    } else {
        char ts[40];
        sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
        rc = sw_db_run(db,
                       "INSERT INTO plugin_kv (tenant_id, plugin_id, key, value, updated_at) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT (tenant_id, plugin_id, key) DO UPDATE SET value = excluded.value,"
                       " updated_at = excluded.updated_at",
                       "ttttt", tenant_id, plugin_id, key, value, ts);
    }
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}
