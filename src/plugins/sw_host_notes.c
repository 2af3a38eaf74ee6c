/* sw_host_notes: the "notes" feature service, version 1 (swp_notes_api in <scaiwave/plugin.h>,
 * fetched with swp_service(ctx, "notes", 1)) on top of sw_note_repo. Each checks the plugin's grant
 * in this tenant first — find: READ_NOTES and SEARCH; get: READ_NOTES; create and update:
 * WRITE_NOTES — and works only on the calling tenant's notes. Results are copied into the
 * per-call arena. */
#include "core/sw_log.h"
#include "plugins/sw_call_ctx.h"
#include "store/sw_note_repo.h"

#include <stdio.h>
#include <string.h>

#define CC(ctx) ((sw_call_ctx *)(ctx)->host_data)

/* A service needing every permission in `perms` refuses unless the tenant granted them all. */
static int need_all(swp_ctx *ctx, uint32_t perms, const char *what)
{
    uint32_t missing = perms & ~ctx->granted;
    if (!missing) return 0;
    char names[160];
    size_t used = 0;
    names[0] = 0;
    for (int i = 0; i < SWP_PERM__COUNT; i++)
        if (missing & (1u << i)) {
            int n = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", sw_perm_name(i));
            if (n < 0 || (size_t)n >= sizeof names - used) break;
            used += (size_t)n;
        }
    SW_WARN("%s refused: permission not granted to %s in this tenant (%s)", what, ctx->plugin_id, names);
    return -1;
}

static const swp_note *to_note(swp_ctx *ctx, const sw_note_row *r)
{
    sw_arena *a = &CC(ctx)->arena;
    swp_note *n = sw_arena_alloc(a, sizeof *n);
    if (!n) return NULL;
    memset(n, 0, sizeof *n);
    n->id = sw_arena_strdup(a, r->id);
    n->title = sw_arena_strdup(a, r->title ? r->title : "");
    n->body = sw_arena_strdup(a, r->body ? r->body : "");
    n->snippet = r->snippet ? sw_arena_strdup(a, r->snippet) : NULL;
    n->created_by = sw_arena_strdup(a, r->created_by);
    n->created_at = sw_arena_strdup(a, r->created_at);
    n->updated_at = sw_arena_strdup(a, r->updated_at);
    n->rank = r->rank;
    if (!n->id || !n->title || !n->body || (r->snippet && !n->snippet) || !n->created_by || !n->created_at ||
        !n->updated_at)
        return NULL;
    return n;
}

/* Who a change is recorded against: the participant making the call. */
static const char *author(swp_ctx *ctx)
{
    if (ctx->sender_id && *ctx->sender_id) return ctx->sender_id;
    return ctx->initiator_id && *ctx->initiator_id ? ctx->initiator_id : ctx->plugin_id;
}

static int h_notes_find(swp_ctx *ctx, const char *query, int limit, const swp_note *const **notes, int *count)
{
    if (notes) *notes = NULL;
    if (count) *count = 0;
    if (!query || !notes || !count || !ctx->tenant_id || !*ctx->tenant_id) return SWP_E_INVAL;
    if (need_all(ctx, SWP_PERM_READ_NOTES | SWP_PERM_SEARCH, "note search") != 0) return SWP_E_PERM;
    if (limit < 1 || limit > SWP_NOTE_FIND_MAX || strlen(query) > SWP_NOTE_QUERY_MAX) return SWP_E_INVAL;
    sw_note_row *rows = NULL;
    int n = 0, more = 0;
    if (sw_note_repo_search(CC(ctx)->d->db, ctx->tenant_id, query, 0, limit, &rows, &n, &more) != SW_REPO_OK)
        return SWP_E_IO;
    const swp_note **out = sw_arena_alloc(&CC(ctx)->arena, sizeof *out * (size_t)(n ? n : 1));
    int rc = out ? SWP_OK : SWP_E_NOMEM;
    for (int i = 0; rc == SWP_OK && i < n; i++)
        if (!(out[i] = to_note(ctx, &rows[i]))) rc = SWP_E_NOMEM;
    sw_note_rows_free(rows, n);
    if (rc != SWP_OK) return rc;
    *notes = out;
    *count = n;
    return SWP_OK;
}

static int h_note_get(swp_ctx *ctx, const char *id, const swp_note **note)
{
    if (note) *note = NULL;
    if (!id || !note || !ctx->tenant_id || !*ctx->tenant_id) return SWP_E_INVAL;
    if (need_all(ctx, SWP_PERM_READ_NOTES, "note read") != 0) return SWP_E_PERM;
    sw_note_row r;
    int rc = sw_note_repo_get(CC(ctx)->d->db, ctx->tenant_id, id, &r);
    if (rc == SW_REPO_NOT_FOUND) return SWP_E_NOTFOUND;
    if (rc != SW_REPO_OK) return SWP_E_IO;
    *note = to_note(ctx, &r);
    sw_note_row_fini(&r);
    return *note ? SWP_OK : SWP_E_NOMEM;
}

static int h_note_create(swp_ctx *ctx, const char *title, const char *body, const swp_note **note)
{
    if (note) *note = NULL;
    if (!ctx->tenant_id || !*ctx->tenant_id) return SWP_E_INVAL;
    if (need_all(ctx, SWP_PERM_WRITE_NOTES, "note create") != 0) return SWP_E_PERM;
    if (sw_note_title_problem(title) || sw_note_body_problem(body)) return SWP_E_INVAL;
    sw_note_row r;
    if (sw_note_repo_insert(CC(ctx)->d->db, ctx->tenant_id, title, body, author(ctx), &r) != SW_REPO_OK)
        return SWP_E_IO;
    int rc = SWP_OK;
    if (note && !(*note = to_note(ctx, &r))) rc = SWP_E_NOMEM;
    sw_note_row_fini(&r);
    return rc;
}

static int h_note_update(swp_ctx *ctx, const char *id, const char *title, const char *body, const swp_note **note)
{
    if (note) *note = NULL;
    if (!id || !ctx->tenant_id || !*ctx->tenant_id) return SWP_E_INVAL;
    if (need_all(ctx, SWP_PERM_WRITE_NOTES, "note update") != 0) return SWP_E_PERM;
    if ((!title && !body) || (title && sw_note_title_problem(title)) || (body && sw_note_body_problem(body)))
        return SWP_E_INVAL;
    sw_note_row r;
    int rc = sw_note_repo_update(CC(ctx)->d->db, ctx->tenant_id, id, title, body, author(ctx), &r);
    if (rc == SW_REPO_NOT_FOUND) return SWP_E_NOTFOUND;
    if (rc != SW_REPO_OK) return SWP_E_IO;
    rc = SWP_OK;
    if (note && !(*note = to_note(ctx, &r))) rc = SWP_E_NOMEM;
    sw_note_row_fini(&r);
    return rc;
}

static const swp_notes_api notes_api = {
    .struct_size = sizeof notes_api,
    .find = h_notes_find,
    .get = h_note_get,
    .create = h_note_create,
    .update = h_note_update,
};

const swp_notes_api *sw_host_notes_api(void)
{
    return &notes_api;
}
