/* sw_mcp_manager: the tenants' MCP servers (see sw_mcp_manager.h) — the list of servers, the
 * admin operations on it, the views, and the plugin source of the tenants' snapshots. */
#include "mcp/sw_mcp_manager.h"
#include "core/sw_log.h"
#include "core/sw_secretbox.h"
#include "core/sw_time.h"
#include "mcp/sw_mcp_internal.h"
#include "store/sw_mcp_server_repo.h"
#include "store/sw_repo.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sw_mcp_manager {
    sw_db *db;
    sw_plugin_states *states;
    const struct sw_netpolicy *netpolicy;
    char *stdio_allow, *data_dir;
    pthread_mutex_t mu;  /* guards the list */
    pthread_mutex_t write_mu; /* serialises admin writes */
    sw_mcp_srv **srv;
    int n, cap;
    int stopped;
};

sw_db *sw_mcp_m_db(sw_mcp_manager *m) { return m->db; }
const struct sw_netpolicy *sw_mcp_m_netpolicy(sw_mcp_manager *m) { return m->netpolicy; }
const char *sw_mcp_m_data_dir(sw_mcp_manager *m) { return m->data_dir; }
const char *sw_mcp_m_stdio_allow(sw_mcp_manager *m) { return m->stdio_allow; }

void sw_mcp_m_changed(sw_mcp_manager *m, const char *tenant_id)
{
    sw_plugin_states_invalidate(m->states, tenant_id);
}

void sw_mcp_sess_release(sw_mcp_sess *s)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    sw_mcp_client_close(s->client);
    free(s);
}

sw_mcp_sess *sw_mcp_srv_session(sw_mcp_srv *s)
{
    pthread_mutex_lock(&s->mu);
    sw_mcp_sess *sess = s->sess;
    if (sess) __atomic_add_fetch(&sess->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&s->mu);
    return sess;
}

void sw_mcp_srv_release(sw_mcp_srv *s)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    json_decref(s->config);
    json_decref(s->tools_view);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* ---- the plugin source ---- */

static int source_list(void *arg, const char *tenant_id, const sw_reg_plugin **out, void **holds, int max)
{
    sw_mcp_manager *m = arg;
    int k = 0;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->n && k < max; i++) {
        sw_mcp_srv *s = m->srv[i];
        if (strcmp(s->tenant_id, tenant_id) != 0) continue;
        pthread_mutex_lock(&s->mu);
        sw_mcp_mount *mt = s->mount;
        if (mt) __atomic_add_fetch(&mt->refs, 1, __ATOMIC_ACQ_REL);
        pthread_mutex_unlock(&s->mu);
        if (!mt) { /* not ready: listed without tools, so its status and state stay visible */
            json_t *none = json_array(), *view = NULL;
            char err[200];
            mt = none ? sw_mcp_mount_build(s, NULL, none, &view, err, sizeof err) : NULL;
            json_decref(none);
            json_decref(view);
        }
        if (mt) {
            out[k] = &mt->rp;
            holds[k++] = mt;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return k;
}

static void source_release(void *arg, void *hold)
{
    (void)arg;
    sw_mcp_mount_release(hold);
}

sw_mcp_manager *sw_mcp_manager_new(const sw_mcp_manager_opts *o)
{
    sw_mcp_manager *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->db = o->db;
    m->states = o->states;
    m->netpolicy = o->netpolicy;
    m->stdio_allow = strdup(o->stdio_allow ? o->stdio_allow : "");
    m->data_dir = strdup(o->data_dir ? o->data_dir : "");
    pthread_mutex_init(&m->mu, NULL);
    pthread_mutex_init(&m->write_mu, NULL);
    sw_plugin_source src = {.list = source_list, .release = source_release, .arg = m};
    if (o->states) sw_plugin_states_set_source(o->states, &src);
    return m;
}

/* ---- servers ---- */

static sw_mcp_srv *srv_new(sw_mcp_manager *m, const sw_mcp_server_row *r)
{
    sw_mcp_srv *s = calloc(1, sizeof *s);
    json_t *cfg = json_loads(r->config, 0, NULL);
    if (!s || !json_is_object(cfg)) {
        free(s);
        json_decref(cfg);
        return NULL;
    }
    s->refs = 1;
    s->m = m;
    snprintf(s->tenant_id, sizeof s->tenant_id, "%s", r->tenant_id);
    snprintf(s->id, sizeof s->id, "%s", r->id);
    snprintf(s->plugin_id, sizeof s->plugin_id, "mcp.%s", r->id);
    s->transport = strcmp(r->transport, "http") == 0 ? SW_MCP_HTTP : SW_MCP_STDIO;
    s->config = cfg;
    s->enabled = r->enabled;
    s->tools_view = json_array();
    snprintf(s->created_at, sizeof s->created_at, "%s", r->created_at ? r->created_at : "");
    snprintf(s->updated_at, sizeof s->updated_at, "%s", r->updated_at ? r->updated_at : "");
    snprintf(s->status, sizeof s->status, "%s", r->enabled ? "connecting" : "disabled");
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    return s;
}

/* Adds s to the list (taking the caller's reference) and starts its thread. */
static int srv_add(sw_mcp_manager *m, sw_mcp_srv *s)
{
    pthread_mutex_lock(&m->mu);
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 16;
        sw_mcp_srv **np = realloc(m->srv, (size_t)cap * sizeof *np);
        if (!np) {
            pthread_mutex_unlock(&m->mu);
            return -1;
        }
        m->srv = np;
        m->cap = cap;
    }
    m->srv[m->n++] = s;
    int stopped = m->stopped;
    pthread_mutex_unlock(&m->mu);
    if (!stopped && sw_mcp_life_start(s) != 0) SW_ERROR("mcp %s/%s: cannot start its thread", s->tenant_id, s->plugin_id);
    return 0;
}

/* The server with a reference, or NULL. */
static sw_mcp_srv *srv_find(sw_mcp_manager *m, const char *tenant_id, const char *id, int unlink_it)
{
    sw_mcp_srv *s = NULL;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->srv[i]->tenant_id, tenant_id) == 0 && strcmp(m->srv[i]->id, id) == 0) {
            s = m->srv[i];
            if (unlink_it) {
                m->srv[i] = m->srv[--m->n]; /* the list's reference goes to the caller */
            } else {
                __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
            }
            break;
        }
    pthread_mutex_unlock(&m->mu);
    return s;
}

static void load_row(void *arg, const sw_mcp_server_row *r)
{
    sw_mcp_manager *m = arg;
    sw_mcp_srv *s = srv_new(m, r);
    if (!s || srv_add(m, s) != 0) {
        SW_ERROR("mcp %s/mcp.%s: cannot load its registration", r->tenant_id, r->id);
        sw_mcp_srv_release(s);
    }
}

int sw_mcp_manager_start(sw_mcp_manager *m)
{
    int rc = sw_mcp_server_repo_each(m->db, NULL, load_row, m);
    if (m->n) SW_INFO("mcp: %d registered MCP server(s), connecting in the background", m->n);
    return rc == SW_REPO_OK ? 0 : -1;
}

void sw_mcp_manager_stop(sw_mcp_manager *m)
{
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stopped = 1;
    int n = m->n;
    sw_mcp_srv **list = calloc((size_t)n + 1, sizeof *list);
    for (int i = 0; list && i < n; i++) {
        list[i] = m->srv[i];
        __atomic_add_fetch(&list[i]->refs, 1, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&m->mu);
    for (int i = 0; list && i < n; i++) sw_mcp_life_ask_stop(list[i]); /* all at once, then wait for each */
    for (int i = 0; list && i < n; i++) {
        sw_mcp_life_end(list[i], "stopped");
        sw_mcp_srv_release(list[i]);
    }
    free(list);
}

void sw_mcp_manager_free(sw_mcp_manager *m)
{
    if (!m) return;
    sw_mcp_manager_stop(m);
    for (int i = 0; i < m->n; i++) sw_mcp_srv_release(m->srv[i]);
    free(m->srv);
    free(m->stdio_allow);
    free(m->data_dir);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->write_mu);
    free(m);
}

/* ---- views ---- */

static int recent(const sw_mcp_srv *s)
{
    int64_t now = sw_time_now_ms();
    int n = 0;
    for (int i = 0; i < SW_MCP_CRASH_LIMIT; i++) n += s->crashes[i] && now - s->crashes[i] < SW_MCP_CRASH_WINDOW_MS;
    return n;
}

static json_t *view_of(sw_mcp_srv *s)
{
    pthread_mutex_lock(&s->mu);
    json_t *v = json_pack("{s:s, s:s, s:s}", "id", s->id, "plugin_id", s->plugin_id, "transport",
                          s->transport == SW_MCP_STDIO ? "stdio" : "http");
    sw_mcp_config_view(s->config, v);
    json_object_set_new(v, "enabled", json_boolean(s->enabled));
    json_object_set_new(v, "status", json_string(s->status));
    json_object_set_new(v, "status_reason", s->reason[0] ? json_string(s->reason) : json_null());
    json_object_set_new(v, "tools", json_deep_copy(s->tools_view));
    json_object_set_new(v, "restarts", json_integer(recent(s)));
    json_object_set_new(v, "created_at", json_string(s->created_at));
    json_object_set_new(v, "updated_at", json_string(s->updated_at));
    pthread_mutex_unlock(&s->mu);
    return v;
}

static void not_found(sw_mcp_op *op, const char *id)
{
    op->err = SW_ERR_NOT_FOUND;
    op->field[0] = 0;
    snprintf(op->msg, sizeof op->msg, "no MCP server with id \"%.64s\" in this tenant", id ? id : "");
}

static void internal(sw_mcp_op *op)
{
    op->err = SW_ERR_INTERNAL;
    op->field[0] = 0;
    snprintf(op->msg, sizeof op->msg, "the store did not answer");
}

json_t *sw_mcp_manager_list(sw_mcp_manager *m, const char *tenant_id)
{
    json_t *arr = json_array();
    sw_mcp_srv *mine[512];
    int k = 0;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->n && k < 512; i++)
        if (strcmp(m->srv[i]->tenant_id, tenant_id) == 0) {
            mine[k] = m->srv[i];
            __atomic_add_fetch(&mine[k++]->refs, 1, __ATOMIC_ACQ_REL);
        }
    pthread_mutex_unlock(&m->mu);
    for (int i = 0; i < k; i++) {
        json_array_append_new(arr, view_of(mine[i]));
        sw_mcp_srv_release(mine[i]);
    }
    return arr;
}

json_t *sw_mcp_manager_get(sw_mcp_manager *m, const char *tenant_id, const char *id, sw_mcp_op *op)
{
    sw_mcp_srv *s = srv_find(m, tenant_id, id, 0);
    if (!s) {
        not_found(op, id);
        return NULL;
    }
    json_t *v = view_of(s);
    sw_mcp_srv_release(s);
    return v;
}

static int id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 40 || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9'))) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_' || id[i] == '-'))
            return 0;
    return 1;
}

/* Copies the stored row of (tenant, id) into a fresh server object. */
static void row_into(void *arg, const sw_mcp_server_row *r)
{
    sw_mcp_srv **out = arg;
    *out = srv_new(((sw_mcp_srv *)*out)->m, r);
}

json_t *sw_mcp_manager_create(sw_mcp_manager *m, const char *tenant_id, const json_t *body, sw_mcp_op *op)
{
    const json_t *idj = json_object_get(body, "id");
    const char *id = json_string_value(idj);
    if (!json_is_object(body) || !id_valid(id) || strlen(id) != json_string_length(idj)) {
        op->err = SW_ERR_VALIDATION;
        snprintf(op->field, sizeof op->field, "id");
        snprintf(op->msg, sizeof op->msg, "id: expected [a-z0-9][a-z0-9_-]{0,39}");
        return NULL;
    }
    int transport = SW_MCP_STDIO, enabled = 1;
    json_t *cfg = sw_mcp_config_build(body, NULL, m->stdio_allow, sw_db_secretbox(m->db), &transport, &enabled, op);
    if (!cfg) return NULL;
    char *text = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    if (!text) {
        internal(op);
        return NULL;
    }
    sw_mcp_server_row row = {.id = id, .transport = transport == SW_MCP_STDIO ? "stdio" : "http", .config = text,
                             .enabled = enabled};
    pthread_mutex_lock(&m->write_mu);
    int mine = 0; /* a tenant's snapshot holds at most SW_PLUGIN_SOURCE_MAX of them */
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->n; i++) mine += strcmp(m->srv[i]->tenant_id, tenant_id) == 0;
    pthread_mutex_unlock(&m->mu);
    int rc = mine >= SW_PLUGIN_SOURCE_MAX ? SW_REPO_CONFLICT : sw_mcp_server_repo_insert(m->db, tenant_id, &row);
    sodium_memzero(text, strlen(text));
    free(text);
    json_t *view = NULL;
    if (rc == SW_REPO_CONFLICT) {
        op->err = SW_ERR_CONFLICT;
        op->field[0] = 0;
        if (mine >= SW_PLUGIN_SOURCE_MAX)
            snprintf(op->msg, sizeof op->msg, "this tenant has %d MCP servers, the most it may have; delete one first",
                     mine);
        else
            snprintf(op->msg, sizeof op->msg, "an MCP server with id \"%s\" is already registered in this tenant", id);
    } else if (rc != SW_REPO_OK) {
        internal(op);
    } else {
        sw_mcp_srv proto = {.m = m}, *s = &proto;
        if (sw_mcp_server_repo_get(m->db, tenant_id, id, row_into, &s) != SW_REPO_OK || !s || s == &proto ||
            srv_add(m, s) != 0) {
            internal(op);
        } else {
            view = view_of(s);
        }
    }
    pthread_mutex_unlock(&m->write_mu);
    /* the plugin mcp.<id> is listed from now on, tools or not: a snapshot taken before must go */
    if (view) sw_mcp_m_changed(m, tenant_id);
    return view;
}

json_t *sw_mcp_manager_update(sw_mcp_manager *m, const char *tenant_id, const char *id, const json_t *patch,
                              sw_mcp_op *op)
{
    pthread_mutex_lock(&m->write_mu);
    sw_mcp_srv *s = srv_find(m, tenant_id, id, 0);
    json_t *view = NULL;
    if (!s) {
        not_found(op, id);
        goto out;
    }
    pthread_mutex_lock(&s->mu);
    json_t *cur = json_deep_copy(s->config);
    int transport = s->transport, enabled = s->enabled;
    pthread_mutex_unlock(&s->mu);
    json_t *cfg = sw_mcp_config_build(patch, cur, m->stdio_allow, sw_db_secretbox(m->db), &transport, &enabled, op);
    json_decref(cur);
    if (!cfg) goto out;
    char *text = json_dumps(cfg, JSON_COMPACT);
    sw_mcp_server_row row = {.id = id, .config = text, .enabled = enabled};
    int rc = text ? sw_mcp_server_repo_update(m->db, tenant_id, &row) : SW_REPO_ERROR;
    if (text) sodium_memzero(text, strlen(text));
    free(text);
    if (rc != SW_REPO_OK) {
        json_decref(cfg);
        internal(op);
        goto out;
    }
    pthread_mutex_lock(&s->mu);
    json_decref(s->config);
    s->config = cfg;
    s->enabled = enabled;
    sw_time_rfc3339(sw_time_now_ms(), s->updated_at, sizeof s->updated_at);
    pthread_mutex_unlock(&s->mu);
    sw_mcp_life_poke(s); /* the session restarts with the new settings */
    view = view_of(s);
out:
    sw_mcp_srv_release(s);
    pthread_mutex_unlock(&m->write_mu);
    return view;
}

int sw_mcp_manager_delete(sw_mcp_manager *m, const char *tenant_id, const char *id, sw_mcp_op *op)
{
    pthread_mutex_lock(&m->write_mu);
    char plugin_id[64];
    snprintf(plugin_id, sizeof plugin_id, "mcp.%.50s", id);
    int rc = sw_mcp_server_repo_delete(m->db, tenant_id, id, plugin_id);
    if (rc == SW_REPO_NOT_FOUND) not_found(op, id);
    else if (rc != SW_REPO_OK) internal(op);
    sw_mcp_srv *s = rc == SW_REPO_OK ? srv_find(m, tenant_id, id, 1) : NULL;
    pthread_mutex_unlock(&m->write_mu);
    if (s) {
        sw_mcp_life_end(s, "stopped"); /* the child's process group is gone after this */
        sw_mcp_m_changed(m, tenant_id);
        sw_mcp_srv_release(s);
    }
    return rc == SW_REPO_OK ? 0 : -1;
}

json_t *sw_mcp_manager_reconnect(sw_mcp_manager *m, const char *tenant_id, const char *id, sw_mcp_op *op)
{
    sw_mcp_srv *s = srv_find(m, tenant_id, id, 0);
    if (!s) {
        not_found(op, id);
        return NULL;
    }
    sw_mcp_life_poke(s);
    json_t *v = view_of(s);
    sw_mcp_srv_release(s);
    return v;
}

int sw_mcp_manager_plugin_info(sw_mcp_manager *m, const char *tenant_id, const char *plugin_id, char *server_id,
                               char *status)
{
    if (!m || strncmp(plugin_id, "mcp.", 4) != 0) return 0;
    sw_mcp_srv *s = srv_find(m, tenant_id, plugin_id + 4, 0);
    if (!s) return 0;
    pthread_mutex_lock(&s->mu);
    snprintf(server_id, 64, "%s", s->id);
    snprintf(status, 16, "%s", s->status);
    pthread_mutex_unlock(&s->mu);
    sw_mcp_srv_release(s);
    return 1;
}

/* ---- sealing ---- */

typedef struct {
    const sw_secretbox *sb;
    int *unreadable;
} seal_arg;

static int seal_map(json_t *obj, seal_arg *a)
{
    int changed = 0;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        const char *val = json_string_value(v);
        if (!val || !*val) continue;
        char *out = NULL;
        int r = sw_secretbox_reseal(a->sb, val, &out);
        if (r == SW_SECRET_UNREADABLE) (*a->unreadable)++;
        if (r == SW_SECRET_NOMEM) return -1;
        if (r == 1 && out) {
            json_object_set_new(obj, k, json_string(out));
            sodium_memzero(out, strlen(out));
            changed = 1;
        }
        free(out);
    }
    return changed;
}

static int seal_row(void *arg, const char *const *keys, const char *value, char **out)
{
    (void)keys;
    json_t *cfg = value ? json_loads(value, 0, NULL) : NULL;
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        return 0;
    }
    int a = seal_map(json_object_get(cfg, "env"), arg), b = seal_map(json_object_get(cfg, "headers"), arg);
    int rc = a < 0 || b < 0 ? -1 : (a || b);
    if (rc == 1 && !(*out = json_dumps(cfg, JSON_COMPACT))) rc = -1;
    json_decref(cfg);
    return rc;
}

int sw_mcp_servers_seal_all(sw_db *db, int *changed, int *unreadable)
{
    *changed = *unreadable = 0;
    seal_arg a = {sw_db_secretbox(db), unreadable};
    if (!a.sb) return 0;
    return sw_mcp_server_repo_reseal(db, seal_row, &a, changed) == SW_REPO_OK ? 0 : -1;
}
