/* sw_jwt: HS256 JSON Web Tokens on libsodium (HMAC-SHA256, base64url, constant-time compare)
 * and jansson (JSON). See sw_jwt.h for the contract.
 *
 * Verification order (each step only runs if the previous one passed):
 *   1. shape: 1..SW_JWT_MAX_LEN bytes, exactly two '.', three non-empty parts   -> MALFORMED
 *   2. header: base64url, JSON object without duplicate keys                     -> MALFORMED
 *      alg exactly "HS256"                                                       -> BAD_ALG
 *      typ (if present) exactly "JWT", no "crit" (we implement no extensions)    -> MALFORMED
 *   3. signature: base64url                                                      -> MALFORMED
 *      exactly 32 bytes and equal (constant time) to HMAC(key, "header.payload") -> BAD_SIG
 *   4. payload (only now trusted): base64url, JSON object without duplicates,
 *      integer exp, nbf absent or integer                                        -> MALFORMED
 *   5. now >= exp -> EXPIRED; now < nbf -> NOT_YET.
 * base64url is strict: no '=' padding, no characters outside [A-Za-z0-9_-], no non-zero
 * trailing bits (libsodium enforces all three).
 *
 * Hot path cost: the header we emit is matched byte-for-byte against a constant, so a token we
 * signed costs one HMAC, two short base64 decodes and one jansson parse of the payload. All
 * scratch memory is on the stack; the only allocations are jansson's for the claims. */
#include "auth/sw_jwt.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAC_BYTES crypto_auth_hmacsha256_BYTES /* 32 */
/* base64url (no padding) length of a MAC: ceil(32 * 4 / 3) = 43. */
#define MAC_B64_LEN (sodium_base64_ENCODED_LEN(MAC_BYTES, B64_VARIANT) - 1)

/* base64url of the exact header we sign with, {"alg":"HS256","typ":"JWT"}, precomputed (it is
 * what sodium_bin2base64 yields) so signing needs no header work and verifying a token we
 * issued can skip decoding and parsing it. test_jwt's known-answer test pins it: our token
 * must equal one built independently with Python. */
static const char k_header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
#define HEADER_B64_LEN (sizeof k_header_b64 - 1)

/* mac = HMAC-SHA256(key, msg). Keys of any length (longer than the block are hashed first). */
static void hs256(const uint8_t *key, size_t keylen, const char *msg, size_t len,
                  unsigned char mac[MAC_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st); /* the state holds key-derived pads */
}

/* Strict base64url decode of in[0..inlen) into out (capacity outmax). 0 on success. */
static int b64u_decode(unsigned char *out, size_t outmax, const char *in, size_t inlen,
                       size_t *outlen)
{
    return sodium_base642bin(out, outmax, in, inlen, NULL, outlen, NULL, B64_VARIANT) == 0 ? 0 : -1;
}

/* True if j is a string whose bytes are exactly lit (no embedded NUL tricks). */
static int json_str_is(const json_t *j, const char *lit)
{
    size_t n = strlen(lit);
    return json_is_string(j) && json_string_length(j) == n &&
           memcmp(json_string_value(j), lit, n) == 0;
}

/* Decodes a JSON object from a base64url part; NULL if either layer is invalid. */
static json_t *decode_object(unsigned char *scratch, size_t scratchlen, const char *part,
                             size_t partlen)
{
    size_t n;
    if (b64u_decode(scratch, scratchlen, part, partlen, &n) != 0) return NULL;
    json_t *j = json_loadb((const char *)scratch, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static sw_jwt_status check_header(unsigned char *scratch, size_t scratchlen, const char *part,
                                  size_t partlen)
{
    if (partlen == HEADER_B64_LEN && memcmp(part, k_header_b64, HEADER_B64_LEN) == 0)
        return SW_JWT_OK; /* our own header: known good, skip decode + parse */

    json_t *h = decode_object(scratch, scratchlen, part, partlen);
    if (!h) return SW_JWT_MALFORMED;
    sw_jwt_status st = SW_JWT_OK;
    const json_t *typ = json_object_get(h, "typ");
    if (!json_str_is(json_object_get(h, "alg"), "HS256"))
        st = SW_JWT_BAD_ALG;
    else if (typ && !json_str_is(typ, "JWT"))
        st = SW_JWT_MALFORMED;
    else if (json_object_get(h, "crit")) /* RFC 7515 4.1.11: must reject unknown extensions */
        st = SW_JWT_MALFORMED;
    json_decref(h);
    return st;
}

char *sw_jwt_sign(const uint8_t *key, size_t keylen, const json_t *claims)
{
    if (!key || keylen == 0 || !json_is_object(claims)) return NULL;
    if (sodium_init() < 0) return NULL;

    char payload[SW_JWT_MAX_LEN];
    size_t plen = json_dumpb(claims, payload, sizeof payload, JSON_COMPACT);
    if (plen == 0 || plen > sizeof payload)
        return NULL; /* dump error, or the token could not fit in SW_JWT_MAX_LEN anyway */

    size_t p64len = sodium_base64_ENCODED_LEN(plen, B64_VARIANT) - 1;
    size_t siglen_at = HEADER_B64_LEN + 1 + p64len; /* length of "header.payload" */
    size_t total = siglen_at + 1 + MAC_B64_LEN;
    if (total > SW_JWT_MAX_LEN) return NULL; /* verify would refuse it */

    char *tok = malloc(total + 1);
    if (!tok) return NULL;
    memcpy(tok, k_header_b64, HEADER_B64_LEN);
    tok[HEADER_B64_LEN] = '.';
    sodium_bin2base64(tok + HEADER_B64_LEN + 1, p64len + 1, (const unsigned char *)payload, plen,
                      B64_VARIANT);
    tok[siglen_at] = '.';

    unsigned char mac[MAC_BYTES];
    hs256(key, keylen, tok, siglen_at, mac);
    sodium_bin2base64(tok + siglen_at + 1, MAC_B64_LEN + 1, mac, sizeof mac, B64_VARIANT);
    return tok; /* NUL-terminated by sodium_bin2base64 at tok[total] */
}

sw_jwt_status sw_jwt_verify(const uint8_t *key, size_t keylen, const char *token, size_t len,
                            int64_t now, json_t **claims_out)
{
    if (!token || len == 0 || len > SW_JWT_MAX_LEN) return SW_JWT_MALFORMED;

    /* 1. Shape: header.payload.signature, all non-empty, no fourth part. */
    const char *end = token + len;
    const char *d1 = memchr(token, '.', len);
    if (!d1 || d1 + 1 >= end) return SW_JWT_MALFORMED;
    const char *d2 = memchr(d1 + 1, '.', (size_t)(end - (d1 + 1)));
    if (!d2 || d2 + 1 >= end || memchr(d2 + 1, '.', (size_t)(end - (d2 + 1))))
        return SW_JWT_MALFORMED;
    size_t hlen = (size_t)(d1 - token), plen = (size_t)(d2 - d1 - 1);
    size_t slen = (size_t)(end - d2 - 1);
    if (hlen == 0 || plen == 0 || slen == 0) return SW_JWT_MALFORMED;

    /* Any part decodes to fewer bytes than the token has characters. */
    unsigned char scratch[SW_JWT_MAX_LEN];

    /* 2. Header. */
    sw_jwt_status st = check_header(scratch, sizeof scratch, token, hlen);
    if (st != SW_JWT_OK) return st;

    /* 3. Signature, before anything in the payload is looked at. */
    size_t n;
    if (b64u_decode(scratch, sizeof scratch, d2 + 1, slen, &n) != 0) return SW_JWT_MALFORMED;
    if (n != MAC_BYTES || !key || keylen == 0 || sodium_init() < 0) return SW_JWT_BAD_SIG;
    unsigned char mac[MAC_BYTES];
    hs256(key, keylen, token, (size_t)(d2 - token), mac);
    if (sodium_memcmp(mac, scratch, MAC_BYTES) != 0) return SW_JWT_BAD_SIG;

    /* 4. Payload (authenticated from here on). */
    json_t *claims = decode_object(scratch, sizeof scratch, d1 + 1, plen);
    if (!claims) return SW_JWT_MALFORMED;
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *nbf = json_object_get(claims, "nbf");
    if (!json_is_integer(exp) || (nbf && !json_is_integer(nbf))) st = SW_JWT_MALFORMED;
    /* 5. Time window. */
    else if (now >= (int64_t)json_integer_value(exp))
        st = SW_JWT_EXPIRED;
    else if (nbf && now < (int64_t)json_integer_value(nbf))
        st = SW_JWT_NOT_YET;

    if (st == SW_JWT_OK && claims_out)
        *claims_out = claims;
    else
        json_decref(claims);
    return st;
}

const char *sw_jwt_strerror(sw_jwt_status st)
{
    switch (st) {
    case SW_JWT_OK:
        return "ok";
    case SW_JWT_MALFORMED:
        return "malformed token";
    case SW_JWT_BAD_ALG:
        return "unsupported token algorithm";
    case SW_JWT_BAD_SIG:
        return "invalid token signature";
    case SW_JWT_EXPIRED:
        return "token expired";
    case SW_JWT_NOT_YET:
        return "token not yet valid";
    }
    return "unknown token error";
}
