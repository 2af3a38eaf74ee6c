/* sw_app_notes: the tenant's notes as a service of the application for /v1/notes (handlers call
 * these instead of holding the store). Thin: the SQL and the full-text index are in
 * src/store/sw_note_repo.c; return codes and rows are sw_note_repo's. */
#ifndef SW_APP_NOTES_H
#define SW_APP_NOTES_H

#include "app/sw_app.h"
#include "store/sw_note_repo.h"

int sw_app_notes_search(sw_app *app, const char *tenant_id, const char *query, int offset, int limit,
                        sw_note_row **rows, int *n, int *has_more);
int sw_app_notes_list(sw_app *app, const char *tenant_id, const char *before, int limit, sw_note_row **rows,
                      int *n, int *has_more);
int sw_app_note_create(sw_app *app, const char *tenant_id, const char *title, const char *body,
                       const char *author_id, sw_note_row *out);
int sw_app_note_get(sw_app *app, const char *tenant_id, const char *id, sw_note_row *out);
int sw_app_note_update(sw_app *app, const char *tenant_id, const char *id, const char *title, const char *body,
                       const char *author_id, sw_note_row *out);

#endif
