/* test_cache: sw_cache remembers what it is given, forgets on request, drops an answer that was
 * read before a forget (the generation check), never remembers keys too long to hold, and a
 * collision replaces the older entry without answering for the wrong key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_cache.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_forget),
        cmocka_unit_test(test_answer_read_before_a_forget_is_dropped),
        cmocka_unit_test(test_long_keys_and_collisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
