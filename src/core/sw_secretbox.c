/* sw_secretbox: the secret key file and sealed values (see sw_secretbox.h). */
#include "core/sw_secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_KEYS 3 /* the sealing key and up to two that only open */
#define KID_LEN 8

typedef struct {
    uint8_t key[SW_SECRETBOX_KEY_BYTES];
    char id[KID_LEN + 1];
} box_key;

struct sw_secretbox {
    int n;            /* keys[0] seals */
    box_key keys[MAX_KEYS];
};

static void key_id(const uint8_t key[SW_SECRETBOX_KEY_BYTES], char out[KID_LEN + 1])
{
    static const uint8_t ctx[] = "scaiwave secret key id";
    uint8_t h[16];
    crypto_generichash(h, sizeof h, key, SW_SECRETBOX_KEY_BYTES, ctx, sizeof ctx - 1);
    sodium_bin2hex(out, KID_LEN + 1, h, KID_LEN / 2);
}

sw_secretbox *sw_secretbox_new(const uint8_t key[SW_SECRETBOX_KEY_BYTES])
{
    if (sodium_init() < 0) return NULL;
    sw_secretbox *sb = sodium_malloc(sizeof *sb);
    if (!sb) return NULL;
    memset(sb, 0, sizeof *sb);
    sb->n = 1;
    memcpy(sb->keys[0].key, key, SW_SECRETBOX_KEY_BYTES);
    key_id(key, sb->keys[0].id);
    return sb;
}

int sw_secretbox_accept(sw_secretbox *sb, const uint8_t key[SW_SECRETBOX_KEY_BYTES])
{
    if (!sb) return -1;
    for (int i = 0; i < sb->n; i++)
        if (sodium_memcmp(sb->keys[i].key, key, SW_SECRETBOX_KEY_BYTES) == 0) return 0;
    if (sb->n == MAX_KEYS) return -1;
    memcpy(sb->keys[sb->n].key, key, SW_SECRETBOX_KEY_BYTES);
    key_id(key, sb->keys[sb->n].id);
    sb->n++;
    return 0;
}

void sw_secretbox_free(sw_secretbox *sb)
{
    if (sb) sodium_free(sb); /* wipes the keys */
}

const char *sw_secretbox_key_id(const sw_secretbox *sb)
{
    return sb ? sb->keys[0].id : "";
}

/* Reads a key file: 0 read, 1 missing, -1 damaged or unreadable (message in err). */
static int read_key(const char *path, uint8_t key[SW_SECRETBOX_KEY_BYTES], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t buf[SW_SECRETBOX_KEY_BYTES + 1];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n != SW_SECRETBOX_KEY_BYTES) {
        sodium_memzero(buf, sizeof buf);
        snprintf(err, errlen, "%s is damaged (expected %d bytes); restore it from a backup — without it the "
                              "stored secrets cannot be read", path, SW_SECRETBOX_KEY_BYTES);
        return -1;
    }
    memcpy(key, buf, SW_SECRETBOX_KEY_BYTES);
    sodium_memzero(buf, sizeof buf);
    return 0;
}

/* Writes a key file atomically with mode 0600 (never replacing one: O_EXCL on the temporary). */
static int write_key(const char *path, const uint8_t key[SW_SECRETBOX_KEY_BYTES], char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    ssize_t w = write(fd, key, SW_SECRETBOX_KEY_BYTES);
    int ok = w == SW_SECRETBOX_KEY_BYTES && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

sw_secretbox *sw_secretbox_load(const char *path, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    uint8_t key[SW_SECRETBOX_KEY_BYTES];
    int rc = read_key(path, key, err, errlen);
    if (rc < 0) return NULL;
    if (rc == 1) {
        randombytes_buf(key, sizeof key);
        if (write_key(path, key, err, errlen) != 0) {
            sodium_memzero(key, sizeof key);
            return NULL;
        }
    }
    sw_secretbox *sb = sw_secretbox_new(key);
    char pending[1100];
    snprintf(pending, sizeof pending, "%s.new", path);
    if (sb && read_key(pending, key, err, errlen) == 0) sw_secretbox_accept(sb, key);
    sodium_memzero(key, sizeof key);
    if (!sb) snprintf(err, errlen, "out of memory loading %s", path);
    return sb;
}

int sw_secretbox_is_sealed(const char *s)
{
    return s && strncmp(s, SW_SECRETBOX_PREFIX, sizeof SW_SECRETBOX_PREFIX - 1) == 0;
}

/* The key that sealed s (by its id), or NULL; *body is the base64 part. */
static const box_key *key_of(const sw_secretbox *sb, const char *s, const char **body)
{
    if (!sb || !sw_secretbox_is_sealed(s)) return NULL;
    const char *kid = s + sizeof SW_SECRETBOX_PREFIX - 1;
    if (strlen(kid) < KID_LEN + 1 || kid[KID_LEN] != ':') return NULL;
    for (int i = 0; i < sb->n; i++)
        if (memcmp(sb->keys[i].id, kid, KID_LEN) == 0) {
            *body = kid + KID_LEN + 1;
            return &sb->keys[i];
        }
    return NULL;
}

int sw_secretbox_can_open(const sw_secretbox *sb, const char *s)
{
    const char *body;
    return key_of(sb, s, &body) != NULL;
}

int sw_secretbox_is_current(const sw_secretbox *sb, const char *s)
{
    const char *body;
    return sb && key_of(sb, s, &body) == &sb->keys[0];
}

char *sw_secretbox_seal(const sw_secretbox *sb, const char *plain)
{
    if (!sb || !plain) return NULL;
    size_t len = strlen(plain), raw_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *raw = malloc(raw_len);
    if (!raw) return NULL;
    randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, len, raw,
                          sb->keys[0].key);
    size_t b64 = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_ORIGINAL);
    size_t head = sizeof SW_SECRETBOX_PREFIX - 1 + KID_LEN + 1;
    char *out = malloc(head + b64);
    if (out) {
        snprintf(out, head + 1, "%s%s:", SW_SECRETBOX_PREFIX, sb->keys[0].id);
        sodium_bin2base64(out + head, b64, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
    }
    free(raw);
    return out;
}

int sw_secretbox_open(const sw_secretbox *sb, const char *stored, char **plain)
{
    *plain = NULL;
    if (!stored) return SW_SECRET_UNREADABLE;
    if (!sw_secretbox_is_sealed(stored)) {
        *plain = strdup(stored);
        return *plain ? SW_SECRET_CLEAR : SW_SECRET_NOMEM;
    }
    const char *body;
    const box_key *k = key_of(sb, stored, &body);
    if (!k) return SW_SECRET_UNREADABLE;
    size_t blen = strlen(body), cap = blen / 4 * 3 + 3, raw_len = 0;
    unsigned char *raw = malloc(cap);
    if (!raw) return SW_SECRET_NOMEM;
    int rc = SW_SECRET_UNREADABLE;
    if (sodium_base642bin(raw, cap, body, blen, NULL, &raw_len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
        raw_len >= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        size_t len = raw_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
        char *out = malloc(len + 1);
        if (!out) rc = SW_SECRET_NOMEM;
        else if (crypto_secretbox_open_easy((unsigned char *)out, raw + crypto_secretbox_NONCEBYTES,
                                            raw_len - crypto_secretbox_NONCEBYTES, raw, k->key) == 0 &&
                 memchr(out, 0, len) == NULL) {
            out[len] = 0;
            *plain = out;
            rc = SW_SECRET_OK;
        } else {
            sodium_memzero(out, len + 1);
            free(out);
        }
    }
    free(raw);
    return rc;
}

int sw_secretbox_reseal(const sw_secretbox *sb, const char *stored, char **out)
{
    *out = NULL;
    if (sw_secretbox_is_current(sb, stored)) return 0;
    char *plain;
    int rc = sw_secretbox_open(sb, stored, &plain);
    if (rc < 0) return rc;
    *out = sw_secretbox_seal(sb, plain);
    sodium_memzero(plain, strlen(plain));
    free(plain);
    return *out ? 1 : SW_SECRET_NOMEM;
}

sw_secretbox *sw_secretbox_rotate_begin(const char *path, const sw_secretbox *old, char *err, size_t errlen)
{
    if (!old) {
        snprintf(err, errlen, "no secret key loaded");
        return NULL;
    }
    uint8_t key[SW_SECRETBOX_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    char pending[1100];
    snprintf(pending, sizeof pending, "%s.new", path);
    sw_secretbox *sb = write_key(pending, key, err, errlen) == 0 ? sw_secretbox_new(key) : NULL;
    sodium_memzero(key, sizeof key);
    if (!sb) return NULL;
    for (int i = 0; i < old->n; i++) sw_secretbox_accept(sb, old->keys[i].key);
    return sb;
}

int sw_secretbox_rotate_finish(const char *path, char *err, size_t errlen)
{
    char pending[1100];
    snprintf(pending, sizeof pending, "%s.new", path);
    if (rename(pending, path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", pending, path, strerror(errno));
        return -1;
    }
    return 0;
}
