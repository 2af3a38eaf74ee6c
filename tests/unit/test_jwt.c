/* Unit tests for sw_jwt: round trip, tampering, algorithm confusion, time claims, garbage and
 * oversize input, and known-answer tokens from independent implementations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sw_jwt.h"

#define NOW INT64_C(1700000000)

static const uint8_t KEY[SW_JWT_KEY_BYTES] = "0123456789abcdef0123456789abcde";
static const uint8_t OTHER_KEY[SW_JWT_KEY_BYTES] = "0123456789abcdef0123456789abcdX";

/* ---- helpers ---------------------------------------------------------------------------- */

/* assert_non_null that the compiler also knows does not return on NULL (cmocka's _fail is not
 * declared noreturn, which trips gcc's -Wformat-truncation null checks at -O1). */
#define REQUIRE(p)                                                                                 \
    do {                                                                                           \
        assert_non_null(p);                                                                        \
        if (!(p)) abort();                                                                         \
    } while (0)

static sw_jwt_status verify_str(const char *tok, int64_t now, json_t **out)
{
    return sw_jwt_verify(KEY, sizeof KEY, tok, strlen(tok), now, out);
}

/* Appends base64url(no padding) of bin to dst (which must have room). */
static void b64u_append(char *dst, const void *bin, size_t len)
{
    size_t cur = strlen(dst);
    sodium_bin2base64(dst + cur,
                      sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING), bin,
                      len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Builds b64u(header).b64u(payload).<sig> by hand, bypassing sw_jwt_sign, so the tests can
 * forge tokens sw_jwt_sign would never produce. sig_mode: 0 = real HS256 signature with KEY,
 * 1 = empty signature, 2 = the literal string `literal_sig`. Returns a malloc'd string. */
enum { SIG_HS256, SIG_EMPTY, SIG_LITERAL };
static char *forge(const char *header, const char *payload, int sig_mode, const char *literal_sig)
{
    size_t cap =
        4 * (strlen(header) + strlen(payload)) + 256 + (literal_sig ? strlen(literal_sig) : 0);
    char *t = calloc(1, cap);
    REQUIRE(t);
    b64u_append(t, header, strlen(header));
    strcat(t, ".");
    b64u_append(t, payload, strlen(payload));
    size_t signed_len = strlen(t);
    strcat(t, ".");
    if (sig_mode == SIG_HS256) {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256(mac, (const unsigned char *)t, signed_len, KEY);
        b64u_append(t, mac, sizeof mac);
    } else if (sig_mode == SIG_LITERAL) {
        strcat(t, literal_sig);
    }
    return t;
}

/* HS256-signs an arbitrary raw "header.payload" string (already base64url'd by the caller). */
static char *sign_raw(const char *signing_input)
{
    char *t = calloc(1, strlen(signing_input) + 64);
    REQUIRE(t);
    strcpy(t, signing_input);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)t, strlen(t), KEY);
    strcat(t, ".");
    b64u_append(t, mac, sizeof mac);
    return t;
}

static const char *HDR = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static char *sign_claims_str(const char *claims_json)
{
    json_t *c = json_loads(claims_json, 0, NULL);
    assert_non_null(c);
    char *t = sw_jwt_sign(KEY, sizeof KEY, c);
    json_decref(c);
    REQUIRE(t);
    return t;
}

static char *valid_token(void)
{
    return sign_claims_str("{\"sub\":\"u_42\",\"tenant\":\"acme\",\"iat\":1699999000,"
                           "\"exp\":1700003600}");
}

/* ---- round trip ------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    json_t *claims = json_pack("{s:s, s:s, s:I, s:I, s:b}", "sub", "u_42", "tenant", "acme", "iat",
                               (json_int_t)(NOW - 10), "exp", (json_int_t)(NOW + 3600), "admin", 0);
    assert_non_null(claims);
    char *tok = sw_jwt_sign(KEY, sizeof KEY, claims);
    assert_non_null(tok);
    assert_true(strlen(tok) <= SW_JWT_MAX_LEN);
    assert_int_equal(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);

    json_t *out = NULL;
    assert_int_equal(verify_str(tok, NOW, &out), SW_JWT_OK);
    assert_non_null(out);
    assert_true(json_equal(out, claims));
    assert_string_equal(json_string_value(json_object_get(out, "sub")), "u_42");
    json_decref(out);

    /* claims_out may be NULL. */
    assert_int_equal(verify_str(tok, NOW, NULL), SW_JWT_OK);

    /* Signing is deterministic. */
    char *tok2 = sw_jwt_sign(KEY, sizeof KEY, claims);
    assert_string_equal(tok, tok2);
    free(tok2);
    free(tok);
    json_decref(claims);
}

static void test_round_trip_key_lengths(void **state)
{
    /* HMAC accepts any key length: 1 byte, block size (64) and longer than a block (100,
     * which HMAC hashes first). */
    uint8_t key[101];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 2 + 1); /* odd, never zero */
    const size_t lens[] = {1, 31, 64, 65, 100};
    json_t *claims = json_pack("{s:I}", "exp", (json_int_t)(NOW + 1));
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *tok = sw_jwt_sign(key, lens[i], claims);
        assert_non_null(tok);
        assert_int_equal(sw_jwt_verify(key, lens[i], tok, strlen(tok), NOW, NULL), SW_JWT_OK);
        /* One byte more is a different key (no key byte here is zero; HMAC zero-pads short
         * keys, so K and K||0x00 would be the same key). */
        assert_int_equal(sw_jwt_verify(key, lens[i] + 1, tok, strlen(tok), NOW, NULL),
                         SW_JWT_BAD_SIG);
        free(tok);
    }
    json_decref(claims);
}

static void test_unicode_claims(void **state)
{
    char *tok =
        sign_claims_str("{\"name\":\"J\\u00f6rg \\u2603 \\ud83d\\ude00\",\"exp\":1700000001}");
    json_t *out = NULL;
    assert_int_equal(verify_str(tok, NOW, &out), SW_JWT_OK);
    assert_string_equal(json_string_value(json_object_get(out, "name")),
                        "J\xc3\xb6rg \xe2\x98\x83 \xf0\x9f\x98\x80");
    json_decref(out);
    free(tok);
}

/* ---- tampering -------------------------------------------------------------------------- */

static void test_tampered_payload(void **state)
{
    char *a = valid_token();
    char *b = sign_claims_str("{\"sub\":\"admin\",\"tenant\":\"acme\",\"iat\":1699999000,"
                              "\"exp\":1700003600}");
    /* Splice b's payload between a's header and a's signature. */
    char *a1 = strchr(a, '.'), *a2 = strrchr(a, '.');
    char *b1 = strchr(b, '.'), *b2 = strrchr(b, '.');
    char spliced[SW_JWT_MAX_LEN];
    snprintf(spliced, sizeof spliced, "%.*s%.*s%s", (int)(a1 - a), a, (int)(b2 - b1), b1, a2);
    assert_int_equal(verify_str(spliced, NOW, NULL), SW_JWT_BAD_SIG);

    /* Flip one character in the middle of the payload (stays valid base64url). The payload
     * may no longer even be JSON: the signature is checked first, so it is BAD_SIG. */
    char *t = strdup(a);
    char *p = strchr(t, '.') + 5;
    *p = (*p == 'A') ? 'B' : 'A';
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_BAD_SIG);
    free(t);
    free(a);
    free(b);
}

static void test_tampered_header(void **state)
{
    char *a = valid_token();
    /* An equivalent but different header ({"typ":"JWT","alg":"HS256"}): still HS256, but the
     * signature covers the header bytes, so it must fail. */
    char t[SW_JWT_MAX_LEN] = "";
    b64u_append(t, "{\"typ\":\"JWT\",\"alg\":\"HS256\"}", 27);
    strcat(t, strchr(a, '.'));
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_BAD_SIG);
    free(a);
}

static void test_tampered_signature(void **state)
{
    char *a = valid_token();
    char *sig = strrchr(a, '.') + 1;
    assert_int_equal(strlen(sig), 43);

    char *t = strdup(a);
    char *s = strrchr(t, '.') + 1;
    s[0] = (s[0] == 'A') ? 'B' : 'A';
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_BAD_SIG);
    free(t);

    /* Signatures of the wrong length, validly encoded, built from the real MAC: its prefix
     * (1, 31 bytes), or the real MAC followed by extra bytes (33, 64). Only exactly the 32
     * MAC bytes are acceptable. */
    unsigned char mac[64] = {0};
    size_t maclen = 0;
    assert_int_equal(sodium_base642bin(mac, sizeof mac, sig, strlen(sig), NULL, &maclen, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(maclen, 32);
    const size_t lens[] = {1, 31, 33, 64};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char buf[SW_JWT_MAX_LEN];
        snprintf(buf, sizeof buf, "%.*s", (int)(sig - a), a);
        b64u_append(buf, mac, lens[i]);
        assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_BAD_SIG);
    }

    /* The signature part must be valid base64url: '=' padding, '+', '/' and spaces refused. */
    const char *bad_tails[] = {"=", "==", "+", "/", " ", "\n", "!"};
    for (size_t i = 0; i < sizeof bad_tails / sizeof bad_tails[0]; i++) {
        char buf[SW_JWT_MAX_LEN];
        snprintf(buf, sizeof buf, "%s%s", a, bad_tails[i]);
        assert_int_not_equal(verify_str(buf, NOW, NULL), SW_JWT_OK);
    }
    char buf[SW_JWT_MAX_LEN];
    snprintf(buf, sizeof buf, "%s", a);
    char *s2 = strrchr(buf, '.') + 1;
    s2[10] = '+'; /* standard-alphabet character in base64url */
    assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_MALFORMED);
    free(a);
}

static void test_wrong_key(void **state)
{
    char *a = valid_token();
    assert_int_equal(sw_jwt_verify(OTHER_KEY, sizeof OTHER_KEY, a, strlen(a), NOW, NULL),
                     SW_JWT_BAD_SIG);
    /* No key at all can verify nothing, and signing without a key is refused. */
    assert_int_equal(sw_jwt_verify(NULL, 0, a, strlen(a), NOW, NULL), SW_JWT_BAD_SIG);
    assert_int_equal(sw_jwt_verify(KEY, 0, a, strlen(a), NOW, NULL), SW_JWT_BAD_SIG);
    /* Not even a token really signed with the empty key (a misconfigured, unset secret). */
    char t[512] = "";
    b64u_append(t, HDR, strlen(HDR));
    strcat(t, ".");
    b64u_append(t, "{\"exp\":1700003600}", 18);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, KEY, 0); /* zero-length key */
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, strlen(t));
    crypto_auth_hmacsha256_final(&st, mac);
    strcat(t, ".");
    b64u_append(t, mac, sizeof mac);
    assert_int_equal(sw_jwt_verify(NULL, 0, t, strlen(t), NOW, NULL), SW_JWT_BAD_SIG);
    assert_int_equal(sw_jwt_verify(KEY, 0, t, strlen(t), NOW, NULL), SW_JWT_BAD_SIG);
    json_t *c = json_pack("{s:I}", "exp", (json_int_t)(NOW + 1));
    assert_null(sw_jwt_sign(NULL, 32, c));
    assert_null(sw_jwt_sign(KEY, 0, c));
    json_decref(c);
    free(a);
}

/* ---- algorithm confusion ---------------------------------------------------------------- */

static void test_alg_none(void **state)
{
    const char *payload = "{\"sub\":\"admin\",\"exp\":1700003600}";
    const char *hdrs[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"none\"}",
                          "{\"alg\":\"None\"}", "{\"alg\":\"NONE\"}"};
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        /* Classic unsigned token: "h.p." -- the empty signature part is itself malformed. */
        char *t = forge(hdrs[i], payload, SIG_EMPTY, NULL);
        assert_int_equal(t[strlen(t) - 1], '.');
        json_t *out = (json_t *)0x1;
        assert_int_equal(verify_str(t, NOW, &out), SW_JWT_MALFORMED);
        assert_ptr_equal(out, (json_t *)0x1); /* untouched on failure */
        free(t);
        /* With a non-empty junk signature, and even with a correct HS256 signature. */
        t = forge(hdrs[i], payload, SIG_LITERAL, "c2lnbmF0dXJl");
        assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_BAD_ALG);
        free(t);
        t = forge(hdrs[i], payload, SIG_HS256, NULL);
        assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_BAD_ALG);
        free(t);
    }
}

static void test_alg_other(void **state)
{
    const char *payload = "{\"sub\":\"admin\",\"exp\":1700003600}";
    /* All carry a correct HS256 signature: only the header's claim is wrong. */
    const char *hdrs[] = {
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS384\"}",
        "{\"alg\":\"ES256\"}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}",
        "{\"alg\":\"\"}",
        "{\"alg\":null}",
        "{\"alg\":256}",
        "{\"alg\":[\"HS256\"]}",
        "{\"typ\":\"JWT\"}", /* missing alg */
        "{}",
    };
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        char *t = forge(hdrs[i], payload, SIG_HS256, NULL);
        assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_BAD_ALG);
        free(t);
    }
}

static void test_header_other(void **state)
{
    const char *payload = "{\"exp\":1700003600}";
    struct {
        const char *hdr;
        sw_jwt_status want;
    } cases[] = {
        /* Accepted: other key order, no typ, extra harmless parameters. */
        {"{\"typ\":\"JWT\",\"alg\":\"HS256\"}", SW_JWT_OK},
        {"{\"alg\":\"HS256\"}", SW_JWT_OK},
        {"{\"alg\":\"HS256\",\"kid\":\"k1\"}", SW_JWT_OK},
        {" { \"alg\" : \"HS256\" } ", SW_JWT_OK},
        /* Refused. */
        {"{\"alg\":\"HS256\",\"typ\":\"JWS\"}", SW_JWT_MALFORMED},
        {"{\"alg\":\"HS256\",\"typ\":null}", SW_JWT_MALFORMED},
        {"{\"alg\":\"HS256\",\"typ\":1}", SW_JWT_MALFORMED},
        {"{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", SW_JWT_MALFORMED},
        {"{\"alg\":\"none\",\"alg\":\"HS256\"}", SW_JWT_MALFORMED}, /* duplicate key */
        {"{\"alg\":\"HS256\",\"alg\":\"HS256\"}", SW_JWT_MALFORMED},
        {"[\"HS256\"]", SW_JWT_MALFORMED},
        {"\"HS256\"", SW_JWT_MALFORMED},
        {"{\"alg\":\"HS256\"", SW_JWT_MALFORMED},
        {"{\"alg\":\"HS256\"}x", SW_JWT_MALFORMED},
        {"not json", SW_JWT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = forge(cases[i].hdr, payload, SIG_HS256, NULL);
        sw_jwt_status st = verify_str(t, NOW, NULL);
        if (st != cases[i].want)
            fail_msg("header %s: got %d want %d", cases[i].hdr, st, cases[i].want);
        free(t);
    }
}

/* ---- time claims and payload validation --------------------------------------------------- */

static void test_expired(void **state)
{
    char *t = sign_claims_str("{\"exp\":1700000000}");
    assert_int_equal(verify_str(t, NOW - 1, NULL), SW_JWT_OK);
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_EXPIRED); /* now >= exp */
    assert_int_equal(verify_str(t, NOW + 1, NULL), SW_JWT_EXPIRED);
    assert_int_equal(verify_str(t, INT64_MAX, NULL), SW_JWT_EXPIRED);
    free(t);
    t = sign_claims_str("{\"exp\":-5}");
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_EXPIRED);
    assert_int_equal(verify_str(t, -6, NULL), SW_JWT_OK);
    free(t);
}

static void test_nbf(void **state)
{
    char *t = sign_claims_str("{\"nbf\":1700000100,\"exp\":1700003600}");
    json_t *out = (json_t *)0x1;
    assert_int_equal(verify_str(t, NOW, &out), SW_JWT_NOT_YET);
    assert_ptr_equal(out, (json_t *)0x1);
    assert_int_equal(verify_str(t, NOW + 99, NULL), SW_JWT_NOT_YET);
    assert_int_equal(verify_str(t, NOW + 100, NULL), SW_JWT_OK); /* now == nbf is fine */
    assert_int_equal(verify_str(t, NOW + 3600, NULL), SW_JWT_EXPIRED);
    free(t);

    /* nbf, if present, must be an integer. */
    const char *bad[] = {"{\"nbf\":\"1\",\"exp\":1700003600}", "{\"nbf\":1.5,\"exp\":1700003600}",
                         "{\"nbf\":null,\"exp\":1700003600}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = sign_claims_str(bad[i]);
        assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_MALFORMED);
        free(t);
    }
}

static void test_missing_or_bad_exp(void **state)
{
    const char *bad[] = {
        "{}",
        "{\"sub\":\"a\"}",
        "{\"EXP\":1700003600}",
        "{\"exp\":\"1700003600\"}",
        "{\"exp\":1700003600.0}",
        "{\"exp\":1.7e9}",
        "{\"exp\":null}",
        "{\"exp\":true}",
        "{\"exp\":[1700003600]}",
        "{\"exp\":{}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = sign_claims_str(bad[i]);
        json_t *out = (json_t *)0x1;
        sw_jwt_status st = verify_str(t, NOW, &out);
        if (st != SW_JWT_MALFORMED) fail_msg("claims %s: got %d", bad[i], st);
        assert_ptr_equal(out, (json_t *)0x1);
        free(t);
    }
}

static void test_bad_payload_correctly_signed(void **state)
{
    /* Payloads sw_jwt_sign cannot produce, carrying a valid signature: still refused. */
    const char *bad[] = {
        "[{\"exp\":1700003600}]",
        "\"exp\"",
        "1700003600",
        "{\"exp\":1700003600,\"exp\":1}", /* duplicates */
        "{\"exp\":1,\"exp\":1700003600}",
        "{\"exp\":1700003600",
        "{\"exp\":1700003600} {}",
        "{\"exp\":99999999999999999999999}",
        "{\"exp\":1700003600,\"s\":\"\\u0000\"}",
        "{\"exp\":1700003600,\"s\":\"\xff\"}", /* invalid UTF-8 */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = forge(HDR, bad[i], SIG_HS256, NULL);
        sw_jwt_status st = verify_str(t, NOW, NULL);
        if (st != SW_JWT_MALFORMED) fail_msg("payload %s: got %d", bad[i], st);
        free(t);
    }
}

/* ---- garbage, padding, size limits ------------------------------------------------------ */

static void test_garbage(void **state)
{
    const char *bad[] = {"",
                         ".",
                         "..",
                         "...",
                         "a",
                         "a.b",
                         "a.b.c",
                         "a..c",
                         ".b.c",
                         "a.b.",
                         "abc.def",
                         "a.b.c.d",
                         "\x01",
                         "\xff.\xff.\xff",
                         "eyJ.eyJ.eyJ",
                         "====.====.===="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *out = (json_t *)0x1;
        sw_jwt_status st = verify_str(bad[i], NOW, &out);
        if (st == SW_JWT_OK) fail_msg("garbage %zu accepted", i);
        assert_ptr_equal(out, (json_t *)0x1);
    }
    assert_int_equal(verify_str("", NOW, NULL), SW_JWT_MALFORMED);
    assert_int_equal(verify_str(".", NOW, NULL), SW_JWT_MALFORMED);
    assert_int_equal(verify_str("..", NOW, NULL), SW_JWT_MALFORMED);
    assert_int_equal(verify_str("a.b", NOW, NULL), SW_JWT_MALFORMED);
    assert_int_equal(verify_str("a.b.c", NOW, NULL), SW_JWT_MALFORMED);
    assert_int_equal(sw_jwt_verify(KEY, sizeof KEY, NULL, 0, NOW, NULL), SW_JWT_MALFORMED);
    assert_int_equal(sw_jwt_verify(KEY, sizeof KEY, NULL, 10, NOW, NULL), SW_JWT_MALFORMED);
}

static void test_part_count(void **state)
{
    char *a = valid_token();
    const char *d1 = strchr(a, '.'), *d2 = strrchr(a, '.');
    REQUIRE(d1);
    REQUIRE(d2);
    int hlen = (int)(d1 - a), hplen = (int)(d2 - a);
    char buf[SW_JWT_MAX_LEN];

    /* Two parts: header.payload. */
    snprintf(buf, sizeof buf, "%.*s", hplen, a);
    assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_MALFORMED);
    /* Four parts, in several shapes. */
    snprintf(buf, sizeof buf, "%s%s", a, d2);
    assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%s%c", a, '.');
    assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%c%s", '.', a);
    assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%.*s%s", hlen + 1, a, a);
    assert_int_equal(verify_str(buf, NOW, NULL), SW_JWT_MALFORMED);
    /* Surrounding whitespace is not part of base64url ("Bearer " is the caller's job). */
    snprintf(buf, sizeof buf, "%c%s", ' ', a);
    assert_int_not_equal(verify_str(buf, NOW, NULL), SW_JWT_OK);
    snprintf(buf, sizeof buf, "%s%c", a, '\n');
    assert_int_not_equal(verify_str(buf, NOW, NULL), SW_JWT_OK);
    free(a);
}

static void test_padding_rejected(void **state)
{
    /* Payload of a length that standard base64 pads; sign the padded form correctly so that
     * only the padding itself can be the reason for refusal. */
    const char *payload = "{\"exp\":1700003600,\"x\":12}"; /* 25 bytes -> "==" */
    assert_int_equal(strlen(payload) % 3, 1);
    char in[512] = "";
    b64u_append(in, HDR, strlen(HDR));
    strcat(in, ".");
    b64u_append(in, payload, strlen(payload));
    char *unpadded = sign_raw(in);
    assert_int_equal(verify_str(unpadded, NOW, NULL), SW_JWT_OK);
    free(unpadded);

    strcat(in, "==");
    char *padded = sign_raw(in);
    assert_int_equal(verify_str(padded, NOW, NULL), SW_JWT_MALFORMED);
    free(padded);

    /* Padded header (HDR is 27 bytes, so it has none: use a 28-byte header). */
    const char *hdr28 = "{\"alg\":\"HS256\",\"typ\":\"JWT\" }";
    assert_int_equal(strlen(hdr28), 28);
    char in2[512] = "";
    b64u_append(in2, hdr28, strlen(hdr28));
    strcat(in2, "==.");
    b64u_append(in2, payload, strlen(payload));
    padded = sign_raw(in2);
    assert_int_equal(verify_str(padded, NOW, NULL), SW_JWT_MALFORMED);
    free(padded);

    /* Non-canonical trailing bits: the payload's last character encodes 4 bits that must be
     * zero ('Q' and 'R' both decode to the same byte). A decoder that accepts the variant makes
     * the token malleable; it is signed correctly so only the encoding can be at fault. */
    char in3[512] = "";
    b64u_append(in3, HDR, strlen(HDR));
    strcat(in3, ".");
    b64u_append(in3, payload, strlen(payload));
    char *last = in3 + strlen(in3) - 1;
    assert_non_null(strchr("AQgw", *last)); /* canonical: low 4 bits zero */
    *last = (char)(*last + 1);              /* A->B, Q->R, g->h, w->x */
    char *nc = sign_raw(in3);
    assert_int_equal(verify_str(nc, NOW, NULL), SW_JWT_MALFORMED);
    free(nc);
}

static void test_oversize(void **state)
{
    /* A 10 KB token shaped like a real one, correctly signed: refused before any work. */
    size_t n = 10 * 1024;
    char *big = malloc(n + 128);
    assert_non_null(big);
    big[0] = '\0';
    strcat(big, "{\"exp\":1700003600,\"pad\":\"");
    size_t cur = strlen(big);
    memset(big + cur, 'x', n);
    strcpy(big + cur + n, "\"}");
    char *t = forge(HDR, big, SIG_HS256, NULL);
    assert_true(strlen(t) > SW_JWT_MAX_LEN);
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_MALFORMED);
    free(t);

    /* Over the limit although every part would decode into a buffer of SW_JWT_MAX_LEN: a
     * ~3 KB header (long "kid") plus a ~6 KB payload, correctly signed. */
    char *hdr = malloc(4096), *pl = malloc(8192);
    REQUIRE(hdr);
    REQUIRE(pl);
    snprintf(hdr, 4096, "{\"alg\":\"HS256\",\"kid\":\"%03000d\"}", 0);
    snprintf(pl, 8192, "{\"exp\":1700003600,\"pad\":\"%04500d\"}", 0);
    t = forge(hdr, pl, SIG_HS256, NULL);
    assert_true(strlen(t) > SW_JWT_MAX_LEN);
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_MALFORMED);
    free(t);
    /* ... while the same shape just under the limit verifies. */
    snprintf(pl, 8192, "{\"exp\":1700003600,\"pad\":\"%03000d\"}", 0);
    t = forge(hdr, pl, SIG_HS256, NULL);
    assert_true(strlen(t) <= SW_JWT_MAX_LEN);
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_OK);
    free(t);
    free(hdr);
    free(pl);

    /* sw_jwt_sign refuses to produce a token verify would refuse. */
    json_t *c = json_pack("{s:I, s:s}", "exp", (json_int_t)(NOW + 1), "pad", big + cur);
    assert_non_null(c);
    assert_null(sw_jwt_sign(KEY, sizeof KEY, c));
    json_decref(c);

    /* Find the largest padding that still signs: its token fits and verifies; one byte more
     * does not sign. */
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        big[cur + mid] = '\0';
        c = json_pack("{s:I, s:s}", "exp", (json_int_t)(NOW + 1), "pad", big + cur);
        big[cur + mid] = 'x';
        char *tt = sw_jwt_sign(KEY, sizeof KEY, c);
        json_decref(c);
        if (tt) {
            assert_true(strlen(tt) <= SW_JWT_MAX_LEN);
            assert_int_equal(verify_str(tt, NOW, NULL), SW_JWT_OK);
            free(tt);
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    assert_true(lo > SW_JWT_MAX_LEN / 2);
    big[cur + lo] = '\0';
    c = json_pack("{s:I, s:s}", "exp", (json_int_t)(NOW + 1), "pad", big + cur);
    t = sw_jwt_sign(KEY, sizeof KEY, c);
    assert_non_null(t);
    assert_true(strlen(t) > SW_JWT_MAX_LEN - 4); /* a token near the limit is accepted */
    assert_int_equal(verify_str(t, NOW, NULL), SW_JWT_OK);
    free(t);
    json_decref(c);
    free(big);
}

static void test_not_nul_terminated(void **state)
{
    char *a = valid_token();
    size_t len = strlen(a);
    /* Exactly len bytes on the heap, no terminator: ASan catches any read past the end. */
    char *exact = malloc(len);
    assert_non_null(exact);
    memcpy(exact, a, len);
    json_t *out = NULL;
    assert_int_equal(sw_jwt_verify(KEY, sizeof KEY, exact, len, NOW, &out), SW_JWT_OK);
    json_decref(out);
    /* Every strict prefix is refused, also read without a terminator. */
    for (size_t k = 0; k < len; k++)
        assert_int_not_equal(sw_jwt_verify(KEY, sizeof KEY, exact, k, NOW, NULL), SW_JWT_OK);
    free(exact);

    /* len, not NUL, delimits the token: trailing bytes beyond len are ignored ... */
    char buf[SW_JWT_MAX_LEN];
    snprintf(buf, sizeof buf, "%sGARBAGE", a);
    assert_int_equal(sw_jwt_verify(KEY, sizeof KEY, buf, len, NOW, NULL), SW_JWT_OK);
    /* ... and an embedded NUL inside len is just an illegal character. */
    memcpy(buf, a, len + 1);
    buf[len - 3] = '\0';
    assert_int_equal(sw_jwt_verify(KEY, sizeof KEY, buf, len, NOW, NULL), SW_JWT_MALFORMED);
    free(a);
}

static void test_sign_rejects_non_object(void **state)
{
    json_t *arr = json_array();
    json_t *str = json_string("x");
    assert_null(sw_jwt_sign(KEY, sizeof KEY, arr));
    assert_null(sw_jwt_sign(KEY, sizeof KEY, str));
    assert_null(sw_jwt_sign(KEY, sizeof KEY, NULL));
    json_decref(arr);
    json_decref(str);
}

/* ---- known answers from independent implementations ------------------------------------- */

/* Produced with Python 3's standard library only (no JWT library), on this machine:
 *
 *   import hmac, hashlib, base64, json
 *   b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
 *   key = b"scaiwave known-answer test key, 40 bytes"
 *   hdr = json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode()
 *   pl = json.dumps({"sub": "alice", "tenant": "acme", "iat": 1700000000, "exp": 4102444800},
 *                   separators=(",", ":")).encode()
 *   si = b64u(hdr) + "." + b64u(pl)
 *   print(si + "." + b64u(hmac.new(key, si.encode(), hashlib.sha256).digest()))
 *
 * The claims are serialised compactly in insertion order, exactly as sw_jwt_sign does, so
 * signing the same claims must reproduce the token byte for byte. The 40-byte key also checks
 * that keys other than SW_JWT_KEY_BYTES long are used as-is. */
static const char PY_KEY[] = "scaiwave known-answer test key, 40 bytes";
static const char PY_TOKEN[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFjbWUiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMH0"
    ".w7uU0ze2ZsnL6KlcfXfbu7BFAsyWQTOCJPVHwS2GDsk";

static void test_known_answer_python(void **state)
{
    const uint8_t *key = (const uint8_t *)PY_KEY;
    size_t keylen = sizeof PY_KEY - 1;
    assert_int_equal(keylen, 40);

    json_t *out = NULL;
    assert_int_equal(sw_jwt_verify(key, keylen, PY_TOKEN, strlen(PY_TOKEN), NOW, &out), SW_JWT_OK);
    assert_string_equal(json_string_value(json_object_get(out, "sub")), "alice");
    assert_string_equal(json_string_value(json_object_get(out, "tenant")), "acme");
    assert_int_equal(json_integer_value(json_object_get(out, "iat")), 1700000000);
    assert_int_equal(json_integer_value(json_object_get(out, "exp")), INT64_C(4102444800));
    json_decref(out);
    assert_int_equal(
        sw_jwt_verify(key, keylen, PY_TOKEN, strlen(PY_TOKEN), INT64_C(4102444800), NULL),
        SW_JWT_EXPIRED);
    assert_int_equal(sw_jwt_verify(key, keylen - 1, PY_TOKEN, strlen(PY_TOKEN), NOW, NULL),
                     SW_JWT_BAD_SIG);

    json_t *claims = json_pack("{s:s, s:s, s:I, s:I}", "sub", "alice", "tenant", "acme", "iat",
                               (json_int_t)1700000000, "exp", (json_int_t)INT64_C(4102444800));
    char *tok = sw_jwt_sign(key, keylen, claims);
    assert_non_null(tok);
    assert_string_equal(tok, PY_TOKEN);
    free(tok);
    json_decref(claims);
}

/* RFC 7515 appendix A.1 (JWS using HMAC SHA-256), copied from the RFC: a header with the
 * other key order and CRLF whitespace, a 64-byte key given as a JWK "k" value, exp 1300819380.
 * (Re-checked with the same Python one-liner's hmac/base64 before pasting.) */
static const char RFC_TOKEN[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0"
    "cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char RFC_JWK_K[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

static void test_known_answer_rfc7515(void **state)
{
    uint8_t key[64];
    size_t keylen = 0;
    assert_int_equal(sodium_base642bin(key, sizeof key, RFC_JWK_K, strlen(RFC_JWK_K), NULL, &keylen,
                                       NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(keylen, 64);

    json_t *out = NULL;
    assert_int_equal(
        sw_jwt_verify(key, keylen, RFC_TOKEN, strlen(RFC_TOKEN), INT64_C(1300819379), &out),
        SW_JWT_OK);
    assert_string_equal(json_string_value(json_object_get(out, "iss")), "joe");
    assert_true(json_is_true(json_object_get(out, "http://example.com/is_root")));
    json_decref(out);
    assert_int_equal(
        sw_jwt_verify(key, keylen, RFC_TOKEN, strlen(RFC_TOKEN), INT64_C(1300819380), NULL),
        SW_JWT_EXPIRED);
    key[0] ^= 1;
    assert_int_equal(
        sw_jwt_verify(key, keylen, RFC_TOKEN, strlen(RFC_TOKEN), INT64_C(1300819379), NULL),
        SW_JWT_BAD_SIG);
}

static void test_strerror(void **state)
{
    const sw_jwt_status all[] = {SW_JWT_OK,      SW_JWT_MALFORMED, SW_JWT_BAD_ALG,
                                 SW_JWT_BAD_SIG, SW_JWT_EXPIRED,   SW_JWT_NOT_YET};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *s = sw_jwt_strerror(all[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, sw_jwt_strerror(all[j]));
    }
    assert_string_equal(sw_jwt_strerror(SW_JWT_EXPIRED), "token expired");
    assert_non_null(sw_jwt_strerror((sw_jwt_status)42));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_key_lengths),
        cmocka_unit_test(test_unicode_claims),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_tampered_header),
        cmocka_unit_test(test_tampered_signature),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_alg_other),
        cmocka_unit_test(test_header_other),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_nbf),
        cmocka_unit_test(test_missing_or_bad_exp),
        cmocka_unit_test(test_bad_payload_correctly_signed),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_part_count),
        cmocka_unit_test(test_padding_rejected),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_sign_rejects_non_object),
        cmocka_unit_test(test_known_answer_python),
        cmocka_unit_test(test_known_answer_rfc7515),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
