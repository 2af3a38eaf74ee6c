/* swp_plugin_state: plugin_states rows + the per-tenant snapshot cache. */
#include "plugins/sw_plugin_state.h"
#include "core/sw_time.h"
#include "plugins/sw_setting_secret.h"
#include "store/sw_plugin_state_repo.h"
#include "store/sw_repo.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 256

typedef struct entry {
    struct entry *next;
    sw_tenant_plugins *tp;
} entry;

struct sw_plugin_states {
    sw_db *db;
    const sw_registry *reg;
    pthread_mutex_t mu;       /* guards the map and gen */
    pthread_mutex_t write_mu; /* serialises writers (enable's conflict check) */
    uint64_t gen;             /* bumped by every invalidate: a snapshot loaded before one is stale */
    sw_plugin_source src;     /* the tenants' own plugins (list NULL: none) */
    entry *map[BUCKETS];
};

static unsigned bucket(const char *s)
{
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h & (BUCKETS - 1);
}

sw_plugin_states *sw_plugin_states_new(sw_db *db, const sw_registry *reg)
{
    sw_plugin_states *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->db = db;
    s->reg = reg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    return s;
}

void sw_plugin_states_set_source(sw_plugin_states *s, const sw_plugin_source *src)
{
    s->src = *src;
}

static void tp_free(sw_tenant_plugins *tp)
{
    for (int i = 0; i < tp->n; i++) {
        json_decref(tp->items[i].settings);
        json_decref(tp->items[i].tool_policies);
        if (tp->items[i].hold && tp->src.release) tp->src.release(tp->src.arg, tp->items[i].hold);
    }
    free(tp->items);
    free(tp);
}

void sw_tenant_plugins_release(sw_tenant_plugins *tp)
{
    if (tp && __atomic_sub_fetch(&tp->refs, 1, __ATOMIC_ACQ_REL) == 0) tp_free(tp);
}

/* Releases every cached snapshot and empties the map (under mu, or with no other user left). */
static void drop_entries(sw_plugin_states *s)
{
    for (int i = 0; i < BUCKETS; i++) {
        entry *e = s->map[i];
        while (e) {
            entry *n = e->next;
            sw_tenant_plugins_release(e->tp);
            free(e);
            e = n;
        }
        s->map[i] = NULL;
    }
}

void sw_plugin_states_free(sw_plugin_states *s)
{
    if (!s) return;
    drop_entries(s);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->write_mu);
    free(s);
}

static json_t *load_obj(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        j = json_object();
    }
    return j;
}

/* One stored row into the snapshot's entry of its plugin (rows of unknown plugins are kept in
 * the store, unused). */
static void load_row(void *arg, const sw_plugin_state_row *row)
{
    sw_tenant_plugins *tp = arg;
    for (int i = 0; i < tp->n; i++) {
        if (strcmp(tp->items[i].rp->p->id, row->plugin_id) == 0) {
            tp->items[i].enabled = row->enabled;
            tp->items[i].granted = row->granted;
            json_decref(tp->items[i].settings);
            json_decref(tp->items[i].tool_policies);
            tp->items[i].settings = load_obj(row->settings);
            tp->items[i].tool_policies = load_obj(row->tool_policies);
        }
    }
}

static sw_tenant_plugins *load(sw_plugin_states *s, const char *tenant_id)
{
    sw_tenant_plugins *tp = calloc(1, sizeof *tp);
    if (!tp) return NULL;
    tp->refs = 1;
    snprintf(tp->tenant_id, sizeof tp->tenant_id, "%s", tenant_id);
    tp->n = s->reg->n;
    tp->items = calloc((size_t)tp->n + SW_PLUGIN_SOURCE_MAX + 1, sizeof *tp->items);
    if (!tp->items) {
        free(tp);
        return NULL;
    }
    for (int i = 0; i < tp->n; i++) tp->items[i].rp = &s->reg->plugins[i];
    if (s->src.list) {
        const sw_reg_plugin *extra[SW_PLUGIN_SOURCE_MAX];
        void *holds[SW_PLUGIN_SOURCE_MAX];
        tp->src = s->src;
        int k = s->src.list(s->src.arg, tenant_id, extra, holds, SW_PLUGIN_SOURCE_MAX);
        for (int i = 0; i < k && i < SW_PLUGIN_SOURCE_MAX; i++) {
            tp->items[tp->n].rp = extra[i];
            tp->items[tp->n++].hold = holds[i];
        }
    }
    if (sw_plugin_state_repo_each(s->db, tenant_id, load_row, tp) != SW_REPO_OK) {
        tp_free(tp);
        return NULL;
    }
    for (int i = 0; i < tp->n; i++) {
        if (!tp->items[i].settings) tp->items[i].settings = json_object();
        if (!tp->items[i].tool_policies) tp->items[i].tool_policies = json_object();
    }
    return tp;
}

/* The cached entry of the tenant, with a reference taken; NULL when none. Under s->mu. */
static sw_tenant_plugins *cached(sw_plugin_states *s, unsigned b, const char *tenant_id)
{
    for (entry *e = s->map[b]; e; e = e->next)
        if (strcmp(e->tp->tenant_id, tenant_id) == 0) {
            __atomic_add_fetch(&e->tp->refs, 1, __ATOMIC_ACQ_REL);
            return e->tp;
        }
    return NULL;
}

/* A snapshot from the cache, or loaded from the store. A load is installed only when no writer
 * invalidated since it began (the generation check): a reader that loaded before a write
 * committed must not install its stale snapshot after the writer dropped the old one, or the
 * next writer would build on it and lose the change. The stale load is still a fair answer for
 * its own caller (its read began before the write finished). */
sw_tenant_plugins *sw_plugin_states_get(sw_plugin_states *s, const char *tenant_id)
{
    unsigned b = bucket(tenant_id);
    pthread_mutex_lock(&s->mu);
    sw_tenant_plugins *tp = cached(s, b, tenant_id);
    uint64_t gen = s->gen;
    pthread_mutex_unlock(&s->mu);
    if (tp) return tp;
    tp = load(s, tenant_id);
    if (!tp) return NULL;
    pthread_mutex_lock(&s->mu);
    sw_tenant_plugins *cur = cached(s, b, tenant_id); /* another thread may have loaded it */
    if (cur) {
        pthread_mutex_unlock(&s->mu);
        tp_free(tp);
        return cur;
    }
    entry *e = s->gen == gen ? malloc(sizeof *e) : NULL;
    if (e) {
        e->tp = tp;
        tp->refs++; /* the map's reference */
        e->next = s->map[b];
        s->map[b] = e;
    }
    pthread_mutex_unlock(&s->mu);
    return tp;
}

/* Drops the cached snapshot so the next get reloads it from the store. */
static void invalidate(sw_plugin_states *s, const char *tenant_id);

void sw_plugin_states_invalidate(sw_plugin_states *s, const char *tenant_id)
{
    invalidate(s, tenant_id);
}

static void invalidate(sw_plugin_states *s, const char *tenant_id)
{
    unsigned b = bucket(tenant_id);
    pthread_mutex_lock(&s->mu);
    s->gen++;
    for (entry **pe = &s->map[b]; *pe; pe = &(*pe)->next) {
        if (strcmp((*pe)->tp->tenant_id, tenant_id) == 0) {
            entry *e = *pe;
            *pe = e->next;
            sw_tenant_plugins_release(e->tp);
            free(e);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

const sw_plugin_tenant_state *sw_tenant_plugins_find(const sw_tenant_plugins *tp, const char *plugin_id)
{
    for (int i = 0; i < tp->n; i++)
        if (strcmp(tp->items[i].rp->p->id, plugin_id) == 0) return &tp->items[i];
    return NULL;
}

static int upsert(sw_plugin_states *s, const char *tenant_id, const char *plugin_id, int enabled,
                  uint32_t granted, const char *settings, const char *policies)
{
    sw_plugin_state_row row = {.plugin_id = plugin_id, .enabled = enabled, .granted = granted,
                               .settings = settings, .tool_policies = policies};
    return sw_plugin_state_repo_put(s->db, tenant_id, &row) == SW_REPO_OK ? 0 : -1;
}

static void apply_patch(json_t *target, const json_t *patch)
{
    const char *k;
    json_t *v;
    if (!target || !patch) return;
    json_object_foreach((json_t *)patch, k, v) {
        if (json_is_null(v)) json_object_del(target, k);
        else if (!json_is_string(v) || strcmp(json_string_value(v), SW_SECRET_MASK) != 0)
            json_object_set(target, k, v);
    }
}

/* Writes one plugin's row from a fresh snapshot with the change applied, under write_mu. */
static int write_state(sw_plugin_states *s, const char *tenant_id, const char *plugin_id,
                       int enabled, int64_t granted, const json_t *settings, const json_t *policies,
                       char *conflict_tool, char *conflict_plugin)
{
    pthread_mutex_lock(&s->write_mu);
    /* Build on the store's truth (writers are serialised here), never on a cached snapshot. */
    sw_tenant_plugins *tp = load(s, tenant_id);
    int rc = -1;
    if (!tp) goto out;
    const sw_plugin_tenant_state *cur = sw_tenant_plugins_find(tp, plugin_id);
    if (!cur) goto out;
    int en = enabled >= 0 ? enabled : cur->enabled;
    if (enabled == 1) {
        for (int i = 0; i < tp->n; i++) {
            const sw_plugin_tenant_state *o = &tp->items[i];
            if (!o->enabled || o == cur) continue;
            for (int a = 0; a < cur->rp->ntools; a++)
                for (int b = 0; b < o->rp->ntools; b++)
                    if (strcmp(cur->rp->tools[a].def->name, o->rp->tools[b].def->name) == 0) {
                        if (conflict_tool) snprintf(conflict_tool, 72, "%s", o->rp->tools[b].def->name);
                        if (conflict_plugin) snprintf(conflict_plugin, 72, "%s", o->rp->p->id);
                        rc = -2;
                        goto out;
                    }
        }
    }
    json_t *new_settings = json_deep_copy(cur->settings), *new_pols = json_deep_copy(cur->tool_policies);
    apply_patch(new_settings, settings);
    apply_patch(new_pols, policies);
    /* secrets are stored sealed: the values just sent, and any legacy clear one */
    int sealed = sw_settings_seal(new_settings, settings, cur->rp->p, sw_db_secretbox(s->db), NULL);
    char *st = json_dumps(new_settings, JSON_COMPACT);
    char *pol = json_dumps(new_pols, JSON_COMPACT);
    json_decref(new_settings);
    json_decref(new_pols);
    rc = (st && pol && sealed >= 0) ? upsert(s, tenant_id, plugin_id, en, granted >= 0 ? (uint32_t)granted : cur->granted,
                              st, pol)
                     : -1;
    if (st) sodium_memzero(st, strlen(st));
    free(st);
    free(pol);
out:
    sw_tenant_plugins_release(tp);
    invalidate(s, tenant_id);
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

int sw_plugin_states_enable(sw_plugin_states *s, const char *tenant_id, const char *plugin_id,
                            uint32_t granted, char *conflict_tool, char *conflict_plugin)
{
    return write_state(s, tenant_id, plugin_id, 1, granted, NULL, NULL, conflict_tool, conflict_plugin);
}

int sw_plugin_states_disable(sw_plugin_states *s, const char *tenant_id, const char *plugin_id)
{
    return write_state(s, tenant_id, plugin_id, 0, -1, NULL, NULL, NULL, NULL);
}

int sw_plugin_states_configure(sw_plugin_states *s, const char *tenant_id, const char *plugin_id,
                               const json_t *settings, const json_t *tool_policies)
{
    return write_state(s, tenant_id, plugin_id, -1, -1, settings, tool_policies, NULL, NULL);
}

/* Drops every cached snapshot (after a change made behind the writers' back: sealing). */
static void invalidate_all(sw_plugin_states *s)
{
    pthread_mutex_lock(&s->mu);
    s->gen++;
    drop_entries(s);
    pthread_mutex_unlock(&s->mu);
}

typedef struct {
    const sw_registry *reg;
    const sw_secretbox *sb;
    int *unreadable;
} seal_arg;

/* One stored row's settings with its secret values sealed with the current key (keys: tenant,
 * plugin): 1 and *out when something changed. */
static int seal_row(void *arg, const char *const *keys, const char *value, char **out)
{
    seal_arg *a = arg;
    const sw_reg_plugin *rp = keys[1] ? sw_registry_find(a->reg, keys[1]) : NULL;
    json_t *settings = load_obj(value);
    int n = sw_settings_seal(settings, NULL, rp ? rp->p : NULL, a->sb, a->unreadable);
    if (n > 0) {
        *out = json_dumps(settings, JSON_COMPACT);
        if (!*out) n = -1;
    }
    json_decref(settings);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

int sw_plugin_states_seal_all(sw_plugin_states *s, int *changed, int *unreadable)
{
    *changed = *unreadable = 0;
    seal_arg a = {s->reg, sw_db_secretbox(s->db), unreadable};
    if (!a.sb) return 0;
    int rc = sw_plugin_state_repo_reseal(s->db, seal_row, &a, changed);
    invalidate_all(s);
    return rc == SW_REPO_OK ? 0 : -1;
}
