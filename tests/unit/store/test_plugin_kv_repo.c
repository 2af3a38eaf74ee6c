/* test_plugin_kv_repo: plugin_kv through its repository — set, get, overwrite, delete, and
 * isolation: a key of tenant A (or of another plugin) is never read, overwritten or deleted
 * through tenant B's id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

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
    db = sw_test_store_open(dir, "kvrepo");
    if (!db) return -1;
    if (sw_tenant_create(db, "a", "A", &ta) != SW_REPO_OK) return -1;
    return sw_tenant_create(db, "b", "B", &tb) == SW_REPO_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return sw_test_store_close(db, dir);
}

/* The value as read through (tenant, plugin), or NULL when not found. */
static char *get(const sw_tenant *t, const char *plugin, const char *key)
{
    char *v = (char *)"sentinel";
    int rc = sw_plugin_kv_get(db, t->id, plugin, key, &v);
    if (rc == SW_REPO_NOT_FOUND) {
        assert_null(v);
        return NULL;
    }
    assert_int_equal(rc, SW_REPO_OK);
    assert_non_null(v);
    return v;
}

static void assert_value(const sw_tenant *t, const char *plugin, const char *key, const char *want)
{
    char *v = get(t, plugin, key);
    if (!want) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

static void test_set_get_overwrite_delete(void **state)
{
    (void)state;
    assert_value(&ta, "p", "k", NULL);
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "p", "k", "one"), SW_REPO_OK);
    assert_value(&ta, "p", "k", "one");
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "p", "k", "two"), SW_REPO_OK);
    assert_value(&ta, "p", "k", "two");
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "p", "empty", ""), SW_REPO_OK);
    assert_value(&ta, "p", "empty", "");
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "p", "k", NULL), SW_REPO_OK);
    assert_value(&ta, "p", "k", NULL);
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "p", "k", NULL), SW_REPO_OK); /* deleting nothing is fine */
}

static void test_tenants_and_plugins_are_isolated(void **state)
{
    (void)state;
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "p", "shared", "A's"), SW_REPO_OK);
    /* not readable through B's id, nor through another plugin of A */
    assert_value(&tb, "p", "shared", NULL);
    assert_value(&ta, "q", "shared", NULL);
    /* B writing the same key writes B's own row */
    assert_int_equal(sw_plugin_kv_set(db, tb.id, "p", "shared", "B's"), SW_REPO_OK);
    assert_value(&ta, "p", "shared", "A's");
    assert_value(&tb, "p", "shared", "B's");
    /* B deleting it deletes only B's */
    assert_int_equal(sw_plugin_kv_set(db, tb.id, "p", "shared", NULL), SW_REPO_OK);
    assert_value(&tb, "p", "shared", NULL);
    assert_value(&ta, "p", "shared", "A's");
    /* another plugin of A deleting it leaves p's */
    assert_int_equal(sw_plugin_kv_set(db, ta.id, "q", "shared", NULL), SW_REPO_OK);
    assert_value(&ta, "p", "shared", "A's");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_get_overwrite_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenants_and_plugins_are_isolated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
