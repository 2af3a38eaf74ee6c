/* fuzz_ws_frames: libFuzzer target for the WebSocket connection code of src/events/sw_ws.c. The
 * input is what a client sends after the handshake; it goes through the very code an upgraded
 * socket uses (sw_ws_test_session: wslay server context, our recv callback serving MHD's extra_in
 * first and then the socket, on_msg_recv handling of {"type":"ping"}, back-pressure, close), over a
 * non-blocking AF_UNIX socketpair instead of a TCP socket.
 *
 * Input layout: byte 0 is a mode, the rest the client bytes.
 *   mode & 0x07 == 7   unauthorized session (4401 close, no hello); otherwise authorized
 *   mode >> 3 & 3      0: all bytes on the socket, 1: all as extra_in, 2/3: split in the middle
 *   mode & 0x20        half-close the client side afterwards (EOF path)
 *   mode & 0x40        "framed": the bytes are records [b0][len][payload...] turned into properly
 *                      masked frames (b0 is the first header byte as is: FIN, RSV, opcode), so
 *                      the fuzzer reaches on_msg_recv without having to learn masking; len 254
 *                      takes a 16-bit length from the next two bytes, 255 a 64-bit one (8 bytes)
 * Oracle: everything the server wrote parses as unmasked frames; an authorized session starts
 * with the hello and its only other text frames are {"type":"pong"}; an unauthorized one sends
 * no text frame and its close says 4401. Run:
 *   ./fuzz_ws_frames -max_total_time=70 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "http/sw_ws.h"

#define FUZZ_MAX_INPUT (80 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Builds masked frames from records; returns the length written to out (cap bytes). */
static size_t frames(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    static const uint8_t mask[4] = {0xa5, 0x5a, 0x0f, 0xf0};
    size_t i = 0, o = 0;
    while (i + 2 <= n && o + 14 < cap) {
        uint8_t b0 = in[i++];
        uint64_t len = in[i++];
        if (len == 254 && i + 2 <= n) {
            len = (uint64_t)in[i] << 8 | in[i + 1];
            i += 2;
        } else if (len == 255 && i + 8 <= n) {
            len = 0;
            for (int k = 0; k < 8; k++) len = len << 8 | in[i + (size_t)k];
            i += 8;
        }
        uint64_t declared = len; /* may exceed what follows: a truncated frame */
        size_t avail = n - i;
        size_t take = declared < avail ? (size_t)declared : avail;
        if (o + 14 + take > cap) break;
        out[o++] = b0;
        if (declared < 126) {
            out[o++] = (uint8_t)(0x80 | declared);
        } else if (declared < 65536) {
            out[o++] = 0x80 | 126;
            out[o++] = (uint8_t)(declared >> 8);
            out[o++] = (uint8_t)declared;
        } else {
            out[o++] = 0x80 | 127;
            for (int k = 7; k >= 0; k--) out[o++] = (uint8_t)(declared >> (8 * k));
        }
        memcpy(out + o, mask, 4);
        o += 4;
        for (size_t k = 0; k < take; k++) out[o + k] = in[i + k] ^ mask[k & 3];
        o += take;
        i += take;
    }
    return o;
}

/* Checks what the server wrote (only complete frames; the stream may stop mid-frame). */
static void check_output(const uint8_t *b, size_t n, int authorized)
{
    size_t i = 0;
    int first = 1;
    while (i + 2 <= n) {
        uint8_t b0 = b[i], b1 = b[i + 1];
        if (b1 & 0x80) __builtin_trap(); /* a server never masks */
        if ((b0 & 0x70) != 0) __builtin_trap(); /* no RSV bits: no extensions negotiated */
        if (!(b0 & 0x80)) __builtin_trap();     /* we never fragment */
        uint64_t len = b1 & 0x7f;
        size_t h = 2;
        if (len == 126) {
            if (i + 4 > n) return;
            len = (uint64_t)b[i + 2] << 8 | b[i + 3];
            h = 4;
        } else if (len == 127) {
            if (i + 10 > n) return;
            len = 0;
            for (int k = 0; k < 8; k++) len = len << 8 | b[i + 2 + (size_t)k];
            h = 10;
        }
        if (len > n - i - h) return;
        const uint8_t *p = b + i + h;
        int op = b0 & 0x0f;
        if (op != 1 && op != 8 && op != 9 && op != 10) __builtin_trap();
        if (op == 1) {
            if (!authorized) __builtin_trap();
            static const char hello[] = "{\"type\":\"hello\",";
            static const char pong[] = "{\"type\":\"pong\"}";
            if (first) {
                if (len < sizeof hello - 1 || memcmp(p, hello, sizeof hello - 1) != 0) __builtin_trap();
            } else if (len != sizeof pong - 1 || memcmp(p, pong, len) != 0) {
                __builtin_trap();
            }
            first = 0;
        } else if (op == 8 && !authorized) {
            if (len < 2 || (p[0] << 8 | p[1]) != 4401) __builtin_trap();
        }
        if (authorized && first && op != 1) __builtin_trap(); /* the hello comes first */
        i += h + (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        if (sodium_init() < 0) abort();
        init = 1;
    }
    if (size < 1 || size > FUZZ_MAX_INPUT) return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    int authorized = (mode & 0x07) != 7;

    uint8_t *framed = NULL;
    if (mode & 0x40) {
        size_t cap = size * 8 + 64;
        framed = malloc(cap);
        if (!framed) return 0;
        size = frames(data, size, framed, cap);
        data = framed;
    }

    size_t extra_len;
    switch ((mode >> 3) & 3) {
    case 0: extra_len = 0; break;
    case 1: extra_len = size; break;
    default: extra_len = size / 2; break;
    }

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) abort();
    int sz = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    size_t off = extra_len;
    while (off < size) {
        ssize_t w = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
        if (w <= 0) break; /* buffer full: the rest is simply not sent */
        off += (size_t)w;
    }
    if (mode & 0x20) shutdown(sv[1], SHUT_WR);

    int n = sw_ws_test_session(sv[0], data, extra_len, authorized);
    if (n < 0) __builtin_trap();

    size_t cap = 1 << 20, got = 0;
    uint8_t *out = malloc(cap);
    if (!out) abort();
    for (;;) {
        ssize_t r = recv(sv[1], out + got, cap - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
        if (got == cap) break;
    }
    check_output(out, got, authorized);
    free(out);
    close(sv[0]);
    close(sv[1]);
    free(framed);
    return 0;
}
