/* sw_time: clocks and timestamp formatting (RFC 3339 UTC, millisecond precision). */
#ifndef SW_TIME_H
#define SW_TIME_H

#include <stddef.h>
#include <stdint.h>

int64_t sw_time_now_ms(void);   /* wall clock, ms since the epoch */
int64_t sw_time_mono_us(void);  /* monotonic, microseconds */
int64_t sw_time_mono_ns(void);  /* monotonic, nanoseconds */
/* "2026-11-25T13:54:21.123Z"; buf >= 32 bytes. Returns buf. */
char *sw_time_rfc3339(int64_t ms, char *buf, size_t len);

#endif
