/* sw_id: opaque, lexically time-ordered identifiers (UUIDv7, RFC 9562). */
#ifndef SW_ID_H
#define SW_ID_H

#define SW_ID_LEN 36 /* without the NUL */

/* Writes a new UUIDv7 into buf (>= SW_ID_LEN + 1 bytes). Strictly increasing within a thread. */
char *sw_id_new(char *buf);
/* 1 if s looks like an id we issue (36 chars, hex and dashes), else 0. */
int sw_id_valid(const char *s);

#endif
