/* libFuzzer target for sw_jwt.
 *  1. The input as a token: sw_jwt_verify must not crash, leak or read out of bounds, and may
 *     only succeed for a token signed with our key (the fuzzer cannot forge HMACs, so success
 *     is checked to be consistent: the claims must carry an integer exp > NOW).
 *  2. The input as JSON: if it parses as an object, sign it and verify the token. The outcome
 *     must be exactly what the claims dictate (exp/nbf rules), the claims must come back
 *     equal, and any other key must get SW_JWT_BAD_SIG.
 * Build: clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc src/auth/sw_jwt.c \
 *        tests/fuzz/fuzz_jwt.c $(pkg-config --cflags --libs jansson libsodium) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/sw_jwt.h"

#define NOW INT64_C(1700000000)

static const uint8_t KEY[SW_JWT_KEY_BYTES] = "fuzz-key-0123456789abcdef-fuzz!";
static const uint8_t OTHER_KEY[SW_JWT_KEY_BYTES] = "fuzz-key-0123456789abcdef-fuzz?";

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

/* What sw_jwt_verify must say about a correctly signed token carrying `claims`. */
static sw_jwt_status expected_status(const json_t *claims, int64_t now)
{
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *nbf = json_object_get(claims, "nbf");
    if (!json_is_integer(exp) || (nbf && !json_is_integer(nbf))) return SW_JWT_MALFORMED;
    if (now >= (int64_t)json_integer_value(exp)) return SW_JWT_EXPIRED;
    if (nbf && now < (int64_t)json_integer_value(nbf)) return SW_JWT_NOT_YET;
    return SW_JWT_OK;
}

static void round_trip(const json_t *claims)
{
    char *tok = sw_jwt_sign(KEY, sizeof KEY, claims);
    if (!tok) return; /* too large to fit SW_JWT_MAX_LEN (or OOM) */
    size_t len = strlen(tok);
    CHECK(len > 0 && len <= SW_JWT_MAX_LEN);

    json_t *out = NULL;
    sw_jwt_status want = expected_status(claims, NOW);
    sw_jwt_status got = sw_jwt_verify(KEY, sizeof KEY, tok, len, NOW, &out);
    CHECK(got == want);
    if (got == SW_JWT_OK) {
        CHECK(out != NULL && json_equal(out, claims));
        json_decref(out);
    } else {
        CHECK(out == NULL);
    }
    CHECK(sw_jwt_verify(OTHER_KEY, sizeof OTHER_KEY, tok, len, NOW, NULL) == SW_JWT_BAD_SIG);
    /* Dropping the last signature character must never verify. */
    CHECK(sw_jwt_verify(KEY, sizeof KEY, tok, len - 1, NOW, NULL) != SW_JWT_OK);
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 1. As a token; data is not NUL-terminated and is used with its exact length. */
    json_t *claims = NULL;
    sw_jwt_status st = sw_jwt_verify(KEY, sizeof KEY, (const char *)data, size, NOW, &claims);
    if (st == SW_JWT_OK) {
        CHECK(claims != NULL && json_is_object(claims));
        CHECK(expected_status(claims, NOW) == SW_JWT_OK);
        json_decref(claims);
    } else {
        CHECK(claims == NULL);
        CHECK(st >= SW_JWT_NOT_YET && st <= SW_JWT_MALFORMED);
    }

    /* 2. As JSON claims (jansson validates UTF-8 and rejects \u0000). */
    json_t *obj = json_loadb((const char *)data, size, 0, NULL);
    if (obj) {
        if (json_is_object(obj)) round_trip(obj);
        json_decref(obj);
    }
    return 0;
}
