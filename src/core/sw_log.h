/* sw_log: structured logging. Owns the one place the process writes diagnostics: JSON lines to
 * stderr ({"ts","level","msg",...}). Never pass tokens, passwords or API keys to it. */
#ifndef SW_LOG_H
#define SW_LOG_H

#include <stdarg.h>

typedef enum { SW_LOG_DEBUG = 0, SW_LOG_INFO, SW_LOG_WARN, SW_LOG_ERROR, SW_LOG_OFF } sw_log_level;

void sw_log_set_level(sw_log_level lvl);
sw_log_level sw_log_parse_level(const char *s); /* "debug"|"info"|"warn"|"error"|"off" */
int sw_log_enabled(sw_log_level lvl);

/* One JSON line: {"ts":..,"level":..,"msg":<formatted>} */
void sw_log(sw_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sw_logv(sw_log_level lvl, const char *fmt, va_list ap);

/* One access-log line: {"ts","level":"info","msg":"access","method","path","status","us"}.
 * `path` must not carry a query string (tokens travel there). */
void sw_log_access(const char *method, const char *path, int status, long long micros);

#define SW_DEBUG(...) sw_log(SW_LOG_DEBUG, __VA_ARGS__)
#define SW_INFO(...) sw_log(SW_LOG_INFO, __VA_ARGS__)
#define SW_WARN(...) sw_log(SW_LOG_WARN, __VA_ARGS__)
#define SW_ERROR(...) sw_log(SW_LOG_ERROR, __VA_ARGS__)

#endif
