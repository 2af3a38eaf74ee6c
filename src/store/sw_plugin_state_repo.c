/* sw_plugin_state_repo: plugin_states rows (see sw_plugin_state_repo.h). */
#include "store/sw_plugin_state_repo.h"
#include "core/sw_time.h"
#include "store/sw_repo.h"

int sw_plugin_state_repo_each(sw_db *db, const char *tenant_id, sw_plugin_state_row_fn fn, void *arg)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT plugin_id, enabled, granted_permissions, settings, "
                                    "tool_policies FROM plugin_states WHERE tenant_id = ?");
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, tenant_id);
    int rc;
    while ((rc = sw_stmt_step(st)) == SW_DB_ROW) {
        sw_plugin_state_row row = {.plugin_id = sw_stmt_text(st, 0),
                                   .enabled = (int)sw_stmt_int64(st, 1),
                                   .granted = (uint32_t)sw_stmt_int64(st, 2),
                                   .settings = sw_stmt_text(st, 3),
                                   .tool_policies = sw_stmt_text(st, 4)};
        if (row.plugin_id) fn(arg, &row);
    }
    sw_stmt_finish(st);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_plugin_state_repo_put(sw_db *db, const char *tenant_id, const sw_plugin_state_row *row)
{
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    int rc = sw_db_run(db,
                       "INSERT INTO plugin_states (tenant_id, plugin_id, enabled, granted_permissions,"
                       " settings, tool_policies, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET enabled = excluded.enabled,"
                       " granted_permissions = excluded.granted_permissions,"
                       " settings = excluded.settings, tool_policies = excluded.tool_policies,"
                       " updated_at = excluded.updated_at",
                       "ttiittt", tenant_id, row->plugin_id, (int64_t)row->enabled, (int64_t)row->granted,
                       row->settings ? row->settings : "{}", row->tool_policies ? row->tool_policies : "{}", ts);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}

int sw_plugin_state_repo_reseal(sw_db *db, sw_reseal_fn fn, void *arg, int *changed)
{
    int rc = sw_reseal_rows(db, "SELECT tenant_id, plugin_id, settings FROM plugin_states", 2,
                            "UPDATE plugin_states SET settings = ? WHERE tenant_id = ? AND plugin_id = ?", fn, arg,
                            changed);
    return rc < 0 ? SW_REPO_ERROR : SW_REPO_OK;
}
