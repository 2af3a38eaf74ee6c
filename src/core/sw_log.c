/* sw_log: JSON-lines logger on stderr; one write(2) per line so lines from threads never mix. */
#include "core/sw_log.h"
#include "core/sw_time.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sw_log_level g_level = SW_LOG_INFO; /* set once at start-up */

static const char *level_name[] = {"debug", "info", "warn", "error", "off"};

void sw_log_set_level(sw_log_level lvl)
{
    g_level = lvl;
}

int sw_log_enabled(sw_log_level lvl)
{
    return lvl >= g_level && lvl < SW_LOG_OFF;
}

sw_log_level sw_log_parse_level(const char *s)
{
    if (!s) return SW_LOG_INFO;
    for (int i = 0; i <= SW_LOG_OFF; i++)
        if (strcmp(s, level_name[i]) == 0) return (sw_log_level)i;
    return SW_LOG_INFO;
}

static void emit(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    if (s) {
        size_t n = strlen(s);
        s[n] = '\n'; /* overwrite NUL; json_dumps' buffer is n+1 bytes */
        ssize_t w = write(STDERR_FILENO, s, n + 1);
        (void)w;
        free(s);
    }
    json_decref(o);
}

void sw_logv(sw_log_level lvl, const char *fmt, va_list ap)
{
    if (!sw_log_enabled(lvl)) return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level_name[lvl]));
    /* json_string refuses invalid UTF-8: fall back to a lossy copy rather than dropping it */
    json_t *m = json_string(msg);
    if (!m) {
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p >= 0x80) *p = '?';
        m = json_string(msg);
    }
    json_object_set_new(o, "msg", m);
    emit(o);
}

void sw_log(sw_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_logv(lvl, fmt, ap);
    va_end(ap);
}

void sw_log_access(const char *method, const char *path, int status, long long micros)
{
    if (!sw_log_enabled(SW_LOG_INFO)) return;
    char ts[40];
    sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
    json_t *o = json_object();
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string("info"));
    json_object_set_new(o, "msg", json_string("access"));
    json_object_set_new(o, "method", json_string(method ? method : ""));
    json_t *p = json_string(path ? path : "");
    json_object_set_new(o, "path", p ? p : json_string("<invalid utf-8>"));
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "us", json_integer(micros));
    emit(o);
}
