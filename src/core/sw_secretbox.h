/* sw_secretbox: secrets at rest — the data dir's secret key (<data-dir>/secret.key, 32 bytes,
 * 0600, created at first start) and values sealed with it by libsodium's crypto_secretbox
 * (XSalsa20-Poly1305, a random nonce per value). A sealed value is text:
 *
 *     swenc:v1:<key id>:<base64(nonce || box)>
 *
 * so a clear (legacy) value is told apart by the missing prefix, and the key id (8 hex digits
 * of a hash of the key, never the key) says which key sealed it. A box holds one key that seals
 * and opens, plus at most one older/newer key that only opens (a rotation in progress). */
#ifndef SW_SECRETBOX_H
#define SW_SECRETBOX_H

#include <stddef.h>
#include <stdint.h>

#define SW_SECRETBOX_PREFIX "swenc:v1:"
#define SW_SECRETBOX_KEY_BYTES 32

typedef struct sw_secretbox sw_secretbox;

/* What sw_secretbox_open found. */
enum { SW_SECRET_OK = 0, SW_SECRET_CLEAR = 1, SW_SECRET_UNREADABLE = -1, SW_SECRET_NOMEM = -2 };

/* Reads the key file at path, creating it (0600, atomically) with a fresh key when it is
 * missing. When "<path>.new" exists too (a rotation that stopped before it finished), its key
 * is accepted for opening. NULL with a message in err on failure (damaged or unreadable file). */
sw_secretbox *sw_secretbox_load(const char *path, char *err, size_t errlen);
/* A box around a given key (tests, rotation). */
sw_secretbox *sw_secretbox_new(const uint8_t key[SW_SECRETBOX_KEY_BYTES]);
/* Also accept values sealed with key when opening (it never seals). 0, or -1 when full. */
int sw_secretbox_accept(sw_secretbox *sb, const uint8_t key[SW_SECRETBOX_KEY_BYTES]);
void sw_secretbox_free(sw_secretbox *sb);

/* The id of the key that seals ("" for NULL). */
const char *sw_secretbox_key_id(const sw_secretbox *sb);

/* 1 when s has the sealed form's prefix. */
int sw_secretbox_is_sealed(const char *s);
/* 1 when s is sealed with a key this box holds (no decryption: the key id is compared). */
int sw_secretbox_can_open(const sw_secretbox *sb, const char *s);
/* 1 when s is sealed with the key that seals. */
int sw_secretbox_is_current(const sw_secretbox *sb, const char *s);

/* Seals plain; malloc'd text, NULL when out of memory or sb is NULL. */
char *sw_secretbox_seal(const sw_secretbox *sb, const char *plain);
/* Opens stored into *plain (malloc'd; wipe it with sodium_memzero before freeing):
 * SW_SECRET_OK; SW_SECRET_CLEAR when stored is not sealed (*plain is a copy);
 * SW_SECRET_UNREADABLE when no key of the box opens it or it was altered (*plain NULL). */
int sw_secretbox_open(const sw_secretbox *sb, const char *stored, char **plain);
/* The stored value sealed with the current key: 1 and *out (malloc'd) when it had to change
 * (clear, or sealed with the other key); 0 when it already is; SW_SECRET_UNREADABLE or
 * SW_SECRET_NOMEM (*out NULL). */
int sw_secretbox_reseal(const sw_secretbox *sb, const char *stored, char **out);

/* Key rotation, in two steps around the caller's transaction that reseals every value:
 * begin writes a fresh key to "<path>.new" (0600) and returns a box that seals with it and
 * still opens with old's key; finish renames "<path>.new" over path. Until finish, load()
 * accepts both keys, so a rotation stopped at any point leaves every value readable. */
sw_secretbox *sw_secretbox_rotate_begin(const char *path, const sw_secretbox *old, char *err, size_t errlen);
int sw_secretbox_rotate_finish(const char *path, char *err, size_t errlen);

#endif
