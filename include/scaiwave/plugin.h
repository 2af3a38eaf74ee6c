/* scaiwave/plugin.h — the public plugin ABI of ScaiWave-C, and the only header a plugin includes.
 *
 * A plugin is a `static const sw_plugin` descriptor: a manifest (id, name, version, tools,
 * permissions) and hooks (get_system_context, execute_tool, optional get_dynamic_tools, init,
 * shutdown). Built-ins are listed in BUILTIN_PLUGINS[] (src/plugins/builtin/builtin.c);
 * third-party plugins are shared objects exporting one function, `sw_plugin_entry`, that returns
 * the descriptor (see SW_PLUGIN_EXPORT). Plugins never link against the server: everything the
 * host offers reaches them through ctx->host, wrapped by the inline helpers at the end of this
 * file.
 *
 * Compatibility rules: the descriptor and the host table begin with {abi_version, struct_size},
 * checked before anything else; fields are only ever appended; designated initialisers
 * (SW_PLUGIN_INIT) zero every slot a plugin does not name. Enum values and status codes are
 * append-only too.
 *
 * Memory: every input is borrowed (const) and valid only during the call. Results, system
 * context and any other output are allocated from the per-call arena (sw_alloc, sw_strdup,
 * sw_printf); the host frees the arena after the call, so plugin code never frees.
 *
 * Errors have two channels: a hook returns SW_OK or a negative SW_E* status for framework faults
 * (out of memory, a bug); a tool's own failure is a normal result with is_error set and text that
 * ends in a "Fallback suggestions:" line telling the model what to try instead. */
#ifndef SCAIWAVE_PLUGIN_H
#define SCAIWAVE_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SW_PLUGIN_ABI_VERSION 1u
#define SW_PLUGIN_ENTRY_SYMBOL "sw_plugin_entry"

/* ---- Permissions (bit flags). A plugin declares what it needs; a tenant admin grants a subset
 * when enabling it; host services refuse what was not granted. ---- */
#define SW_PERM_READ_MESSAGES (1u << 0)
#define SW_PERM_WRITE_MESSAGES (1u << 1)
#define SW_PERM_READ_NOTES (1u << 2)
#define SW_PERM_WRITE_NOTES (1u << 3)
#define SW_PERM_EXTERNAL_HTTP (1u << 4)
#define SW_PERM_SEARCH (1u << 5)
#define SW_PERM_READ_USERS (1u << 6)
#define SW_PERM_MANAGE_TASKS (1u << 7)
#define SW_PERM__COUNT 8

/* ---- Status codes of the framework channel ---- */
#define SW_OK 0
#define SW_E_FAIL (-1)        /* generic failure */
#define SW_E_NOMEM (-2)       /* the per-call arena or the process is out of memory */
#define SW_E_PERM (-3)        /* the plugin lacks the permission the service needs */
#define SW_E_INVAL (-4)       /* bad argument to a host service */
#define SW_E_NOTFOUND (-5)    /* no such row / key / setting */
#define SW_E_UNAVAIL (-6)     /* the service is not configured on this server */
#define SW_E_TIMEDOUT (-7)    /* the service did not answer in time */
#define SW_E_IO (-8)          /* network or storage failure */

typedef struct sw_ctx sw_ctx;
typedef struct sw_host sw_host;

/* ---- Tools ---- */
typedef struct sw_tool {
    const char *name;        /* ^[a-zA-Z0-9_-]{1,64}$, unique among a tenant's enabled plugins */
    const char *description; /* what it does AND when to use it (the model reads this) */
    const char *usage;       /* slash-command hint, "[/greet <language> [name]]", or NULL */
    const char *parameters;  /* JSON Schema text of the arguments object */
    uint32_t permissions_required; /* SW_PERM_* the tenant must have granted for a call */
    int side_effects;        /* 1 if the tool changes anything: it may need a human's approval */
    int timeout_ms;          /* 0 = the server's default (30 s) */
} sw_tool;

/* Terminates a plugin's tools[] array. */
#define SW_TOOL_END {0}

/* A per-tenant setting the plugin reads with sw_setting(). Secret settings are write-only
 * through the API and read back masked. Terminate the array with {0}. */
typedef struct sw_setting_def {
    const char *key;
    const char *description;
    int secret;
    const char *default_value; /* or NULL */
} sw_setting_def;

/* A tool's result: text for the model (and the room), and whether it is an error. */
typedef struct sw_result {
    const char *text; /* arena-allocated or static */
    int is_error;
} sw_result;

/* ---- The descriptor ---- */
typedef struct sw_plugin {
    uint32_t abi_version; /* SW_PLUGIN_ABI_VERSION */
    uint32_t struct_size; /* sizeof(sw_plugin) as the plugin was compiled */

    /* Manifest */
    const char *id;          /* "<owner>.<name>": scaiwave.* for built-ins, your namespace else */
    const char *name;        /* display name */
    const char *version;     /* semver, "1.0.0" */
    const char *description;
    const sw_tool *tools;    /* array ended by SW_TOOL_END */
    uint32_t permissions;    /* SW_PERM_* the plugin asks for */
    int injects_context;     /* 1: get_system_context's text goes into the AI's system prompt */
    const char *scope;       /* NULL, or "private" (touches only the caller's own data) */
    const sw_setting_def *settings; /* optional, ended by {0} */

    /* Hooks. Only execute_tool is required. */
    int (*init)(const sw_host *host);  /* once at load; non-zero refuses the plugin */
    void (*shutdown)(void);            /* once at exit */
    /* Sets *text to a short system-prompt block (arena or static), or NULL for none. */
    int (*get_system_context)(sw_ctx *ctx, const char **text);
    /* Runs tool `tool` with `args`, the model's raw argument text (normally a JSON object,
     * already validated against the tool's schema; see sw_arg_string() and sw_args_text()).
     * Fills *out. An unknown tool name should set an error result. */
    int (*execute_tool)(sw_ctx *ctx, const char *tool, const char *args, sw_result *out);
    /* Optional: extra tools computed at run time, as a JSON array of
     * {"name","description","parameters"} objects (arena or static), or NULL. */
    int (*get_dynamic_tools)(sw_ctx *ctx, const char **tools_json);
    /* Optional: runs a job the plugin queued with sw_job_enqueue(), on the worker pool. */
    int (*run_job)(sw_ctx *ctx, const char *name, const char *payload_json);
} sw_plugin;

/* Fills the header fields; use inside a designated initialiser:
 *   static const sw_plugin my_plugin = { SW_PLUGIN_INIT, .id = "acme.echo", ... }; */
#define SW_PLUGIN_INIT .abi_version = SW_PLUGIN_ABI_VERSION, .struct_size = sizeof(sw_plugin)

/* A third-party shared object exports its descriptor with:
 *   SW_PLUGIN_EXPORT(my_plugin) */
#define SW_PLUGIN_EXPORT(desc)                                                                 \
    __attribute__((visibility("default"))) const sw_plugin *sw_plugin_entry(void);             \
    const sw_plugin *sw_plugin_entry(void) { return &(desc); }

/* ---- HTTP service (needs SW_PERM_EXTERNAL_HTTP; loopback/private/link-local/metadata/...
 * addresses, also reached by a name or a redirect, are refused with SW_E_PERM unless the
 * operator allows them with --outbound-allow) ---- */
typedef struct sw_http_request {
    const char *method;   /* "GET" (default when NULL), "POST", ... */
    const char *url;      /* http:// or https:// */
    const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
    const char *body;     /* or NULL */
    size_t body_len;
    int timeout_ms;       /* 0 = 10 s */
} sw_http_request;

typedef struct sw_http_response {
    long status;
    const char *body;     /* arena; NUL-terminated */
    size_t body_len;
    const char *content_type; /* arena, or NULL */
} sw_http_response;

/* ---- Notes (SW_PERM_READ_NOTES / SW_PERM_WRITE_NOTES / SW_PERM_SEARCH) ----
 * A note of the tenant, as the notes services hand it back: allocated by the host in the
 * per-call arena (plugin code never allocates one, so fields can be appended later). */
typedef struct sw_note {
    const char *id;
    const char *title;      /* 1..SW_NOTE_TITLE_MAX characters, no control characters */
    const char *body;       /* 1..SW_NOTE_BODY_MAX bytes */
    const char *snippet;    /* search results: a short excerpt of the body with the matched words
                             * in **bold**; NULL elsewhere */
    const char *created_by; /* participant id of who created it (an AI, or a person) */
    const char *created_at; /* RFC 3339 */
    const char *updated_at;
    double rank;            /* search results: relevance, higher is better (BM25); 0 elsewhere */
} sw_note;

#define SW_NOTE_TITLE_MAX 200       /* characters (UTF-8 code points) */
#define SW_NOTE_BODY_MAX 65536      /* bytes */
#define SW_NOTE_QUERY_MAX 1000      /* bytes of search text */
#define SW_NOTE_FIND_MAX 200        /* results of one search */

/* ---- What a call runs in ---- */
struct sw_ctx {
    uint32_t struct_size;     /* sizeof(sw_ctx) as the host was compiled */
    const sw_host *host;      /* host services; use the sw_* helpers below */
    const char *plugin_id;    /* this plugin's id */
    const char *tenant_id;    /* the tenant the call belongs to */
    const char *tenant_slug;
    const char *room_id;      /* "" when the call is not in a room */
    const char *sender_id;    /* the participant making the call (the AI, or the human for /cmd) */
    const char *initiator_id; /* the human whose message started it */
    const char *user_token;   /* the initiator's token for token exchange, or NULL */
    uint32_t granted;         /* SW_PERM_* granted to this plugin in this tenant */
    void *host_data;          /* private to the host */
};

/* ---- Host services (a vtable; slots are appended, never reordered) ---- */
struct sw_host {
    uint32_t abi_version;
    uint32_t struct_size;
    /* per-call arena */
    void *(*alloc)(sw_ctx *ctx, size_t n);
    char *(*strdup)(sw_ctx *ctx, const char *s);
    char *(*vprintf)(sw_ctx *ctx, const char *fmt, va_list ap);
    /* arguments of the current call */
    const char *(*args_text)(sw_ctx *ctx);
    const char *(*arg_string)(sw_ctx *ctx, const char *key);
    int (*arg_int)(sw_ctx *ctx, const char *key, int64_t *out);
    int (*arg_bool)(sw_ctx *ctx, const char *key, int *out);
    const char *(*arg_json)(sw_ctx *ctx, const char *key); /* any value, as JSON text */
    /* per-tenant settings of this plugin (PUT /v1/admin/plugins/{id}/config) */
    const char *(*setting)(sw_ctx *ctx, const char *key);
    /* logging: level 0 debug, 1 info, 2 warn, 3 error. Never log secrets. */
    void (*log)(sw_ctx *ctx, int level, const char *msg);
    /* tenant-scoped storage private to this plugin */
    int (*kv_get)(sw_ctx *ctx, const char *key, const char **value);
    int (*kv_set)(sw_ctx *ctx, const char *key, const char *value); /* value NULL deletes */
    /* outbound HTTP (SW_PERM_EXTERNAL_HTTP) */
    int (*http_fetch)(sw_ctx *ctx, const sw_http_request *req, sw_http_response *resp);
    /* people of the tenant (SW_PERM_READ_USERS): {participant_id, local_id, display_name,
     * participant_type} as JSON text */
    int (*user_get)(sw_ctx *ctx, const char *participant_id, const char **json);
    /* event publisher: publishes {type, content} to the tenant (room-scoped when room_id set) */
    int (*publish)(sw_ctx *ctx, const char *type, const char *content_json);
    /* job queue (SW_PERM_MANAGE_TASKS): run_job(name, payload) later on the worker pool */
    int (*job_enqueue)(sw_ctx *ctx, const char *name, const char *payload_json);
    /* model client: one chat completion with the tenant's default model; *answer in the arena */
    int (*model_complete)(sw_ctx *ctx, const char *system, const char *prompt, const char **answer);
    /* ---- appended after ABI 1's first release: check with SW_HOST_HAS (the helpers do) ---- */
    /* the tenant's notes (scaiwave.notes). find needs SW_PERM_READ_NOTES and SW_PERM_SEARCH;
     * get needs SW_PERM_READ_NOTES; create and update need SW_PERM_WRITE_NOTES. */
    int (*notes_find)(sw_ctx *ctx, const char *query, int limit, const sw_note *const **notes, int *count);
    int (*note_get)(sw_ctx *ctx, const char *id, const sw_note **note);
    int (*note_create)(sw_ctx *ctx, const char *title, const char *body, const sw_note **note);
    int (*note_update)(sw_ctx *ctx, const char *id, const char *title, const char *body, const sw_note **note);
};

/* ---- Helpers for plugin code (inline; they only call through ctx->host) ---- */
#define SW_HOST_HAS(h, slot) ((h)->struct_size >= offsetof(sw_host, slot) + sizeof((h)->slot) && (h)->slot)

static inline void *sw_alloc(sw_ctx *ctx, size_t n) { return ctx->host->alloc(ctx, n); }
static inline char *sw_strdup(sw_ctx *ctx, const char *s) { return ctx->host->strdup(ctx, s); }
static inline char *sw_printf(sw_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline char *sw_printf(sw_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = ctx->host->vprintf(ctx, fmt, ap);
    va_end(ap);
    return s;
}
/* The raw argument text as the model sent it (may be non-JSON). */
static inline const char *sw_args_text(sw_ctx *ctx) { return ctx->host->args_text(ctx); }
/* A string argument, or NULL when absent, not a string, or the args are not a JSON object. */
static inline const char *sw_arg_string(sw_ctx *ctx, const char *key) { return ctx->host->arg_string(ctx, key); }
/* An integer argument: SW_OK, or SW_E_NOTFOUND when absent / not an integer. */
static inline int sw_arg_int(sw_ctx *ctx, const char *key, int64_t *out) { return ctx->host->arg_int(ctx, key, out); }
static inline int sw_arg_bool(sw_ctx *ctx, const char *key, int *out) { return ctx->host->arg_bool(ctx, key, out); }
static inline const char *sw_arg_json(sw_ctx *ctx, const char *key) { return ctx->host->arg_json(ctx, key); }
static inline const char *sw_setting(sw_ctx *ctx, const char *key) { return ctx->host->setting(ctx, key); }
static inline void sw_log_msg(sw_ctx *ctx, int level, const char *msg) { ctx->host->log(ctx, level, msg); }

/* Services. Each returns SW_OK or a negative SW_E_* status (SW_E_PERM when the tenant did not
 * grant the permission the service needs, SW_E_UNAVAIL when this server lacks the service). */
static inline int sw_kv_get(sw_ctx *ctx, const char *key, const char **value) { return ctx->host->kv_get(ctx, key, value); }
static inline int sw_kv_set(sw_ctx *ctx, const char *key, const char *value) { return ctx->host->kv_set(ctx, key, value); }
static inline int sw_http_fetch(sw_ctx *ctx, const sw_http_request *req, sw_http_response *resp) { return ctx->host->http_fetch(ctx, req, resp); }
static inline int sw_user_get(sw_ctx *ctx, const char *participant_id, const char **json) { return ctx->host->user_get(ctx, participant_id, json); }
static inline int sw_publish(sw_ctx *ctx, const char *type, const char *content_json) { return ctx->host->publish(ctx, type, content_json); }
static inline int sw_job_enqueue(sw_ctx *ctx, const char *name, const char *payload_json) { return ctx->host->job_enqueue(ctx, name, payload_json); }
static inline int sw_model_complete(sw_ctx *ctx, const char *system, const char *prompt, const char **answer) { return ctx->host->model_complete(ctx, system, prompt, answer); }
/* Notes of the tenant (slots appended after ABI 1's first release: on a server without them
 * these return SW_E_UNAVAIL). Everything handed back lives in the per-call arena.
 *   sw_notes_find: full-text search over title and body, best matches first, at most `limit`
 *     (1..SW_NOTE_FIND_MAX); `query` is plain words (never search syntax); *count may be 0.
 *     Needs SW_PERM_READ_NOTES and SW_PERM_SEARCH.
 *   sw_note_get: SW_E_NOTFOUND when the tenant has no note with that id. SW_PERM_READ_NOTES.
 *   sw_note_create / sw_note_update: SW_PERM_WRITE_NOTES; SW_E_INVAL when a title or body is
 *     empty or too long. sw_note_update changes only what is not NULL. */
static inline int sw_notes_find(sw_ctx *ctx, const char *query, int limit, const sw_note *const **notes, int *count)
{
    if (!SW_HOST_HAS(ctx->host, notes_find)) return SW_E_UNAVAIL;
    return ctx->host->notes_find(ctx, query, limit, notes, count);
}
static inline int sw_note_get(sw_ctx *ctx, const char *id, const sw_note **note)
{
    if (!SW_HOST_HAS(ctx->host, note_get)) return SW_E_UNAVAIL;
    return ctx->host->note_get(ctx, id, note);
}
static inline int sw_note_create(sw_ctx *ctx, const char *title, const char *body, const sw_note **note)
{
    if (!SW_HOST_HAS(ctx->host, note_create)) return SW_E_UNAVAIL;
    return ctx->host->note_create(ctx, title, body, note);
}
static inline int sw_note_update(sw_ctx *ctx, const char *id, const char *title, const char *body, const sw_note **note)
{
    if (!SW_HOST_HAS(ctx->host, note_update)) return SW_E_UNAVAIL;
    return ctx->host->note_update(ctx, id, title, body, note);
}

/* A static English description of a status code. */
static inline const char *sw_strerror(int status)
{
    switch (status) {
    case SW_OK: return "ok";
    case SW_E_NOMEM: return "out of memory";
    case SW_E_PERM: return "permission not granted";
    case SW_E_INVAL: return "invalid argument";
    case SW_E_NOTFOUND: return "not found";
    case SW_E_UNAVAIL: return "service not available on this server";
    case SW_E_TIMEDOUT: return "timed out";
    case SW_E_IO: return "network or storage failure";
    default: return "failure";
    }
}

/* Results */
static inline int sw_result_text(sw_result *out, const char *text) { out->text = text; out->is_error = 0; return SW_OK; }
/* An error the model can act on: end `text` with "Fallback suggestions: ..." */
static inline int sw_result_error(sw_result *out, const char *text) { out->text = text; out->is_error = 1; return SW_OK; }

#ifdef __cplusplus
}
#endif
#endif /* SCAIWAVE_PLUGIN_H */
