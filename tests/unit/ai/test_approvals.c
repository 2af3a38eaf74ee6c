/* test_approvals: the store side of approvals (sw_approval_repo) — a parked round and its
 * requests; a decision is one conditional UPDATE with exactly one winner, also between threads;
 * an approved call is started at most once; a request never approves itself once due, and
 * expires only when due; the park is claimed for resumption only when every decision and result
 * is in, and only once; the pending list shows rooms the caller has joined, in the tenant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_id.h"
#include "core/sw_time.h"
#include "store/sw_approval_repo.h"
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

typedef struct {
    sw_db *db;
    sw_tenant t;
    sw_participant boss, mia, ai;
    sw_room room;
    sw_park park;
    char r1[40], r2[40];
    int64_t now;
} fx;

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/sw-appr-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char url[128], err[256];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    fx *f = calloc(1, sizeof *f);
    f->db = sw_db_open(url, err, sizeof err);
    if (!f->db || sw_migrate(f->db, err, sizeof err) < 0) return -1;
    if (sw_tenant_create(f->db, "t1", "T1", &f->t) != SW_REPO_OK ||
        sw_participant_create(f->db, f->t.id, "boss", "Boss", "human", "admin,member", NULL, &f->boss) ||
        sw_participant_create(f->db, f->t.id, "mia", "Mia", "human", "member", NULL, &f->mia) ||
        sw_participant_create(f->db, f->t.id, "helper", "Helper", "model", "member", NULL, &f->ai) ||
        sw_room_insert(f->db, f->t.id, "group", "r", NULL, f->boss.id, &f->room) ||
        sw_room_set_member(f->db, f->t.id, f->room.id, f->boss.id, "join", 100) ||
        sw_room_set_member(f->db, f->t.id, f->room.id, f->ai.id, "join", 0))
        return -1;
    /* a round of three calls: 0 and 2 wait for approval, 1 ran at once */
    sw_park *p = &f->park;
    sw_id_new(p->id);
    snprintf(p->tenant_id, sizeof p->tenant_id, "%s", f->t.id);
    sw_id_new(p->turn_id);
    snprintf(p->room_id, sizeof p->room_id, "%s", f->room.id);
    snprintf(p->ai_id, sizeof p->ai_id, "%s", f->ai.id);
    snprintf(p->initiator_id, sizeof p->initiator_id, "%s", f->boss.id);
    p->round = 2;
    p->messages = json_pack("[{s:s, s:s}]", "role", "system", "content", "hi");
    p->calls = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "c0", "name", "record",
                         "arguments", "{\"note\":\"a\"}", "id", "c1", "name", "count", "arguments", "{}", "id", "c2",
                         "name", "record", "arguments", "{\"note\":\"b\"}");
    p->results = json_pack("[n, n, n]");
    sw_id_new(f->r1);
    sw_id_new(f->r2);
    json_t *reqs = json_pack("[{s:s, s:i, s:s, s:s, s:s, s:s}, {s:s, s:i, s:s, s:s, s:s, s:s}]", "id", f->r1,
                             "call_index", 0, "tool_call_id", "c0", "plugin_id", "test.recorder", "tool", "record",
                             "arguments", "{\"note\":\"a\"}", "id", f->r2, "call_index", 2, "tool_call_id", "c2",
                             "plugin_id", "test.recorder", "tool", "record", "arguments", "{\"note\":\"b\"}");
    f->now = sw_time_now_ms();
    int rc = sw_park_insert(f->db, p, reqs, f->now, f->now + 60000);
    json_decref(reqs);
    *state = f;
    return rc == SW_REPO_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    sw_park_fini(&f->park);
    sw_db_close(f->db);
    free(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_claimed_only_when_everything_is_in(void **state)
{
    fx *f = *state;
    const char *tid = f->t.id, *pid = f->park.id;
    assert_int_equal(sw_park_claim(f->db, tid, pid), 0); /* still parking */
    json_t *results = json_pack("[n, s, n]", "0");
    assert_int_equal(sw_park_set_results(f->db, tid, pid, results), SW_REPO_OK);
    json_decref(results);
    assert_int_equal(sw_park_claim(f->db, tid, pid), 0); /* both pending */

    /* approve the first: exactly once, by one decision */
    assert_int_equal(sw_approval_decide(f->db, tid, f->r1, "approved", f->boss.id, NULL, NULL, f->now), 1);
    assert_int_equal(sw_approval_decide(f->db, tid, f->r1, "rejected", f->boss.id, NULL, "no", f->now), 0);
    assert_int_equal(sw_approval_decide(f->db, tid, f->r1, "expired", NULL, NULL, "late", f->now + 120000), 0);
    assert_int_equal(sw_park_claim(f->db, tid, pid), 0); /* approved, but no result yet */
    assert_int_equal(sw_approval_mark_started(f->db, tid, f->r1), 1);
    assert_int_equal(sw_approval_mark_started(f->db, tid, f->r1), 0); /* runs at most once */
    assert_int_equal(sw_approval_set_result(f->db, tid, f->r1, "recorded a (run #1)"), SW_REPO_OK);
    assert_int_equal(sw_park_claim(f->db, tid, pid), 0); /* the second is pending */

    /* the second: not expired before its time; once due nobody can approve it, it expires */
    assert_int_equal(sw_approval_decide(f->db, tid, f->r2, "expired", NULL, NULL, "late", f->now), 0);
    assert_int_equal(sw_approval_decide(f->db, tid, f->r2, "approved", f->boss.id, NULL, NULL, f->now + 60000), 0);
    assert_int_equal(sw_approval_decide(f->db, tid, f->r2, "expired", NULL, NULL, "late", f->now + 60000), 1);
    sw_approval r;
    assert_int_equal(sw_approval_get(f->db, tid, f->r2, &r), SW_REPO_OK);
    assert_string_equal(r.status, "expired");
    assert_string_equal(r.result, "late");
    assert_false(r.started);
    sw_approval_fini(&r);

    /* now the round is complete: one claim wins */
    assert_int_equal(sw_park_claim(f->db, tid, pid), 1);
    assert_int_equal(sw_park_claim(f->db, tid, pid), 0);
    sw_park p;
    assert_int_equal(sw_park_get(f->db, tid, pid, &p), SW_REPO_OK);
    assert_string_equal(p.state, "resuming");
    assert_int_equal(p.round, 2);
    assert_int_equal(json_array_size(p.calls), 3);
    assert_string_equal(json_string_value(json_array_get(p.results, 1)), "0");
    sw_park_fini(&p);
    sw_approval rs[4];
    assert_int_equal(sw_approvals_of_park(f->db, tid, pid, rs, 4), 2);
    assert_int_equal(rs[0].call_index, 0);
    assert_int_equal(rs[1].call_index, 2);
    assert_string_equal(rs[0].result, "recorded a (run #1)");
    sw_approval_fini(&rs[0]);
    sw_approval_fini(&rs[1]);
    /* released (shutting down), it can be claimed again; finished, never */
    assert_int_equal(sw_park_release(f->db, tid, pid), SW_REPO_OK);
    assert_int_equal(sw_park_claim(f->db, tid, pid), 1);
    assert_int_equal(sw_park_finish(f->db, tid, pid), SW_REPO_OK);
    assert_int_equal(sw_park_claim(f->db, tid, pid), 0);
}

typedef struct {
    fx *f;
    int approve;
    int won;
    pthread_barrier_t *bar;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->bar);
    r->won = sw_approval_decide(r->f->db, r->f->t.id, r->f->r1, r->approve ? "approved" : "rejected", r->f->boss.id,
                                NULL, r->approve ? NULL : "no", sw_time_now_ms());
    return NULL;
}

static void test_racing_decisions_have_one_winner(void **state)
{
    fx *f = *state;
    enum { N = 8 };
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, N);
    racer rs[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        rs[i] = (racer){.f = f, .approve = i % 2, .bar = &bar};
        pthread_create(&th[i], NULL, race, &rs[i]);
    }
    int wins = 0, errors = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        wins += rs[i].won == 1;
        errors += rs[i].won < 0;
    }
    pthread_barrier_destroy(&bar);
    assert_int_equal(errors, 0);
    assert_int_equal(wins, 1);
}

static void test_pending_list_is_per_member_and_tenant(void **state)
{
    fx *f = *state;
    int64_t now = sw_time_now_ms();
    json_t *boss = sw_approvals_pending_json(f->db, f->t.id, f->boss.id, now, 50);
    assert_int_equal(json_array_size(boss), 2);
    json_t *first = json_array_get(boss, 0);
    assert_string_equal(json_string_value(json_object_get(first, "status")), "pending");
    assert_string_equal(json_string_value(json_object_get(json_object_get(first, "arguments"), "note")), "a");
    json_decref(boss);
    json_t *mia = sw_approvals_pending_json(f->db, f->t.id, f->mia.id, now, 50); /* not in the room */
    assert_int_equal(json_array_size(mia), 0);
    json_decref(mia);
    sw_room_set_member(f->db, f->t.id, f->room.id, f->mia.id, "join", 0);
    mia = sw_approvals_pending_json(f->db, f->t.id, f->mia.id, now, 50);
    assert_int_equal(json_array_size(mia), 2);
    json_decref(mia);
    json_t *other = sw_approvals_pending_json(f->db, "another-tenant", f->boss.id, now, 50);
    assert_int_equal(json_array_size(other), 0);
    json_decref(other);
    /* due ones are not listed, and the sweeper finds them */
    json_t *later = sw_approvals_pending_json(f->db, f->t.id, f->boss.id, now + 60000, 50);
    assert_int_equal(json_array_size(later), 0);
    json_decref(later);
    char ids[4][40], tns[4][40];
    assert_int_equal(sw_approvals_due(f->db, now + 60000, ids, tns, 4), 2);
    assert_string_equal(tns[0], f->t.id);
    assert_int_equal(sw_approvals_due(f->db, now, ids, tns, 4), 0);
    /* another tenant's id is not found */
    sw_approval r;
    assert_int_equal(sw_approval_get(f->db, "another-tenant", f->r1, &r), SW_REPO_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_claimed_only_when_everything_is_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racing_decisions_have_one_winner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_list_is_per_member_and_tenant, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
