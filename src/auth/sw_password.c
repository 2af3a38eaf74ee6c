/* sw_password: argon2id password hashes via libsodium crypto_pwhash_str_alg. See the header. */
#include "auth/sw_password.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SW_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES,
               "SW_PASSWORD_HASH_MAX must hold a crypto_pwhash_str string");

/* strlen bounded at max + 1: returns max + 1 for anything longer than max, without reading
 * past the terminator of a shorter string. */
static size_t bounded_len(const char *s, size_t max)
{
    return strnlen(s, max + 1);
}

static int fast_mode(void)
{
    const char *v = getenv("SW_PASSWORD_FAST");
    return v && strcmp(v, "1") == 0;
}

int sw_password_hash(const char *password, char *out, size_t outlen)
{
    if (!out || outlen == 0) return -1;
    out[0] = '\0';
    if (outlen < crypto_pwhash_STRBYTES || !password) return -1;
    size_t plen = bounded_len(password, SW_PASSWORD_MAX_LEN);
    if (plen > SW_PASSWORD_MAX_LEN) return -1;
    if (sodium_init() < 0) return -1;

    unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (fast_mode()) {
        ops = crypto_pwhash_OPSLIMIT_MIN;
        mem = crypto_pwhash_MEMLIMIT_MIN;
    }
    /* out holds >= crypto_pwhash_STRBYTES bytes (checked above). */
    if (crypto_pwhash_str_alg(out, password, plen, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        out[0] = '\0';
        return -1; /* out of memory */
    }
    return 0;
}

int sw_password_verify(const char *hash, const char *password)
{
    if (!hash || !password) return 0;
    /* A valid encoded hash is NUL-terminated within crypto_pwhash_STRBYTES; refuse anything
     * else before libsodium reads it as a fixed-size array. */
    if (bounded_len(hash, crypto_pwhash_STRBYTES - 1) > crypto_pwhash_STRBYTES - 1) return 0;
    size_t plen = bounded_len(password, SW_PASSWORD_MAX_LEN);
    if (plen > SW_PASSWORD_MAX_LEN) return 0;
    if (sodium_init() < 0) return 0;
    /* Returns -1 for a mismatch and for anything it cannot parse (empty, wrong prefix,
     * truncated, bad parameters). */
    return crypto_pwhash_str_verify(hash, password, plen) == 0;
}
