/* sw_id: UUIDv7 generation: 48-bit ms timestamp, 12-bit process-wide sequence, 62 random bits. */
#include "core/sw_id.h"
#include "core/sw_time.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

/* 8 unpredictable bytes without a system call per id: ChaCha20 keyed once per thread from the
 * OS generator, with a per-thread counter as the nonce. */
static _Thread_local uint8_t rng_key[crypto_stream_chacha20_KEYBYTES];
static _Thread_local uint64_t rng_counter;
static _Thread_local int rng_ready;

static void random_tail(uint8_t out[8])
{
    if (!rng_ready) {
        randombytes_buf(rng_key, sizeof rng_key);
        rng_ready = 1;
    }
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};
    uint64_t c = rng_counter++;
    memcpy(nonce, &c, sizeof c < sizeof nonce ? sizeof c : sizeof nonce);
    crypto_stream_chacha20(out, 8, nonce, rng_key);
}

/* Process-wide (ms << 12 | seq): ids from every thread are strictly increasing, so sorting by
 * id is sorting by creation. */
static int64_t last_stamp;

char *sw_id_new(char *buf)
{
    int64_t cur = __atomic_load_n(&last_stamp, __ATOMIC_RELAXED), next;
    do {
        int64_t now = sw_time_now_ms() << 12;
        next = now > cur ? now : cur + 1; /* a full sequence borrows the next millisecond */
    } while (!__atomic_compare_exchange_n(&last_stamp, &cur, next, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    int64_t ms = next >> 12;
    unsigned seq = (unsigned)(next & 0x0fff);
    uint8_t b[16];
    random_tail(b + 8);
    b[0] = (uint8_t)(ms >> 40); b[1] = (uint8_t)(ms >> 32); b[2] = (uint8_t)(ms >> 24);
    b[3] = (uint8_t)(ms >> 16); b[4] = (uint8_t)(ms >> 8);  b[5] = (uint8_t)ms;
    b[6] = (uint8_t)(0x70 | ((seq >> 8) & 0x0f));
    b[7] = (uint8_t)(seq & 0xff);
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = 0;
    return buf;
}

int sw_id_valid(const char *s)
{
    if (!s || strlen(s) != SW_ID_LEN) return 0;
    for (int i = 0; i < SW_ID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}
