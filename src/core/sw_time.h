/* sw_time: clocks and timestamp formatting (RFC 3339 UTC, millisecond precision). */
#ifndef SW_TIME_H
#define SW_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

int64_t sw_time_now_ms(void);   /* wall clock, ms since the epoch */
int64_t sw_time_mono_us(void);  /* monotonic, microseconds */
int64_t sw_time_mono_ns(void);  /* monotonic, nanoseconds */
/* The absolute time `us` microseconds from now on clock `clk`, for pthread_cond_timedwait (whose
 * condition variable must use the same clock). */
struct timespec sw_time_after_us(clockid_t clk, int64_t us);
/* "2026-11-25T13:54:21.123Z"; buf >= 32 bytes. Returns buf. */
char *sw_time_rfc3339(int64_t ms, char *buf, size_t len);

#endif
