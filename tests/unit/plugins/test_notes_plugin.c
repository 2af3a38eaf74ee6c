/* test_notes_plugin: scaiwave.notes in isolation, through tests/plugin_harness.h — its tools
 * called directly and through the dispatcher, the notes host services under them, and what the
 * model is told when something is missing, refused or not found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_harness.h"

/* The notes feature service's calls, as the notes plugin makes them (swp_service "notes" v1). */
static const swp_notes_api *notes_api(swp_ctx *ctx)
{
    const swp_notes_api *api = swp_service(ctx, SWP_NOTES_SERVICE, SWP_NOTES_API_VERSION);
    assert_non_null(api);
    return api;
}
static int sw_notes_find(swp_ctx *ctx, const char *q, int limit, const swp_note *const **notes, int *count)
{
    return notes_api(ctx)->find(ctx, q, limit, notes, count);
}
static int sw_note_get(swp_ctx *ctx, const char *id, const swp_note **note) { return notes_api(ctx)->get(ctx, id, note); }
static int sw_note_create(swp_ctx *ctx, const char *t, const char *b, const swp_note **note)
{
    return notes_api(ctx)->create(ctx, t, b, note);
}
static int sw_note_update(swp_ctx *ctx, const char *id, const char *t, const char *b, const swp_note **note)
{
    return notes_api(ctx)->update(ctx, id, t, b, note);
}
#include "store/sw_note_repo.h"

extern const swp_plugin sw_notes_plugin;

#define ALL_NOTES (SWP_PERM_READ_NOTES | SWP_PERM_WRITE_NOTES | SWP_PERM_SEARCH)

static int setup(void **state)
{
    setenv("SW_PASSWORD_FAST", "1", 1);
    sw_harness *h = sw_harness_new((const swp_plugin *[]){&sw_notes_plugin, NULL});
    if (!h || sw_harness_enable(h, "scaiwave.notes", -1) != 0) return -1;
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    sw_harness_free(*state);
    return 0;
}

/* ---- helpers ---- */

static const char *run(sw_harness *h, const char *tool, const char *args, int want_error)
{
    static swp_result out;
    assert_int_equal(sw_harness_execute(h, &sw_notes_plugin, tool, args, &out), SWP_OK);
    assert_non_null(out.text);
    if (out.is_error != want_error) fail_msg("%s %s: is_error %d: %s", tool, args, out.is_error, out.text);
    return out.text;
}

static int64_t count_rows(sw_harness *h, const char *sql)
{
    sw_stmt *st = sw_db_prepare(h->db, sql);
    assert_non_null(st);
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    int64_t n = sw_stmt_int64(st, 0);
    sw_stmt_finish(st);
    return n;
}

/* Creates a note through the tool; copies its id (from "(id X)") into id[40]. */
static void create(sw_harness *h, const char *title, const char *body, char id[40])
{
    json_t *a = json_pack("{s:s, s:s}", "title", title, "body", body);
    char *args = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    const char *text = run(h, "create_note", args, 0);
    free(args);
    const char *p = strstr(text, "(id ");
    assert_non_null(p);
    p += 4;
    size_t n = strcspn(p, ")");
    assert_true(n > 0 && n < 40);
    memcpy(id, p, n);
    id[n] = 0;
}

static void dispatch(sw_harness *h, const char *tenant_id, const char *tool, const char *args,
                     sw_dispatch_result *out)
{
    sw_call call = {.tenant_id = tenant_id, .tenant_slug = "x", .room_id = "r", .caller_id = h->ai.id,
                    .initiator_id = h->alice.id, .tool = tool, .args = args, .args_len = strlen(args)};
    assert_int_equal(sw_dispatch(&h->d, &call, out), 0);
}

/* ---- the manifest ---- */

static void test_manifest(void **state)
{
    (void)state;
    const swp_plugin *p = &sw_notes_plugin;
    assert_string_equal(p->id, "scaiwave.notes");
    assert_int_equal(p->permissions, ALL_NOTES);
    assert_int_equal(p->injects_context, 1);
    const char *names[] = {"find_note", "read_note", "create_note", "update_note"};
    const uint32_t perms[] = {SWP_PERM_READ_NOTES | SWP_PERM_SEARCH, SWP_PERM_READ_NOTES, SWP_PERM_WRITE_NOTES,
                              SWP_PERM_WRITE_NOTES};
    const int side[] = {0, 0, 1, 1};
    int i = 0;
    for (const swp_tool *t = p->tools; t->name; t++, i++) {
        assert_true(i < 4);
        assert_string_equal(t->name, names[i]);
        assert_int_equal(t->permissions_required, perms[i]);
        assert_int_equal(t->side_effects, side[i]);
        assert_non_null(t->usage);
        assert_non_null(strstr(t->description, "Use "));
        json_t *schema = json_loads(t->parameters, 0, NULL);
        assert_non_null(schema);
        assert_true(json_is_false(json_object_get(schema, "additionalProperties")));
        json_decref(schema);
    }
    assert_int_equal(i, 4);
}

static void test_system_context_is_one_line(void **state)
{
    sw_harness *h = *state;
    run(h, "find_note", "{\"query\":\"x\"}", 0);
    const char *text = NULL;
    assert_int_equal(sw_notes_plugin.get_system_context(sw_harness_ctx(h), &text), SWP_OK);
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    assert_non_null(strstr(text, "find, read, create and update"));
    /* only what is granted is offered */
    sw_harness_ctx(h)->granted = SWP_PERM_READ_NOTES | SWP_PERM_SEARCH;
    assert_int_equal(sw_notes_plugin.get_system_context(sw_harness_ctx(h), &text), SWP_OK);
    assert_null(strstr(text, "create_note and"));
    assert_non_null(strstr(text, "find_note"));
    sw_harness_ctx(h)->granted = 0;
    assert_int_equal(sw_notes_plugin.get_system_context(sw_harness_ctx(h), &text), SWP_OK);
    assert_null(text);
}

/* ---- create, read, find, update ---- */

static void test_create_read_find_update(void **state)
{
    sw_harness *h = *state;
    char id[40];
    create(h, "Team offsite", "We meet in Lisbon on the 14th. Bring the quarterly figures.", id);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 1);

    char args[200];
    snprintf(args, sizeof args, "{\"id\":\"%s\"}", id);
    const char *text = run(h, "read_note", args, 0);
    assert_non_null(strstr(text, "Team offsite"));
    assert_non_null(strstr(text, "We meet in Lisbon on the 14th. Bring the quarterly figures."));
    assert_non_null(strstr(text, h->ai.id)); /* created by the AI that called */

    text = run(h, "find_note", "{\"query\":\"lisbon\"}", 0);
    assert_non_null(strstr(text, "1 note match"));
    assert_non_null(strstr(text, id));
    assert_non_null(strstr(text, "\"Team offsite\""));
    assert_non_null(strstr(text, "**Lisbon**")); /* the snippet marks the match */

    /* update only the body: the title stays */
    snprintf(args, sizeof args, "{\"id\":\"%s\",\"body\":\"Moved to Porto, same date.\"}", id);
    text = run(h, "update_note", args, 0);
    assert_non_null(strstr(text, "Updated note \"Team offsite\""));
    snprintf(args, sizeof args, "{\"id\":\"%s\"}", id);
    text = run(h, "read_note", args, 0);
    assert_non_null(strstr(text, "\"Team offsite\""));
    assert_non_null(strstr(text, "Moved to Porto, same date."));
    assert_null(strstr(text, "Lisbon"));
    /* the index followed: the old word is gone, the new one is found */
    assert_non_null(strstr(run(h, "find_note", "{\"query\":\"lisbon\"}", 0), "no notes match"));
    assert_non_null(strstr(run(h, "find_note", "{\"query\":\"porto\"}", 0), id));

    /* update the title too */
    snprintf(args, sizeof args, "{\"id\":\"%s\",\"body\":\"Moved to Porto, same date.\",\"title\":\"Offsite 2025\"}", id);
    run(h, "update_note", args, 0);
    assert_non_null(strstr(run(h, "find_note", "{\"query\":\"offsite\"}", 0), "\"Offsite 2025\""));
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 1);
    /* the index is consistent with its content table */
    assert_int_equal(sw_db_exec(h->db, "INSERT INTO notes_fts (notes_fts, rank) VALUES ('integrity-check', 1)"), 0);
}

static void test_through_the_dispatcher(void **state)
{
    sw_harness *h = *state;
    sw_dispatch_result r;
    sw_harness_call(h, "create_note", "{\"title\":\"Groceries\",\"body\":\"milk, eggs, flour\"}", &r);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.text, "Created note \"Groceries\""));
    sw_dispatch_result_fini(&r);
    sw_harness_call(h, "find_note", "{\"query\":\"eggs\",\"limit\":3}", &r);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.text, "Groceries"));
    sw_dispatch_result_fini(&r);
}

static void test_snippets_are_short(void **state)
{
    sw_harness *h = *state;
    char id[40], body[4000] = "";
    for (int i = 0; i < 100; i++) strcat(body, "filler words here ");
    strcat(body, "the needle is here ");
    for (int i = 0; i < 100; i++) strcat(body, "more filler text ");
    create(h, "Haystack", body, id);
    run(h, "find_note", "{\"query\":\"needle\"}", 0);
    const swp_note *const *notes = NULL;
    int n = 0;
    assert_int_equal(sw_notes_find(sw_harness_ctx(h), "needle", 5, &notes, &n), SWP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(notes[0]->id, id);
    assert_non_null(strstr(notes[0]->snippet, "**needle**"));
    assert_true(strlen(notes[0]->snippet) < 200);
    assert_true(notes[0]->rank > 0);
    assert_string_equal(notes[0]->body, body);
}

static void test_ranking(void **state)
{
    sw_harness *h = *state;
    char once[40], title[40], many[40], other[40];
    create(h, "Misc", "Some words and a mention of kiwi somewhere in a longer text about fruit and more.", once);
    create(h, "Kiwi", "A note whose title says it.", title);
    create(h, "Fruit", "kiwi kiwi kiwi", many);
    create(h, "Unrelated", "Nothing to see.", other);
    run(h, "find_note", "{\"query\":\"kiwi\"}", 0);
    const swp_note *const *notes = NULL;
    int n = 0;
    assert_int_equal(sw_notes_find(sw_harness_ctx(h), "kiwi", 10, &notes, &n), SWP_OK);
    assert_int_equal(n, 3);
    /* best first: the title weighs most, then the dense body, then one mention in a long text */
    assert_string_equal(notes[0]->id, title);
    assert_string_equal(notes[1]->id, many);
    assert_string_equal(notes[2]->id, once);
    assert_true(notes[0]->rank >= notes[1]->rank && notes[1]->rank >= notes[2]->rank);
    /* the tool lists them in that order, and honours limit */
    const char *text = run(h, "find_note", "{\"query\":\"kiwi\",\"limit\":2}", 0);
    assert_non_null(strstr(text, "2 notes match"));
    assert_true(strstr(text, title) < strstr(text, many));
    assert_null(strstr(text, once));
    /* every word must match when some note has them all; otherwise any word ranks */
    text = run(h, "find_note", "{\"query\":\"kiwi fruit\"}", 0);
    assert_non_null(strstr(text, many));
    assert_non_null(strstr(text, once));
    assert_null(strstr(text, title));
    text = run(h, "find_note", "{\"query\":\"kiwi nothing\"}", 0);
    assert_non_null(strstr(text, other)); /* "Nothing to see." matches "nothing" */
    assert_non_null(strstr(text, title));
    /* stemming: "mentions" finds "mention" */
    assert_non_null(strstr(run(h, "find_note", "{\"query\":\"mentions\"}", 0), once));
}

/* ---- errors the model can act on ---- */

static void test_unknown_id(void **state)
{
    sw_harness *h = *state;
    const char *text = run(h, "read_note", "{\"id\":\"01900000-0000-7000-8000-000000000000\"}", 1);
    assert_non_null(strstr(text, "no note with id \"01900000-0000-7000-8000-000000000000\""));
    assert_non_null(strstr(text, "\nFallback suggestions: use find_note to look it up by title"));
    text = run(h, "update_note", "{\"id\":\"nope\",\"body\":\"x\"}", 1);
    assert_non_null(strstr(text, "no note with id \"nope\""));
    assert_non_null(strstr(text, "Fallback suggestions: use find_note to look it up by title"));
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 0);
}

static void test_empty_search_is_not_an_error(void **state)
{
    sw_harness *h = *state;
    const char *text = run(h, "find_note", "{\"query\":\"zebra\"}", 0);
    assert_non_null(strstr(text, "no notes match \"zebra\""));
    char id[40];
    create(h, "Something", "else entirely", id);
    text = run(h, "find_note", "{\"query\":\"zebra\"}", 0);
    assert_non_null(strstr(text, "no notes match"));
    text = run(h, "find_note", "{\"query\":\"*** ---\"}", 0); /* nothing searchable */
    assert_non_null(strstr(text, "no notes match"));
}

static void test_bounds(void **state)
{
    sw_harness *h = *state;
    sw_dispatch_result r;
    /* the schema bounds lengths (in characters) and limit; those never reach the plugin */
    char title[260], args[400];
    memset(title, 'a', 201);
    title[201] = 0;
    snprintf(args, sizeof args, "{\"title\":\"%s\",\"body\":\"b\"}", title);
    sw_harness_call(h, "create_note", args, &r);
    assert_string_equal(r.status, "error");
    assert_non_null(strstr(r.text, "Invalid arguments for create_note"));
    sw_dispatch_result_fini(&r);
    sw_harness_call(h, "create_note", "{\"title\":\"\",\"body\":\"b\"}", &r);
    assert_string_equal(r.status, "error");
    sw_dispatch_result_fini(&r);
    sw_harness_call(h, "create_note", "{\"title\":\"t\"}", &r);
    assert_string_equal(r.status, "error");
    assert_non_null(strstr(r.text, "body"));
    sw_dispatch_result_fini(&r);
    sw_harness_call(h, "find_note", "{\"query\":\"x\",\"limit\":21}", &r);
    assert_string_equal(r.status, "error");
    sw_dispatch_result_fini(&r);
    sw_harness_call(h, "find_note", "{\"query\":\"x\",\"sql\":\"drop\"}", &r);
    assert_string_equal(r.status, "error");
    sw_dispatch_result_fini(&r);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 0);

    /* 200 characters is fine, also when they take 400 bytes */
    char wide[420] = "";
    for (int i = 0; i < 200; i++) strcat(wide, "é");
    char id[40];
    create(h, wide, "b", id);
    /* a title must be one line */
    const char *text = run(h, "create_note", "{\"title\":\"two\\nlines\",\"body\":\"b\"}", 1);
    assert_non_null(strstr(text, "one line"));
    assert_non_null(strstr(text, "Fallback suggestions:"));
    /* the body is at most 64 KiB in bytes: 30000 three-byte characters pass the schema's
     * character count but not the byte limit */
    size_t big = 30000 * 3;
    char *body = malloc(big + 64), *a = malloc(big + 128);
    body[0] = 0;
    for (int i = 0; i < 30000; i++) memcpy(body + (size_t)i * 3, "€", 3);
    body[big] = 0;
    snprintf(a, big + 128, "{\"title\":\"big\",\"body\":\"%s\"}", body);
    text = run(h, "create_note", a, 1);
    assert_non_null(strstr(text, "64 KiB"));
    /* exactly 65536 bytes is accepted */
    memset(body, 'x', 65536);
    body[65536] = 0;
    snprintf(a, big + 128, "{\"title\":\"max\",\"body\":\"%s\"}", body);
    run(h, "create_note", a, 0);
    free(body);
    free(a);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 2);

    /* the host services check the same bounds themselves */
    swp_ctx *ctx = sw_harness_ctx(h);
    const swp_note *n = NULL;
    assert_int_equal(sw_note_create(ctx, "", "b", &n), SWP_E_INVAL);
    assert_int_equal(sw_note_create(ctx, "t", "", &n), SWP_E_INVAL);
    assert_int_equal(sw_note_create(ctx, "a\tb", "b", &n), SWP_E_INVAL);
    assert_int_equal(sw_note_create(ctx, title, "b", &n), SWP_E_INVAL); /* 201 characters */
    assert_int_equal(sw_note_create(ctx, "bad \xff utf-8", "b", &n), SWP_E_INVAL);
    assert_int_equal(sw_note_update(ctx, id, NULL, NULL, &n), SWP_E_INVAL);
    const swp_note *const *list = NULL;
    int cnt = 0;
    assert_int_equal(sw_notes_find(ctx, "x", 0, &list, &cnt), SWP_E_INVAL);
    assert_int_equal(sw_notes_find(ctx, "x", SWP_NOTE_FIND_MAX + 1, &list, &cnt), SWP_E_INVAL);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 2);
}

/* ---- permissions ---- */

static void test_missing_write_notes_writes_nothing(void **state)
{
    sw_harness *h = *state;
    assert_int_equal(sw_harness_enable(h, "scaiwave.notes", SWP_PERM_READ_NOTES | SWP_PERM_SEARCH), 0);
    sw_dispatch_result r;
    sw_harness_call(h, "create_note", "{\"title\":\"Secret plan\",\"body\":\"do not store\"}", &r);
    assert_true(r.is_error);
    assert_string_equal(r.status, "denied");
    assert_non_null(strstr(r.text, "WRITE_NOTES"));
    assert_non_null(strstr(r.text, "Fallback suggestions:"));
    sw_dispatch_result_fini(&r);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 0);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes_fts WHERE notes_fts MATCH 'secret'"), 0);
    /* reading still works */
    sw_harness_call(h, "find_note", "{\"query\":\"plan\"}", &r);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.text, "no notes match"));
    sw_dispatch_result_fini(&r);

    /* the host service refuses on its own too, when a tool is run without the grant */
    const sw_reg_plugin *rp = sw_registry_find(h->reg, "scaiwave.notes");
    sw_call call = {.tenant_id = h->tenant.id, .room_id = "r", .caller_id = h->ai.id, .initiator_id = h->alice.id};
    sw_call_ctx *cc = sw_call_ctx_new(&h->d, rp, &call, SWP_PERM_READ_NOTES | SWP_PERM_SEARCH);
    const char *args = "{\"title\":\"Secret plan\",\"body\":\"do not store\"}";
    sw_call_ctx_set_args(cc, args, strlen(args), NULL);
    swp_result out = {0};
    assert_int_equal(sw_registry_tool(rp, "create_note")->def->run(&cc->pub, &out), SWP_OK);
    assert_true(out.is_error);
    assert_non_null(strstr(out.text, "WRITE_NOTES"));
    const swp_note *n = NULL;
    assert_int_equal(sw_note_create(&cc->pub, "t", "b", &n), SWP_E_PERM);
    assert_int_equal(sw_note_update(&cc->pub, "x", NULL, "b", &n), SWP_E_PERM);
    cc->pub.granted = SWP_PERM_READ_NOTES; /* find needs SEARCH as well */
    const swp_note *const *list = NULL;
    int cnt = 0;
    assert_int_equal(sw_notes_find(&cc->pub, "plan", 5, &list, &cnt), SWP_E_PERM);
    cc->pub.granted = SWP_PERM_SEARCH;
    assert_int_equal(sw_notes_find(&cc->pub, "plan", 5, &list, &cnt), SWP_E_PERM);
    assert_int_equal(sw_note_get(&cc->pub, "x", &n), SWP_E_PERM);
    sw_call_ctx_free(cc);
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 0);

    /* without SEARCH, find_note is refused by the dispatcher and names it */
    assert_int_equal(sw_harness_enable(h, "scaiwave.notes", SWP_PERM_READ_NOTES | SWP_PERM_WRITE_NOTES), 0);
    sw_harness_call(h, "find_note", "{\"query\":\"plan\"}", &r);
    assert_string_equal(r.status, "denied");
    assert_non_null(strstr(r.text, "SEARCH"));
    sw_dispatch_result_fini(&r);
}

/* ---- tenants ---- */

static void test_tenant_isolation(void **state)
{
    sw_harness *h = *state;
    sw_tenant other;
    assert_int_equal(sw_tenant_create(h->db, "other", "Other", &other), SW_REPO_OK);
    assert_int_equal(sw_plugin_states_enable(h->states, other.id, "scaiwave.notes", ALL_NOTES, NULL, NULL), 0);
    char id[40];
    create(h, "Payroll", "salaries of the test tenant", id);

    sw_dispatch_result r;
    dispatch(h, other.id, "find_note", "{\"query\":\"salaries\"}", &r);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.text, "no notes match"));
    assert_null(strstr(r.text, id));
    sw_dispatch_result_fini(&r);
    dispatch(h, other.id, "find_note", "{\"query\":\"payroll\"}", &r);
    assert_non_null(strstr(r.text, "no notes match"));
    sw_dispatch_result_fini(&r);

    char args[200];
    snprintf(args, sizeof args, "{\"id\":\"%s\"}", id);
    dispatch(h, other.id, "read_note", args, &r);
    assert_true(r.is_error);
    assert_non_null(strstr(r.text, "no note with id"));
    assert_null(strstr(r.text, "salaries"));
    sw_dispatch_result_fini(&r);
    snprintf(args, sizeof args, "{\"id\":\"%s\",\"body\":\"overwritten\",\"title\":\"pwned\"}", id);
    dispatch(h, other.id, "update_note", args, &r);
    assert_true(r.is_error);
    assert_non_null(strstr(r.text, "no note with id"));
    sw_dispatch_result_fini(&r);

    /* the other tenant's own note stays its own */
    dispatch(h, other.id, "create_note", "{\"title\":\"Payroll\",\"body\":\"salaries of the other tenant\"}", &r);
    assert_string_equal(r.status, "ok");
    sw_dispatch_result_fini(&r);
    const char *text = run(h, "find_note", "{\"query\":\"salaries\"}", 0);
    assert_non_null(strstr(text, "1 note match"));
    assert_non_null(strstr(text, id));
    snprintf(args, sizeof args, "{\"id\":\"%s\"}", id);
    text = run(h, "read_note", args, 0);
    assert_non_null(strstr(text, "salaries of the test tenant"));
    assert_null(strstr(text, "overwritten"));
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 2);
}

/* ---- search text is never search syntax ---- */

static void test_fts_query_injection_is_safe(void **state)
{
    sw_harness *h = *state;
    char id[40], secret[40];
    create(h, "foo", "foo bar baz", id);
    create(h, "hidden", "secret words", secret);
    const char *hostile[] = {
        "\"foo\" OR *", "*", "foo*", "NEAR(foo bar)", "title:secret", "{title body}: secret", "-foo",
        "^foo", "foo AND", "OR", "\"", "\"\"\"", ")", "(foo", "foo\" OR \"secret", "col:", "NOT foo",
        "'; DROP TABLE notes; --", "foo + bar", "\\", "\xe2\x80\x94",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        json_t *a = json_pack("{s:s}", "query", hostile[i]);
        char *args = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        sw_dispatch_result r;
        sw_harness_call(h, "find_note", args, &r);
        if (strcmp(r.status, "ok") != 0) fail_msg("query %s: %s %s", hostile[i], r.status, r.text);
        sw_dispatch_result_fini(&r);
        free(args);
    }
    /* the words are words: "foo" OR * finds the note with foo, never everything */
    const char *text = run(h, "find_note", "{\"query\":\"\\\"foo\\\" OR *\"}", 0);
    assert_non_null(strstr(text, id));
    assert_null(strstr(text, secret));
    /* a column filter is just a word */
    text = run(h, "find_note", "{\"query\":\"title:secret\"}", 0);
    assert_null(strstr(text, id));
    assert_int_equal(count_rows(h, "SELECT COUNT(*) FROM notes"), 2);

    char q[256];
    assert_int_equal(sw_note_fts_query("\"foo\" OR *", 0, q, sizeof q), 2);
    assert_string_equal(q, "\"\"\"foo\"\"\" \"OR\"");
    assert_int_equal(sw_note_fts_query("a  b", 1, q, sizeof q), 2);
    assert_string_equal(q, "\"a\" OR \"b\"");
    assert_int_equal(sw_note_fts_query(" * ( ) ", 0, q, sizeof q), 0);
    assert_string_equal(q, "");
    assert_int_equal(sw_note_fts_query("abcdef", 0, q, 5), 0); /* does not fit: nothing */
}

static void test_unknown_tool(void **state)
{
    const char *text = run(*state, "delete_note", "{}", 1);
    assert_non_null(strstr(text, "Fallback suggestions:"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_manifest),
        T(test_system_context_is_one_line),
        T(test_create_read_find_update),
        T(test_through_the_dispatcher),
        T(test_snippets_are_short),
        T(test_ranking),
        T(test_unknown_id),
        T(test_empty_search_is_not_an_error),
        T(test_bounds),
        T(test_missing_write_notes_writes_nothing),
        T(test_tenant_isolation),
        T(test_fts_query_injection_is_safe),
        T(test_unknown_tool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
