/* sw_config: server configuration. Owns the defaults, the SCAIWAVE_* environment variables and
 * the command-line overrides (documented in docs/configuration.md and `scaiwave serve --help`). */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdio.h>

typedef struct sw_config {
    char bind[64];          /* SCAIWAVE_BIND, --bind (127.0.0.1) */
    int port;               /* SCAIWAVE_PORT, --port (8080; 0 = any free port) */
    char data_dir[1024];    /* SCAIWAVE_DATA_DIR, --data-dir (./var) */
    char db_url[1100];      /* SCAIWAVE_DB_URL, --db-url (sqlite:<data-dir>/scaiwave.db) */
    char plugin_dir[1024];  /* SCAIWAVE_PLUGIN_DIR, --plugin-dir ("" = none) */
    int threads;            /* SCAIWAVE_THREADS, --threads (number of cores) */
    int workers;            /* SCAIWAVE_WORKERS, --workers (tool/AI worker pool: 8) */
    int max_slash_jobs;     /* SCAIWAVE_MAX_SLASH_JOBS: commands queued or running, at most (1024) */
    int tool_timeout_ms;    /* SCAIWAVE_TOOL_TIMEOUT_MS (30000) */
    int ai_max_rounds;      /* SCAIWAVE_AI_MAX_ROUNDS: tool rounds per AI turn (8) */
    int approval_timeout_s; /* SCAIWAVE_APPROVAL_TIMEOUT_S: an approval request expires after (600) */
    int token_ttl;          /* SCAIWAVE_TOKEN_TTL seconds for /v1/auth/token (86400) */
    int admin_token_ttl;    /* SCAIWAVE_ADMIN_TOKEN_TTL seconds for admin.token (2592000) */
    int max_connections;    /* SCAIWAVE_MAX_CONNECTIONS (4096) */
    int max_connections_per_ip; /* SCAIWAVE_MAX_CONNECTIONS_PER_IP, 0 = no limit (128) */
    int header_timeout_s;   /* SCAIWAVE_HEADER_TIMEOUT_S: request headers complete within (30) */
    int access_log;         /* SCAIWAVE_ACCESS_LOG 1|0 (1) */
    char log_level[16];     /* SCAIWAVE_LOG_LEVEL debug|info|warn|error (info) */
    char port_file[1024];   /* SCAIWAVE_PORT_FILE, --port-file: write the bound port here */
    char web_dir[1024];     /* SCAIWAVE_WEB_DIR, --web-dir: the web app's files (./web) */
    /* SCAIWAVE_OUTBOUND_ALLOW, --outbound-allow: hosts/addresses/CIDRs (comma-separated) that
     * tenant-set AI endpoints and plugins' HTTP may reach although loopback/private/... ("") */
    char outbound_allow[4096];
    char db_synchronous[16]; /* SCAIWAVE_DB_SYNCHRONOUS, --db-synchronous full|normal (full) */
    int login_workers;          /* SCAIWAVE_LOGIN_WORKERS: password verifier threads (2) */
    int login_queue;            /* SCAIWAVE_LOGIN_QUEUE: verifications waiting at most (64) */
    int login_account_failures; /* SCAIWAVE_LOGIN_ACCOUNT_FAILURES: before backoff (5) */
    int login_address_failures; /* SCAIWAVE_LOGIN_ADDRESS_FAILURES: before backoff (20) */
    /* SCAIWAVE_MCP_ALLOWED_ORIGINS, --mcp-allowed-origins: browser origins (comma-separated,
     * "https://app.example.com") /v1/mcp accepts besides loopback ones ("") */
    char mcp_allowed_origins[2048];
} sw_config;

/* Defaults, then the environment. */
void sw_config_defaults(sw_config *c);
/* Applies `--name value` / `--name=value` options from argv[first..argc). Returns 0, or -1 with
 * a message in err for an unknown option or a bad value. */
int sw_config_parse_args(sw_config *c, int argc, char **argv, int first, char *err, size_t errlen);
/* Fills db_url from data_dir when it was not given. */
void sw_config_finish(sw_config *c);
void sw_config_usage(FILE *out);

#endif
