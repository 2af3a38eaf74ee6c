/* sw_id: UUIDv7 generation: 48-bit ms timestamp, 12-bit per-thread sequence, 62 random bits. */
#include "core/sw_id.h"
#include "core/sw_time.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

static _Thread_local int64_t last_ms;
static _Thread_local uint16_t seq;

char *sw_id_new(char *buf)
{
    int64_t ms = sw_time_now_ms();
    if (ms <= last_ms) {
        ms = last_ms;
        if (++seq > 0x0fff) { /* sequence exhausted: borrow the next millisecond */
            ms++;
            seq = 0;
        }
    } else {
        seq = 0;
    }
    last_ms = ms;
    uint8_t b[16];
    randombytes_buf(b + 8, 8);
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
