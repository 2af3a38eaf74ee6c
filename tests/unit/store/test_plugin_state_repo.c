/* test_plugin_state_repo: plugin_states through its repository — put (insert, then replace),
 * each (the tenant's rows only), isolation (a row of tenant A is never read or overwritten
 * through tenant B's id), and the store-wide reseal (sw_reseal): each row's keys reach the
 * decision, only changed rows are written and each to its own (tenant, plugin), and a failing
 * decision writes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

#include "store/sw_migrate.h"
#include "store/sw_plugin_state_repo.h"
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
    db = sw_test_store_open(dir, "psrepo");
    if (!db) return -1;
    if (sw_tenant_create(db, "a", "A", &ta) != SW_REPO_OK) return -1;
    return sw_tenant_create(db, "b", "B", &tb) == SW_REPO_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return sw_test_store_close(db, dir);
}

/* The tenant's rows as {plugin_id: "enabled/granted/settings/policies"}. */
static void collect(void *arg, const sw_plugin_state_row *row)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%d/%u/%s/%s", row->enabled, row->granted, row->settings ? row->settings : "-",
             row->tool_policies ? row->tool_policies : "-");
    json_object_set_new(arg, row->plugin_id, json_string(buf));
}

static json_t *rows_of(const sw_tenant *t)
{
    json_t *o = json_object();
    assert_int_equal(sw_plugin_state_repo_each(db, t->id, collect, o), SW_REPO_OK);
    return o;
}

static const char *row_of(json_t *rows, const char *plugin)
{
    return json_string_value(json_object_get(rows, plugin));
}

static void put(const sw_tenant *t, const char *plugin, int enabled, uint32_t granted, const char *settings)
{
    sw_plugin_state_row r = {.plugin_id = plugin, .enabled = enabled, .granted = granted, .settings = settings,
                             .tool_policies = "{\"greet\":\"ask\"}"};
    assert_int_equal(sw_plugin_state_repo_put(db, t->id, &r), SW_REPO_OK);
}

static void test_put_replaces_and_each_reads_the_tenant(void **state)
{
    (void)state;
    json_t *none = rows_of(&ta);
    assert_int_equal(json_object_size(none), 0);
    json_decref(none);
    put(&ta, "p", 1, 3, "{\"k\":\"v\"}");
    put(&ta, "q", 0, 0, "{}");
    put(&ta, "p", 0, 5, "{\"k\":\"w\"}"); /* replaces */
    json_t *a = rows_of(&ta);
    assert_int_equal(json_object_size(a), 2);
    assert_string_equal(row_of(a, "p"), "0/5/{\"k\":\"w\"}/{\"greet\":\"ask\"}");
    assert_string_equal(row_of(a, "q"), "0/0/{}/{\"greet\":\"ask\"}");
    json_decref(a);
}

static void test_tenants_are_isolated(void **state)
{
    (void)state;
    put(&ta, "p", 1, 3, "{\"owner\":\"A\"}");
    json_t *b = rows_of(&tb);
    assert_int_equal(json_object_size(b), 0); /* A's row is not read through B's id */
    json_decref(b);
    put(&tb, "p", 0, 1, "{\"owner\":\"B\"}"); /* B's put of the same plugin is B's own row */
    json_t *a = rows_of(&ta);
    b = rows_of(&tb);
    assert_string_equal(row_of(a, "p"), "1/3/{\"owner\":\"A\"}/{\"greet\":\"ask\"}");
    assert_string_equal(row_of(b, "p"), "0/1/{\"owner\":\"B\"}/{\"greet\":\"ask\"}");
    json_decref(a);
    json_decref(b);
}

typedef struct {
    int seen, fail_on;
} reseal_arg;

/* Rewrites settings that say "clear" to say "sealed:<tenant>:<plugin>", keeps the others. */
static int decide(void *arg, const char *const *keys, const char *value, char **out)
{
    reseal_arg *a = arg;
    if (++a->seen == a->fail_on) return -1;
    if (!strstr(value, "clear")) return 0;
    char buf[256];
    snprintf(buf, sizeof buf, "{\"s\":\"sealed:%s:%s\"}", strcmp(keys[0], ta.id) == 0 ? "A" : "B", keys[1]);
    *out = strdup(buf);
    return 1;
}

static void test_reseal_writes_changed_rows_to_their_own_keys(void **state)
{
    (void)state;
    put(&ta, "p", 1, 0, "{\"s\":\"clear\"}");
    put(&ta, "q", 1, 0, "{\"s\":\"fine\"}");
    put(&tb, "p", 1, 0, "{\"s\":\"clear\"}");
    int changed = -1;
    reseal_arg arg = {0, 0};
    assert_int_equal(sw_db_begin(db), 0);
    assert_int_equal(sw_plugin_state_repo_reseal(db, decide, &arg, &changed), SW_REPO_OK);
    assert_int_equal(sw_db_commit(db), 0);
    assert_int_equal(arg.seen, 3);
    assert_int_equal(changed, 2);
    json_t *a = rows_of(&ta), *b = rows_of(&tb);
    assert_string_equal(row_of(a, "p"), "1/0/{\"s\":\"sealed:A:p\"}/{\"greet\":\"ask\"}");
    assert_string_equal(row_of(a, "q"), "1/0/{\"s\":\"fine\"}/{\"greet\":\"ask\"}");
    assert_string_equal(row_of(b, "p"), "1/0/{\"s\":\"sealed:B:p\"}/{\"greet\":\"ask\"}");
    json_decref(a);
    json_decref(b);
}

static void test_a_failing_decision_writes_nothing(void **state)
{
    (void)state;
    put(&ta, "p", 1, 0, "{\"s\":\"clear\"}");
    put(&ta, "q", 1, 0, "{\"s\":\"clear\"}");
    int changed = -1;
    reseal_arg arg = {0, 2}; /* the second row's decision fails */
    assert_int_equal(sw_plugin_state_repo_reseal(db, decide, &arg, &changed), SW_REPO_ERROR);
    assert_int_equal(changed, 0);
    json_t *a = rows_of(&ta);
    assert_string_equal(row_of(a, "p"), "1/0/{\"s\":\"clear\"}/{\"greet\":\"ask\"}");
    assert_string_equal(row_of(a, "q"), "1/0/{\"s\":\"clear\"}/{\"greet\":\"ask\"}");
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_replaces_and_each_reads_the_tenant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenants_are_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reseal_writes_changed_rows_to_their_own_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_decision_writes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
