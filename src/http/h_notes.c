/* h_notes: the tenant's notes for people — search or list, create, read, update. The same notes
 * the scaiwave.notes plugin's tools work on (sw_note_repo). Any member of the tenant may use
 * them; a note of another tenant answers exactly like a missing one (404 SW_NOTE_NOT_FOUND). */
#include "core/sw_id.h"
#include "http/sw_handlers.h"
#include "app/sw_app_notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OFFSET 100000 /* search pages reach this far */

static int field_problem(sw_resp *resp, const char *field, const char *problem)
{
    sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", field), "%s: %s", field, problem);
    return -1;
}

/* Reads and checks title/body of a request object. required: both must be present. */
static int read_fields(sw_resp *resp, const json_t *body, int required, const char **title, const char **text)
{
    if (sw_field_string(resp, body, "title", required, 0, title) ||
        sw_field_string(resp, body, "body", required, SW_NOTE_REPO_BODY_MAX, text))
        return -1;
    const char *p;
    if (*title && (p = sw_note_title_problem(*title))) return field_problem(resp, "title", p);
    if (*text && (p = sw_note_body_problem(*text))) return field_problem(resp, "body", p);
    return 0;
}

static void not_found(sw_resp *resp, const char *id)
{
    sw_resp_error(resp, SW_ERR_NOTE_NOT_FOUND, NULL, "no note with id \"%.64s\"", id ? id : "");
}

static json_t *rows_json(const sw_note_row *rows, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++) json_array_append_new(a, sw_note_json(&rows[i]));
    return a;
}

void sw_h_notes_list(sw_req *req, sw_resp *resp)
{
    int limit;
    if (sw_req_limit(req, resp, &limit) != 0) return;
    const char *q = sw_req_query(req, "q"), *cursor = sw_req_query(req, "cursor");
    if (q) {
        const char *s = q;
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        if (!*s) q = NULL; /* blank: list */
    }
    if (q && strlen(q) > SW_NOTE_REPO_QUERY_MAX) {
        field_problem(resp, "q", "longer than 1000 bytes");
        return;
    }
    if (cursor && !*cursor) cursor = NULL;
    sw_note_row *rows = NULL;
    int n = 0, more = 0, rc;
    json_t *next = NULL;
    if (q) {
        /* search: the cursor is the offset of the next page */
        long long off = 0;
        if (cursor) {
            if (sw_parse_int(cursor, 0, MAX_OFFSET, &off) != 0) {
                field_problem(resp, "cursor", "not a cursor this search returned");
                return;
            }
        }
        rc = sw_app_notes_search(req->app, req->auth.tenant_id, q, (int)off, limit, &rows, &n, &more);
        if (rc == SW_REPO_OK && more) next = json_sprintf("%lld", off + n);
    } else {
        /* newest first: the cursor is the last id of the previous page */
        if (cursor && !sw_id_valid(cursor)) {
            field_problem(resp, "cursor", "not a cursor this listing returned");
            return;
        }
        rc = sw_app_notes_list(req->app, req->auth.tenant_id, cursor, limit, &rows, &n, &more);
        if (rc == SW_REPO_OK && more && n > 0) next = json_string(rows[n - 1].id);
    }
    if (rc != SW_REPO_OK) {
        json_decref(next);
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    json_t *data = rows_json(rows, n);
    sw_note_rows_free(rows, n);
    sw_resp_data(resp, 200, data, json_pack("{s:b, s:o}", "has_more", more, "next_cursor", next ? next : json_null()));
}

void sw_h_notes_create(sw_req *req, sw_resp *resp)
{
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *title, *text;
    if (read_fields(resp, body, 1, &title, &text) == 0) {
        sw_note_row r;
        if (sw_app_note_create(req->app, req->auth.tenant_id, title, text, req->auth.participant_id, &r) !=
            SW_REPO_OK) {
            sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer; the note was not saved");
        } else {
            sw_resp_data(resp, 201, sw_note_json(&r), NULL);
            sw_note_row_fini(&r);
        }
    }
    json_decref(body);
}

void sw_h_note_get(sw_req *req, sw_resp *resp)
{
    const char *id = sw_req_param(req, "note_id");
    sw_note_row r;
    int rc = id ? sw_app_note_get(req->app, req->auth.tenant_id, id, &r) : SW_REPO_NOT_FOUND;
    if (rc == SW_REPO_NOT_FOUND) {
        not_found(resp, id);
        return;
    }
    if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer");
        return;
    }
    sw_resp_data(resp, 200, sw_note_json(&r), NULL);
    sw_note_row_fini(&r);
}

void sw_h_note_update(sw_req *req, sw_resp *resp)
{
    const char *id = sw_req_param(req, "note_id");
    json_t *body = sw_req_json(req, resp, 0);
    if (!body) return;
    const char *title, *text;
    if (read_fields(resp, body, 0, &title, &text) != 0) goto out;
    if (!title && !text) {
        sw_resp_error(resp, SW_ERR_VALIDATION, json_pack("{s:s}", "field", "body"),
                      "body: give a new title, a new body or both");
        goto out;
    }
    sw_note_row r;
    int rc = sw_app_note_update(req->app, req->auth.tenant_id, id ? id : "", title, text,
                                 req->auth.participant_id, &r);
    if (rc == SW_REPO_NOT_FOUND) {
        not_found(resp, id);
    } else if (rc != SW_REPO_OK) {
        sw_resp_error(resp, SW_ERR_INTERNAL, NULL, "the store did not answer; the note was not changed");
    } else {
        sw_resp_data(resp, 200, sw_note_json(&r), NULL);
        sw_note_row_fini(&r);
    }
out:
    json_decref(body);
}
