/* Unit tests for sw_password (argon2id via libsodium). Most tests run with SW_PASSWORD_FAST=1
 * (minimum limits); test_default_limits hashes once with the real interactive limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sw_password.h"

#define PREFIX "$argon2id$"

static int setup_fast(void **state)
{
    return setenv("SW_PASSWORD_FAST", "1", 1);
}

static int teardown_fast(void **state)
{
    return unsetenv("SW_PASSWORD_FAST");
}

static void test_hash_then_verify(void **state)
{
    char h[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("correct horse battery staple", h, sizeof h), 0);
    assert_int_equal(strncmp(h, PREFIX, strlen(PREFIX)), 0);
    assert_true(strlen(h) < SW_PASSWORD_HASH_MAX);
    assert_int_equal(sw_password_verify(h, "correct horse battery staple"), 1);
    /* Minimum limits in fast mode. */
    assert_non_null(strstr(h, "$m=8,t=1,p=1$"));
}

static void test_wrong_password(void **state)
{
    char h[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("hunter2", h, sizeof h), 0);
    assert_int_equal(sw_password_verify(h, "hunter3"), 0);
    assert_int_equal(sw_password_verify(h, "Hunter2"), 0);
    assert_int_equal(sw_password_verify(h, "hunter2 "), 0);
    assert_int_equal(sw_password_verify(h, "hunter"), 0);
    assert_int_equal(sw_password_verify(h, ""), 0);
    assert_int_equal(sw_password_verify(h, NULL), 0);
    assert_int_equal(sw_password_verify(h, "hunter2"), 1);
}

static void test_salted(void **state)
{
    char a[SW_PASSWORD_HASH_MAX], b[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("same password", a, sizeof a), 0);
    assert_int_equal(sw_password_hash("same password", b, sizeof b), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(sw_password_verify(a, "same password"), 1);
    assert_int_equal(sw_password_verify(b, "same password"), 1);
}

static void test_empty_and_unicode_passwords(void **state)
{
    char h[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("", h, sizeof h), 0);
    assert_int_equal(sw_password_verify(h, ""), 1);
    assert_int_equal(sw_password_verify(h, " "), 0);

    const char *pw = "p\xc3\xa4ssw\xc3\xb6rd \xe2\x98\x83";
    assert_int_equal(sw_password_hash(pw, h, sizeof h), 0);
    assert_int_equal(sw_password_verify(h, pw), 1);
    assert_int_equal(sw_password_verify(h, "passw\xc3\xb6rd \xe2\x98\x83"), 0);
}

static void test_malformed_hash(void **state)
{
    char good[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("pw", good, sizeof good), 0);

    assert_int_equal(sw_password_verify(NULL, "pw"), 0);
    assert_int_equal(sw_password_verify(NULL, NULL), 0);
    assert_int_equal(sw_password_verify("", "pw"), 0);
    assert_int_equal(sw_password_verify("", ""), 0);
    assert_int_equal(sw_password_verify("pw", "pw"), 0); /* plaintext "hash" */
    assert_int_equal(sw_password_verify(PREFIX, "pw"), 0);
    assert_int_equal(sw_password_verify("$argon2id$v=19$m=8,t=1,p=1$", "pw"), 0);
    assert_int_equal(
        sw_password_verify("$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012", "pw"), 0);

    /* Truncations of a real hash, and single-character corruptions of it. */
    char buf[SW_PASSWORD_HASH_MAX];
    size_t n = strlen(good);
    for (size_t k = 0; k < n; k++) {
        memcpy(buf, good, k);
        buf[k] = '\0';
        assert_int_equal(sw_password_verify(buf, "pw"), 0);
    }
    for (size_t k = 0; k < n; k++) {
        memcpy(buf, good, n + 1);
        buf[k] = (buf[k] == 'A') ? 'B' : 'A';
        assert_int_equal(sw_password_verify(buf, "pw"), 0);
    }

    /* Not terminated within SW_PASSWORD_HASH_MAX, and way longer than any hash. */
    char *big = malloc(4096);
    assert_non_null(big);
    memset(big, 'a', 4095);
    big[4095] = '\0';
    memcpy(big, good, n); /* a valid hash followed by junk */
    assert_int_equal(sw_password_verify(big, "pw"), 0);
    free(big);

    assert_int_equal(sw_password_verify(good, "pw"), 1);
}

static void test_too_long_password(void **state)
{
    char *pw = malloc(SW_PASSWORD_MAX_LEN + 2);
    assert_non_null(pw);
    memset(pw, 'x', SW_PASSWORD_MAX_LEN + 1);
    pw[SW_PASSWORD_MAX_LEN + 1] = '\0';

    char h[SW_PASSWORD_HASH_MAX];
    memset(h, '?', sizeof h);
    assert_int_equal(sw_password_hash(pw, h, sizeof h), -1);
    assert_string_equal(h, ""); /* out is an empty string on failure */

    /* Exactly SW_PASSWORD_MAX_LEN is accepted. */
    pw[SW_PASSWORD_MAX_LEN] = '\0';
    assert_int_equal(sw_password_hash(pw, h, sizeof h), 0);
    assert_int_equal(sw_password_verify(h, pw), 1);
    /* A longer candidate is refused outright, even though its prefix is the password ... */
    pw[SW_PASSWORD_MAX_LEN] = 'x';
    assert_int_equal(sw_password_verify(h, pw), 0);
    /* ... and even against a hash that really is of that over-long password (made directly
     * with libsodium, since sw_password_hash refuses it). */
    assert_int_equal(crypto_pwhash_str_alg(h, pw, SW_PASSWORD_MAX_LEN + 1,
                                           crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                                           crypto_pwhash_ALG_ARGON2ID13),
                     0);
    assert_int_equal(crypto_pwhash_str_verify(h, pw, SW_PASSWORD_MAX_LEN + 1), 0);
    assert_int_equal(sw_password_verify(h, pw), 0);
    free(pw);
}

static void test_bad_arguments(void **state)
{
    char h[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash(NULL, h, sizeof h), -1);
    assert_int_equal(sw_password_hash("pw", NULL, sizeof h), -1);
    /* The output buffer must hold crypto_pwhash_STRBYTES. */
    memset(h, '?', sizeof h);
    assert_int_equal(sw_password_hash("pw", h, crypto_pwhash_STRBYTES - 1), -1);
    assert_int_equal(h[0], '\0');
    h[0] = '?';
    assert_int_equal(sw_password_hash("pw", h, 0), -1);
    assert_int_equal(h[0], '?'); /* outlen 0: nothing written */
    assert_int_equal(sw_password_hash(NULL, h, sizeof h), -1);
    assert_int_equal(h[0], '\0');
}

static void test_fast_flag_must_be_exactly_1(void **state)
{
    /* Only "1" selects the minimum limits; "0" means the real ones. */
    assert_int_equal(setenv("SW_PASSWORD_FAST", "0", 1), 0);
    char h[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("pw", h, sizeof h), 0);
    assert_null(strstr(h, "$m=8,t=1,p=1$"));
    assert_int_equal(sw_password_verify(h, "pw"), 1);
    assert_int_equal(setenv("SW_PASSWORD_FAST", "1", 1), 0);
}

/* Runs without SW_PASSWORD_FAST: the interactive limits (64 MiB, 2 passes). */
static void test_default_limits(void **state)
{
    assert_null(getenv("SW_PASSWORD_FAST"));
    char h[SW_PASSWORD_HASH_MAX];
    assert_int_equal(sw_password_hash("correct horse", h, sizeof h), 0);
    assert_int_equal(strncmp(h, PREFIX, strlen(PREFIX)), 0);
    assert_non_null(strstr(h, "$m=65536,t=2,p=1$"));
    assert_int_equal(crypto_pwhash_str_needs_rehash(h, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                    crypto_pwhash_MEMLIMIT_INTERACTIVE),
                     0);
    assert_int_equal(sw_password_verify(h, "correct horse"), 1);
    assert_int_equal(sw_password_verify(h, "correct horsE"), 0);
}

int main(void)
{
    const struct CMUnitTest fast[] = {
        cmocka_unit_test(test_hash_then_verify), cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_salted),           cmocka_unit_test(test_empty_and_unicode_passwords),
        cmocka_unit_test(test_malformed_hash),   cmocka_unit_test(test_too_long_password),
        cmocka_unit_test(test_bad_arguments),    cmocka_unit_test(test_fast_flag_must_be_exactly_1),
    };
    const struct CMUnitTest slow[] = {
        cmocka_unit_test(test_default_limits),
    };
    unsetenv("SW_PASSWORD_FAST");
    int failed = cmocka_run_group_tests_name("password_fast", fast, setup_fast, teardown_fast);
    failed += cmocka_run_group_tests_name("password_default", slow, NULL, NULL);
    return failed;
}
