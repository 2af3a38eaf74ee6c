/* main: the `scaiwave` command: serve, tenant create, user create, token create/revoke, plugins
 * list, secret rotate. */
#include "app/sw_app.h"
#include "auth/sw_password.h"
#include "core/sw_log.h"
#include "http/sw_server.h"
#include "store/sw_repo.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define SW_VERSION "0.1.0"

static void usage(FILE *out)
{
    fprintf(out,
            "ScaiWave-C %s — AI collaboration server with a C plugin framework\n\n"
            "Usage:\n"
            "  scaiwave serve [options]                     start the server\n"
            "  scaiwave tenant create SLUG [--name NAME]    create a tenant\n"
            "  scaiwave user create --tenant SLUG --user NAME [--display-name NAME] [--admin]\n"
            "                       [--password-stdin]      create a user (or set an existing\n"
            "                                               user's password/admin role)\n"
            "  scaiwave token create --tenant SLUG --user NAME [--ttl SECONDS]\n"
            "                                               print a token for a user\n"
            "  scaiwave token revoke --tenant SLUG --user NAME\n"
            "                                               revoke every token of a user\n"
            "  scaiwave plugins list                        registered plugins and their tools\n"
            "  scaiwave secret rotate                       a new <data-dir>/secret.key, every stored\n"
            "                                               secret re-encrypted (stop the server first)\n"
            "  scaiwave --help | --version\n\n"
            "Every command takes the store options (--data-dir, --db-url, --plugin-dir).\n"
            "`scaiwave serve --help` lists every server option.\n",
            SW_VERSION);
}

/* Pulls command flags out of argv; the rest go to the config parser. */
typedef struct {
    const char *name;
    int takes_value;
    const char *value;
    int present;
} flag;

static int split_flags(int argc, char **argv, int first, flag *flags, int nflags, char **rest,
                       int *nrest, const char **positional)
{
    *nrest = 0;
    for (int i = first; i < argc; i++) {
        int hit = 0;
        for (int k = 0; k < nflags; k++) {
            size_t n = strlen(flags[k].name);
            if (strncmp(argv[i], flags[k].name, n) == 0 && (argv[i][n] == 0 || argv[i][n] == '=')) {
                hit = 1;
                flags[k].present = 1;
                if (flags[k].takes_value) {
                    if (argv[i][n] == '=') flags[k].value = argv[i] + n + 1;
                    else if (i + 1 < argc) flags[k].value = argv[++i];
                    else {
                        fprintf(stderr, "scaiwave: %s needs a value\n", flags[k].name);
                        return -1;
                    }
                }
            }
        }
        if (hit) continue;
        if (argv[i][0] != '-' && positional && !*positional) {
            *positional = argv[i];
            continue;
        }
        rest[(*nrest)++] = argv[i];
        if (argv[i][0] == '-' && !strchr(argv[i], '=') && i + 1 < argc && argv[i + 1][0] != '-')
            rest[(*nrest)++] = argv[++i];
    }
    return 0;
}

static int open_app(sw_app *app, int nrest, char **rest)
{
    sw_config cfg;
    sw_config_defaults(&cfg);
    char err[512];
    if (sw_config_parse_args(&cfg, nrest, rest, 0, err, sizeof err) != 0) {
        fprintf(stderr, "scaiwave: %s\n", err);
        return -1;
    }
    sw_log_set_level(sw_log_parse_level(cfg.log_level));
    if (sw_app_open(app, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "scaiwave: %s\n", err);
        return -1;
    }
    return 0;
}

/* Every connection is a descriptor: take the hard limit (the default soft one, 1024, is below
 * --max-connections), and say so when even that is too low. */
static void raise_fd_limit(int max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)max_connections + 256)
        SW_WARN("open-file limit %llu is below --max-connections %d (+256 for the store and logs); "
                "raise it (ulimit -n) or lower --max-connections",
                (unsigned long long)rl.rlim_cur, max_connections);
}

static int cmd_serve(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: scaiwave serve [options]\n\n");
            sw_config_usage(stdout);
            return 0;
        }
    /* Signals are taken by sigwait in this thread only: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    sw_app app;
    if (open_app(&app, argc - 2, argv + 2) != 0) return 1;
    raise_fd_limit(app.cfg.max_connections);
    char err[512];
    int wrote = 0;
    if (sw_app_bootstrap(&app, &wrote, err, sizeof err) != 0) {
        fprintf(stderr, "scaiwave: %s\n", err);
        sw_app_close(&app);
        return 1;
    }
    sw_server *srv = sw_server_start(&app, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "scaiwave: %s\n", err);
        sw_app_close(&app);
        return 1;
    }
    int port = sw_server_port(srv);
    if (app.cfg.port_file[0]) {
        FILE *f = fopen(app.cfg.port_file, "w");
        if (f) {
            fprintf(f, "%d\n", port);
            fclose(f);
        }
    }
    printf("ScaiWave-C %s listening on http://%s:%d (store: %s, %d plugin(s))\n", SW_VERSION,
           app.cfg.bind, port, sw_db_driver_name(app.db), app.reg->n);
    char tokpath[1100];
    snprintf(tokpath, sizeof tokpath, "%s/admin.token", app.cfg.data_dir);
    if (access(tokpath, R_OK) == 0)
        printf("Admin token%s: %s\n  try: curl -H \"Authorization: Bearer $(cat %s)\" http://%s:%d/v1/me\n",
               wrote ? " written to" : " in", tokpath, tokpath, app.cfg.bind, port);
    fflush(stdout);
    SW_INFO("listening on %s:%d", app.cfg.bind, port);

    int sig = 0;
    sigwait(&set, &sig);
    SW_INFO("signal %d: draining in-flight requests", sig);
    sw_server_quiesce(srv);
    int left = sw_server_wait_idle(srv, 10000);
    if (left) SW_WARN("%d request(s) still running after 10 s; stopping anyway", left);
    sw_server_stop(srv);
    sw_app_close(&app);
    SW_INFO("stopped cleanly");
    return 0;
}

static int cmd_tenant(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "create") != 0) {
        fprintf(stderr, "usage: scaiwave tenant create SLUG [--name NAME]\n");
        return 2;
    }
    flag f[] = {{"--name", 1, NULL, 0}};
    char *rest[64];
    int nrest;
    const char *slug = NULL;
    if (argc > 66 || split_flags(argc, argv, 3, f, 1, rest, &nrest, &slug) != 0) return 2;
    if (!slug || !*slug || strlen(slug) > 64 || strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(slug)) {
        fprintf(stderr, "scaiwave: SLUG must be 1-64 characters of a-z, 0-9, '-' and '_'\n");
        return 2;
    }
    sw_app app;
    if (open_app(&app, nrest, rest) != 0) return 1;
    sw_tenant t;
    int rc = sw_tenant_create(app.db, slug, f[0].value, &t);
    if (rc == SW_REPO_OK) printf("tenant %s created (id %s)\n", t.slug, t.id);
    else if (rc == SW_REPO_CONFLICT) fprintf(stderr, "scaiwave: tenant \"%s\" already exists\n", slug);
    else fprintf(stderr, "scaiwave: %s\n", sw_db_errmsg(app.db));
    sw_app_close(&app);
    return rc == SW_REPO_OK ? 0 : 1;
}

static int read_password_stdin(char *buf, size_t len)
{
    if (!fgets(buf, (int)len, stdin)) return -1;
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return n ? 0 : -1;
}

static int cmd_user(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "create") != 0) {
        fprintf(stderr, "usage: scaiwave user create --tenant SLUG --user NAME [--display-name NAME] "
                        "[--admin] [--password-stdin]\n");
        return 2;
    }
    flag f[] = {{"--tenant", 1, NULL, 0}, {"--user", 1, NULL, 0}, {"--display-name", 1, NULL, 0},
                {"--admin", 0, NULL, 0},  {"--password-stdin", 0, NULL, 0}};
    char *rest[64];
    int nrest;
    if (argc > 66 || split_flags(argc, argv, 3, f, 5, rest, &nrest, NULL) != 0) return 2;
    const char *tenant = f[0].value, *user = f[1].value;
    if (!tenant || !user || !*user || strlen(user) > 64 ||
        strspn(user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(user)) {
        fprintf(stderr, "scaiwave: --tenant and --user are required; NAME is 1-64 of [A-Za-z0-9._-]\n");
        return 2;
    }
    char pw[SW_PASSWORD_MAX_LEN + 2], hash[SW_PASSWORD_HASH_MAX];
    int has_pw = 0;
    if (f[4].present) {
        if (read_password_stdin(pw, sizeof pw) != 0 || strlen(pw) > SW_PASSWORD_MAX_LEN) {
            fprintf(stderr, "scaiwave: expected a password (1-%d bytes) on standard input\n", SW_PASSWORD_MAX_LEN);
            return 2;
        }
        if (sw_password_hash(pw, hash, sizeof hash) != 0) {
            fprintf(stderr, "scaiwave: cannot hash the password\n");
            return 1;
        }
        sodium_memzero(pw, sizeof pw);
        has_pw = 1;
    }
    sw_app app;
    if (open_app(&app, nrest, rest) != 0) return 1;
    int code = 1;
    sw_tenant t;
    sw_participant p;
    if (sw_tenant_by_slug(app.db, tenant, &t) != SW_REPO_OK) {
        fprintf(stderr, "scaiwave: no tenant \"%s\" (create it with `scaiwave tenant create %s`)\n", tenant, tenant);
        goto out;
    }
    const char *roles = f[3].present ? "admin,member" : "member";
    int rc = sw_participant_create(app.db, t.id, user, f[2].value, "human", roles, has_pw ? hash : NULL, &p);
    if (rc == SW_REPO_CONFLICT) {
        if (sw_participant_by_local_id(app.db, t.id, user, &p) != SW_REPO_OK) goto out;
        if (!has_pw && !f[3].present) {
            fprintf(stderr, "scaiwave: user \"%s\" already exists in %s\n", user, tenant);
            goto out;
        }
        if (sw_participant_update_auth(app.db, t.id, p.id, f[3].present ? "admin,member" : NULL,
                                       has_pw ? hash : NULL) != SW_REPO_OK)
            goto out;
        printf("user %s updated in tenant %s (id %s)\n", user, tenant, p.id);
        code = 0;
    } else if (rc == SW_REPO_OK) {
        printf("user %s created in tenant %s (id %s)%s\n", user, tenant, p.id, has_pw ? "" : " without a password");
        code = 0;
    } else {
        fprintf(stderr, "scaiwave: %s\n", sw_db_errmsg(app.db));
    }
out:
    sw_app_close(&app);
    return code;
}

/* The tenant and user a CLI command names; prints why and returns -1 when either is missing. */
static int find_user(sw_app *app, const char *slug, const char *user, sw_tenant *t, sw_participant *p)
{
    if (sw_tenant_by_slug(app->db, slug, t) != SW_REPO_OK) {
        fprintf(stderr, "scaiwave: no tenant \"%s\"\n", slug);
        return -1;
    }
    if (sw_participant_by_local_id(app->db, t->id, user, p) != SW_REPO_OK) {
        fprintf(stderr, "scaiwave: no user \"%s\" in tenant %s\n", user, slug);
        return -1;
    }
    return 0;
}

/* token revoke: bumps the user's token generation; a running server refuses the old tokens
 * within a second (sw_tokgen). */
static int cmd_token_revoke(int argc, char **argv)
{
    flag f[] = {{"--tenant", 1, NULL, 0}, {"--user", 1, NULL, 0}};
    char *rest[64];
    int nrest;
    if (argc > 66 || split_flags(argc, argv, 3, f, 2, rest, &nrest, NULL) != 0) return 2;
    if (!f[0].value || !f[1].value) {
        fprintf(stderr, "scaiwave: --tenant and --user are required\n");
        return 2;
    }
    sw_app app;
    if (open_app(&app, nrest, rest) != 0) return 1;
    int code = 1;
    sw_tenant t;
    sw_participant p;
    if (find_user(&app, f[0].value, f[1].value, &t, &p) != 0) {
        /* said why */
    } else if (sw_tokgen_bump(app.tokgen, t.id, p.id, -1) != SW_REPO_OK) {
        fprintf(stderr, "scaiwave: %s\n", sw_db_errmsg(app.db));
    } else {
        printf("every token of %s in tenant %s is revoked\n", f[1].value, f[0].value);
        code = 0;
    }
    sw_app_close(&app);
    return code;
}

static int cmd_token(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[2], "revoke") == 0) return cmd_token_revoke(argc, argv);
    if (argc < 3 || strcmp(argv[2], "create") != 0) {
        fprintf(stderr, "usage: scaiwave token create --tenant SLUG --user NAME [--ttl SECONDS]\n"
                        "       scaiwave token revoke --tenant SLUG --user NAME\n");
        return 2;
    }
    flag f[] = {{"--tenant", 1, NULL, 0}, {"--user", 1, NULL, 0}, {"--ttl", 1, NULL, 0}};
    char *rest[64];
    int nrest;
    if (argc > 66 || split_flags(argc, argv, 3, f, 3, rest, &nrest, NULL) != 0) return 2;
    long ttl = 86400;
    if (f[2].value) {
        char *end;
        ttl = strtol(f[2].value, &end, 10);
        if (*end || ttl < 1 || ttl > 315360000) {
            fprintf(stderr, "scaiwave: --ttl must be 1..315360000 seconds\n");
            return 2;
        }
    }
    if (!f[0].value || !f[1].value) {
        fprintf(stderr, "scaiwave: --tenant and --user are required\n");
        return 2;
    }
    sw_app app;
    if (open_app(&app, nrest, rest) != 0) return 1;
    int code = 1;
    sw_tenant t;
    sw_participant p;
    if (find_user(&app, f[0].value, f[1].value, &t, &p) == 0) {
        char *tok = sw_app_issue_token(&app, t.id, p.id, p.roles, (int)ttl);
        if (tok) {
            printf("%s\n", tok);
            free(tok);
            code = 0;
        }
    }
    sw_app_close(&app);
    return code;
}

static int cmd_plugins(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "list") != 0) {
        fprintf(stderr, "usage: scaiwave plugins list\n");
        return 2;
    }
    sw_app app;
    if (open_app(&app, argc - 3, argv + 3) != 0) return 1;
    printf("%-24s %-10s %-14s %s\n", "ID", "VERSION", "SOURCE", "TOOLS");
    for (int i = 0; i < app.reg->n; i++) {
        const sw_reg_plugin *rp = &app.reg->plugins[i];
        printf("%-24s %-10s %-14s ", rp->p->id, rp->p->version, rp->source);
        for (int k = 0; k < rp->ntools; k++) printf("%s%s", k ? ", " : "", rp->tools[k].def->name);
        printf("\n");
    }
    sw_app_close(&app);
    return 0;
}

/* `secret rotate`: run it on a stopped server's data dir (a running server keeps the old key in
 * memory and could not read what is resealed until it restarts). */
static int cmd_secret(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "rotate") != 0) {
        fprintf(stderr, "usage: scaiwave secret rotate [--data-dir DIR]\n");
        return 2;
    }
    sw_app app;
    if (open_app(&app, argc - 3, argv + 3) != 0) return 1;
    char old_id[16], err[512];
    snprintf(old_id, sizeof old_id, "%s", sw_secretbox_key_id(app.secrets));
    int changed = 0, unreadable = 0;
    int rc = sw_app_rotate_secret_key(&app, &changed, &unreadable, err, sizeof err);
    if (rc != 0) fprintf(stderr, "scaiwave: %s\n", err);
    else {
        printf("secret key rotated: %s -> %s, %d stored row(s) re-encrypted\n", old_id,
               sw_secretbox_key_id(app.secrets), changed);
        if (unreadable)
            printf("%d stored secret(s) could not be decrypted with the old key either; set them again\n",
                   unreadable);
    }
    sw_app_close(&app);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    umask(077); /* the store holds password hashes and plugin secrets: owner-only files */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("scaiwave %s\n", SW_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "serve")) return cmd_serve(argc, argv);
    if (!strcmp(argv[1], "tenant")) return cmd_tenant(argc, argv);
    if (!strcmp(argv[1], "user")) return cmd_user(argc, argv);
    if (!strcmp(argv[1], "token")) return cmd_token(argc, argv);
    if (!strcmp(argv[1], "plugins")) return cmd_plugins(argc, argv);
    if (!strcmp(argv[1], "secret")) return cmd_secret(argc, argv);
    fprintf(stderr, "scaiwave: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
