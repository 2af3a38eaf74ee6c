/* sw_tenant_repo: the tenants table. */
#include "core/sw_id.h"
#include "core/sw_time.h"
#include "store/sw_repo.h"

#include <stdio.h>
#include <string.h>


static void row(sw_stmt *st, sw_tenant *t)
{
    SW_COPY(t->id, sw_stmt_text(st, 0));
    SW_COPY(t->slug, sw_stmt_text(st, 1));
    SW_COPY(t->name, sw_stmt_text(st, 2));
    SW_COPY(t->created_at, sw_stmt_text(st, 3));
}

int sw_tenant_create(sw_db *db, const char *slug, const char *name, sw_tenant *out)
{
    sw_tenant t;
    sw_id_new(t.id);
    SW_COPY(t.slug, slug);
    SW_COPY(t.name, name ? name : slug);
    sw_time_rfc3339(sw_time_now_ms(), t.created_at, sizeof t.created_at);
    int rc = sw_db_run(db, "INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)",
                       "tttt", t.id, t.slug, t.name, t.created_at);
    if (rc == SW_DB_CONSTRAINT) return SW_REPO_CONFLICT;
    if (rc < 0) return SW_REPO_ERROR;
    if (out) *out = t;
    return SW_REPO_OK;
}

static int find(sw_db *db, const char *sql, const char *arg, sw_tenant *out)
{
    sw_stmt *st = sw_db_prepare(db, sql);
    if (!st) return SW_REPO_ERROR;
    sw_stmt_bind_text(st, 1, arg);
    int rc = sw_stmt_step(st);
    if (rc == SW_DB_ROW && out) row(st, out);
    sw_stmt_finish(st);
    return rc == SW_DB_ROW ? SW_REPO_OK : rc == SW_DB_DONE ? SW_REPO_NOT_FOUND : SW_REPO_ERROR;
}

int sw_tenant_by_slug(sw_db *db, const char *slug, sw_tenant *out)
{
    return find(db, "SELECT id, slug, name, created_at FROM tenants WHERE slug = ?", slug, out);
}

int sw_tenant_by_id(sw_db *db, const char *id, sw_tenant *out)
{
    return find(db, "SELECT id, slug, name, created_at FROM tenants WHERE id = ?", id, out);
}

int sw_tenant_count(sw_db *db)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT COUNT(*) FROM tenants");
    if (!st) return -1;
    int n = sw_stmt_step(st) == SW_DB_ROW ? (int)sw_stmt_int64(st, 0) : -1;
    sw_stmt_finish(st);
    return n;
}
