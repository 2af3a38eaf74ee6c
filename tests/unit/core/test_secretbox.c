/* test_secretbox: sealed values carry the prefix and key id but never the clear text, get a
 * fresh nonce each time, open only with their key and not at all once altered; legacy clear
 * values are recognised; the key file is created 0600 once and reused; a rotation keeps every
 * value readable at each step (stopped before or after its transaction) and ends on the new key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sw_secretbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sw-secretbox-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static sw_secretbox *fresh_box(void)
{
    uint8_t key[SW_SECRETBOX_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    return sw_secretbox_new(key);
}

static void test_seal_open_round_trip(void **state)
{
    (void)state;
    sw_secretbox *sb = fresh_box();
    assert_non_null(sb);
    char *a = sw_secretbox_seal(sb, "sk-live-123");
    char *b = sw_secretbox_seal(sb, "sk-live-123");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(sw_secretbox_is_sealed(a));
    assert_null(strstr(a, "sk-live-123"));
    assert_string_not_equal(a, b); /* a random nonce per value */
    char prefix[64];
    snprintf(prefix, sizeof prefix, "swenc:v1:%s:", sw_secretbox_key_id(sb));
    assert_int_equal(strncmp(a, prefix, strlen(prefix)), 0);
    assert_true(sw_secretbox_is_current(sb, a));
    char *plain;
    assert_int_equal(sw_secretbox_open(sb, a, &plain), SW_SECRET_OK);
    assert_string_equal(plain, "sk-live-123");
    free(plain);
    char *empty = sw_secretbox_seal(sb, "");
    assert_int_equal(sw_secretbox_open(sb, empty, &plain), SW_SECRET_OK);
    assert_string_equal(plain, "");
    free(plain);
    free(empty);
    free(a);
    free(b);
    sw_secretbox_free(sb);
}

static void test_wrong_key_tampering_and_clear_values(void **state)
{
    (void)state;
    sw_secretbox *sb = fresh_box(), *other = fresh_box();
    char *a = sw_secretbox_seal(sb, "hunter2");
    char *plain = (char *)"unchanged";
    assert_int_equal(sw_secretbox_open(other, a, &plain), SW_SECRET_UNREADABLE);
    assert_null(plain);
    assert_false(sw_secretbox_can_open(other, a));
    assert_true(sw_secretbox_can_open(sb, a));
    /* same key id, altered body: the MAC refuses it */
    size_t n = strlen(a);
    a[n - 3] = a[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(sw_secretbox_open(sb, a, &plain), SW_SECRET_UNREADABLE);
    assert_int_equal(sw_secretbox_open(sb, "swenc:v1:zz", &plain), SW_SECRET_UNREADABLE);
    char bad[80];
    snprintf(bad, sizeof bad, "swenc:v1:%s:!!!not base64", sw_secretbox_key_id(sb));
    assert_int_equal(sw_secretbox_open(sb, bad, &plain), SW_SECRET_UNREADABLE);
    /* a legacy clear value is recognised and resealed */
    assert_int_equal(sw_secretbox_open(sb, "legacy-clear", &plain), SW_SECRET_CLEAR);
    assert_string_equal(plain, "legacy-clear");
    free(plain);
    char *out;
    assert_int_equal(sw_secretbox_reseal(sb, "legacy-clear", &out), 1);
    assert_true(sw_secretbox_is_current(sb, out));
    char *again;
    assert_int_equal(sw_secretbox_reseal(sb, out, &again), 0); /* already current */
    assert_null(again);
    assert_int_equal(sw_secretbox_reseal(other, out, &again), SW_SECRET_UNREADABLE);
    free(out);
    free(a);
    sw_secretbox_free(sb);
    sw_secretbox_free(other);
}

static void test_key_file_created_once_0600(void **state)
{
    (void)state;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/secret.key", dir);
    sw_secretbox *sb = sw_secretbox_load(path, err, sizeof err);
    assert_non_null(sb);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, SW_SECRETBOX_KEY_BYTES);
    char *v = sw_secretbox_seal(sb, "s3cret");
    sw_secretbox *again = sw_secretbox_load(path, err, sizeof err);
    assert_non_null(again);
    assert_string_equal(sw_secretbox_key_id(again), sw_secretbox_key_id(sb));
    char *plain;
    assert_int_equal(sw_secretbox_open(again, v, &plain), SW_SECRET_OK);
    assert_string_equal(plain, "s3cret");
    free(plain);
    /* a damaged key file is refused, not replaced */
    FILE *f = fopen(path, "w");
    fputs("short", f);
    fclose(f);
    assert_null(sw_secretbox_load(path, err, sizeof err));
    assert_non_null(strstr(err, "damaged"));
    free(v);
    sw_secretbox_free(sb);
    sw_secretbox_free(again);
    unlink(path);
}

static void test_rotation_keeps_values_readable(void **state)
{
    (void)state;
    char path[128], pending[140], err[256];
    snprintf(path, sizeof path, "%s/rot.key", dir);
    snprintf(pending, sizeof pending, "%s.new", path);
    sw_secretbox *old = sw_secretbox_load(path, err, sizeof err);
    assert_non_null(old);
    char *v_old = sw_secretbox_seal(old, "value-1");
    sw_secretbox *nb = sw_secretbox_rotate_begin(path, old, err, sizeof err);
    assert_non_null(nb);
    assert_string_not_equal(sw_secretbox_key_id(nb), sw_secretbox_key_id(old));
    char *v_new;
    assert_int_equal(sw_secretbox_reseal(nb, v_old, &v_new), 1);
    assert_true(sw_secretbox_is_current(nb, v_new));
    /* stopped after the transaction, before finish: a restart still reads both forms */
    sw_secretbox *mid = sw_secretbox_load(path, err, sizeof err);
    assert_non_null(mid);
    assert_true(sw_secretbox_can_open(mid, v_old));
    assert_true(sw_secretbox_can_open(mid, v_new));
    assert_int_equal(sw_secretbox_rotate_finish(path, err, sizeof err), 0);
    assert_int_equal(access(pending, F_OK), -1);
    sw_secretbox *after = sw_secretbox_load(path, err, sizeof err);
    assert_string_equal(sw_secretbox_key_id(after), sw_secretbox_key_id(nb));
    char *plain;
    assert_int_equal(sw_secretbox_open(after, v_new, &plain), SW_SECRET_OK);
    assert_string_equal(plain, "value-1");
    free(plain);
    assert_false(sw_secretbox_can_open(after, v_old)); /* the old key is gone */
    free(v_old);
    free(v_new);
    sw_secretbox_free(old);
    sw_secretbox_free(nb);
    sw_secretbox_free(mid);
    sw_secretbox_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_open_round_trip),
        cmocka_unit_test(test_wrong_key_tampering_and_clear_values),
        cmocka_unit_test(test_key_file_created_once_0600),
        cmocka_unit_test(test_rotation_keeps_values_readable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
