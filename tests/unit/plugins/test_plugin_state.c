/* test_plugin_state: the per-tenant plugin-state snapshot under concurrency — eight writers
 * change eight different settings at once while readers keep taking snapshots, 200 rounds; no
 * change may be lost (a reader that loaded before a write must not install its stale snapshot
 * for the next writer to build on), and the snapshot readers get after a round is the store's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const swp_plugin sw_greeter_plugin;

#define WRITERS 8
#define READERS 2
#define ROUNDS 200

/* A migrated store in memory-backed files (synchronous=normal: the test is about ordering, not
 * durability, and must not wait for the disk), the greeter registered, one tenant. */
typedef struct {
    char dir[64];
    sw_db *db;
    sw_registry *reg;
    sw_plugin_states *states;
    sw_tenant tenant;
} fixture;

static fixture *fixture_new(void)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/sw-pstate-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/test.db", f->dir);
    f->db = sw_db_open_with(url, &(sw_db_options){.synchronous = "normal"}, err, sizeof err);
    assert_non_null(f->db);
    assert_true(sw_migrate(f->db, err, sizeof err) >= 0);
    f->reg = sw_registry_new();
    assert_int_equal(sw_registry_add(f->reg, &sw_greeter_plugin, "builtin", NULL, err, sizeof err), 0);
    f->states = sw_plugin_states_new(f->db, f->reg);
    assert_int_equal(sw_tenant_create(f->db, "test", "Test", &f->tenant), SW_REPO_OK);
    return f;
}

static void fixture_free(fixture *f)
{
    sw_plugin_states_free(f->states);
    sw_registry_free(f->reg);
    sw_db_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
}

typedef struct {
    fixture *h;
    pthread_barrier_t *start;
    int idx, round, rc;
} writer_arg;

static int stop_readers;

static void *writer(void *p)
{
    writer_arg *a = p;
    char k[16], v[16];
    snprintf(k, sizeof k, "k%d", a->idx);
    snprintf(v, sizeof v, "v%d", a->round);
    json_t *patch = json_pack("{s:s}", k, v);
    pthread_barrier_wait(a->start);
    a->rc = sw_plugin_states_configure(a->h->states, a->h->tenant.id, "scaiwave.greeter", patch, NULL);
    json_decref(patch);
    return NULL;
}

static void *reader(void *p)
{
    fixture *h = p;
    while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
        sw_tenant_plugins *tp = sw_plugin_states_get(h->states, h->tenant.id);
        sw_tenant_plugins_release(tp);
    }
    return NULL;
}

/* Every key of the round in the snapshot st; the first missing key's index, or -1. */
static int first_lost(const sw_plugin_tenant_state *st, int round)
{
    char k[16], v[16];
    snprintf(v, sizeof v, "v%d", round);
    for (int i = 0; i < WRITERS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        const char *got = json_string_value(json_object_get(st->settings, k));
        if (!got || strcmp(got, v) != 0) return i;
    }
    return -1;
}

static void test_concurrent_configure_loses_nothing(void **state)
{
    (void)state;
    fixture *h = fixture_new();
    assert_int_equal(sw_plugin_states_enable(h->states, h->tenant.id, "scaiwave.greeter", 0, NULL, NULL), 0);
    pthread_t rd[READERS];
    stop_readers = 0;
    for (int i = 0; i < READERS; i++) assert_int_equal(pthread_create(&rd[i], NULL, reader, h), 0);
    int lost_rounds = 0, first_round = -1;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, WRITERS);
        pthread_t wt[WRITERS];
        writer_arg args[WRITERS];
        for (int i = 0; i < WRITERS; i++) {
            args[i] = (writer_arg){h, &start, i, round, -1};
            assert_int_equal(pthread_create(&wt[i], NULL, writer, &args[i]), 0);
        }
        for (int i = 0; i < WRITERS; i++) {
            pthread_join(wt[i], NULL);
            assert_int_equal(args[i].rc, 0);
        }
        pthread_barrier_destroy(&start);
        sw_tenant_plugins *tp = sw_plugin_states_get(h->states, h->tenant.id);
        assert_non_null(tp);
        if (first_lost(sw_tenant_plugins_find(tp, "scaiwave.greeter"), round) >= 0) {
            lost_rounds++;
            if (first_round < 0) first_round = round;
        }
        sw_tenant_plugins_release(tp);
    }
    __atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < READERS; i++) pthread_join(rd[i], NULL);
    if (lost_rounds) fail_msg("changes lost in %d of %d rounds (first: round %d)", lost_rounds, ROUNDS, first_round);

    /* the store agrees (a fresh state object reads nothing but the store) */
    sw_plugin_states *fresh = sw_plugin_states_new(h->db, h->reg);
    sw_tenant_plugins *tp = sw_plugin_states_get(fresh, h->tenant.id);
    assert_int_equal(first_lost(sw_tenant_plugins_find(tp, "scaiwave.greeter"), ROUNDS - 1), -1);
    sw_tenant_plugins_release(tp);
    sw_plugin_states_free(fresh);
    fixture_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_configure_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
