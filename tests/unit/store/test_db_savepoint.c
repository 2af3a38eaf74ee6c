/* test_db_savepoint: the SQL API's batch savepoints (a failed part of a transaction rolls back
 * alone, a kept part commits with the rest; refused outside a transaction) and the readiness
 * ping — what the rooms writer and /readyz use instead of raw SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/sw_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];
static sw_db *db;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sw-dbsp-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    db = sw_db_open(url, err, sizeof err);
    return db && sw_db_run(db, "CREATE TABLE t (v TEXT PRIMARY KEY)", NULL) >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sw_db_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t count(void)
{
    sw_stmt *st = sw_db_prepare(db, "SELECT COUNT(*) FROM t");
    assert_non_null(st);
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    int64_t n = sw_stmt_int64(st, 0);
    sw_stmt_finish(st);
    return n;
}

static void test_savepoints_keep_or_drop_one_part(void **state)
{
    (void)state;
    assert_int_equal(sw_db_savepoint(db), SW_DB_ERROR); /* no transaction open */
    assert_int_equal(sw_db_begin(db), 0);
    assert_int_equal(sw_db_savepoint(db), 0);
    assert_true(sw_db_run(db, "INSERT INTO t (v) VALUES ('kept')", NULL) >= 0);
    assert_int_equal(sw_db_savepoint_end(db, 1), 0);
    assert_int_equal(sw_db_savepoint(db), 0);
    assert_true(sw_db_run(db, "INSERT INTO t (v) VALUES ('dropped')", NULL) >= 0);
    assert_int_equal(sw_db_run(db, "INSERT INTO t (v) VALUES ('kept')", NULL), SW_DB_CONSTRAINT);
    assert_int_equal(sw_db_savepoint_end(db, 0), 0);
    assert_int_equal(sw_db_savepoint(db), 0);
    assert_true(sw_db_run(db, "INSERT INTO t (v) VALUES ('also')", NULL) >= 0);
    assert_int_equal(sw_db_savepoint_end(db, 1), 0);
    assert_int_equal(sw_db_commit(db), 0);
    assert_int_equal(count(), 2);
    assert_int_equal(sw_db_savepoint_end(db, 1), SW_DB_ERROR); /* after the commit */
}

static void test_ping_answers(void **state)
{
    (void)state;
    assert_int_equal(sw_db_ping(db), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_savepoints_keep_or_drop_one_part, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_answers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
