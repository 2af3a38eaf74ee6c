/* fuzz_ws_handshake: libFuzzer target for the WebSocket handshake of src/events/sw_ws.c (GET
 * /v1/stream): sw_ws_handshake_check on arbitrary Upgrade, Connection, Sec-WebSocket-Version
 * and Sec-WebSocket-Key values, and sw_ws_accept_key for the keys it accepts.
 *
 * Input: up to four '\n'-separated fields (upgrade, connection, version, key); a missing field is
 * an absent header. Oracle, restated independently: "not a WebSocket" exactly when Upgrade lacks
 * the token "websocket" or Connection the token "upgrade" (comma-separated, optional white space,
 * any case) or the version is not "13"; otherwise "bad key" exactly when the key is not 24
 * characters of standard base64 decoding to 16 bytes; an accepted key's Sec-WebSocket-Accept is
 * 28 characters of base64 of 20 bytes, and RFC 6455's own example gives RFC 6455's answer. Run:
 *   ./fuzz_ws_handshake -max_total_time=60 corpus/fuzz_ws_handshake */
#include "http/sw_ws.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int has_token_ref(const char *h, const char *token)
{
    if (!h) return 0;
    char *copy = strdup(h), *save = NULL;
    if (!copy) __builtin_trap();
    int found = 0;
    for (char *t = strtok_r(copy, ",", &save); t && !found; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t') t++;
        size_t n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) t[--n] = 0;
        found = strcasecmp(t, token) == 0;
    }
    free(copy);
    return found;
}

static int key_ok_ref(const char *key)
{
    if (!key || strlen(key) != 24) return 0;
    /* 16 bytes are 22 base64 characters and "==" */
    if (key[22] != '=' || key[23] != '=') return 0;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 22; i++)
        if (!key[i] || !strchr(alphabet, key[i])) return 0;
    /* the last character carries 2 bits: the 4 unused ones must be zero (libsodium insists) */
    return (strchr(alphabet, key[21]) - alphabet) % 16 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int checked;
    if (!checked) {
        char a[29];
        sw_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", a);
        if (strcmp(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != 0) __builtin_trap();
        checked = 1;
    }
    if (size > 4096) return 0;
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    const char *f[4] = {NULL, NULL, NULL, NULL};
    char *p = buf;
    for (int i = 0; i < 4 && p; i++) {
        f[i] = p;
        p = strchr(p, '\n');
        if (p) *p++ = 0;
    }
    int got = sw_ws_handshake_check(f[0], f[1], f[2], f[3]);
    int want = !has_token_ref(f[0], "websocket") || !has_token_ref(f[1], "upgrade") || !f[2] ||
                       strcmp(f[2], "13") != 0
                   ? SW_WS_NOT_WEBSOCKET
               : key_ok_ref(f[3]) ? SW_WS_HANDSHAKE_OK
                                  : SW_WS_BAD_KEY;
    if (got != want) __builtin_trap();
    if (got == SW_WS_HANDSHAKE_OK) {
        char accept[29];
        memset(accept, 'x', sizeof accept);
        sw_ws_accept_key(f[3], accept);
        unsigned char bin[32];
        size_t n = 0;
        if (strlen(accept) != 28 ||
            sodium_base642bin(bin, sizeof bin, accept, 28, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            n != 20)
            __builtin_trap();
    }
    free(buf);
    return 0;
}
