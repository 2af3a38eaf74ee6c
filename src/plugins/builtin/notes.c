/* scaiwave.notes — the tenant's shared notes: find, read, create and update them. The second
 * example plugin, written exactly as a third-party author would write it: it includes only
 * <scaiwave/plugin.h> and reaches storage through the "notes" feature service (swp_service; tenant-scoped,
 * permission-checked, full-text indexed), never through SQL of its own. It shows permissions
 * per tool, side effects (create_note and update_note may wait for a person's approval), system
 * context, and error results with fallback hints. */
#include <scaiwave/plugin.h>

#include <string.h>

static int find_note(swp_ctx *ctx, swp_result *out);
static int read_note(swp_ctx *ctx, swp_result *out);
static int create_note(swp_ctx *ctx, swp_result *out);
static int update_note(swp_ctx *ctx, swp_result *out);

static const swp_tool notes_tools[] = {
    {
        .name = "find_note",
        .description = "Search this workspace's shared notes by words in their title or text. Returns the "
                       "best matches first, each with its id, title and a short snippet. Use when the user "
                       "refers to something that may have been written down (a decision, a plan, meeting "
                       "notes, a list), and to find a note's id before read_note or update_note.",
        .usage = "[/find_note <query>]",
        .parameters = "{"
                      "  \"type\": \"object\","
                      "  \"properties\": {"
                      "    \"query\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 200,"
                      "              \"description\": \"Plain words to look for, e.g. \\\"budget Q3\\\". Notes with every word rank first.\"},"
                      "    \"limit\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 20,"
                      "              \"description\": \"At most this many notes (default 5).\"}"
                      "  },"
                      "  \"required\": [\"query\"],"
                      "  \"additionalProperties\": false"
                      "}",
        .permissions_required = SWP_PERM_READ_NOTES | SWP_PERM_SEARCH,
        .run = find_note,
    },
    {
        .name = "read_note",
        .description = "Read one note in full (title, text, who created it and when) by its id. Use after "
                       "find_note when the snippet is not enough, and before update_note to see the "
                       "current text.",
        .usage = "[/read_note <id>]",
        .parameters = "{"
                      "  \"type\": \"object\","
                      "  \"properties\": {"
                      "    \"id\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 64,"
                      "           \"description\": \"The note's id, as find_note or create_note showed it.\"}"
                      "  },"
                      "  \"required\": [\"id\"],"
                      "  \"additionalProperties\": false"
                      "}",
        .permissions_required = SWP_PERM_READ_NOTES,
        .run = read_note,
    },
    {
        .name = "create_note",
        .description = "Create a new note with a title and a text, visible to everyone in this workspace. Use "
                       "when the user asks you to write something down, save it or remember it for later. "
                       "To change a note that exists, use update_note instead.",
        .usage = "[/create_note <title> <body>]",
        .parameters = "{"
                      "  \"type\": \"object\","
                      "  \"properties\": {"
                      "    \"title\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 200,"
                      "              \"description\": \"A short, one-line title people will search for.\"},"
                      "    \"body\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 65536,"
                      "             \"description\": \"The note's text (at most 64 KiB).\"}"
                      "  },"
                      "  \"required\": [\"title\", \"body\"],"
                      "  \"additionalProperties\": false"
                      "}",
        .permissions_required = SWP_PERM_WRITE_NOTES,
        .side_effects = 1,
        .run = create_note,
    },
    {
        .name = "update_note",
        .description = "Replace the text of an existing note, by its id, and optionally its title. Use when the "
                       "user asks to change, extend or correct a note. `body` replaces the whole text, so "
                       "read_note first and send the complete new text; the title stays as it is unless "
                       "you pass one.",
        .usage = "[/update_note <id> <body>]",
        .parameters = "{"
                      "  \"type\": \"object\","
                      "  \"properties\": {"
                      "    \"id\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 64,"
                      "           \"description\": \"The note's id, as find_note or read_note showed it.\"},"
                      "    \"body\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 65536,"
                      "             \"description\": \"The complete new text (at most 64 KiB).\"},"
                      "    \"title\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 200,"
                      "              \"description\": \"A new title (optional; omit to keep the current one).\"}"
                      "  },"
                      "  \"required\": [\"id\", \"body\"],"
                      "  \"additionalProperties\": false"
                      "}",
        .permissions_required = SWP_PERM_WRITE_NOTES,
        .side_effects = 1,
        .run = update_note,
    },
    SWP_TOOL_END,
};

/* One line for the system prompt, naming only what this tenant granted. */
static int notes_system_context(swp_ctx *ctx, const char **text)
{
    int find = (ctx->granted & (SWP_PERM_READ_NOTES | SWP_PERM_SEARCH)) == (SWP_PERM_READ_NOTES | SWP_PERM_SEARCH);
    int read = (ctx->granted & SWP_PERM_READ_NOTES) != 0;
    int write = (ctx->granted & SWP_PERM_WRITE_NOTES) != 0;
    if (find && read && write)
        *text = "Notes: you can find, read, create and update this workspace's shared notes with find_note, "
                "read_note, create_note and update_note; look there before saying something was never written down.";
    else if (find && read)
        *text = "Notes: you can find and read this workspace's shared notes with find_note and read_note "
                "(creating and updating notes is not enabled here).";
    else if (read)
        *text = "Notes: you can read this workspace's shared notes by id with read_note.";
    else if (write)
        *text = "Notes: you can create and update this workspace's shared notes with create_note and update_note.";
    else
        *text = NULL;
    return SWP_OK;
}

/* The error result for a status of a notes service; `what` names the call ("create_note"). */
static int service_error(swp_ctx *ctx, swp_result *out, int rc, const char *what, const char *id)
{
    switch (rc) {
    case SWP_E_NOTFOUND:
        return swp_result_error(out, swp_printf(ctx,
                                              "Not found: no note with id \"%.64s\".\n"
                                              "Fallback suggestions: use find_note to look it up by title "
                                              "(or by a word of its text), then call %s again with the id it shows.",
                                              id ? id : "", what));
    case SWP_E_PERM:
        return swp_result_error(out, swp_printf(ctx,
                                              "%s was not run: the plugin %s has not been granted %s in this tenant.\n"
                                              "Fallback suggestions: ask a tenant admin to grant it under Admin → "
                                              "Plugins, or answer without %s.",
                                              what, ctx->plugin_id,
                                              !strcmp(what, "find_note")   ? "READ_NOTES and SEARCH"
                                              : !strcmp(what, "read_note") ? "READ_NOTES"
                                                                           : "WRITE_NOTES",
                                              !strcmp(what, "find_note") || !strcmp(what, "read_note")
                                                  ? "the notes"
                                                  : "saving the note"));
    case SWP_E_UNAVAIL:
        return swp_result_error(out, "Notes are not available on this server.\n"
                                    "Fallback suggestions: answer without notes, and say so.");
    case SWP_E_NOMEM:
        return SWP_E_NOMEM;
    default:
        return swp_result_error(out, swp_printf(ctx,
                                              "%s failed: %s.\n"
                                              "Fallback suggestions: try once more, then answer without notes "
                                              "and tell the user the notes could not be reached.",
                                              what, swp_strerror(rc)));
    }
}

/* A copy of s without leading and trailing white space (arena). */
static const char *trimmed(swp_ctx *ctx, const char *s)
{
    if (!s) return NULL;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    return swp_printf(ctx, "%.*s", (int)n, s);
}

/* What the schema cannot say: titles are one line, bodies are counted in bytes. */
static const char *text_problem(const char *title, const char *body)
{
    if (title) {
        if (!*title) return "the title is empty";
        for (const unsigned char *p = (const unsigned char *)title; *p; p++)
            if (*p < 0x20 || *p == 0x7F) return "the title must be one line (no line breaks or tabs)";
    }
    if (body && strlen(body) > SWP_NOTE_BODY_MAX) return "the text is longer than 64 KiB (65536 bytes)";
    return NULL;
}

static int invalid(swp_ctx *ctx, swp_result *out, const char *what, const char *problem)
{
    return swp_result_error(out, swp_printf(ctx,
                                          "%s was not run: %s.\n"
                                          "Fallback suggestions: fix that and call %s again (a short one-line "
                                          "title; split a very long text into several notes).",
                                          what, problem, what));
}

/* The notes feature service, version 1 (NULL on a server without it: SWP_E_UNAVAIL below). */
static const swp_notes_api *notes(swp_ctx *ctx)
{
    return swp_service(ctx, SWP_NOTES_SERVICE, SWP_NOTES_API_VERSION);
}

static int find_note(swp_ctx *ctx, swp_result *out)
{
    const char *query = swp_arg_string(ctx, "query");
    if (!query || !*query)
        return swp_result_error(out, "find_note needs a query.\n"
                                    "Fallback suggestions: call find_note with {\"query\": \"<words from the note>\"}.");
    int64_t limit = 5;
    if (swp_arg_int(ctx, "limit", &limit) != SWP_OK) limit = 5;
    if (limit < 1) limit = 1;
    if (limit > 20) limit = 20;
    const swp_note *const *found = NULL;
    int n = 0;
    const swp_notes_api *api = notes(ctx);
    int rc = api ? api->find(ctx, query, (int)limit, &found, &n) : SWP_E_UNAVAIL;
    if (rc != SWP_OK) return service_error(ctx, out, rc, "find_note", NULL);
    if (n == 0)
        return swp_result_text(out, swp_printf(ctx,
                                             "Nothing found: no notes match \"%s\". Try other or fewer words; "
                                             "create_note writes a new note.",
                                             query));
    char *text = swp_printf(ctx, "%d note%s match \"%s\", best first:", n, n == 1 ? "" : "s", query);
    for (int i = 0; text && i < n; i++) {
        /* a snippet on one line */
        char *snip = swp_strdup(ctx, found[i]->snippet ? found[i]->snippet : "");
        if (!snip) return SWP_E_NOMEM;
        for (char *p = snip; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
        text = swp_printf(ctx, "%s\n%d. \"%s\" (id %s, updated %s)\n   %s", text, i + 1, found[i]->title,
                         found[i]->id, found[i]->updated_at, snip);
    }
    if (text) text = swp_printf(ctx, "%s\nCall read_note with an id to read a whole note.", text);
    return text ? swp_result_text(out, text) : SWP_E_NOMEM;
}

static int read_note(swp_ctx *ctx, swp_result *out)
{
    const char *id = trimmed(ctx, swp_arg_string(ctx, "id"));
    if (!id || !*id)
        return swp_result_error(out, "read_note needs the note's id.\n"
                                    "Fallback suggestions: use find_note to look it up by title, then call "
                                    "read_note with {\"id\": \"<id>\"}.");
    const swp_note *note = NULL;
    const swp_notes_api *api = notes(ctx);
    int rc = api ? api->get(ctx, id, &note) : SWP_E_UNAVAIL;
    if (rc != SWP_OK) return service_error(ctx, out, rc, "read_note", id);
    const char *text = swp_printf(ctx, "Note \"%s\" (id %s), created by %s at %s, last updated %s:\n\n%s",
                                 note->title, note->id, note->created_by, note->created_at, note->updated_at,
                                 note->body);
    return text ? swp_result_text(out, text) : SWP_E_NOMEM;
}

static int create_note(swp_ctx *ctx, swp_result *out)
{
    const char *title = trimmed(ctx, swp_arg_string(ctx, "title"));
    const char *body = swp_arg_string(ctx, "body");
    if (!title || !body || !*body)
        return swp_result_error(out, "create_note needs a title and a body.\n"
                                    "Fallback suggestions: call create_note with {\"title\": \"...\", \"body\": \"...\"}.");
    const char *problem = text_problem(title, body);
    if (problem) return invalid(ctx, out, "create_note", problem);
    const swp_note *note = NULL;
    const swp_notes_api *api = notes(ctx);
    int rc = api ? api->create(ctx, title, body, &note) : SWP_E_UNAVAIL;
    if (rc != SWP_OK) return service_error(ctx, out, rc, "create_note", NULL);
    const char *text = swp_printf(ctx, "Created note \"%s\" (id %s).", note->title, note->id);
    return text ? swp_result_text(out, text) : SWP_E_NOMEM;
}

static int update_note(swp_ctx *ctx, swp_result *out)
{
    const char *id = trimmed(ctx, swp_arg_string(ctx, "id"));
    const char *body = swp_arg_string(ctx, "body");
    const char *title = swp_arg_string(ctx, "title"); /* optional: only what was given changes */
    if (title) title = trimmed(ctx, title);
    if (!id || !*id || !body || !*body)
        return swp_result_error(out, "update_note needs the note's id and its new body.\n"
                                    "Fallback suggestions: call update_note with {\"id\": \"<id>\", \"body\": \"...\"}; "
                                    "use find_note to look up the id by title.");
    const char *problem = text_problem(title, body);
    if (problem) return invalid(ctx, out, "update_note", problem);
    const swp_note *note = NULL;
    const swp_notes_api *api = notes(ctx);
    int rc = api ? api->update(ctx, id, title, body, &note) : SWP_E_UNAVAIL;
    if (rc != SWP_OK) return service_error(ctx, out, rc, "update_note", id);
    const char *text = swp_printf(ctx, "Updated note \"%s\" (id %s): %s.", note->title, note->id,
                                 title ? "new title and text" : "new text, same title");
    return text ? swp_result_text(out, text) : SWP_E_NOMEM;
}

const swp_plugin sw_notes_plugin = {
    SWP_PLUGIN_INIT,
    .id = "scaiwave.notes",
    .name = "Notes",
    .version = "1.0.0",
    .description = "Shared notes of the workspace: find (full-text search), read, create and update them.",
    .tools = notes_tools,
    .permissions = SWP_PERM_READ_NOTES | SWP_PERM_WRITE_NOTES | SWP_PERM_SEARCH,
    .injects_context = 1,
    .get_system_context = notes_system_context,
};
