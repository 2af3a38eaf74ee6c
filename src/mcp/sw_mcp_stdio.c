/* sw_mcp_stdio: the MCP stdio transport — the server as a child process. Owns the child's start
 * (fork + execve of a command found in the child's own PATH, a clean environment plus the
 * configured one, its own process group, every other descriptor of this process closed at exec,
 * signal mask and dispositions reset), the newline-framed pipes, the reader thread for stdout,
 * the bounded stderr-to-log thread, and the child's end (stdin closed, SIGTERM to the group,
 * SIGKILL after 2 s, reaped). */
#include "mcp/sw_mcp_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/sw_log.h"
#include "mcp/sw_jsonrpc.h"

#define STDERR_LINE_MAX 1024 /* a longer stderr line is cut */
#define STDERR_BURST 50      /* stderr lines logged at once ... */
#define STDERR_PER_SEC 20    /* ... and per second after that; the rest are counted */
#define GARBAGE_LOGGED 10    /* stdout lines that are not JSON-RPC: the first ones are logged */
#define TERM_GRACE_MS 2000
#define TAIL_KEEP 128

typedef struct stdio_t {
    sw_mcp_transport base;
    sw_mcp_sink sink;
    pid_t pid;
    int in_fd, out_fd, err_fd;
    pthread_mutex_t wmu; /* one writer at a time; guards in_fd */
    pthread_t rd, er;
    int have_rd, have_er;
    volatile int stopping;
    size_t max;
    char name[128];
    pthread_mutex_t mu; /* guards why, reaped */
    char why[160];
    int reaped;
} stdio_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the environment, the command, the child ---- */

static int env_set(char **env, size_t *n, const char *key, const char *value)
{
    size_t kl = strlen(key);
    char *kv = malloc(kl + strlen(value) + 2);
    if (!kv) return -1;
    sprintf(kv, "%s=%s", key, value);
    for (size_t i = 0; i < *n; i++)
        if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=') {
            free(env[i]);
            env[i] = kv;
            return 0;
        }
    env[(*n)++] = kv;
    return 0;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

/* PATH, HOME, LANG, then cfg->env (which may override them); NULL-ended. */
static char **child_env(const sw_mcp_config *cfg)
{
    char **env = calloc(cfg->nenv + 4, sizeof *env);
    size_t n = 0;
    if (!env) return NULL;
    const char *home = cfg->home ? cfg->home : cfg->cwd ? cfg->cwd : "/";
    int bad = env_set(env, &n, "PATH", "/usr/local/bin:/usr/bin:/bin") || env_set(env, &n, "HOME", home) ||
              env_set(env, &n, "LANG", "C.UTF-8");
    for (size_t i = 0; !bad && i < cfg->nenv; i++)
        if (cfg->env[i].key && cfg->env[i].key[0] && !strchr(cfg->env[i].key, '='))
            bad = env_set(env, &n, cfg->env[i].key, cfg->env[i].value ? cfg->env[i].value : "");
    if (bad) {
        strv_free(env);
        return NULL;
    }
    return env;
}

/* The command as a path: itself when it holds a '/', else found in the child's PATH. */
static char *resolve(const char *cmd, char **env)
{
    if (strchr(cmd, '/')) return strdup(cmd);
    const char *path = "";
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], "PATH=", 5) == 0) path = env[i] + 5;
    while (*path) {
        const char *end = strchr(path, ':');
        size_t dl = end ? (size_t)(end - path) : strlen(path);
        char *p = malloc(dl + strlen(cmd) + 2);
        if (!p) return NULL;
        snprintf(p, dl + strlen(cmd) + 2, "%.*s/%s", (int)dl, dl ? path : ".", cmd);
        if (access(p, X_OK) == 0) return p;
        free(p);
        path += dl + (end ? 1 : 0);
    }
    return NULL;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const char *path, char **argv, char **env, const char *cwd, int in_r, int out_w, int err_w,
                       int report)
{
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int sigs[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], SIG_DFL);
    if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) goto fail;
    if (cwd && chdir(cwd) != 0) goto fail;
    /* every other descriptor (the server's sockets, databases, ...) closes at exec */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        struct rlimit rl;
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
        for (long fd = 3; fd < max; fd++) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    }
    execve(path, argv, env);
fail:;
    int e = errno;
    ssize_t w = write(report, &e, sizeof e);
    (void)w;
    _exit(127);
}

static char **child_argv(const char *path, const sw_mcp_config *cfg)
{
    size_t n = 0;
    while (cfg->args && cfg->args[n]) n++;
    char **argv = calloc(n + 2, sizeof *argv);
    if (!argv) return NULL;
    argv[0] = strdup(cfg->command);
    for (size_t i = 0; i < n; i++) argv[i + 1] = strdup(cfg->args[i]);
    for (size_t i = 0; i <= n; i++)
        if (!argv[i]) {
            strv_free(argv);
            return NULL;
        }
    (void)path;
    return argv;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Forks and execs; 0 with t->pid and the parent's pipe ends set, or -1 with err. */
static int spawn(stdio_t *t, const sw_mcp_config *cfg, char *err, size_t errlen)
{
    char **env = child_env(cfg);
    char *path = env ? resolve(cfg->command, env) : NULL;
    char **argv = path ? child_argv(path, cfg) : NULL;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1}, rep[2] = {-1, -1}, rc = -1;
    if (!env) snprintf(err, errlen, "out of memory");
    else if (!path) snprintf(err, errlen, "command not found: %.100s (in PATH of the child)", cfg->command);
    else if (!argv) snprintf(err, errlen, "out of memory");
    else if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC) || pipe2(rep, O_CLOEXEC))
        snprintf(err, errlen, "pipe: %s", strerror(errno));
    else if ((t->pid = fork()) < 0)
        snprintf(err, errlen, "fork: %s", strerror(errno));
    else if (t->pid == 0)
        child_exec(path, argv, env, cfg->cwd, in[0], out[1], er[1], rep[1]);
    else {
        setpgid(t->pid, t->pid); /* also here: no window where a signal to the group misses it */
        close_fd(&rep[1]);
        int e = 0;
        ssize_t n;
        while ((n = read(rep[0], &e, sizeof e)) < 0 && errno == EINTR) {}
        if (n == (ssize_t)sizeof e) {
            snprintf(err, errlen, "cannot start %.100s: %s", cfg->command, strerror(e));
            waitpid(t->pid, NULL, 0);
            t->pid = 0;
        } else {
            t->in_fd = in[1], in[1] = -1;
            t->out_fd = out[0], out[0] = -1;
            t->err_fd = er[0], er[0] = -1;
            rc = 0;
        }
    }
    int *fds[] = {&in[0], &in[1], &out[0], &out[1], &er[0], &er[1], &rep[0], &rep[1]};
    for (size_t i = 0; i < 8; i++) close_fd(fds[i]);
    strv_free(env);
    strv_free(argv);
    free(path);
    return rc;
}

/* ---- reading ---- */

/* Reads up to cap bytes, waking every 100 ms to see whether the transport is stopping.
 * >0 bytes, 0 at EOF or stop, -1 on error. */
static ssize_t read_some(stdio_t *t, int fd, char *buf, size_t cap)
{
    for (;;) {
        if (t->stopping) return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) return -1;
        if (r <= 0) continue;
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return n;
    }
}

/* The id of a message too big to keep, from its last bytes, when they end `"id":<value>}`. */
static json_t *tail_id(const char *tail, size_t len)
{
    char buf[TAIL_KEEP + 1];
    memcpy(buf, tail, len);
    buf[len] = '\0';
    char *at = NULL;
    for (char *p = strstr(buf, "\"id\":"); p; p = strstr(p + 1, "\"id\":")) at = p;
    if (!at) return NULL;
    json_error_t je;
    const char *v = at + 5;
    json_t *id = json_loadb(v, strlen(v), JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &je);
    if (!id) return NULL;
    const char *rest = v + je.position;
    while (*rest == ' ' || *rest == '\r' || *rest == '\t') rest++;
    if (*rest++ != '}') goto no;
    while (*rest == ' ' || *rest == '\r' || *rest == '\t') rest++;
    if (*rest || !(json_is_integer(id) || json_is_string(id))) goto no;
    return id;
no:
    json_decref(id);
    return NULL;
}

static void on_line(stdio_t *t, const char *line, size_t len, unsigned *garbage)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == len) return;
    char why[160];
    json_t *msg = sw_rpc_parse(line + i, len - i, why, sizeof why);
    if (!msg) {
        if ((*garbage)++ < GARBAGE_LOGGED)
            SW_WARN("mcp %s: a line on stdout that is not JSON (%s)%s", t->name, why,
                    *garbage == GARBAGE_LOGGED ? "; further ones are not logged" : "");
        return;
    }
    t->sink.on_message(t->sink.arg, msg);
    json_decref(msg);
}

/* How the child ended (without reaping it: the group stays reserved until shutdown). */
static void exit_reason(stdio_t *t, char *why, size_t len)
{
    int64_t until = mono_ms() + 1000;
    while (!t->stopping) {
        siginfo_t si = {0};
        if (waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 && si.si_pid == t->pid) {
            if (si.si_code == CLD_EXITED) snprintf(why, len, "exited with status %d", si.si_status);
            else snprintf(why, len, "killed by signal %d", si.si_status);
            return;
        }
        if (mono_ms() >= until) break;
        sleep_ms(10);
    }
    snprintf(why, len, "closed its stdout");
}

static void *reader_main(void *arg)
{
    stdio_t *t = arg;
    size_t cap = 65536, len = 0;
    char *line = malloc(cap), chunk[65536], tail[TAIL_KEEP];
    size_t tail_len = 0;
    int over = 0;
    unsigned garbage = 0;
    ssize_t n;
    while (line && (n = read_some(t, t->out_fd, chunk, sizeof chunk)) > 0) {
        const char *p = chunk, *end = chunk + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t seg = (size_t)((nl ? nl : end) - p);
            if (!over && len + seg > t->max) over = 1, tail_len = 0;
            if (over) { /* keep only the last bytes, for the id */
                if (seg >= TAIL_KEEP) memcpy(tail, p + seg - TAIL_KEEP, tail_len = TAIL_KEEP);
                else {
                    size_t keep = tail_len + seg > TAIL_KEEP ? TAIL_KEEP - seg : tail_len;
                    memmove(tail, tail + tail_len - keep, keep);
                    memcpy(tail + keep, p, seg);
                    tail_len = keep + seg;
                }
            } else {
                if (len + seg + 1 > cap) {
                    size_t nc = cap;
                    while (len + seg + 1 > nc) nc *= 2;
                    char *g = realloc(line, nc);
                    if (!g) goto out;
                    line = g, cap = nc;
                }
                memcpy(line + len, p, seg);
                len += seg;
            }
            if (!nl) break;
            if (over) {
                json_t *id = tail_id(tail, tail_len);
                t->sink.on_too_big(t->sink.arg, id);
                json_decref(id);
            } else on_line(t, line, len, &garbage);
            len = 0, over = 0, tail_len = 0;
            p = nl + 1;
        }
    }
out:
    free(line);
    if (t->stopping) return NULL;
    char why[128];
    exit_reason(t, why, sizeof why);
    pthread_mutex_lock(&t->mu);
    snprintf(t->why, sizeof t->why, "%s", why);
    pthread_mutex_unlock(&t->mu);
    if (!t->stopping) t->sink.on_closed(t->sink.arg, why);
    return NULL;
}

/* stderr → the log, lines cut at STDERR_LINE_MAX, at most STDERR_PER_SEC a second after a burst. */
static void log_err_line(stdio_t *t, const char *line, size_t len, int cut, double *tokens, int64_t *last,
                         unsigned *dropped)
{
    int64_t now = mono_ms();
    *tokens += (double)(now - *last) * STDERR_PER_SEC / 1000.0;
    if (*tokens > STDERR_BURST) *tokens = STDERR_BURST;
    *last = now;
    if (*tokens < 1) {
        (*dropped)++;
        return;
    }
    *tokens -= 1;
    if (*dropped) SW_INFO("mcp %s stderr: (%u lines not logged)", t->name, *dropped);
    *dropped = 0;
    SW_INFO("mcp %s stderr: %.*s%s", t->name, (int)len, line, cut ? " [cut]" : "");
}

static void *stderr_main(void *arg)
{
    stdio_t *t = arg;
    char line[STDERR_LINE_MAX], chunk[4096];
    size_t len = 0;
    int cut = 0;
    double tokens = STDERR_BURST;
    int64_t last = mono_ms();
    unsigned dropped = 0;
    ssize_t n;
    while ((n = read_some(t, t->err_fd, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (chunk[i] == '\n') {
                if (len || cut) log_err_line(t, line, len, cut, &tokens, &last, &dropped);
                len = 0, cut = 0;
            } else if (len < sizeof line) line[len++] = chunk[i];
            else cut = 1;
        }
    }
    if (len) log_err_line(t, line, len, cut, &tokens, &last, &dropped);
    if (dropped) SW_INFO("mcp %s stderr: (%u lines not logged)", t->name, dropped);
    return NULL;
}

/* ---- the vtable ---- */

static int write_all(int fd, const char *buf, size_t len)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old); /* a dead reader: EPIPE here, no signal */
    int rc = 0;
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            rc = -errno;
            break;
        }
        buf += w, len -= (size_t)w;
    }
    if (rc == -EPIPE) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero); /* consume the SIGPIPE this thread raised */
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int stdio_send(sw_mcp_transport *base, const json_t *msg, char *err, size_t errlen)
{
    stdio_t *t = (stdio_t *)base;
    size_t len;
    char *s = sw_rpc_dump(msg, &len);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *line = realloc(s, len + 1);
    if (!line) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    line[len] = '\n';
    pthread_mutex_lock(&t->wmu);
    int rc = t->in_fd < 0 || t->stopping ? -EPIPE : write_all(t->in_fd, line, len + 1);
    pthread_mutex_unlock(&t->wmu);
    free(line);
    if (rc == 0) return 0;
    char why[160];
    base->ops->why_closed(base, why, sizeof why);
    /* the child is gone: its reader says how in a moment (exit status, signal) */
    for (int64_t until = mono_ms() + 1000; rc == -EPIPE && !why[0] && !t->stopping && mono_ms() < until;) {
        sleep_ms(10);
        base->ops->why_closed(base, why, sizeof why);
    }
    snprintf(err, errlen, "cannot write to the server's stdin: %s%s%s", strerror(-rc), why[0] ? "; it " : "", why);
    return -1;
}

static void stdio_ready(sw_mcp_transport *base, const char *protocol)
{
    (void)base, (void)protocol;
}

static void stdio_why(sw_mcp_transport *base, char *why, size_t len)
{
    stdio_t *t = (stdio_t *)base;
    pthread_mutex_lock(&t->mu);
    snprintf(why, len, "%s", t->why);
    pthread_mutex_unlock(&t->mu);
}

static pid_t stdio_pid(const sw_mcp_transport *base)
{
    return ((const stdio_t *)base)->pid;
}

static int exited(pid_t pid)
{
    siginfo_t si = {0};
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 && si.si_pid == pid;
}

static void stdio_shutdown(sw_mcp_transport *base)
{
    stdio_t *t = (stdio_t *)base;
    t->stopping = 1;
    if (pthread_mutex_trylock(&t->wmu) == 0) { /* a writer blocked on a full pipe holds it */
        close_fd(&t->in_fd);
        pthread_mutex_unlock(&t->wmu);
    }
    if (t->pid > 0 && !t->reaped) {
        kill(-t->pid, SIGTERM);
        int64_t until = mono_ms() + TERM_GRACE_MS;
        while (!exited(t->pid) && mono_ms() < until) sleep_ms(10);
        kill(-t->pid, SIGKILL); /* the leader is at most a zombie: the group id is still ours */
        while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR) {}
        t->reaped = 1;
    }
    if (t->have_rd) pthread_join(t->rd, NULL);
    if (t->have_er) pthread_join(t->er, NULL);
    t->have_rd = t->have_er = 0;
    pthread_mutex_lock(&t->wmu);
    close_fd(&t->in_fd);
    pthread_mutex_unlock(&t->wmu);
    close_fd(&t->out_fd);
    close_fd(&t->err_fd);
}

static void stdio_free(sw_mcp_transport *base)
{
    stdio_t *t = (stdio_t *)base;
    pthread_mutex_destroy(&t->wmu);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static const sw_mcp_transport_ops STDIO_OPS = {stdio_send, stdio_ready, stdio_why, stdio_pid, stdio_shutdown, stdio_free};

sw_mcp_transport *sw_mcp_stdio_open(const sw_mcp_config *cfg, const sw_mcp_sink *sink, char *err, size_t errlen)
{
    if (!cfg->command || !cfg->command[0]) {
        snprintf(err, errlen, "no command");
        return NULL;
    }
    stdio_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->base.ops = &STDIO_OPS;
    t->sink = *sink;
    t->in_fd = t->out_fd = t->err_fd = -1;
    t->max = cfg->max_message_bytes ? cfg->max_message_bytes : (size_t)4 << 20;
    snprintf(t->name, sizeof t->name, "%s", cfg->log_name ? cfg->log_name : cfg->command);
    pthread_mutex_init(&t->wmu, NULL);
    pthread_mutex_init(&t->mu, NULL);
    if (spawn(t, cfg, err, errlen) != 0) {
        stdio_free(&t->base);
        return NULL;
    }
    t->have_rd = pthread_create(&t->rd, NULL, reader_main, t) == 0;
    t->have_er = t->have_rd && pthread_create(&t->er, NULL, stderr_main, t) == 0;
    if (!t->have_er) {
        snprintf(err, errlen, "cannot start a thread");
        stdio_shutdown(&t->base);
        stdio_free(&t->base);
        return NULL;
    }
    SW_INFO("mcp %s: started %s (pid %d)", t->name, cfg->command, (int)t->pid);
    return &t->base;
}
