/* sw_jwt: JSON Web Tokens, HS256 only (RFC 7519 / 7515), on libsodium + jansson.
 * Owns: signing claims and verifying a token: algorithm (header alg must be exactly "HS256",
 * typ optional but if present "JWT"), signature (constant time), exp (required), nbf (optional).
 * Anything else (alg:none, RS256, missing parts, bad base64url, non-object JSON, oversize) is
 * refused. No global state; thread-safe. */
#ifndef SW_JWT_H
#define SW_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SW_JWT_KEY_BYTES 32
#define SW_JWT_MAX_LEN 8192

typedef enum {
    SW_JWT_OK = 0,
    SW_JWT_MALFORMED = -1, /* not three non-empty strict base64url parts, oversize, bad JSON
                            * (non-object, duplicate keys), typ not "JWT", crit present,
                            * exp missing or not an integer, nbf present but not an integer */
    SW_JWT_BAD_ALG = -2,   /* header alg is not exactly "HS256" (none, HS512, RS256, missing) */
    SW_JWT_BAD_SIG = -3,   /* signature is not the 32-byte HMAC of "header.payload", or no key */
    SW_JWT_EXPIRED = -4,   /* now >= exp */
    SW_JWT_NOT_YET = -5,   /* now < nbf */
} sw_jwt_status;

/* Signs `claims` (a JSON object; borrowed) with `key` (any length >= 1; use SW_JWT_KEY_BYTES
 * random bytes). The header is {"alg":"HS256","typ":"JWT"}; claims are serialised compactly in
 * insertion order. Returns a malloc'd NUL-terminated token (free with free()), or NULL if key
 * is NULL/empty, claims is not an object, the token would exceed SW_JWT_MAX_LEN, or on
 * allocation failure. */
char *sw_jwt_sign(const uint8_t *key, size_t keylen, const json_t *claims);

/* Verifies `token` (length len, need not be NUL-terminated) at time `now` (unix seconds).
 * Checks run in order: shape, header (alg before typ/crit), signature (constant time; a NULL or
 * empty key gives SW_JWT_BAD_SIG), then the payload, which is only parsed once authenticated:
 * exp required (now >= exp -> EXPIRED), nbf optional (now < nbf -> NOT_YET). No padding, no
 * whitespace, nothing but [A-Za-z0-9_-] in the parts; a "Bearer " prefix is the caller's job.
 * On SW_JWT_OK and claims_out != NULL, *claims_out receives a new reference to the claims
 * object (json_decref it). On failure *claims_out is untouched. */
sw_jwt_status sw_jwt_verify(const uint8_t *key, size_t keylen, const char *token, size_t len,
                            int64_t now, json_t **claims_out);

/* A static English description of a status ("token expired", ...). */
const char *sw_jwt_strerror(sw_jwt_status st);

#endif
