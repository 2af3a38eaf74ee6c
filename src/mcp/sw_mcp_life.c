/* sw_mcp_life: one server's session kept alive by its own thread — connect (initialize) and
 * tools/list in the background so a failing or hanging server never blocks a request or hides
 * another, a fresh tools/list on notifications/tools/list_changed, and after the session ends
 * (the child crashed or exited, the HTTP session was lost) a restart with backoff (1 s, 2 s,
 * 4 s ... 60 s); 3 crashes of a stdio server in 10 minutes disable it with the reason. PATCH and
 * reconnect restart it; delete and shutdown end it (the child's process group gone). */
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "mcp/sw_mcp_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void set_status(sw_mcp_srv *s, const char *status, const char *reason)
{
    snprintf(s->status, sizeof s->status, "%s", status);
    snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : "");
}

/* Waits on s->cv until woken or ms pass (ms < 0: until woken). Under s->mu. */
static void wait_ms(sw_mcp_srv *s, int64_t ms)
{
    if (ms < 0) {
        pthread_cond_wait(&s->cv, &s->mu);
        return;
    }
    struct timespec ts = sw_time_after_us(CLOCK_MONOTONIC, ms * 1000);
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static int recent_crashes(sw_mcp_srv *s)
{
    int64_t now = sw_time_now_ms();
    int n = 0;
    for (int i = 0; i < SW_MCP_CRASH_LIMIT; i++) n += s->crashes[i] && now - s->crashes[i] < SW_MCP_CRASH_WINDOW_MS;
    return n;
}

static void record_crash(sw_mcp_srv *s)
{
    memmove(&s->crashes[1], &s->crashes[0], (SW_MCP_CRASH_LIMIT - 1) * sizeof s->crashes[0]);
    s->crashes[0] = sw_time_now_ms();
}

static void on_tools_changed(void *arg)
{
    sw_mcp_srv *s = arg;
    pthread_mutex_lock(&s->mu);
    s->tools_changed = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_closed(void *arg, const char *why)
{
    sw_mcp_srv *s = arg;
    pthread_mutex_lock(&s->mu);
    s->closed = 1;
    snprintf(s->closed_why, sizeof s->closed_why, "%s", why ? why : "the session ended");
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* tools/list into a new mount, installed as the live plugin. 0, or -1 with err. */
static int remount(sw_mcp_srv *s, sw_mcp_sess *sess, char *err, size_t errlen)
{
    json_t *tools = NULL, *view = NULL;
    pthread_mutex_lock(&s->mu);
    int timeout = sw_mcp_config_int(s->config, "timeout_ms", 30000);
    pthread_mutex_unlock(&s->mu);
    if (timeout < 30000) timeout = 30000; /* listing is not a call: the call timeout may be short */
    if (sw_mcp_client_list_tools(sess->client, timeout, &tools, err, errlen) != SW_MCP_OK) return -1;
    sw_mcp_mount *mt = sw_mcp_mount_build(s, sw_mcp_client_server_info(sess->client), tools, &view, err, errlen);
    json_decref(tools);
    if (!mt) return -1;
    pthread_mutex_lock(&s->mu);
    sw_mcp_mount *old = s->mount;
    s->mount = mt;
    json_decref(s->tools_view);
    s->tools_view = view;
    pthread_mutex_unlock(&s->mu);
    sw_mcp_mount_release(old);
    sw_mcp_m_changed(s->m, s->tenant_id);
    return 0;
}

/* Ends the live session: calls in flight give up, then the client is closed. */
static void drop_session(sw_mcp_srv *s)
{
    pthread_mutex_lock(&s->mu);
    sw_mcp_sess *sess = s->sess;
    sw_mcp_mount *mt = s->mount;
    s->sess = NULL;
    s->mount = NULL;
    pthread_mutex_unlock(&s->mu);
    if (mt) sw_mcp_m_changed(s->m, s->tenant_id);
    sw_mcp_mount_release(mt);
    if (!sess) return;
    __atomic_store_n(&sess->closing, 1, __ATOMIC_RELEASE);
    /* calls in flight poll `closing` every 50 ms: wait (bounded) for them to let go */
    for (int i = 0; i < 200 && __atomic_load_n(&sess->refs, __ATOMIC_ACQUIRE) > 1; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    sw_mcp_sess_release(sess);
}

/* The life thread's connect and tools/list give up when it is asked to stop or restart. */
static int asked_to_leave(void *arg)
{
    sw_mcp_srv *s = arg;
    return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) || __atomic_load_n(&s->restart, __ATOMIC_ACQUIRE);
}

static sw_mcp_client *connect_once(sw_mcp_srv *s, json_t *config, char *err, size_t errlen)
{
    sw_mcp_cfg_hold h;
    if (sw_mcp_config_open(config, s->transport, sw_mcp_m_stdio_allow(s->m), sw_db_secretbox(sw_mcp_m_db(s->m)), &h,
                           err, errlen) != 0) {
        sw_mcp_config_wipe(&h);
        return NULL;
    }
    snprintf(h.log_name, sizeof h.log_name, "%s/%s", s->tenant_id, s->plugin_id);
    h.cfg.log_name = h.log_name;
    h.cfg.netpolicy = sw_mcp_m_netpolicy(s->m);
    /* starting a child (node, npx ...) takes its time on a busy host: the call timeout may be short */
    int ct = sw_mcp_config_int(config, "timeout_ms", 30000);
    h.cfg.connect_timeout_ms = ct > 30000 ? ct : 30000;
    h.cfg.cancelled = asked_to_leave;
    h.cfg.cancel_arg = s;
    const char *dd = sw_mcp_m_data_dir(s->m);
    if (dd && *dd && s->transport == SW_MCP_STDIO) {
        snprintf(h.cwd, sizeof h.cwd, "%s/mcp", dd);
        mkdir(h.cwd, 0700);
        snprintf(h.cwd + strlen(h.cwd), sizeof h.cwd - strlen(h.cwd), "/%s", s->tenant_id);
        mkdir(h.cwd, 0700);
        snprintf(h.cwd + strlen(h.cwd), sizeof h.cwd - strlen(h.cwd), "/%s", s->id);
        if (mkdir(h.cwd, 0700) == 0 || errno == EEXIST) h.cfg.cwd = h.cwd;
    }
    sw_mcp_events ev = {.on_tools_changed = on_tools_changed, .on_closed = on_closed, .arg = s};
    sw_mcp_client *c = sw_mcp_client_connect(&h.cfg, &ev, err, errlen);
    sw_mcp_config_wipe(&h);
    return c;
}

/* One session from connect to its end. Returns 1 when it ended by a crash/loss, 0 when asked. */
static int run_session(sw_mcp_srv *s, char *why, size_t whylen)
{
    pthread_mutex_lock(&s->mu);
    json_t *config = json_deep_copy(s->config);
    s->closed = s->tools_changed = 0;
    set_status(s, "connecting", NULL);
    pthread_mutex_unlock(&s->mu);
    sw_mcp_client *c = config ? connect_once(s, config, why, whylen) : NULL;
    json_decref(config);
    if (!c) return 1;
    sw_mcp_sess *sess = calloc(1, sizeof *sess);
    if (!sess) {
        sw_mcp_client_close(c);
        snprintf(why, whylen, "out of memory");
        return 1;
    }
    sess->refs = 1;
    sess->client = c;
    pthread_mutex_lock(&s->mu);
    s->sess = sess;
    pthread_mutex_unlock(&s->mu);
    if (remount(s, sess, why, whylen) != 0) {
        drop_session(s);
        return 1;
    }
    pthread_mutex_lock(&s->mu);
    set_status(s, "ready", NULL);
    int crashed = 0;
    while (!s->stop && !s->restart) {
        if (s->closed) {
            crashed = 1;
            snprintf(why, whylen, "%s", s->closed_why);
            break;
        }
        if (s->tools_changed) {
            s->tools_changed = 0;
            pthread_mutex_unlock(&s->mu);
            char err[300];
            if (remount(s, sess, err, sizeof err) != 0) SW_WARN("mcp %s/%s: tools/list after list_changed failed: %s",
                                                                 s->tenant_id, s->plugin_id, err);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        wait_ms(s, -1);
    }
    pthread_mutex_unlock(&s->mu);
    drop_session(s);
    return crashed;
}

static void *life_main(void *arg)
{
    sw_mcp_srv *s = arg;
    int failures = 0;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        __atomic_store_n(&s->restart, 0, __ATOMIC_RELEASE);
        if (!s->enabled || s->crash_disabled) {
            if (!s->enabled) set_status(s, "disabled", "disabled by an admin (enabled: false)");
            wait_ms(s, -1);
            continue;
        }
        pthread_mutex_unlock(&s->mu);
        char why[300] = "";
        int crashed = run_session(s, why, sizeof why);
        pthread_mutex_lock(&s->mu);
        if (s->stop) break;
        if (!crashed) {
            failures = 0;
            continue;
        }
        if (s->restart) continue; /* asked to restart while it was failing */
        failures++;
        if (s->transport == SW_MCP_STDIO) {
            record_crash(s);
            if (recent_crashes(s) >= SW_MCP_CRASH_LIMIT) {
                s->crash_disabled = 1;
                char r[300];
                snprintf(r, sizeof r, "disabled after %d crashes in 10 minutes (last: %.200s); reconnect to retry",
                         SW_MCP_CRASH_LIMIT, why);
                set_status(s, "disabled", r);
                SW_WARN("mcp %s/%s: %s", s->tenant_id, s->plugin_id, r);
                continue;
            }
        }
        set_status(s, "failed", why);
        SW_WARN("mcp %s/%s: %s (retrying)", s->tenant_id, s->plugin_id, why);
        int64_t backoff = 1000LL << (failures - 1 < 6 ? failures - 1 : 6);
        if (backoff > 60000) backoff = 60000;
        int64_t until = sw_time_mono_ns() / 1000000 + backoff;
        while (!s->stop && !s->restart) {
            int64_t left = until - sw_time_mono_ns() / 1000000;
            if (left <= 0) break;
            wait_ms(s, left);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int sw_mcp_life_start(sw_mcp_srv *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL); /* the thread's */
    if (pthread_create(&s->thread, NULL, life_main, s) != 0) {
        __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
        return -1;
    }
    s->thread_started = 1;
    return 0;
}

void sw_mcp_life_poke(sw_mcp_srv *s)
{
    pthread_mutex_lock(&s->mu);
    __atomic_store_n(&s->restart, 1, __ATOMIC_RELEASE);
    s->crash_disabled = 0;
    memset(s->crashes, 0, sizeof s->crashes);
    set_status(s, s->enabled ? "connecting" : "disabled", s->enabled ? NULL : "disabled by an admin (enabled: false)");
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void sw_mcp_life_ask_stop(sw_mcp_srv *s)
{
    pthread_mutex_lock(&s->mu);
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void sw_mcp_life_end(sw_mcp_srv *s, const char *status)
{
    sw_mcp_life_ask_stop(s);
    if (s->thread_started) {
        pthread_join(s->thread, NULL);
        s->thread_started = 0;
        sw_mcp_srv_release(s);
    }
    drop_session(s);
    pthread_mutex_lock(&s->mu);
    set_status(s, status, NULL);
    pthread_mutex_unlock(&s->mu);
}
