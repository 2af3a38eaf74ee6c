/* sw_registry: every plugin this process knows: built-ins and shared objects loaded from
 * SCAIWAVE_PLUGIN_DIR. Owns validation at load (ABI, id, semver, tool names, schemas,
 * duplicates), the parsed schemas, and the tool-name index. Immutable after start-up, so
 * request threads read it without locks. */
#ifndef SW_REGISTRY_H
#define SW_REGISTRY_H

#include <jansson.h>
#include <scaiwave/plugin.h>

typedef struct sw_reg_tool {
    const swp_tool *def;    /* &copy: the plugin's element, read with its own tool_size */
    swp_tool copy;          /* host-sized and zero-filled past what the plugin's swp_tool has */
    json_t *schema;        /* parsed parameters */
    struct sw_schema *compiled; /* schema compiled once at load (sw_schema_compile; strict for
                                 * native plugins); the dispatcher validates with it. NULL: the
                                 * dispatcher falls back to sw_schema_validate(schema) */
    json_t *secret_fields; /* array of property names redacted in the audit log */
    char *first_required;  /* the property non-JSON text maps to, or NULL */
    char **usage_params;   /* parameter names in the order of `usage` placeholders, NULL-ended */
} sw_reg_tool;

typedef struct sw_reg_plugin {
    const swp_plugin *p;
    const char *source; /* "builtin" | "shared_object" | "mcp" */
    char *path;         /* .so path or NULL */
    void *dl;           /* dlopen handle or NULL */
    sw_reg_tool *tools;
    int ntools;
    swp_setting_def *settings; /* host-sized copies of p->settings, ended by {0}; never NULL once added */
    void *state;        /* what the plugin's init stored (handed to every ctx and to shutdown) */
} sw_reg_plugin;

typedef struct sw_registry {
    sw_reg_plugin *plugins;
    int n, cap;
} sw_registry;

sw_registry *sw_registry_new(void);
void sw_registry_free(sw_registry *r); /* calls shutdown hooks, dlcloses */

/* The layouts of the first ABI 1 release: a plugin whose descriptor has no tool_size /
 * setting_size (or 0) was built against these. */
#define SW_TOOL_V1_SIZE (offsetof(swp_tool, run))
#define SW_SETTING_V1_SIZE (sizeof(swp_setting_def))

/* Element i of p->settings, stepping by the plugin's own setting_size (fields of the first
 * layout only: key, description, secret, default_value); NULL past the end or without settings. */
const swp_setting_def *sw_plugin_setting_at(const swp_plugin *p, int i);

/* Validates and adds a descriptor. Returns 0, or -1 with a one-line reason in err. */
int sw_registry_add(sw_registry *r, const swp_plugin *p, const char *source, const char *path,
                    char *err, size_t errlen);
/* A plugin built outside the registry (an MCP server mounted in one tenant, sw_plugin_source):
 * validated as sw_registry_add does, into *rp, which the caller owns (free with
 * sw_reg_plugin_fini; no init/shutdown hooks are called). 0, or -1 with the reason in err. */
int sw_reg_plugin_build(sw_reg_plugin *rp, const swp_plugin *p, const char *source, char *err, size_t errlen);
void sw_reg_plugin_fini(sw_reg_plugin *rp);
/* Adds BUILTIN_PLUGINS[]. Returns how many were refused (each logged). */
int sw_registry_add_builtins(sw_registry *r, const swp_host *host);
/* Loads one shared object. Returns 0, or -1 with the reason in err (the .so is closed). */
int sw_registry_load_so(sw_registry *r, const char *path, const swp_host *host, char *err,
                        size_t errlen);
/* Loads every *.so in dir (sorted by name), logging one line per refused plugin.
 * Returns the number loaded. A missing dir is logged and returns 0. */
int sw_registry_load_dir(sw_registry *r, const char *dir, const swp_host *host);

const sw_reg_plugin *sw_registry_find(const sw_registry *r, const char *plugin_id);
const sw_reg_tool *sw_registry_tool(const sw_reg_plugin *rp, const char *tool_name);

/* Manifest as JSON for the API: {id,name,version,description,source,permissions[],tools[...]} */
json_t *sw_registry_plugin_json(const sw_reg_plugin *rp);
json_t *sw_registry_tool_json(const sw_reg_tool *t);

/* Permission names <-> bits */
const char *sw_perm_name(int bit_index);
json_t *sw_perms_to_json(uint32_t mask);
/* Parses an array of names; returns 0 or -1 with the offending name in err. */
int sw_perms_from_json(const json_t *arr, uint32_t *mask, char *err, size_t errlen);

/* Validators, exposed for tests and the loader. */
int sw_plugin_id_valid(const char *id);
int sw_semver_valid(const char *v);
int sw_tool_name_valid(const char *name);

#endif
