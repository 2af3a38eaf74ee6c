/* sw_password: password hashing with libsodium argon2id (crypto_pwhash_str).
 * Owns: hashing a password into an encoded string and verifying against it. */
#ifndef SW_PASSWORD_H
#define SW_PASSWORD_H

#include <stddef.h>

#define SW_PASSWORD_HASH_MAX 128 /* >= crypto_pwhash_STRBYTES */
#define SW_PASSWORD_MAX_LEN 1024 /* longer passwords are refused */

/* Hashes `password` (NUL-terminated) into out (size outlen >= SW_PASSWORD_HASH_MAX) as a
 * "$argon2id$v=19$m=...,t=...,p=...$salt$hash" string with a fresh random salt.
 * Uses interactive opslimit/memlimit (64 MiB, 2 passes) unless the environment variable
 * SW_PASSWORD_FAST=1 is set (tests), in which case the minimum limits are used.
 * Returns 0 on success, -1 on failure (NULL argument, outlen too small, password longer than
 * SW_PASSWORD_MAX_LEN, out of memory); out is then "" if out != NULL and outlen > 0. */
int sw_password_hash(const char *password, char *out, size_t outlen);

/* Returns 1 if `password` matches `hash`, 0 otherwise: including a NULL or malformed hash, a
 * NULL password and a password longer than SW_PASSWORD_MAX_LEN. Checking a well-formed hash
 * costs as much as creating it did (its own limits). */
int sw_password_verify(const char *hash, const char *password);

#endif
