/* plugin_harness: test a plugin in isolation, as the seed's "Testing" section does. Builds a
 * real host around the plugin — a temporary SQLite store (migrated), a tenant "test" with an AI
 * participant "ai" and a human "alice", the registry, the dispatcher — and lets a test either
 * call a tool's run function directly with a context (sw_harness_execute) or go through the
 * dispatcher like the AI does (sw_harness_call).
 *
 *   sw_harness *h = sw_harness_new((const swp_plugin *[]){&my_plugin, NULL});
 *   swp_result out;
 *   sw_harness_execute(h, &my_plugin, "greet", "{\"language\":\"en\"}", &out);
 *   assert(strstr(out.text, "Hello"));
 *   sw_harness_free(h);
 *
 * Header-only; link the test against swcore (the CMake build does this for tests/unit). */
#ifndef SW_PLUGIN_HARNESS_H
#define SW_PLUGIN_HARNESS_H

#include "core/sw_pool.h"
#include "plugins/sw_audit.h"
#include "plugins/sw_dispatch.h"
#include "plugins/sw_plugin_state.h"
#include "plugins/sw_registry.h"
#include "store/sw_migrate.h"
#include "store/sw_repo.h"

#include <scaiwave/plugin.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sw_harness {
    char dir[128];
    sw_db *db;
    sw_registry *reg;
    sw_plugin_states *states;
    sw_audit *audit;
    sw_pool *pool;
    sw_dispatcher d;
    sw_tenant tenant;
    sw_participant ai, alice;
    sw_call_ctx *last; /* the context of the last sw_harness_execute; its arena holds out->text */
    uint8_t token_key[32]; /* what swp_token_exchange signs with here */
} sw_harness;

/* plugins: a NULL-terminated list to register, or NULL for the server's BUILTIN_PLUGINS. */
static inline sw_harness *sw_harness_new(const swp_plugin *const *plugins)
{
    sw_harness *h = calloc(1, sizeof *h);
    if (!h || sodium_init() < 0) return NULL;
    snprintf(h->dir, sizeof h->dir, "/tmp/sw-harness-XXXXXX");
    if (!mkdtemp(h->dir)) return NULL;
    char url[200], err[256];
    snprintf(url, sizeof url, "sqlite:%s/test.db", h->dir);
    h->db = sw_db_open(url, err, sizeof err);
    if (!h->db || sw_migrate(h->db, err, sizeof err) < 0) {
        fprintf(stderr, "harness: %s\n", err);
        return NULL;
    }
    h->reg = sw_registry_new();
    h->states = sw_plugin_states_new(h->db, h->reg);
    h->audit = sw_audit_new(h->db);
    h->pool = sw_pool_new(4);
    sw_dispatcher_init(&h->d, h->db, h->reg, h->states, h->audit, h->pool, NULL, 5000);
    randombytes_buf(h->token_key, sizeof h->token_key);
    h->d.token_key = h->token_key;
    h->d.token_key_len = sizeof h->token_key;
    if (plugins) {
        for (int i = 0; plugins[i]; i++)
            if (sw_registry_add(h->reg, plugins[i], "builtin", NULL, err, sizeof err) != 0) {
                fprintf(stderr, "harness: plugin refused: %s\n", err);
                return NULL;
            }
    } else {
        sw_registry_add_builtins(h->reg, &h->d.host);
    }
    sw_tenant_create(h->db, "test", "Test", &h->tenant);
    sw_participant_create(h->db, h->tenant.id, "ai", "Test AI", "model", "member", NULL, &h->ai);
    sw_participant_create(h->db, h->tenant.id, "alice", "Alice", "human", "member", NULL, &h->alice);
    return h;
}

/* Enables a plugin for the tenant with the given grants (-1 = every permission it declares).
 * Returns 0, or -2 on a tool-name conflict. */
static inline int sw_harness_enable(sw_harness *h, const char *plugin_id, int64_t grants)
{
    const sw_reg_plugin *rp = sw_registry_find(h->reg, plugin_id);
    if (!rp) return -1;
    uint32_t g = grants < 0 ? rp->p->permissions : (uint32_t)grants;
    return sw_plugin_states_enable(h->states, h->tenant.id, plugin_id, g, NULL, NULL);
}

static inline int sw_harness_disable(sw_harness *h, const char *plugin_id)
{
    return sw_plugin_states_disable(h->states, h->tenant.id, plugin_id);
}

/* Calls the tool's run function directly (no dispatcher, no schema check), in room "r" as the
 * AI participant, with the plugin's declared permissions granted. `args` is a JSON object, or
 * plain text that fills the tool's first required string parameter (as the dispatcher does).
 * out->text stays valid until the next call. */
static inline int sw_harness_execute(sw_harness *h, const swp_plugin *plugin, const char *tool,
                                     const char *args, swp_result *out)
{
    sw_call_ctx_free(h->last);
    h->last = NULL;
    const sw_reg_plugin *rp = sw_registry_find(h->reg, plugin->id);
    if (!rp) return SWP_E_NOTFOUND;
    const sw_reg_tool *rt = sw_registry_tool(rp, tool);
    sw_call call = {.tenant_id = h->tenant.id, .tenant_slug = "test", .room_id = "r",
                    .caller_id = h->ai.id, .initiator_id = h->alice.id};
    h->last = sw_call_ctx_new(&h->d, rp, &call, plugin->permissions);
    if (!h->last) return SWP_E_NOMEM;
    json_t *parsed = args ? json_loads(args, 0, NULL) : json_object();
    if (!json_is_object(parsed)) {
        json_decref(parsed);
        parsed = json_object();
        if (rt && rt->first_required && args) json_object_set_new(parsed, rt->first_required, json_string(args));
    }
    sw_call_ctx_set_args(h->last, NULL, 0, parsed);
    json_decref(parsed);
    memset(out, 0, sizeof *out);
    if (rt && rt->def->run) return rt->def->run(&h->last->pub, out);
    if (!rt || !plugin->execute_tool) /* a tool the plugin does not declare: the host answers, as the dispatcher does */
        return swp_result_error(out, "Unknown tool.\nFallback suggestions: call one of the plugin's tools by its exact name.");
    return plugin->execute_tool(&h->last->pub, tool, swp_args_text(&h->last->pub), out);
}

/* The context of the last sw_harness_execute (for get_system_context and friends). */
static inline swp_ctx *sw_harness_ctx(sw_harness *h)
{
    return h->last ? &h->last->pub : NULL;
}

/* Runs a tool through the dispatcher, as the AI does. Free out with sw_dispatch_result_fini. */
static inline int sw_harness_call(sw_harness *h, const char *tool, const char *args,
                                  sw_dispatch_result *out)
{
    sw_call call = {.tenant_id = h->tenant.id, .tenant_slug = "test", .room_id = "r",
                    .caller_id = h->ai.id, .initiator_id = h->alice.id, .tool = tool,
                    .args = args, .args_len = args ? strlen(args) : 0};
    return sw_dispatch(&h->d, &call, out);
}

static inline void sw_harness_free(sw_harness *h)
{
    if (!h) return;
    sw_call_ctx_free(h->last);
    sw_pool_free(h->pool);
    sw_dispatcher_fini(&h->d);
    sw_audit_free(h->audit);
    sw_plugin_states_free(h->states);
    sw_registry_free(h->reg);
    sw_db_close(h->db);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
    if (system(cmd) != 0) fprintf(stderr, "harness: could not remove %s\n", h->dir);
    free(h);
}

#endif
