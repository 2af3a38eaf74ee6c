/* test_schema_suite: runs the compiled validator (sw_schema_compile non-strict, sw_schema_run)
 * against the official JSON-Schema-Test-Suite, draft7, draft2020-12 and draft2019-09 (Debian
 * package libtest-json-schema-acceptance-perl, a declared test dependency; SW_SCHEMA_SUITE_DIR
 * overrides the directory holding both). No file is skipped; a test group is skipped only when
 * its schema refers to a document outside itself (the suite's remotes/ or a meta-schema:
 * "non-local $ref"), and each skipped group is printed with the reason. Any other refused
 * schema and every case that disagrees with the suite's "valid" (with or without a message
 * asked for) counts as failed. optional/ is not run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/sw_schema.h"

/* The JSON-Schema-Test-Suite copy in Debian's libtest-json-schema-acceptance-perl: it has
 * draft7 and draft2020-12 (the json-schema-test-suite package has only up to draft7). */
#define SUITE_DIR "/usr/share/perl5/auto/share/dist/Test-JSON-Schema-Acceptance/tests"

typedef struct {
    int passed, failed, skipped;
} tally;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const char *dir, const char *file, int draft, tally *t)
{
    char path[8300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    json_error_t je;
    /* JSON_ALLOW_NUL: const.json and enum.json compare strings with embedded "\u0000". */
    json_t *groups = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (!json_is_array(groups)) {
        printf("FAIL %s: cannot load (line %d: %s)\n", file, je.line, je.text);
        t->failed++;
        json_decref(groups);
        return;
    }
    size_t gi;
    json_t *g;
    json_array_foreach(groups, gi, g)
    {
        const char *gdesc = json_string_value(json_object_get(g, "description"));
        const json_t *schema = json_object_get(g, "schema");
        const json_t *tests = json_object_get(g, "tests");
        char err[512];
        const char *meta = json_string_value(json_object_get(schema, "$schema"));
        if (meta && !strncmp(meta, "http://localhost:1234/", 22)) {
            /* a custom meta-schema from the suite's remotes/: its $vocabulary decides */
            printf("skip %s / %s (%zu cases): $schema: custom meta-schema \"%s\" is a remote "
                   "document\n",
                   file, gdesc, json_array_size(tests), meta);
            t->skipped += (int)json_array_size(tests);
            continue;
        }
        sw_schema *cs = sw_schema_compile(schema, draft, 0, err, sizeof err);
        if (!cs) {
            /* only a reference to a document outside the schema (the suite's remotes/ or a
             * meta-schema) may be skipped: everything else is a failure */
            if (strstr(err, "non-local $ref")) {
                printf("skip %s / %s (%zu cases): %s\n", file, gdesc, json_array_size(tests), err);
                t->skipped += (int)json_array_size(tests);
            } else {
                printf("FAIL %s / %s: schema refused: %s\n", file, gdesc, err);
                t->failed += (int)json_array_size(tests);
            }
            continue;
        }
        size_t ti;
        json_t *tc;
        json_array_foreach(tests, ti, tc)
        {
            int want = json_is_true(json_object_get(tc, "valid"));
            const json_t *data = json_object_get(tc, "data");
            int got = sw_schema_run(cs, data, err, sizeof err) == 0;
            int bare = sw_schema_run(cs, data, NULL, 0) == 0; /* same verdict without a message */
            if (got == want && bare == got) {
                t->passed++;
            } else {
                t->failed++;
                printf("FAIL %s / %s / %s: expected %s, got %s%s%s\n", file, gdesc,
                       json_string_value(json_object_get(tc, "description")),
                       want ? "valid" : "invalid", got ? "valid" : "invalid", got ? "" : ": ",
                       got ? "" : err);
            }
        }
        sw_schema_free(cs);
    }
    json_decref(groups);
}

static void run_draft(const char *sub, int draft)
{
    const char *base = getenv("SW_SCHEMA_SUITE_DIR");
    if (!base || !*base) base = SUITE_DIR;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", base, sub);
    DIR *d = opendir(dir);
    if (!d) {
        print_error("JSON-Schema-Test-Suite not found at %s: install the Debian package "
                    "libtest-json-schema-acceptance-perl (a declared test dependency) or set "
                    "SW_SCHEMA_SUITE_DIR to a directory with draft7/ and draft2020-12/\n",
                    dir);
        fail_msg("missing test dependency: %s", dir);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);

    tally t = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        run_file(dir, names[i], draft, &t);
        free(names[i]);
    }
    free(names);
    if (n == 0) {
        print_error("no *.json files in %s\n", dir);
        fail_msg("empty test suite directory %s", dir);
    }
    printf("schema-suite %s: optional/ not run (format assertions, bignum, ECMA-262 regex "
           "details, cross-draft)\n",
           sub);
    printf("schema-suite %s: %d passed, %d failed, %d skipped\n", sub, t.passed, t.failed,
           t.skipped);
    fflush(stdout);
    assert_int_equal(t.failed, 0);
    assert_true(t.passed > 0);
}

static void test_draft7_suite(void **state)
{
    (void)state;
    run_draft("draft7", SW_SCHEMA_DRAFT7);
}

static void test_draft2020_suite(void **state)
{
    (void)state;
    run_draft("draft2020-12", SW_SCHEMA_DRAFT2020);
}

/* 2019-09 is compiled as 2020-12 (its "$schema" selects it): the same model, plus
 * $recursiveRef/$recursiveAnchor and the array form of items (non-strict). */
static void test_draft2019_suite(void **state)
{
    (void)state;
    run_draft("draft2019-09", SW_SCHEMA_DRAFT2020);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft7_suite),
        cmocka_unit_test(test_draft2020_suite),
        cmocka_unit_test(test_draft2019_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
