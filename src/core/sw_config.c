/* sw_config: defaults → SCAIWAVE_* environment → command-line options. */
#include "core/sw_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { OPT_STR, OPT_INT } opt_kind;

typedef struct {
    const char *flag; /* without leading dashes */
    const char *env;
    opt_kind kind;
    size_t off;
    size_t size; /* for strings */
    int min, max;
    const char *help;
} opt_def;

#define S(field) OPT_STR, offsetof(sw_config, field), sizeof(((sw_config *)0)->field), 0, 0
#define I(field, lo, hi) OPT_INT, offsetof(sw_config, field), 0, lo, hi

static const opt_def opts[] = {
    {"bind", "SCAIWAVE_BIND", S(bind), "address to listen on (127.0.0.1)"},
    {"port", "SCAIWAVE_PORT", I(port, 0, 65535), "TCP port (8080; 0 picks a free one)"},
    {"data-dir", "SCAIWAVE_DATA_DIR", S(data_dir), "directory for the database, keys, admin.token (./var)"},
    {"db-url", "SCAIWAVE_DB_URL", S(db_url), "store URL: sqlite:PATH (default sqlite:<data-dir>/scaiwave.db)"},
    {"plugin-dir", "SCAIWAVE_PLUGIN_DIR", S(plugin_dir), "directory of third-party plugin .so files (none)"},
    {"threads", "SCAIWAVE_THREADS", I(threads, 1, 256), "HTTP threads (number of cores)"},
    {"workers", "SCAIWAVE_WORKERS", I(workers, 1, 1024), "tool/AI worker threads (8)"},
    {"max-slash-jobs", "SCAIWAVE_MAX_SLASH_JOBS", I(max_slash_jobs, 1, 1000000), "slash commands accepted and not yet finished; past it a command is refused with 503 SW_OVERLOADED and not stored (1024)"},
    {"tool-timeout-ms", "SCAIWAVE_TOOL_TIMEOUT_MS", I(tool_timeout_ms, 1, 3600000), "default tool timeout (30000)"},
    {"ai-max-rounds", "SCAIWAVE_AI_MAX_ROUNDS", I(ai_max_rounds, 1, 64), "tool rounds per AI turn before a final answer (8)"},
    {"approval-timeout-s", "SCAIWAVE_APPROVAL_TIMEOUT_S", I(approval_timeout_s, 1, 604800), "seconds an AI's tool call waits for approval before it expires (600)"},
    {"token-ttl", "SCAIWAVE_TOKEN_TTL", I(token_ttl, 1, 315360000), "lifetime of /v1/auth/token tokens, s (86400)"},
    {"admin-token-ttl", "SCAIWAVE_ADMIN_TOKEN_TTL", I(admin_token_ttl, 1, 315360000), "lifetime of admin.token, s (2592000)"},
    {"max-connections", "SCAIWAVE_MAX_CONNECTIONS", I(max_connections, 16, 1000000), "connection limit (4096)"},
    {"max-connections-per-ip", "SCAIWAVE_MAX_CONNECTIONS_PER_IP", I(max_connections_per_ip, 0, 1000000), "connections one client address may hold; 0 = no limit (128)"},
    {"header-timeout-s", "SCAIWAVE_HEADER_TIMEOUT_S", I(header_timeout_s, 1, 3600), "seconds a connection may take to send a request's headers (also idle keep-alive), not extended by a trickle (30)"},
    {"access-log", "SCAIWAVE_ACCESS_LOG", I(access_log, 0, 1), "1 to log each request as a JSON line (1)"},
    {"log-level", "SCAIWAVE_LOG_LEVEL", S(log_level), "debug|info|warn|error (info)"},
    {"port-file", "SCAIWAVE_PORT_FILE", S(port_file), "write the bound port to this file once listening"},
    {"web-dir", "SCAIWAVE_WEB_DIR", S(web_dir), "directory of the web app served at / (./web)"},
    {"outbound-allow", "SCAIWAVE_OUTBOUND_ALLOW", S(outbound_allow), "hosts, addresses, CIDRs (comma-separated) tenants' outbound HTTP may reach although loopback/private/link-local (none)"},
    {"db-synchronous", "SCAIWAVE_DB_SYNCHRONOUS", S(db_synchronous), "full: an acknowledged write survives power loss; normal: a crash of the process only (full)"},
    {"login-workers", "SCAIWAVE_LOGIN_WORKERS", I(login_workers, 1, 64), "password verifier threads (2)"},
    {"login-queue", "SCAIWAVE_LOGIN_QUEUE", I(login_queue, 0, 100000), "sign-ins waiting for a verifier before 503 (64)"},
    {"login-account-failures", "SCAIWAVE_LOGIN_ACCOUNT_FAILURES", I(login_account_failures, 1, 1000000), "failed sign-ins per account before backoff (5)"},
    {"login-address-failures", "SCAIWAVE_LOGIN_ADDRESS_FAILURES", I(login_address_failures, 1, 1000000), "failed sign-ins per client address before backoff (20)"},
    {"mcp-allowed-origins", "SCAIWAVE_MCP_ALLOWED_ORIGINS", S(mcp_allowed_origins), "browser origins (comma-separated) /v1/mcp accepts besides loopback ones; any other Origin is refused with 403 (none)"},
};

static int set_opt(sw_config *c, const opt_def *o, const char *val, char *err, size_t errlen)
{
    char *dst = (char *)c + o->off;
    if (o->kind == OPT_STR) {
        if (strlen(val) >= o->size) {
            snprintf(err, errlen, "--%s: value too long", o->flag);
            return -1;
        }
        strcpy(dst, val);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < o->min || v > o->max) {
        snprintf(err, errlen, "--%s: expected an integer from %d to %d, got \"%s\"", o->flag, o->min,
                 o->max, val);
        return -1;
    }
    *(int *)dst = (int)v;
    return 0;
}

void sw_config_defaults(sw_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->bind, "127.0.0.1");
    c->port = 8080;
    strcpy(c->data_dir, "./var");
    strcpy(c->web_dir, "./web");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = n > 0 ? (int)n : 2;
    c->workers = 8;
    c->tool_timeout_ms = 30000;
    c->ai_max_rounds = 8;
    c->approval_timeout_s = 600;
    c->token_ttl = 86400;
    c->admin_token_ttl = 30 * 86400;
    c->max_connections = 4096;
    c->login_workers = 2;
    c->login_queue = 64;
    c->login_account_failures = 5;
    c->login_address_failures = 20;
    c->max_connections_per_ip = 128;
    c->max_slash_jobs = 1024;
    c->header_timeout_s = 30;
    c->access_log = 1;
    strcpy(c->log_level, "info");
    strcpy(c->db_synchronous, "full");
    char err[256];
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *v = getenv(opts[i].env);
        if (v && *v && set_opt(c, &opts[i], v, err, sizeof err) != 0)
            fprintf(stderr, "scaiwave: ignoring %s: %s\n", opts[i].env, err);
    }
}

int sw_config_parse_args(sw_config *c, int argc, char **argv, int first, char *err, size_t errlen)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument \"%s\"", a);
            return -1;
        }
        a += 2;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const opt_def *o = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
            if (strlen(opts[k].flag) == nlen && strncmp(opts[k].flag, a, nlen) == 0) o = &opts[k];
        if (!o) {
            snprintf(err, errlen, "unknown option \"--%.*s\" (see --help)", (int)nlen, a);
            return -1;
        }
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val) {
            snprintf(err, errlen, "--%s needs a value", o->flag);
            return -1;
        }
        if (set_opt(c, o, val, err, errlen) != 0) return -1;
    }
    return 0;
}

void sw_config_finish(sw_config *c)
{
    if (!c->db_url[0]) snprintf(c->db_url, sizeof c->db_url, "sqlite:%s/scaiwave.db", c->data_dir);
}

void sw_config_usage(FILE *out)
{
    fprintf(out, "Options (command line overrides environment):\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        fprintf(out, "  --%-18s %-26s %s\n", opts[i].flag, opts[i].env, opts[i].help);
}
