/* test_cache: sw_cache remembers what it is given, forgets on request, drops an answer that was
 * read before a forget (the generation check), never remembers keys too long to hold, and a
 * collision replaces the older entry without answering for the wrong key; under threads (readers
 * that miss, read the "store" and offer the answer while writers change it and forget), no stale
 * answer outlives the last change (issue #13, point 14: the audit of every cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <sched.h>
#include <string.h>

static void test_put_get_forget(void **state)
{
    (void)state;
    sw_cache *c = sw_cache_new(16, sizeof(int));
    assert_non_null(c);
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, "tenant", "room", "alice");
    assert_string_equal(key, "tenant\x1froom\x1f" "alice");
    int v = 0;
    uint64_t gen;
    assert_int_equal(sw_cache_get(c, key, &v, &gen), 0);
    v = 42;
    sw_cache_put(c, key, &v, gen);
    v = 0;
    assert_int_equal(sw_cache_get(c, key, &v, &gen), 1);
    assert_int_equal(v, 42);
    sw_cache_forget(c, key);
    assert_int_equal(sw_cache_get(c, key, &v, &gen), 0);
    sw_cache_free(c);
}

static void test_answer_read_before_a_forget_is_dropped(void **state)
{
    (void)state;
    sw_cache *c = sw_cache_new(16, sizeof(int));
    char kb[SW_CACHE_KEY_MAX];
    const char *key = sw_cache_key(kb, "room", NULL, NULL);
    int v = 1;
    uint64_t gen;
    assert_int_equal(sw_cache_get(c, key, &v, &gen), 0); /* a reader misses, reads the store... */
    sw_cache_forget(c, key);                               /* ...a writer changes it meanwhile */
    sw_cache_put(c, key, &v, gen);                         /* the stale answer is not kept */
    assert_int_equal(sw_cache_get(c, key, &v, &gen), 0);
    sw_cache_put(c, key, &v, gen); /* a read after the change is */
    assert_int_equal(sw_cache_get(c, key, &v, &gen), 1);
    sw_cache_free(c);
}

static void test_long_keys_and_collisions(void **state)
{
    (void)state;
    sw_cache *c = sw_cache_new(1, 8); /* one slot: every key collides */
    char kb[SW_CACHE_KEY_MAX], kb2[SW_CACHE_KEY_MAX], longpart[200];
    memset(longpart, 'x', sizeof longpart - 1);
    longpart[sizeof longpart - 1] = 0;
    assert_null(sw_cache_key(kb, "t", longpart, NULL));
    char v[8] = "one", out[8];
    uint64_t gen;
    assert_int_equal(sw_cache_get(c, NULL, out, &gen), 0);
    sw_cache_put(c, NULL, v, gen); /* nothing is remembered */
    assert_int_equal(sw_cache_get(c, NULL, out, &gen), 0);
    const char *a = sw_cache_key(kb, "a", NULL, NULL), *b = sw_cache_key(kb2, "b", NULL, NULL);
    sw_cache_get(c, a, out, &gen);
    sw_cache_put(c, a, v, gen);
    assert_int_equal(sw_cache_get(c, b, out, &gen), 0); /* b never answers with a's value */
    strcpy(v, "two");
    sw_cache_put(c, b, v, gen);
    assert_int_equal(sw_cache_get(c, a, out, &gen), 0); /* replaced */
    assert_int_equal(sw_cache_get(c, b, out, &gen), 1);
    assert_string_equal(out, "two");
    sw_cache_forget(c, a); /* forgetting another key leaves b */
    assert_int_equal(sw_cache_get(c, b, out, &gen), 1);
    sw_cache_free(c);
    assert_null(sw_cache_new(3, 4)); /* not a power of two */
}

#define HAMMER_KEYS 4
#define HAMMER_ROUNDS 200

static sw_cache *hc;
static int store[HAMMER_KEYS]; /* the truth readers read on a miss (atomics) */
static int hammer_stop;

static void hkey(char kb[SW_CACHE_KEY_MAX], int k)
{
    char part[8];
    snprintf(part, sizeof part, "k%d", k);
    sw_cache_key(kb, "tenant", part, NULL);
}

static void *hammer_reader(void *arg)
{
    unsigned k = (unsigned)(uintptr_t)arg;
    char kb[SW_CACHE_KEY_MAX];
    while (!__atomic_load_n(&hammer_stop, __ATOMIC_ACQUIRE)) {
        k = (k + 1) % HAMMER_KEYS;
        hkey(kb, (int)k);
        int v;
        uint64_t gen;
        if (sw_cache_get(hc, kb, &v, &gen)) continue;
        v = __atomic_load_n(&store[k], __ATOMIC_ACQUIRE); /* read the store... */
        sched_yield();                                    /* ...and let a writer in before the put */
        sw_cache_put(hc, kb, &v, gen);
    }
    return NULL;
}

static void *hammer_writer(void *arg)
{
    int k = (int)(uintptr_t)arg;
    char kb[SW_CACHE_KEY_MAX];
    hkey(kb, k);
    for (int i = 1; i <= HAMMER_ROUNDS; i++) {
        __atomic_store_n(&store[k], i, __ATOMIC_RELEASE); /* store the change, then forget */
        sw_cache_forget(hc, kb);
        sched_yield();
    }
    return NULL;
}

static void test_no_stale_answer_under_threads(void **state)
{
    (void)state;
    hc = sw_cache_new(64, sizeof(int));
    assert_non_null(hc);
    pthread_t rd[3], wr[HAMMER_KEYS];
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&rd[i], NULL, hammer_reader, (void *)(uintptr_t)i), 0);
    for (int k = 0; k < HAMMER_KEYS; k++)
        assert_int_equal(pthread_create(&wr[k], NULL, hammer_writer, (void *)(uintptr_t)k), 0);
    for (int k = 0; k < HAMMER_KEYS; k++) pthread_join(wr[k], NULL);
    /* the readers go on after the last change: whatever they remember now must be current */
    for (int spin = 0; spin < 1000; spin++) sched_yield();
    __atomic_store_n(&hammer_stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 3; i++) pthread_join(rd[i], NULL);
    char kb[SW_CACHE_KEY_MAX];
    for (int k = 0; k < HAMMER_KEYS; k++) {
        hkey(kb, k);
        int v;
        uint64_t gen;
        if (sw_cache_get(hc, kb, &v, &gen)) assert_int_equal(v, HAMMER_ROUNDS);
    }
    sw_cache_free(hc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_forget),
        cmocka_unit_test(test_answer_read_before_a_forget_is_dropped),
        cmocka_unit_test(test_long_keys_and_collisions),
        cmocka_unit_test(test_no_stale_answer_under_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
