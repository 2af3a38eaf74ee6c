/* sw_app_notes: the tenant's notes for /v1/notes; see sw_app_notes.h. */
#include "app/sw_app_notes.h"

int sw_app_notes_search(sw_app *app, const char *tenant_id, const char *query, int offset, int limit,
                        sw_note_row **rows, int *n, int *has_more)
{
    return sw_note_repo_search(app->db, tenant_id, query, offset, limit, rows, n, has_more);
}

int sw_app_notes_list(sw_app *app, const char *tenant_id, const char *before, int limit, sw_note_row **rows,
                      int *n, int *has_more)
{
    return sw_note_repo_list(app->db, tenant_id, before, limit, rows, n, has_more);
}

int sw_app_note_create(sw_app *app, const char *tenant_id, const char *title, const char *body,
                       const char *author_id, sw_note_row *out)
{
    return sw_note_repo_insert(app->db, tenant_id, title, body, author_id, out);
}

int sw_app_note_get(sw_app *app, const char *tenant_id, const char *id, sw_note_row *out)
{
    return sw_note_repo_get(app->db, tenant_id, id, out);
}

int sw_app_note_update(sw_app *app, const char *tenant_id, const char *id, const char *title, const char *body,
                       const char *author_id, sw_note_row *out)
{
    return sw_note_repo_update(app->db, tenant_id, id, title, body, author_id, out);
}
