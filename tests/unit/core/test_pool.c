/* test_pool: the worker pool runs every submitted job exactly once — through the direct
 * hand-off to the spinning worker and through the queue — under concurrent submitters, and
 * drains its queue when freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_pool.h"

#include <pthread.h>

static long counter;

static void bump(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

typedef struct {
    sw_pool *p;
    int n;
} sub_arg;

static void *submitter(void *a)
{
    sub_arg *s = a;
    for (int i = 0; i < s->n; i++)
        while (sw_pool_submit(s->p, bump, NULL) != 0) {
        }
    return NULL;
}

static void test_every_job_runs_once(void **state)
{
    (void)state;
    for (int workers = 1; workers <= 4; workers *= 2) {
        counter = 0;
        sw_pool *p = sw_pool_new(workers);
        assert_non_null(p);
        pthread_t t[4];
        sub_arg a = {p, 20000};
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, submitter, &a);
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        sw_pool_free(p); /* runs what is still queued */
        assert_int_equal(counter, 4 * 20000);
    }
}

static int flag;
static void check_worker(void *arg)
{
    __atomic_store_n(&flag, sw_pool_is_worker(arg) ? 1 : 2, __ATOMIC_RELEASE);
}

static void test_is_worker(void **state)
{
    (void)state;
    sw_pool *p = sw_pool_new(2);
    assert_false(sw_pool_is_worker(p));
    flag = 0;
    sw_pool_submit(p, check_worker, p);
    sw_pool_free(p);
    assert_int_equal(flag, 1);
}

static void test_sequential_submissions(void **state)
{
    (void)state;
    /* a pool with slow sequential submissions: each one goes through the spinning worker */
    sw_pool *p = sw_pool_new(1);
    counter = 0;
    for (int i = 0; i < 1000; i++) assert_int_equal(sw_pool_submit(p, bump, NULL), 0);
    sw_pool_free(p);
    assert_int_equal(counter, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_job_runs_once),
        cmocka_unit_test(test_is_worker),
        cmocka_unit_test(test_sequential_submissions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
