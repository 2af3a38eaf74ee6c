/* test_audit_repo: tool_audit through its repository — a batch written through the row
 * iterator (one failing row spares the rest), read back newest first with filters and a
 * cursor, and isolation: a tenant's listing never shows another tenant's row, whatever its
 * filters or cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

#include "store/sw_audit_repo.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static sw_db *db;
static sw_tenant ta, tb;

static int setup(void **state)
{
    (void)state;
    db = sw_test_store_open(dir, "auditrepo");
    if (!db) return -1;
    if (sw_tenant_create(db, "a", "A", &ta) != SW_REPO_OK) return -1;
    return sw_tenant_create(db, "b", "B", &tb) == SW_REPO_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return sw_test_store_close(db, dir);
}

typedef struct {
    const sw_audit_row *rows;
    int n, i;
} iter;

static int next(void *arg, sw_audit_row *row)
{
    iter *it = arg;
    if (it->i == it->n) return 0;
    *row = it->rows[it->i++];
    return 1;
}

static int insert(const sw_audit_row *rows, int n)
{
    iter it = {rows, n, 0};
    int failed = sw_audit_repo_insert(db, next, &it);
    assert_int_equal(it.i, n); /* every row was asked for */
    return failed;
}

#define ROW(ID, T, PLUGIN, TOOL, STATUS)                                                                   \
    (sw_audit_row)                                                                                     \
    {                                                                                                  \
        .id = ID, .tenant_id = (T)->id, .ts = "2024-01-01T00:00:00Z", .plugin_id = PLUGIN, .tool = TOOL, \
        .caller_id = "c", .initiator_id = "i", .args_redacted = "{\"x\":1}", .status = STATUS,         \
        .duration_ms = 7                                                                               \
    }

static json_t *list(const sw_tenant *t, sw_audit_filter f, char **cursor)
{
    json_t *arr = sw_audit_repo_list(db, t->id, &f, cursor);
    assert_non_null(arr);
    return arr;
}

static const char *id_at(json_t *arr, size_t i)
{
    return json_string_value(json_object_get(json_array_get(arr, i), "id"));
}

static void test_write_and_read_back_newest_first(void **state)
{
    (void)state;
    sw_audit_row rows[] = {ROW("01", &ta, "p", "greet", "ok"), ROW("02", &ta, "p", "greet", "error"),
                           ROW("03", &ta, "q", "other", "ok")};
    rows[1].room_id = "room";
    rows[1].detail = "boom";
    assert_int_equal(insert(rows, 3), 0);
    char *cur = NULL;
    json_t *all = list(&ta, (sw_audit_filter){.limit = 10}, &cur);
    assert_null(cur);
    assert_int_equal(json_array_size(all), 3);
    assert_string_equal(id_at(all, 0), "03");
    assert_string_equal(id_at(all, 2), "01");
    json_t *r = json_array_get(all, 1);
    assert_string_equal(json_string_value(json_object_get(r, "room_id")), "room");
    assert_string_equal(json_string_value(json_object_get(r, "detail")), "boom");
    assert_string_equal(json_string_value(json_object_get(r, "tenant_id")), ta.id);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "args_redacted"), "x")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "duration_ms")), 7);
    json_decref(all);
    /* filters */
    json_t *f = list(&ta, (sw_audit_filter){.plugin_id = "p", .status = "ok", .limit = 10}, &cur);
    assert_int_equal(json_array_size(f), 1);
    assert_string_equal(id_at(f, 0), "01");
    json_decref(f);
    /* pages: limit 2, then the rest from the cursor */
    json_t *p1 = list(&ta, (sw_audit_filter){.limit = 2}, &cur);
    assert_int_equal(json_array_size(p1), 2);
    assert_non_null(cur);
    assert_string_equal(cur, "02");
    char *c1 = cur;
    json_t *p2 = list(&ta, (sw_audit_filter){.before = c1, .limit = 2}, &cur);
    free(c1);
    assert_int_equal(json_array_size(p2), 1);
    assert_string_equal(id_at(p2, 0), "01");
    assert_null(cur);
    json_decref(p1);
    json_decref(p2);
}

static void test_a_failing_row_spares_the_rest(void **state)
{
    (void)state;
    sw_audit_row rows[] = {ROW("01", &ta, "p", "t", "ok")};
    assert_int_equal(insert(rows, 1), 0);
    sw_audit_row again[] = {ROW("00", &ta, "p", "t", "ok"), ROW("01", &ta, "p", "t", "ok") /* taken */,
                            ROW("02", &ta, "p", "t", "ok")};
    assert_int_equal(insert(again, 3), 1);
    char *cur = NULL;
    json_t *all = list(&ta, (sw_audit_filter){.limit = 10}, &cur);
    assert_int_equal(json_array_size(all), 3);
    json_decref(all);
}

static void test_tenants_never_see_each_others_rows(void **state)
{
    (void)state;
    sw_audit_row rows[] = {ROW("01", &ta, "p", "greet", "ok"), ROW("02", &tb, "p", "greet", "ok"),
                           ROW("03", &ta, "p", "greet", "ok"), ROW("04", &tb, "p", "greet", "error")};
    assert_int_equal(insert(rows, 4), 0);
    char *cur = NULL;
    json_t *a = list(&ta, (sw_audit_filter){.limit = 10}, &cur);
    json_t *b = list(&tb, (sw_audit_filter){.limit = 10}, &cur);
    assert_int_equal(json_array_size(a), 2);
    assert_int_equal(json_array_size(b), 2);
    size_t i;
    json_t *r;
    json_array_foreach(a, i, r) assert_string_equal(json_string_value(json_object_get(r, "tenant_id")), ta.id);
    json_array_foreach(b, i, r) assert_string_equal(json_string_value(json_object_get(r, "tenant_id")), tb.id);
    json_decref(a);
    json_decref(b);
    /* B's cursor past A's newest row, with filters matching A's rows: still only B's */
    json_t *bc = list(&tb, (sw_audit_filter){.plugin_id = "p", .tool = "greet", .status = "ok", .before = "99",
                                             .limit = 10}, &cur);
    assert_int_equal(json_array_size(bc), 1);
    assert_string_equal(id_at(bc, 0), "02");
    json_decref(bc);
    /* B's pages skip A's row between them (03) */
    json_t *bp = list(&tb, (sw_audit_filter){.limit = 1}, &cur);
    assert_non_null(cur);
    assert_string_equal(cur, "04");
    char *c1 = cur;
    json_t *bq = list(&tb, (sw_audit_filter){.before = c1, .limit = 1}, &cur);
    free(c1);
    assert_int_equal(json_array_size(bq), 1);
    assert_string_equal(id_at(bq, 0), "02");
    assert_null(cur);
    json_decref(bp);
    json_decref(bq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_and_read_back_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_row_spares_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenants_never_see_each_others_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
