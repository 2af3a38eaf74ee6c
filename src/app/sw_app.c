/* sw_app: start-up and shutdown of the process's components, the JWT and secret keys (sealing
 * stored secrets at start, key rotation) and the first-start bootstrap (tenant "default", user "admin", <data-dir>/admin.token). */
#include "app/sw_app.h"
#include "mcp/sw_mcp_serve.h"
#include "rooms/sw_slash_cmd.h"
#include "auth/sw_jwt.h"
#include "core/sw_log.h"
#include "core/sw_time.h"
#include "store/sw_ai_repo.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    return (mkdir(tmp, 0700) != 0 && errno != EEXIST) ? -1 : 0;
}

/* The data dir holds the keys and the database: only its owner may enter it. An existing one
 * made with a wider mode (0755 by mkdir -p) is tightened to 0700, with one log line; one that is
 * not ours or is sticky (a shared directory such as /tmp) is left alone with a warning. */
static void tighten_data_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0 || (st.st_mode & 077) == 0) return;
    unsigned old = (unsigned)(st.st_mode & 07777);
    if (st.st_uid != geteuid() || (st.st_mode & S_ISVTX)) {
        SW_WARN("data dir %s has mode %04o and is shared or not ours; not changing it", dir, old);
        return;
    }
    if (chmod(dir, 0700) != 0) SW_WARN("data dir %s has mode %04o; cannot make it 0700: %s", dir, old, strerror(errno));
    else SW_INFO("data dir %s had mode %04o; now 0700", dir, old);
}

/* Writes data to path atomically with mode 0600. */
static int write_secret_file(const char *path, const void *data, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    ssize_t w = write(fd, data, len);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int load_key(sw_app *app, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/jwt.key", app->cfg.data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, app->jwt_key, sizeof app->jwt_key);
        close(fd);
        if (n == (ssize_t)sizeof app->jwt_key) return 0;
        snprintf(err, errlen, "%s is damaged (expected %zu bytes); remove it to issue a new key "
                              "(every token becomes invalid)", path, sizeof app->jwt_key);
        return -1;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    randombytes_buf(app->jwt_key, sizeof app->jwt_key);
    if (write_secret_file(path, app->jwt_key, sizeof app->jwt_key) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int sw_app_open(sw_app *app, const sw_config *cfg, char *err, size_t errlen)
{
    memset(app, 0, sizeof *app);
    app->cfg = *cfg;
    sw_config_finish(&app->cfg);
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (mkdir_p(app->cfg.data_dir) != 0) {
        snprintf(err, errlen, "cannot create data dir %s: %s", app->cfg.data_dir, strerror(errno));
        return -1;
    }
    tighten_data_dir(app->cfg.data_dir);
    if (load_key(app, err, errlen) != 0) return -1;
    char skpath[1100];
    snprintf(skpath, sizeof skpath, "%s/secret.key", app->cfg.data_dir);
    app->secrets = sw_secretbox_load(skpath, err, errlen);
    if (!app->secrets) return -1;
    app->netpolicy = sw_netpolicy_new(app->cfg.outbound_allow, err, errlen);
    if (!app->netpolicy) {
        sw_secretbox_free(app->secrets);
        app->secrets = NULL;
        return -1;
    }
    app->db = sw_db_open_with(app->cfg.db_url, &(sw_db_options){.synchronous = app->cfg.db_synchronous}, err,
                              errlen);
    if (!app->db) {
        sw_secretbox_free(app->secrets);
        app->secrets = NULL;
        return -1;
    }
    sw_db_set_secretbox(app->db, app->secrets);
    char merr[512];
    int applied = sw_migrate(app->db, merr, sizeof merr);
    if (applied < 0) {
        snprintf(err, errlen, "%s", merr);
        sw_app_close(app);
        return -1;
    }
    if (applied > 0) SW_INFO("store: applied %d migration(s), schema version %d", applied, sw_migrate_latest());
    app->metrics = sw_metrics_new();
    app->reg = sw_registry_new();
    app->states = sw_plugin_states_new(app->db, app->reg);
    app->audit = sw_audit_new(app->db);
    app->tool_pool = sw_pool_new(app->cfg.workers);
    app->turn_pool = sw_pool_new(app->cfg.workers);
    app->bus = sw_bus_new();
    sw_login_opts lo = {.workers = app->cfg.login_workers, .queue = app->cfg.login_queue,
                        .account_failures = app->cfg.login_account_failures,
                        .address_failures = app->cfg.login_address_failures};
    app->login = sw_login_new(app->db, &lo);
    app->tokgen = sw_tokgen_new(app->db);
    if (!app->metrics || !app->reg || !app->states || !app->audit || !app->tool_pool ||
        !app->turn_pool || !app->bus || !app->login || !app->tokgen) {
        snprintf(err, errlen, "out of memory at start-up");
        sw_app_close(app);
        return -1;
    }
    sw_dispatcher_init(&app->disp, app->db, app->reg, app->states, app->audit, app->tool_pool,
                       app->metrics, app->cfg.tool_timeout_ms);
    app->disp.netpolicy = app->netpolicy;
    app->disp.token_key = app->jwt_key; /* swp_token_exchange signs with it (aud-bound tokens) */
    app->disp.token_key_len = sizeof app->jwt_key;
    sw_rooms_init(&app->rooms, app->db, app->bus, &app->disp, app->turn_pool);
    sw_slash_cmd_attach(&app->rooms);
    app->rooms.max_slash = app->cfg.max_slash_jobs;
    sw_ai_config aic = {.default_base_url = getenv("SCAIWAVE_SCAIGRID_URL"),
                        .default_api_key = getenv("SCAIWAVE_SCAIGRID_API_KEY"),
                        .max_rounds = app->cfg.ai_max_rounds,
                        .etiquette = getenv("SCAIWAVE_TOOL_ETIQUETTE"),
                        .netpolicy = app->netpolicy};
    app->ai = sw_ai_new(app->db, app->bus, &app->rooms, &app->disp, app->turn_pool, &aic);
    if (!app->ai) {
        snprintf(err, errlen, "out of memory at start-up");
        sw_app_close(app);
        return -1;
    }
    app->approvals = sw_approvals_new(app->db, app->bus, &app->rooms, &app->disp, app->turn_pool,
                                      app->cfg.approval_timeout_s);
    if (!app->approvals) {
        snprintf(err, errlen, "out of memory at start-up");
        sw_app_close(app);
        return -1;
    }
    sw_ai_set_approvals(app->ai, app->approvals); /* and registers the turns with them */
    sw_mcp_serve_config mcfg = {.disp = &app->disp, .rooms = &app->rooms, .server_version = "0.1.0"};
    app->mcp_serve = sw_mcp_serve_new(&mcfg);
    if (!app->mcp_serve) {
        snprintf(err, errlen, "out of memory at start-up");
        sw_app_close(app);
        return -1;
    }
    app->disp.bus = app->bus;
    app->disp.model_complete = sw_ai_model_complete;
    app->disp.model_arg = app->ai;
    app->rooms.on_message = sw_ai_on_message;
    app->rooms.on_message_arg = app->ai;
    sw_registry_add_builtins(app->reg, &app->disp.host);
    if (app->cfg.plugin_dir[0]) sw_registry_load_dir(app->reg, app->cfg.plugin_dir, &app->disp.host);
    int sealed, unreadable; /* after the registry: it says which settings its plugins declare secret */
    if (sw_app_seal_secrets(app, &sealed, &unreadable, err, errlen) != 0) {
        sw_app_close(app);
        return -1;
    }
    if (sealed) SW_INFO("secrets: sealed %d stored row(s) with secret.key (key id %s)", sealed,
                        sw_secretbox_key_id(app->secrets));
    if (unreadable)
        SW_WARN("secrets: %d stored secret(s) cannot be decrypted with %s/secret.key (key id %s) — a store "
                "copied without its key? They read as unset; an admin must set them again",
                unreadable, app->cfg.data_dir, sw_secretbox_key_id(app->secrets));
    return 0;
}

int sw_app_seal_secrets(sw_app *app, int *changed, int *unreadable, char *err, size_t errlen)
{
    int pc = 0, pu = 0, mc = 0, mu = 0;
    int rc = sw_db_begin(app->db) < 0 ? -1 : 0;
    if (rc == 0) rc = sw_plugin_states_seal_all(app->states, &pc, &pu);
    if (rc == 0) rc = sw_model_configs_seal_all(app->db, &mc, &mu) == SW_REPO_OK ? 0 : -1;
    if (rc == 0) rc = sw_db_commit(app->db) < 0 ? -1 : 0;
    if (rc != 0) {
        snprintf(err, errlen, "sealing stored secrets: %s", sw_db_errmsg(app->db));
        sw_db_rollback(app->db);
        return -1;
    }
    *changed = pc + mc;
    *unreadable = pu + mu;
    return 0;
}

int sw_app_rotate_secret_key(sw_app *app, int *changed, int *unreadable, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/secret.key", app->cfg.data_dir);
    sw_secretbox *nb = sw_secretbox_rotate_begin(path, app->secrets, err, errlen);
    if (!nb) return -1;
    sw_db_set_secretbox(app->db, nb); /* seals with the new key, still opens with the old */
    if (sw_app_seal_secrets(app, changed, unreadable, err, errlen) != 0) {
        sw_db_set_secretbox(app->db, app->secrets); /* rolled back: the old key stays */
        char pending[1110];
        snprintf(pending, sizeof pending, "%s.new", path);
        unlink(pending);
        sw_secretbox_free(nb);
        return -1;
    }
    if (sw_secretbox_rotate_finish(path, err, errlen) != 0) {
        /* committed: the values need the new key, which stays in secret.key.new (read at start) */
        sw_secretbox_free(app->secrets);
        app->secrets = nb;
        return -1;
    }
    sw_secretbox_free(app->secrets);
    app->secrets = nb;
    return 0;
}

void sw_app_close(sw_app *app)
{
    sw_ai_quiesce(app->ai);            /* no new turns; those in flight are cancelled */
    sw_approvals_stop(app->approvals); /* the sweeper, and decided calls being run */
    sw_ai_free(app->ai); /* waits for the AI turns in flight */
    app->ai = NULL;
    sw_approvals_free(app->approvals);
    app->approvals = NULL;
    sw_mcp_serve_free(app->mcp_serve); /* the HTTP server has stopped: no /v1/mcp call runs */
    app->mcp_serve = NULL;
    if (app->bus) sw_rooms_fini(&app->rooms); /* waits for queued slash commands */
    sw_pool_free(app->turn_pool);
    app->turn_pool = NULL;
    sw_dispatcher_fini(&app->disp); /* the watchdog of tools run on the turn workers */
    sw_pool_free(app->tool_pool); /* finishes running tool calls */
    app->tool_pool = NULL;
    sw_login_free(app->login); /* verifications in flight finish; queued ones are cancelled */
    app->login = NULL;
    sw_tokgen_free(app->tokgen);
    app->tokgen = NULL;
    sw_audit_free(app->audit);    /* flushes the audit queue */
    app->audit = NULL;
    sw_plugin_states_free(app->states);
    app->states = NULL;
    sw_registry_free(app->reg);
    app->reg = NULL;
    sw_db_close(app->db);
    app->db = NULL;
    sw_metrics_free(app->metrics);
    app->metrics = NULL;
    sw_bus_free(app->bus);
    app->bus = NULL;
    sw_netpolicy_free(app->netpolicy);
    app->netpolicy = NULL;
    sodium_memzero(app->jwt_key, sizeof app->jwt_key);
    sw_secretbox_free(app->secrets);
    app->secrets = NULL;
    curl_global_cleanup();
}

char *sw_app_issue_token(sw_app *app, const char *tenant_id, const char *participant_id,
                         const char *roles_csv, int ttl_seconds)
{
    int64_t gen = 0;
    if (sw_tokgen_current(app->tokgen, tenant_id, participant_id, &gen) != 0) return NULL;
    json_t *roles = sw_roles_json(roles_csv);
    int64_t now = sw_time_now_ms() / 1000;
    json_t *claims = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I}", "sub", participant_id, "tid", tenant_id,
                               "roles", roles, "gen", (json_int_t)gen, "iat", (json_int_t)now,
                               "exp", (json_int_t)(now + ttl_seconds));
    char *tok = claims ? sw_jwt_sign(app->jwt_key, sizeof app->jwt_key, claims) : NULL;
    json_decref(claims);
    return tok;
}

int sw_app_store_answers(sw_app *app)
{
    return sw_db_ping(app->db) == 0;
}

static int bootstrap(sw_app *app, int *wrote, char *err, size_t errlen);

int sw_app_bootstrap(sw_app *app, int *wrote, char *err, size_t errlen)
{
    int rc = bootstrap(app, wrote, err, errlen);
    if (rc == 0 && app->approvals) sw_approvals_start(app->approvals);
    return rc;
}

static int bootstrap(sw_app *app, int *wrote, char *err, size_t errlen)
{
    *wrote = 0;
    sw_tenant t;
    int rc = sw_tenant_by_slug(app->db, "default", &t);
    if (rc == SW_REPO_NOT_FOUND && sw_tenant_count(app->db) == 0) {
        rc = sw_tenant_create(app->db, "default", "Default", &t);
        if (rc == SW_REPO_CONFLICT) rc = sw_tenant_by_slug(app->db, "default", &t); /* raced */
        if (rc == SW_REPO_OK) SW_INFO("first start: created tenant \"default\"");
    }
    if (rc == SW_REPO_NOT_FOUND) return 0; /* a store without a default tenant: nothing to do */
    if (rc != SW_REPO_OK) {
        snprintf(err, errlen, "bootstrap: %s", sw_db_errmsg(app->db));
        return -1;
    }
    sw_participant admin;
    rc = sw_participant_by_local_id(app->db, t.id, "admin", &admin);
    if (rc == SW_REPO_NOT_FOUND) {
        rc = sw_participant_create(app->db, t.id, "admin", "Administrator", "human", "admin,member",
                                   NULL, &admin);
        if (rc == SW_REPO_CONFLICT) rc = sw_participant_by_local_id(app->db, t.id, "admin", &admin);
        if (rc == SW_REPO_OK)
            SW_INFO("first start: created admin user \"admin\" (set a password with "
                    "`scaiwave user create --tenant default --user admin --admin --password-stdin`)");
    }
    if (rc != SW_REPO_OK) {
        snprintf(err, errlen, "bootstrap: %s", sw_db_errmsg(app->db));
        return -1;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/admin.token", app->cfg.data_dir);
    /* Keep a token file that still verifies; replace a missing, stale or foreign one. */
    char buf[SW_JWT_MAX_LEN];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
        json_t *claims = NULL;
        if (n > 0 &&
            sw_jwt_verify(app->jwt_key, sizeof app->jwt_key, buf, (size_t)n,
                          sw_time_now_ms() / 1000 + 3600, &claims) == SW_JWT_OK) {
            const char *sub = json_string_value(json_object_get(claims, "sub"));
            int64_t gen = -1;
            int same = sub && strcmp(sub, admin.id) == 0 &&
                       sw_tokgen_current(app->tokgen, t.id, admin.id, &gen) == 0 &&
                       json_integer_value(json_object_get(claims, "gen")) == gen; /* not revoked */
            json_decref(claims);
            if (same) return 0;
        }
    }
    char *tok = sw_app_issue_token(app, t.id, admin.id, admin.roles, app->cfg.admin_token_ttl);
    if (!tok) {
        snprintf(err, errlen, "bootstrap: cannot sign the admin token");
        return -1;
    }
    size_t len = strlen(tok);
    tok[len] = '\n'; /* newline-terminated file; overwrite NUL then write len+1 */
    int w = write_secret_file(path, tok, len + 1);
    sodium_memzero(tok, len);
    free(tok);
    if (w != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    *wrote = 1;
    return 0;
}
