/* test_db: the SQL layer (prepare/bind/step/column, the statement cache, nested use of the same
 * SQL, transactions, constraint errors, per-thread connections) and the migrations (applied
 * once, recorded, idempotent across re-opens and concurrent starts), stream positions, and the
 * synchronous option (FULL by default, NORMAL on request, anything else refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/sw_db.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"
#include "store/sw_room_repo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char url[128];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/sw-db-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    char err[256];
    sw_db *db = sw_db_open(url, err, sizeof err);
    *state = db;
    return db ? 0 : -1;
}

static int teardown(void **state)
{
    sw_db_close(*state);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_migrations_apply_once(void **state)
{
    sw_db *db = *state;
    char err[256];
    int n = sw_migrate(db, err, sizeof err);
    assert_int_equal(n, sw_migrate_latest());
    assert_int_equal(sw_migrate(db, err, sizeof err), 0); /* nothing left */
    sw_stmt *st = sw_db_prepare(db, "SELECT COUNT(*), MAX(version) FROM schema_migrations");
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    assert_int_equal(sw_stmt_int64(st, 0), sw_migrate_latest());
    assert_int_equal(sw_stmt_int64(st, 1), sw_migrate_latest());
    sw_stmt_finish(st);
    /* a second handle on the same file (another process would look the same) sees it migrated */
    sw_db *other = sw_db_open(url, err, sizeof err);
    assert_int_equal(sw_migrate(other, err, sizeof err), 0);
    sw_db_close(other);
}

static void test_prepare_bind_step(void **state)
{
    sw_db *db = *state;
    assert_int_equal(sw_db_exec(db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, n INTEGER)"), 0);
    assert_int_equal(sw_db_run(db, "INSERT INTO kv (k, v, n) VALUES (?, ?, ?)", "tti", "a", "x", (int64_t)1), SW_DB_DONE);
    assert_int_equal(sw_db_run(db, "INSERT INTO kv (k, v, n) VALUES (?, ?, ?)", "tni", "b", (int64_t)2), SW_DB_DONE);
    assert_int_equal(sw_db_changes(db), 1);
    assert_int_equal(sw_db_run(db, "INSERT INTO kv (k, v, n) VALUES (?, ?, ?)", "tti", "a", "dup", (int64_t)3),
                     SW_DB_CONSTRAINT);
    sw_stmt *st = sw_db_prepare(db, "SELECT k, v, n FROM kv ORDER BY k");
    assert_non_null(st);
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    assert_string_equal(sw_stmt_text(st, 0), "a");
    assert_int_equal(sw_stmt_int64(st, 2), 1);
    /* nested use of the same SQL while the first is open gets its own statement */
    sw_stmt *st2 = sw_db_prepare(db, "SELECT k, v, n FROM kv ORDER BY k");
    assert_ptr_not_equal(st, st2);
    assert_int_equal(sw_stmt_step(st2), SW_DB_ROW);
    sw_stmt_finish(st2);
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    assert_string_equal(sw_stmt_text(st, 0), "b");
    assert_true(sw_stmt_is_null(st, 1));
    assert_null(sw_stmt_text(st, 1));
    assert_int_equal(sw_stmt_step(st), SW_DB_DONE);
    sw_stmt_finish(st);
    /* the cached statement comes back reset */
    sw_stmt *again = sw_db_prepare(db, "SELECT k, v, n FROM kv ORDER BY k");
    assert_ptr_equal(again, st);
    assert_int_equal(sw_stmt_step(again), SW_DB_ROW);
    assert_string_equal(sw_stmt_text(again, 0), "a");
    sw_stmt_finish(again);
    assert_null(sw_db_prepare(db, "SELEC nonsense"));
    assert_non_null(sw_db_errmsg(db));
}

static void test_transactions(void **state)
{
    sw_db *db = *state;
    sw_db_exec(db, "CREATE TABLE t (x INTEGER)");
    assert_int_equal(sw_db_begin(db), 0);
    assert_int_equal(sw_db_begin(db), SW_DB_ERROR); /* no nesting */
    sw_db_run(db, "INSERT INTO t (x) VALUES (?)", "i", (int64_t)1);
    assert_int_equal(sw_db_rollback(db), 0);
    assert_int_equal(sw_db_begin(db), 0);
    sw_db_run(db, "INSERT INTO t (x) VALUES (?)", "i", (int64_t)2);
    assert_int_equal(sw_db_commit(db), 0);
    sw_stmt *st = sw_db_prepare(db, "SELECT COUNT(*), SUM(x) FROM t");
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    assert_int_equal(sw_stmt_int64(st, 0), 1);
    assert_int_equal(sw_stmt_int64(st, 1), 2);
    sw_stmt_finish(st);
    char out[64];
    assert_int_equal(sw_db_check(db, out, sizeof out), 0);
    assert_string_equal(out, "ok");
}

static void *writer(void *arg)
{
    sw_db *db = arg;
    for (int i = 0; i < 200; i++) {
        if (sw_db_begin(db) != 0) return (void *)1;
        sw_db_run(db, "UPDATE counter SET n = n + 1", NULL);
        if (sw_db_commit(db) != 0) return (void *)1;
    }
    return NULL;
}

static void test_threads_get_their_own_connection(void **state)
{
    sw_db *db = *state;
    sw_db_exec(db, "CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)");
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, writer, db);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    sw_stmt *st = sw_db_prepare(db, "SELECT n FROM counter");
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    assert_int_equal(sw_stmt_int64(st, 0), 800);
    sw_stmt_finish(st);
}

static void test_bad_urls(void **state)
{
    (void)state;
    char err[256];
    assert_null(sw_db_open("postgres://localhost/x", err, sizeof err));
    assert_non_null(strstr(err, "PostgreSQL"));
    assert_null(sw_db_open("mysql://x", err, sizeof err));
    assert_null(sw_db_open("sqlite:/nonexistent-dir/x/y.db", err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
}

static void test_tenant_repos(void **state)
{
    sw_db *db = *state;
    char err[256];
    sw_migrate(db, err, sizeof err);
    sw_tenant a, b;
    assert_int_equal(sw_tenant_create(db, "a", "A", &a), SW_REPO_OK);
    assert_int_equal(sw_tenant_create(db, "b", NULL, &b), SW_REPO_OK);
    assert_int_equal(sw_tenant_create(db, "a", "again", NULL), SW_REPO_CONFLICT);
    sw_participant p;
    assert_int_equal(sw_participant_create(db, a.id, "ann", "Ann", "human", "admin,member", NULL, &p), SW_REPO_OK);
    assert_true(sw_participant_has_role(&p, "admin"));
    assert_false(sw_participant_has_role(&p, "adm"));
    /* the same local id in another tenant is another person; ids never cross tenants */
    assert_int_equal(sw_participant_create(db, b.id, "ann", "Other Ann", "human", "member", NULL, NULL), SW_REPO_OK);
    sw_participant q;
    assert_int_equal(sw_participant_by_id(db, b.id, p.id, &q), SW_REPO_NOT_FOUND);
    assert_int_equal(sw_participant_by_id(db, a.id, p.id, &q), SW_REPO_OK);
    assert_string_equal(q.display_name, "Ann");
}

/* Each tenant's stream positions run 1, 2, 3, … whatever the other tenant does; an append
 * rolled back gives its position to the next one; a repeated event_uuid takes none. */
static void test_stream_positions(void **state)
{
    sw_db *db = *state;
    char err[256];
    sw_migrate(db, err, sizeof err);
    sw_tenant a, b;
    assert_int_equal(sw_tenant_create(db, "a", "A", &a), SW_REPO_OK);
    assert_int_equal(sw_tenant_create(db, "b", "B", &b), SW_REPO_OK);
    sw_room ra, rb;
    assert_int_equal(sw_room_insert(db, a.id, "group", "ra", NULL, "x", &ra), SW_REPO_OK);
    assert_int_equal(sw_room_insert(db, b.id, "group", "rb", NULL, "y", &rb), SW_REPO_OK);
    assert_int_equal(sw_stream_position(db, a.id), 0);
    json_t *content = json_pack("{s:s}", "body", "hi");
    json_t *w;
    int existed;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(sw_event_append(db, a.id, ra.id, "x", "swp.room.message", content, NULL, &w, &existed),
                         SW_REPO_OK);
        assert_int_equal(json_integer_value(json_object_get(w, "stream_position")), i);
        json_decref(w);
    }
    assert_int_equal(sw_event_append(db, b.id, rb.id, "y", "swp.room.message", content, "u1", &w, &existed),
                     SW_REPO_OK);
    assert_int_equal(json_integer_value(json_object_get(w, "stream_position")), 1);
    json_decref(w);
    assert_int_equal(sw_event_append(db, b.id, rb.id, "y", "swp.room.message", content, "u1", &w, &existed),
                     SW_REPO_OK);
    assert_int_equal(existed, 1);
    json_decref(w);
    assert_int_equal(sw_db_begin(db), 0); /* appended, then rolled back */
    assert_int_equal(sw_event_append_in_tx(db, a.id, ra.id, "x", "swp.room.message", content, NULL, &w, &existed),
                     SW_REPO_OK);
    assert_int_equal(json_integer_value(json_object_get(w, "stream_position")), 4);
    json_decref(w);
    sw_db_rollback(db);
    assert_int_equal(sw_stream_position(db, a.id), 3);
    assert_int_equal(sw_stream_position(db, b.id), 1);
    assert_int_equal(sw_event_append(db, a.id, ra.id, "x", "swp.room.message", content, NULL, &w, &existed),
                     SW_REPO_OK);
    assert_int_equal(json_integer_value(json_object_get(w, "stream_position")), 4);
    json_decref(w);
    json_decref(content);
}

static int64_t synchronous_of(sw_db *db)
{
    sw_stmt *st = sw_db_prepare(db, "PRAGMA synchronous");
    assert_non_null(st);
    assert_int_equal(sw_stmt_step(st), SW_DB_ROW);
    int64_t v = sw_stmt_int64(st, 0);
    sw_stmt_finish(st);
    return v;
}

static void test_synchronous_option(void **state)
{
    /* the default (setup's handle): FULL, so an acknowledged commit survives power loss */
    assert_int_equal(synchronous_of(*state), 2);
    char err[256];
    sw_db *db = sw_db_open_with(url, &(sw_db_options){.synchronous = "normal"}, err, sizeof err);
    assert_non_null(db);
    assert_int_equal(synchronous_of(db), 1);
    sw_db_close(db);
    db = sw_db_open_with(url, &(sw_db_options){.synchronous = "FULL"}, err, sizeof err);
    assert_non_null(db);
    assert_int_equal(synchronous_of(db), 2);
    sw_db_close(db);
    assert_null(sw_db_open_with(url, &(sw_db_options){.synchronous = "off"}, err, sizeof err));
    assert_non_null(strstr(err, "--db-synchronous"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations_apply_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_bind_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_get_their_own_connection, setup, teardown),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test_setup_teardown(test_tenant_repos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_synchronous_option, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
