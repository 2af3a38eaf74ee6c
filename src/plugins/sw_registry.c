/* sw_registry: loading and validating plugins (built-in table and dlopen'ed shared objects). */
#include "plugins/sw_registry.h"
#include "core/sw_log.h"
#include "plugins/builtin/builtin.h"
#include "plugins/sw_schema.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *perm_names[SWP_PERM__COUNT] = {
    "READ_MESSAGES", "WRITE_MESSAGES", "READ_NOTES", "WRITE_NOTES",
    "EXTERNAL_HTTP", "SEARCH",         "READ_USERS", "MANAGE_TASKS",
    "TOKEN_EXCHANGE",
};

/* The size of the first published swp_plugin (ABI 1): every field up to execute_tool. Older
 * plugins may be smaller than today's struct (slots are appended), never smaller than this. */
#define SW_PLUGIN_MIN_SIZE (offsetof(swp_plugin, execute_tool) + sizeof(void *))

const char *sw_perm_name(int i)
{
    return (i >= 0 && i < SWP_PERM__COUNT) ? perm_names[i] : "?";
}

json_t *sw_perms_to_json(uint32_t mask)
{
    json_t *a = json_array();
    for (int i = 0; i < SWP_PERM__COUNT; i++)
        if (mask & (1u << i)) json_array_append_new(a, json_string(perm_names[i]));
    return a;
}

int sw_perms_from_json(const json_t *arr, uint32_t *mask, char *err, size_t errlen)
{
    *mask = 0;
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "permissions must be an array of names");
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        int found = -1;
        for (int k = 0; s && k < SWP_PERM__COUNT; k++)
            if (strcmp(s, perm_names[k]) == 0) found = k;
        if (found < 0) {
            snprintf(err, errlen, "unknown permission %s%.40s%s", s ? "\"" : "", s ? s : "(not a string)",
                     s ? "\"" : "");
            return -1;
        }
        *mask |= 1u << found;
    }
    return 0;
}

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* <owner>.<name>: lowercase letters, digits, '_' and '-', each part starting alphanumeric. */
int sw_plugin_id_valid(const char *id)
{
    if (!id) return 0;
    size_t n = strlen(id);
    if (n < 3 || n > 64) return 0;
    const char *dot = strchr(id, '.');
    if (!dot || strchr(dot + 1, '.')) return 0;
    const char *parts[2] = {id, dot + 1};
    size_t lens[2] = {(size_t)(dot - id), n - (size_t)(dot - id) - 1};
    for (int k = 0; k < 2; k++) {
        if (!lens[k] || !is_lower_alnum(parts[k][0])) return 0;
        for (size_t i = 0; i < lens[k]; i++) {
            char c = parts[k][i];
            if (!is_lower_alnum(c) && c != '_' && c != '-') return 0;
        }
    }
    return 1;
}

static const char *numeric(const char *s)
{
    if (*s < '0' || *s > '9') return NULL;
    if (*s == '0' && s[1] >= '0' && s[1] <= '9') return NULL; /* no leading zeros */
    while (*s >= '0' && *s <= '9') s++;
    return s;
}

static const char *idents(const char *s) /* dot-separated [0-9A-Za-z-]+ */
{
    for (;;) {
        const char *st = s;
        while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
               *s == '-')
            s++;
        if (s == st) return NULL;
        if (*s != '.') return s;
        s++;
    }
}

int sw_semver_valid(const char *v)
{
    if (!v || strlen(v) > 64) return 0;
    const char *s = v;
    for (int i = 0; i < 3; i++) {
        s = numeric(s);
        if (!s) return 0;
        if (i < 2) {
            if (*s != '.') return 0;
            s++;
        }
    }
    if (*s == '-' && !(s = idents(s + 1))) return 0;
    if (*s == '+' && !(s = idents(s + 1))) return 0;
    return *s == 0;
}

int sw_tool_name_valid(const char *name)
{
    if (!name) return 0;
    size_t n = strlen(name);
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

sw_registry *sw_registry_new(void)
{
    return calloc(1, sizeof(sw_registry));
}

static void free_tools(sw_reg_plugin *rp)
{
    for (int i = 0; i < rp->ntools; i++) {
        json_decref(rp->tools[i].schema);
        sw_schema_free(rp->tools[i].compiled);
        json_decref(rp->tools[i].secret_fields);
        free(rp->tools[i].first_required);
        if (rp->tools[i].usage_params)
            for (char **q = rp->tools[i].usage_params; *q; q++) free(*q);
        free(rp->tools[i].usage_params);
    }
    free(rp->tools);
    free(rp->settings);
}

void sw_registry_free(sw_registry *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        sw_reg_plugin *rp = &r->plugins[i];
        if (rp->p->struct_size >= offsetof(swp_plugin, shutdown) + sizeof(void *) && rp->p->shutdown)
            rp->p->shutdown(rp->state);
        free_tools(rp);
        free(rp->path);
        if (rp->dl) dlclose(rp->dl);
    }
    free(r->plugins);
    free(r);
}

/* Parameter names in the order of the usage placeholders ("[/greet <language> [name]]"),
 * falling back to the schema's property order. Only names the schema declares are kept. */
static char **usage_params(const swp_tool *t, const json_t *schema)
{
    const json_t *props = json_object_get(schema, "properties");
    size_t cap = json_object_size(props) + 1;
    char **out = calloc(cap, sizeof(char *));
    if (!out) return NULL;
    size_t n = 0;
    const char *u = t->usage ? strchr(t->usage, '/') : NULL;
    if (u) {
        u += 1 + strlen(t->name) > strlen(u) ? strlen(u) : 1 + strlen(t->name);
        while (*u && n + 1 < cap) {
            while (*u && !((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || *u == '_')) u++;
            const char *st = u;
            while ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9') ||
                   *u == '_' || *u == '-')
                u++;
            if (u > st) {
                char name[72];
                snprintf(name, sizeof name, "%.*s", (int)(u - st), st);
                int dup = 0;
                for (size_t k = 0; k < n; k++) dup |= strcmp(out[k], name) == 0;
                if (!dup && json_object_get(props, name)) out[n++] = strdup(name);
            }
        }
    }
    if (n == 0) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)props, key, v) {
            if (n + 1 >= cap) break;
            out[n++] = strdup(key);
        }
    }
    return out;
}

/* Element i of an array of structs `size` bytes apart (the plugin's sizeof, not the host's). */
static const swp_tool *tool_at(const swp_tool *tools, size_t size, int i)
{
    return (const swp_tool *)(const void *)((const char *)tools + size * (size_t)i);
}

/* The plugin's tool_size / setting_size (when its descriptor has them): at least the first
 * layout, at most this server's; larger means fields this server does not know. */
static int element_sizes(const swp_plugin *p, size_t *tool_size, size_t *setting_size, char *err, size_t errlen)
{
    if (p->struct_size >= offsetof(swp_plugin, tool_size) + sizeof p->tool_size && p->tool_size)
        *tool_size = p->tool_size;
    if (p->struct_size >= offsetof(swp_plugin, setting_size) + sizeof p->setting_size && p->setting_size)
        *setting_size = p->setting_size;
    if (*tool_size < SW_TOOL_V1_SIZE || *tool_size > sizeof(swp_tool)) {
        snprintf(err, errlen, "%s: swp_tool size %zu, this server's is %zu (accepts %zu..%zu: built against a "
                 "newer plugin.h?)", p->id, *tool_size, sizeof(swp_tool), (size_t)SW_TOOL_V1_SIZE, sizeof(swp_tool));
        return -1;
    }
    if (*setting_size < SW_SETTING_V1_SIZE || *setting_size > sizeof(swp_setting_def)) {
        snprintf(err, errlen, "%s: swp_setting_def size %zu, this server's is %zu (accepts %zu..%zu: built "
                 "against a newer plugin.h?)", p->id, *setting_size, sizeof(swp_setting_def),
                 (size_t)SW_SETTING_V1_SIZE, sizeof(swp_setting_def));
        return -1;
    }
    return 0;
}

const swp_setting_def *sw_plugin_setting_at(const swp_plugin *p, int i)
{
    size_t ts = SW_TOOL_V1_SIZE, ss = SW_SETTING_V1_SIZE;
    char err[8];
    if (!p || !p->settings || i < 0 || element_sizes(p, &ts, &ss, err, sizeof err) != 0) return NULL;
    for (int k = 0;; k++) {
        const swp_setting_def *s = (const swp_setting_def *)(const void *)((const char *)p->settings + ss * (size_t)k);
        if (!s->key) return NULL;
        if (k == i) return s;
    }
}

/* Copies p->settings, read `size` bytes apart, into host-sized zero-filled elements. */
static int copy_settings(sw_reg_plugin *rp, size_t size)
{
    const char *base = (const char *)rp->p->settings;
    size_t n = 0;
    while (base && ((const swp_setting_def *)(const void *)(base + size * n))->key) n++;
    rp->settings = calloc(n + 1, sizeof *rp->settings);
    if (!rp->settings) return -1;
    for (size_t i = 0; i < n; i++) memcpy(&rp->settings[i], base + size * i, size);
    return 0;
}

/* Validates tool i of rp (its element `src`, tool_size bytes) into rp->tools[i]: name, entry
 * point, uniqueness, description, permission bits, schema. 0, or -1 with the reason in err. */
static int add_tool(sw_reg_plugin *rp, int i, const swp_tool *src, size_t tool_size, char *err, size_t errlen)
{
    const swp_plugin *p = rp->p;
    sw_reg_tool *rt = &rp->tools[i];
    memcpy(&rt->copy, src, tool_size); /* the rest stays zero */
    rt->def = &rt->copy;
    const swp_tool *t = rt->def;
    if (!sw_tool_name_valid(t->name)) {
        snprintf(err, errlen, "%s: invalid tool name \"%.64s\": must match ^[a-zA-Z0-9_-]{1,64}$",
                 p->id, t->name);
        return -1;
    }
    if (!t->run && !p->execute_tool) {
        snprintf(err, errlen, "%s: tool %s has no run function (and the plugin no execute_tool fallback)",
                 p->id, t->name);
        return -1;
    }
    for (int k = 0; k < i; k++)
        if (strcmp(rp->tools[k].def->name, t->name) == 0) {
            snprintf(err, errlen, "%s: tool \"%s\" declared twice", p->id, t->name);
            return -1;
        }
    if (!t->description || !*t->description) {
        snprintf(err, errlen, "%s: tool %s has no description", p->id, t->name);
        return -1;
    }
    if (t->permissions_required & ~((1u << SWP_PERM__COUNT) - 1)) {
        snprintf(err, errlen, "%s: tool %s has unknown permission bits", p->id, t->name);
        return -1;
    }
    json_error_t je;
    rt->schema = json_loads(t->parameters ? t->parameters : "{\"type\":\"object\"}",
                            JSON_REJECT_DUPLICATES, &je);
    if (!rt->schema) {
        snprintf(err, errlen, "%s: tool %s: parameters is not JSON (line %d, column %d: %s)",
                 p->id, t->name, je.line, je.column, je.text);
        return -1;
    }
    const char *type = json_string_value(json_object_get(rt->schema, "type"));
    if (!json_is_object(rt->schema) || !type || strcmp(type, "object") != 0) {
        snprintf(err, errlen, "%s: tool %s: parameters must be an object schema ({\"type\":\"object\",...})",
                 p->id, t->name);
        return -1;
    }
    char serr[200];
    /* MCP tools' schemas come from the wild: non-strict (unknown keywords ignored, as the drafts
     * say), 2020-12 unless their $schema says otherwise (the MCP spec's default) */
    int mcp = rp->source && strcmp(rp->source, "mcp") == 0;
    rt->compiled = sw_schema_compile(rt->schema, mcp ? SW_SCHEMA_DRAFT2020 : SW_SCHEMA_DRAFT7,
                                     mcp ? 0u : SW_SCHEMA_STRICT, serr, sizeof serr);
    if (!rt->compiled) {
        snprintf(err, errlen, "%s: tool %s: invalid parameters schema: %s", p->id, t->name, serr);
        return -1;
    }
    rt->secret_fields = json_array();
    sw_schema_secret_fields(rt->schema, rt->secret_fields);
    const json_t *req = json_array_get(json_object_get(rt->schema, "required"), 0);
    const char *first = json_string_value(req);
    if (first) {
        const json_t *ps = json_object_get(json_object_get(rt->schema, "properties"), first);
        const char *pt = json_string_value(json_object_get(ps, "type"));
        if (pt && strcmp(pt, "string") == 0) rt->first_required = strdup(first);
    }
    rt->usage_params = usage_params(t, rt->schema);
    return 0;
}

static int build(sw_reg_plugin *out, const swp_plugin *p, const char *source, const sw_registry *r, char *err,
                 size_t errlen);

int sw_registry_add(sw_registry *r, const swp_plugin *p, const char *source, const char *path,
                    char *err, size_t errlen)
{
    sw_reg_plugin rp;
    if (build(&rp, p, source, r, err, errlen) != 0) return -1;
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 8;
        sw_reg_plugin *np = realloc(r->plugins, (size_t)cap * sizeof *np);
        if (!np) {
            free_tools(&rp);
            return -1;
        }
        r->plugins = np;
        r->cap = cap;
    }
    rp.path = path ? strdup(path) : NULL;
    r->plugins[r->n++] = rp;
    return 0;
}

int sw_reg_plugin_build(sw_reg_plugin *rp, const swp_plugin *p, const char *source, char *err, size_t errlen)
{
    return build(rp, p, source, NULL, err, errlen);
}

void sw_reg_plugin_fini(sw_reg_plugin *rp)
{
    if (!rp) return;
    free_tools(rp);
    rp->tools = NULL;
    rp->settings = NULL;
    rp->ntools = 0;
}

/* Validates a descriptor into *out (r, when not NULL: its ids must not repeat). */
static int build(sw_reg_plugin *out, const swp_plugin *p, const char *source, const sw_registry *r, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!p) {
        snprintf(err, errlen, "no descriptor");
        return -1;
    }
    if (p->abi_version != SWP_PLUGIN_ABI_VERSION) {
        snprintf(err, errlen, "ABI version %u, this server speaks %u", p->abi_version,
                 SWP_PLUGIN_ABI_VERSION);
        return -1;
    }
    if (p->struct_size < SW_PLUGIN_MIN_SIZE || p->struct_size > sizeof(swp_plugin)) {
        snprintf(err, errlen, "descriptor size %u, this server's swp_plugin is %zu (accepts %zu..%zu: built "
                 "against %s plugin.h?)", p->struct_size, sizeof(swp_plugin), (size_t)SW_PLUGIN_MIN_SIZE,
                 sizeof(swp_plugin), p->struct_size > sizeof(swp_plugin) ? "a newer" : "another");
        return -1;
    }
    if (!sw_plugin_id_valid(p->id)) {
        snprintf(err, errlen, "invalid id \"%.64s\": expected <owner>.<name> in [a-z0-9_-]", p->id ? p->id : "");
        return -1;
    }
    if (r && sw_registry_find(r, p->id)) {
        snprintf(err, errlen, "%s: duplicate plugin id, already registered", p->id);
        return -1;
    }
    if (!p->name || !*p->name) {
        snprintf(err, errlen, "%s: missing name", p->id);
        return -1;
    }
    if (!sw_semver_valid(p->version)) {
        snprintf(err, errlen, "%s: version \"%.32s\" is not semver (MAJOR.MINOR.PATCH)", p->id,
                 p->version ? p->version : "");
        return -1;
    }
    size_t tool_size = SW_TOOL_V1_SIZE, setting_size = SW_SETTING_V1_SIZE;
    if (element_sizes(p, &tool_size, &setting_size, err, errlen) != 0) return -1;
    if (p->permissions & ~((1u << SWP_PERM__COUNT) - 1)) {
        snprintf(err, errlen, "%s: unknown permission bits 0x%x", p->id, p->permissions);
        return -1;
    }
    sw_reg_plugin rp = {.p = p, .source = source};
    int nt = 0;
    while (p->tools && tool_at(p->tools, tool_size, nt)->name) nt++;
    rp.tools = calloc((size_t)nt + 1, sizeof(sw_reg_tool));
    if (!rp.tools || copy_settings(&rp, setting_size) != 0) goto fail;
    for (int i = 0; i < nt; i++) {
        rp.ntools = i + 1;
        if (add_tool(&rp, i, tool_at(p->tools, tool_size, i), tool_size, err, errlen) != 0) goto fail;
    }
    *out = rp;
    return 0;
fail:
    free_tools(&rp);
    return -1;
}

static int call_init(sw_reg_plugin *rp, const swp_host *host, char *err, size_t errlen)
{
    const swp_plugin *p = rp->p;
    if (p->struct_size >= offsetof(swp_plugin, init) + sizeof(void *) && p->init && host) {
        int rc = p->init(host, &rp->state);
        if (rc != 0) {
            snprintf(err, errlen, "%s: init failed (%d)", p->id, rc);
            return -1;
        }
    }
    return 0;
}

int sw_registry_add_builtins(sw_registry *r, const swp_host *host)
{
    int refused = 0;
    char err[512];
    for (int i = 0; BUILTIN_PLUGINS[i]; i++) {
        const swp_plugin *p = BUILTIN_PLUGINS[i];
        if (sw_registry_add(r, p, "builtin", NULL, err, sizeof err) != 0 ||
            call_init(&r->plugins[r->n - 1], host, err, sizeof err) != 0) {
            if (r->n && r->plugins[r->n - 1].p == p) free_tools(&r->plugins[--r->n]); /* init refused it */
            SW_ERROR("plugin refused: builtin #%d: %s", i, err);
            refused++;
        }
    }
    return refused;
}

int sw_registry_load_so(sw_registry *r, const char *path, const swp_host *host, char *err,
                        size_t errlen)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(err, errlen, "cannot load: %s", dlerror());
        return -1;
    }
    const swp_plugin *(*entry)(void);
    *(void **)&entry = dlsym(dl, SWP_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        snprintf(err, errlen, "no %s symbol (use SWP_PLUGIN_EXPORT)", SWP_PLUGIN_ENTRY_SYMBOL);
        dlclose(dl);
        return -1;
    }
    const swp_plugin *p = entry();
    if (p && p->abi_version == SWP_PLUGIN_ABI_VERSION && p->id && strncmp(p->id, "scaiwave.", 9) == 0) {
        snprintf(err, errlen, "%.64s: the scaiwave.* namespace is reserved for built-in plugins", p->id);
        dlclose(dl);
        return -1;
    }
    if (sw_registry_add(r, p, "shared_object", path, err, errlen) != 0) {
        dlclose(dl);
        return -1;
    }
    if (call_init(&r->plugins[r->n - 1], host, err, errlen) != 0) {
        sw_reg_plugin *rp = &r->plugins[--r->n];
        free_tools(rp);
        free(rp->path);
        dlclose(dl);
        return -1;
    }
    r->plugins[r->n - 1].dl = dl;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sw_registry_load_dir(sw_registry *r, const char *dir, const swp_host *host)
{
    DIR *d = opendir(dir);
    if (!d) {
        SW_WARN("plugin dir %s cannot be read; no third-party plugins loaded", dir);
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    int loaded = 0;
    for (size_t i = 0; i < n; i++) {
        char path[2048], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (sw_registry_load_so(r, path, host, err, sizeof err) == 0) {
            loaded++;
            SW_INFO("plugin loaded: %s from %s", r->plugins[r->n - 1].p->id, path);
        } else {
            SW_ERROR("plugin refused: %s: %s", path, err);
        }
        free(names[i]);
    }
    free(names);
    return loaded;
}

const sw_reg_plugin *sw_registry_find(const sw_registry *r, const char *plugin_id)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->plugins[i].p->id, plugin_id) == 0) return &r->plugins[i];
    return NULL;
}

const sw_reg_tool *sw_registry_tool(const sw_reg_plugin *rp, const char *tool_name)
{
    for (int i = 0; i < rp->ntools; i++)
        if (strcmp(rp->tools[i].def->name, tool_name) == 0) return &rp->tools[i];
    return NULL;
}

json_t *sw_registry_tool_json(const sw_reg_tool *t)
{
    return json_pack("{s:s, s:s, s:s?, s:O, s:b, s:o, s:i}", "name", t->def->name, "description",
                     t->def->description, "usage", t->def->usage, "parameters", t->schema,
                     "side_effects", t->def->side_effects,
                     "permissions_required", sw_perms_to_json(t->def->permissions_required),
                     "timeout_ms", t->def->timeout_ms);
}

json_t *sw_registry_plugin_json(const sw_reg_plugin *rp)
{
    const swp_plugin *p = rp->p;
    json_t *tools = json_array();
    for (int i = 0; i < rp->ntools; i++) json_array_append_new(tools, sw_registry_tool_json(&rp->tools[i]));
    json_t *settings = json_array();
    for (const swp_setting_def *s = rp->settings; s && s->key; s++)
            json_array_append_new(settings, json_pack("{s:s, s:s?, s:b, s:s?}", "key", s->key,
                                                      "description", s->description, "secret",
                                                      s->secret, "default", s->default_value));
    return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o, s:o, s:b, s:s?, s:o}", "id", p->id, "name",
                     p->name, "version", p->version, "description", p->description, "source",
                     rp->source, "permissions", sw_perms_to_json(p->permissions), "tools", tools,
                     "injects_context", p->injects_context, "scope", p->scope, "settings", settings);
}
