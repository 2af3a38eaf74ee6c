/* sw_ws_handshake: upgrade header checks and the Sec-WebSocket-Accept digest (see
 * sw_ws_handshake.h). SHA-1 is nettle's; nothing here is hand-written cryptography. */
#include "http/sw_ws_handshake.h"

#include <nettle/sha1.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int has_token(const char *h, const char *token)
{
    if (!h) return 0;
    size_t tl = strlen(token);
    while (*h) {
        while (*h == ' ' || *h == '\t' || *h == ',') h++;
        const char *e = h;
        while (*e && *e != ',') e++;
        const char *te = e;
        while (te > h && (te[-1] == ' ' || te[-1] == '\t')) te--;
        if ((size_t)(te - h) == tl && strncasecmp(h, token, tl) == 0) return 1;
        h = e;
    }
    return 0;
}

static int key_valid(const char *key)
{
    if (!key || strlen(key) != 24) return 0;
    /* libsodium's decoder takes some bytes >= 0x80 as base64 digits (fuzz_ws_handshake found
     * "dGhlIH\x9e\xf5bXBsZSBub25jZQ=="): the alphabet is checked first */
    for (int i = 0; i < 22; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '/'))
            return 0;
    }
    unsigned char bin[18];
    size_t n = 0;
    return sodium_base642bin(bin, sizeof bin, key, 24, NULL, &n, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           n == 16;
}

int sw_ws_handshake_check(const char *upgrade, const char *connection, const char *version,
                          const char *key)
{
    if (!has_token(upgrade, "websocket") || !has_token(connection, "upgrade") || !version ||
        strcmp(version, "13") != 0)
        return SW_WS_NOT_WEBSOCKET;
    return key_valid(key) ? SW_WS_HANDSHAKE_OK : SW_WS_BAD_KEY;
}

void sw_ws_accept_key(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const char *k = key ? key : "";
    size_t kl = strnlen(k, 100); /* a valid key is 24 characters; the digest of a longer one is never sent */
    struct sha1_ctx ctx;
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_init(&ctx);
    sha1_update(&ctx, kl, (const uint8_t *)k);
    sha1_update(&ctx, sizeof guid - 1, (const uint8_t *)guid);
    sha1_digest(&ctx, sizeof digest, digest);
    sodium_bin2base64(out, 29, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
}
