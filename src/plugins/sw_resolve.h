/* sw_resolve: the one tool resolver. Given a tenant's plugin snapshot and a tool name, finds the
 * plugin that may run it here — enabled in the tenant, allowed by the call's filter (one plugin
 * only, room toggles, an AI's loadout: a callback, since the rooms sit above the plugins) — or
 * says why not (disabled, hidden here, unknown, with a "did you mean" by edit distance). Slash
 * commands, GET /v1/commands, POST /v1/tools/{tool}/call and the dispatcher all decide here. */
#ifndef SW_RESOLVE_H
#define SW_RESOLVE_H

#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"

#include <stddef.h>

/* What a call may see: every field is optional. */
typedef struct sw_resolve_filter {
    const char *only_plugin; /* restrict to this plugin id */
    /* 0 hides a plugin from this call (room toggles: sw_rooms_plugin_visible, AI loadouts) */
    int (*visible)(void *arg, const char *plugin_id);
    void *visible_arg;
    int commands;            /* suggest only tools that are slash commands (have a usage) */
    size_t max_distance;     /* suggestions closer than this (0 = no suggestion) */
} sw_resolve_filter;

typedef enum sw_resolve_status {
    SW_RESOLVE_OK = 0,
    SW_RESOLVE_DISABLED, /* a plugin has it, but is disabled in the tenant */
    SW_RESOLVE_HIDDEN,   /* a plugin has it, enabled, but the filter hides it (room, AI, plugin) */
    SW_RESOLVE_UNKNOWN,  /* no plugin has a tool of that name */
} sw_resolve_status;

typedef struct sw_resolved {
    sw_resolve_status status;
    sw_tenant_plugins *snapshot;          /* the snapshot it was resolved in (borrowed) */
    const sw_plugin_tenant_state *state;  /* OK: the plugin; DISABLED/HIDDEN: the first that has it */
    const sw_reg_tool *tool;              /* its tool (OK, DISABLED, HIDDEN) */
    const char *suggestion;               /* UNKNOWN: the nearest usable name, or NULL */
    size_t suggestion_distance;
} sw_resolved;

/* Whether a plugin of the snapshot is usable under the filter: 1 yes, 0 disabled in the tenant,
 * -1 hidden by the filter. */
int sw_resolve_usable(const sw_plugin_tenant_state *st, const sw_resolve_filter *f);

/* Resolves name in tp (not NULL) under f (may be NULL). Fills *out (pointers into tp) and
 * returns out->status. */
sw_resolve_status sw_resolve_tool(sw_tenant_plugins *tp, const char *name, const sw_resolve_filter *f,
                                  sw_resolved *out);

#endif
