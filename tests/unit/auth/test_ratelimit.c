/* test_ratelimit: sw_ratelimit lets free failures through, then blocks with a doubling backoff
 * (capped), counts attempts in flight against the free failures, forgets a key after a quiet
 * period, resets an account on success but not an address, keeps keys apart, and stays bounded
 * when flooded with made-up keys. Times are given, so nothing here waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/sw_ratelimit.h"

#include <stdio.h>
#include <string.h>

static sw_ratelimit *make(int free_failures, int reset_on_success, unsigned sets)
{
    sw_ratelimit_opts o = {.free_failures = free_failures, .base_ms = 1000, .max_ms = 8000,
                           .forget_ms = 60000, .reset_on_success = reset_on_success, .sets = sets};
    sw_ratelimit *rl = sw_ratelimit_new(&o);
    assert_non_null(rl);
    return rl;
}

static void fail_once(sw_ratelimit *rl, const char *k, int64_t now)
{
    assert_int_equal(sw_ratelimit_begin(rl, k, strlen(k), now), 0);
    sw_ratelimit_end(rl, k, strlen(k), 0, now);
}

static void test_backoff_doubles_and_is_capped(void **state)
{
    (void)state;
    sw_ratelimit *rl = make(3, 1, 64);
    int64_t t = 1000000;
    fail_once(rl, "acct", t);
    fail_once(rl, "acct", t);
    fail_once(rl, "acct", t); /* the third failure blocks for base_ms */
    assert_int_equal(sw_ratelimit_begin(rl, "acct", 4, t), 1000);
    assert_int_equal(sw_ratelimit_begin(rl, "acct", 4, t + 400), 600);
    assert_int_equal(sw_ratelimit_begin(rl, "other", 5, t), 0); /* keys are apart */
    sw_ratelimit_cancel(rl, "other", 5, t);
    int64_t expect[] = {2000, 4000, 8000, 8000};
    for (int i = 0; i < 4; i++) {
        t += 10000; /* past the block: one more guess, which fails and blocks longer */
        fail_once(rl, "acct", t);
        assert_int_equal(sw_ratelimit_begin(rl, "acct", 4, t), expect[i]);
    }
    sw_ratelimit_free(rl);
}

static void test_in_flight_attempts_count(void **state)
{
    (void)state;
    sw_ratelimit *rl = make(3, 1, 64);
    int64_t t = 5000;
    assert_int_equal(sw_ratelimit_begin(rl, "a", 1, t), 0);
    assert_int_equal(sw_ratelimit_begin(rl, "a", 1, t), 0);
    assert_int_equal(sw_ratelimit_begin(rl, "a", 1, t), 0);
    assert_true(sw_ratelimit_begin(rl, "a", 1, t) > 0); /* a fourth at once: no */
    sw_ratelimit_cancel(rl, "a", 1, t);                  /* one never ran */
    assert_int_equal(sw_ratelimit_begin(rl, "a", 1, t), 0);
    for (int i = 0; i < 3; i++) sw_ratelimit_end(rl, "a", 1, 0, t);
    assert_int_equal(sw_ratelimit_begin(rl, "a", 1, t), 1000); /* blocked by the three */
    sw_ratelimit_free(rl);
}

static void test_success_resets_an_account_not_an_address(void **state)
{
    (void)state;
    sw_ratelimit *acct = make(2, 1, 64), *addr = make(2, 0, 64);
    int64_t t = 7000;
    fail_once(acct, "k", t);
    fail_once(addr, "k", t);
    assert_int_equal(sw_ratelimit_begin(acct, "k", 1, t), 0);
    sw_ratelimit_end(acct, "k", 1, 1, t);
    assert_int_equal(sw_ratelimit_begin(addr, "k", 1, t), 0);
    sw_ratelimit_end(addr, "k", 1, 1, t);
    fail_once(acct, "k", t); /* one failure after the reset: still free */
    assert_int_equal(sw_ratelimit_begin(acct, "k", 1, t), 0);
    sw_ratelimit_cancel(acct, "k", 1, t);
    fail_once(addr, "k", t); /* the address keeps its first failure: now blocked */
    assert_int_equal(sw_ratelimit_begin(addr, "k", 1, t), 1000);
    sw_ratelimit_free(acct);
    sw_ratelimit_free(addr);
}

static void test_a_quiet_key_starts_over(void **state)
{
    (void)state;
    sw_ratelimit *rl = make(2, 0, 64);
    fail_once(rl, "q", 0);
    fail_once(rl, "q", 0);
    assert_int_equal(sw_ratelimit_begin(rl, "q", 1, 500), 500);
    fail_once(rl, "q", 60000 + 1000); /* a minute after the block ended: counts as the first again */
    assert_int_equal(sw_ratelimit_begin(rl, "q", 1, 61000), 0);
    sw_ratelimit_free(rl);
}

static void test_a_flood_of_keys_stays_bounded_and_keeps_blocked_keys(void **state)
{
    (void)state;
    sw_ratelimit *rl = make(1, 1, 4); /* 16 entries in all */
    int64_t t = 100000;
    fail_once(rl, "victim", t); /* blocked */
    char k[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof k, "made-up-%d", i);
        assert_int_equal(sw_ratelimit_begin(rl, k, strlen(k), t + 1), 0);
        sw_ratelimit_end(rl, k, strlen(k), 1, t + 1);
    }
    /* unblocked entries are replaced first, so the block survives the flood */
    assert_int_equal(sw_ratelimit_begin(rl, "victim", 6, t + 1), 999);
    sw_ratelimit_free(rl);
}

static void test_bad_options(void **state)
{
    (void)state;
    sw_ratelimit_opts o = {.free_failures = 0, .base_ms = 1, .max_ms = 1, .sets = 4};
    assert_null(sw_ratelimit_new(&o));
    o.free_failures = 1;
    o.sets = 3;
    assert_null(sw_ratelimit_new(&o));
    assert_null(sw_ratelimit_new(NULL));
    assert_int_equal(sw_ratelimit_begin(NULL, "x", 1, 0), 0); /* no limiter: no limit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_and_is_capped),
        cmocka_unit_test(test_in_flight_attempts_count),
        cmocka_unit_test(test_success_resets_an_account_not_an_address),
        cmocka_unit_test(test_a_quiet_key_starts_over),
        cmocka_unit_test(test_a_flood_of_keys_stays_bounded_and_keeps_blocked_keys),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
