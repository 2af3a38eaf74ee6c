/* scaiwave/plugin.h — the public plugin ABI of ScaiWave-C, and the only header a plugin includes.
 *
 * A plugin is a `static const swp_plugin` descriptor: a manifest (id, name, version, tools,
 * permissions) and hooks (init, shutdown, get_system_context, optional get_dynamic_tools, run_job).
 * Each tool carries its own entry point, `swp_tool.run`, which receives the arguments already
 * parsed and validated (read them with the swp_arg_* helpers). Built-ins are listed in BUILTIN_PLUGINS[] (src/plugins/builtin/builtin.c);
 * third-party plugins are shared objects exporting one function, `swp_plugin_entry`, that returns
 * the descriptor (see SWP_PLUGIN_EXPORT). Plugins never link against the server: everything the
 * host offers reaches them through ctx->host, wrapped by the inline helpers at the end of this
 * file.
 *
 * Compatibility rules (ABI v1, final: from here on this header is append-only): the descriptor
 * and the host table begin with {abi_version, struct_size}, checked before anything else; the
 * descriptor also records the element sizes of its tools[] and settings[] arrays (tool_size,
 * setting_size), so swp_tool and swp_setting_def can grow too; fields are only ever appended;
 * designated initialisers (SWP_PLUGIN_INIT) zero every slot a plugin does not name. Enum values
 * and status codes are append-only too. Feature services (notes, ...) are versioned tables
 * fetched by name with swp_service(), outside the core host table.
 *
 * Spelling: every name this header defines starts with swp_ / SWP_; the server's own (private)
 * names start with sw_ / SW_, so a reader tells public from private at a glance.
 *
 * Memory: every input is borrowed (const) and valid only during the call. Results, system
 * context and any other output are allocated from the per-call arena (swp_alloc, swp_strdup,
 * swp_printf); the host frees the arena after the call, so plugin code never frees.
 *
 * Errors have two channels: a hook returns SWP_OK or a negative SWP_E_* status for framework faults
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

#define SWP_PLUGIN_ABI_VERSION 1u
#define SWP_PLUGIN_ENTRY_SYMBOL "swp_plugin_entry"

/* ---- Permissions (bit flags). A plugin declares what it needs; a tenant admin grants a subset
 * when enabling it; host services refuse what was not granted. ---- */
#define SWP_PERM_READ_MESSAGES (1u << 0)
#define SWP_PERM_WRITE_MESSAGES (1u << 1)
#define SWP_PERM_READ_NOTES (1u << 2)
#define SWP_PERM_WRITE_NOTES (1u << 3)
#define SWP_PERM_EXTERNAL_HTTP (1u << 4)
#define SWP_PERM_SEARCH (1u << 5)
#define SWP_PERM_READ_USERS (1u << 6)
#define SWP_PERM_MANAGE_TASKS (1u << 7)
/* swp_token_exchange: mint short-lived, audience-bound tokens for the caller */
#define SWP_PERM_TOKEN_EXCHANGE (1u << 8)
#define SWP_PERM__COUNT 9

/* ---- Status codes of the framework channel ---- */
#define SWP_OK 0
#define SWP_E_FAIL (-1)        /* generic failure */
#define SWP_E_NOMEM (-2)       /* the per-call arena or the process is out of memory */
#define SWP_E_PERM (-3)        /* the plugin lacks the permission the service needs */
#define SWP_E_INVAL (-4)       /* bad argument to a host service */
#define SWP_E_NOTFOUND (-5)    /* no such row / key / setting */
#define SWP_E_UNAVAIL (-6)     /* the service is not configured on this server */
#define SWP_E_TIMEDOUT (-7)    /* the service did not answer in time */
#define SWP_E_IO (-8)          /* network or storage failure */
#define SWP_E_CANCELLED (-9)   /* the call was cancelled (timed out, or a person pressed Stop) */

typedef struct swp_ctx swp_ctx;
typedef struct swp_host swp_host;
typedef struct swp_result swp_result;

/* ---- Tools ---- */
typedef struct swp_tool {
    const char *name;        /* ^[a-zA-Z0-9_-]{1,64}$, unique among a tenant's enabled plugins */
    const char *description; /* what it does AND when to use it (the model reads this) */
    const char *usage;       /* slash-command hint, "[/greet <language> [name]]", or NULL */
    const char *parameters;  /* JSON Schema text of the arguments object */
    uint32_t permissions_required; /* SWP_PERM_* the tenant must have granted for a call */
    int side_effects;        /* 1 if the tool changes anything: it may need a human's approval */
    int timeout_ms;          /* 0 = the server's default (30 s) */
    /* Runs the tool: the arguments are parsed and validated against `parameters` (read them
     * with swp_arg_string / swp_arg_int / swp_arg_bool / swp_arg_json); fills *out and returns SWP_OK,
     * or a negative SWP_E_* for a framework fault. NULL only in plugins built before ABI v1 final,
     * which fall back to swp_plugin.execute_tool. */
    int (*run)(swp_ctx *ctx, swp_result *out);
} swp_tool;

/* Terminates a plugin's tools[] array. */
#define SWP_TOOL_END {0}

/* A per-tenant setting the plugin reads with swp_setting(). Secret settings are write-only
 * through the API and read back masked. Terminate the array with {0}. */
typedef struct swp_setting_def {
    const char *key;
    const char *description;
    int secret;
    const char *default_value; /* or NULL */
} swp_setting_def;

/* A tool's result: text for the model (and the room), and whether it is an error. */
struct swp_result {
    const char *text; /* arena-allocated or static */
    int is_error;
};

/* ---- The descriptor ---- */
typedef struct swp_plugin {
    uint32_t abi_version; /* SWP_PLUGIN_ABI_VERSION */
    uint32_t struct_size; /* sizeof(swp_plugin) as the plugin was compiled */

    /* Manifest */
    const char *id;          /* "<owner>.<name>": scaiwave.* for built-ins, your namespace else */
    const char *name;        /* display name */
    const char *version;     /* semver, "1.0.0" */
    const char *description;
    const swp_tool *tools;    /* array ended by SWP_TOOL_END */
    uint32_t permissions;    /* SWP_PERM_* the plugin asks for */
    int injects_context;     /* 1: get_system_context's text goes into the AI's system prompt */
    const char *scope;       /* NULL, or "private" (touches only the caller's own data) */
    const swp_setting_def *settings; /* optional, ended by {0} */

    /* Hooks, all optional. */
    /* Once at load; may set *state to the plugin's own state (malloc'd, say), which every call's
     * ctx carries (swp_plugin_state(ctx)) and shutdown receives. Non-zero refuses the plugin. */
    int (*init)(const swp_host *host, void **state);
    void (*shutdown)(void *state);     /* once at exit, with what init stored */
    /* Sets *text to a short system-prompt block (arena or static), or NULL for none. */
    int (*get_system_context)(swp_ctx *ctx, const char **text);
    /* Fallback for plugins built before swp_tool.run existed: runs tool `tool` (whose run is
     * NULL); `args` is the validated arguments object as JSON text. New plugins leave it NULL. */
    int (*execute_tool)(swp_ctx *ctx, const char *tool, const char *args, swp_result *out);
    /* Optional: extra tools computed at run time, as a JSON array of
     * {"name","description","parameters"} objects (arena or static), or NULL. */
    int (*get_dynamic_tools)(swp_ctx *ctx, const char **tools_json);
    /* Optional: runs a job the plugin queued with swp_job_enqueue(), on the worker pool. */
    int (*run_job)(swp_ctx *ctx, const char *name, const char *payload_json);
    /* ---- ABI v1 final ---- */
    uint32_t tool_size;    /* sizeof(swp_tool) as the plugin was compiled (0: the first layout) */
    uint32_t setting_size; /* sizeof(swp_setting_def) as the plugin was compiled (0: the first) */
} swp_plugin;

/* Fills the header fields and the element sizes; use inside a designated initialiser:
 *   static const swp_plugin my_plugin = { SWP_PLUGIN_INIT, .id = "acme.echo", ... }; */
#define SWP_PLUGIN_INIT                                                                         \
    .abi_version = SWP_PLUGIN_ABI_VERSION, .struct_size = sizeof(swp_plugin),                    \
    .tool_size = sizeof(swp_tool), .setting_size = sizeof(swp_setting_def)

/* A third-party shared object exports its descriptor with:
 *   SWP_PLUGIN_EXPORT(my_plugin) */
#define SWP_PLUGIN_EXPORT(desc)                                                                 \
    __attribute__((visibility("default"))) const swp_plugin *swp_plugin_entry(void);             \
    const swp_plugin *swp_plugin_entry(void) { return &(desc); }

/* ---- HTTP service (needs SWP_PERM_EXTERNAL_HTTP; loopback/private/link-local/metadata/...
 * addresses, also reached by a name or a redirect, are refused with SWP_E_PERM unless the
 * operator allows them with --outbound-allow) ---- */
typedef struct swp_http_request {
    const char *method;   /* "GET" (default when NULL), "POST", ... */
    const char *url;      /* http:// or https:// */
    const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
    const char *body;     /* or NULL */
    size_t body_len;
    int timeout_ms;       /* 0 = 10 s; never past the call's deadline (swp_remaining_ms) */
} swp_http_request;

typedef struct swp_http_response {
    long status;
    const char *body;     /* arena; NUL-terminated */
    size_t body_len;
    const char *content_type; /* arena, or NULL */
} swp_http_response;

/* ---- Notes: the feature service "notes", version 1 (swp_service(ctx, SWP_NOTES_SERVICE,
 * SWP_NOTES_API_VERSION)); SWP_PERM_READ_NOTES / SWP_PERM_WRITE_NOTES / SWP_PERM_SEARCH) ----
 * A note of the tenant, as the notes services hand it back: allocated by the host in the
 * per-call arena (plugin code never allocates one, so fields can be appended later). */
typedef struct swp_note {
    const char *id;
    const char *title;      /* 1..SWP_NOTE_TITLE_MAX characters, no control characters */
    const char *body;       /* 1..SWP_NOTE_BODY_MAX bytes */
    const char *snippet;    /* search results: a short excerpt of the body with the matched words
                             * in **bold**; NULL elsewhere */
    const char *created_by; /* participant id of who created it (an AI, or a person) */
    const char *created_at; /* RFC 3339 */
    const char *updated_at;
    double rank;            /* search results: relevance, higher is better (BM25); 0 elsewhere */
} swp_note;

#define SWP_NOTE_TITLE_MAX 200       /* characters (UTF-8 code points) */
#define SWP_NOTE_BODY_MAX 65536      /* bytes */
#define SWP_NOTE_QUERY_MAX 1000      /* bytes of search text */
#define SWP_NOTE_FIND_MAX 200        /* results of one search */

/* ---- What a call runs in ---- */
struct swp_ctx {
    uint32_t struct_size;     /* sizeof(swp_ctx) as the host was compiled */
    const swp_host *host;      /* host services; use the sw_* helpers below */
    const char *plugin_id;    /* this plugin's id */
    const char *tenant_id;    /* the tenant the call belongs to */
    const char *tenant_slug;
    const char *room_id;      /* "" when the call is not in a room */
    const char *sender_id;    /* the participant making the call (the AI, or the human for /cmd) */
    const char *initiator_id; /* the human whose message started it */
    const char *reserved0;    /* always NULL (an early draft passed the caller's bearer token
                               * here; plugins never see it: use swp_token_exchange) */
    uint32_t granted;         /* SWP_PERM_* granted to this plugin in this tenant */
    void *host_data;          /* private to the host */
    /* ---- ABI v1 final ---- */
    void *plugin_state;       /* what the plugin's init stored in *state (or NULL) */
};

/* ---- Host services (a vtable; slots are appended, never reordered) ---- */
struct swp_host {
    uint32_t abi_version;
    uint32_t struct_size;
    /* per-call arena */
    void *(*alloc)(swp_ctx *ctx, size_t n);
    char *(*strdup)(swp_ctx *ctx, const char *s);
    char *(*vprintf)(swp_ctx *ctx, const char *fmt, va_list ap);
    /* arguments of the current call */
    const char *(*args_text)(swp_ctx *ctx);
    const char *(*arg_string)(swp_ctx *ctx, const char *key);
    int (*arg_int)(swp_ctx *ctx, const char *key, int64_t *out);
    int (*arg_bool)(swp_ctx *ctx, const char *key, int *out);
    const char *(*arg_json)(swp_ctx *ctx, const char *key); /* any value, as JSON text */
    /* per-tenant settings of this plugin (PUT /v1/admin/plugins/{id}/config) */
    const char *(*setting)(swp_ctx *ctx, const char *key);
    /* logging: level 0 debug, 1 info, 2 warn, 3 error. Never log secrets. */
    void (*log)(swp_ctx *ctx, int level, const char *msg);
    /* tenant-scoped storage private to this plugin */
    int (*kv_get)(swp_ctx *ctx, const char *key, const char **value);
    int (*kv_set)(swp_ctx *ctx, const char *key, const char *value); /* value NULL deletes */
    /* outbound HTTP (SWP_PERM_EXTERNAL_HTTP) */
    int (*http_fetch)(swp_ctx *ctx, const swp_http_request *req, swp_http_response *resp);
    /* people of the tenant (SWP_PERM_READ_USERS): {participant_id, local_id, display_name,
     * participant_type} as JSON text */
    int (*user_get)(swp_ctx *ctx, const char *participant_id, const char **json);
    /* event publisher: publishes {type, content} to the tenant (room-scoped when room_id set) */
    int (*publish)(swp_ctx *ctx, const char *type, const char *content_json);
    /* job queue (SWP_PERM_MANAGE_TASKS): run_job(name, payload) later on the worker pool */
    int (*job_enqueue)(swp_ctx *ctx, const char *name, const char *payload_json);
    /* model client: one chat completion with the tenant's default model; *answer in the arena */
    int (*model_complete)(swp_ctx *ctx, const char *system, const char *prompt, const char **answer);
    /* ---- appended after ABI 1's first release: check with SWP_HOST_HAS (the helpers do) ---- */
    /* Always NULL: an early ABI 1 build had the notes services here; they are the "notes"
     * feature service now (swp_service). */
    void *reserved_notes[4];
    /* ---- ABI v1 final ---- */
    /* a feature service's table by name and version, or NULL when this server has none */
    const void *(*service)(swp_ctx *ctx, const char *name, uint32_t version);
    /* the call's deadline and cancel flag */
    int64_t (*deadline_ms)(swp_ctx *ctx);  /* CLOCK_MONOTONIC milliseconds, 0 = no deadline */
    int64_t (*remaining_ms)(swp_ctx *ctx); /* >= 0, or -1 when the call has no deadline */
    int (*cancelled)(swp_ctx *ctx);        /* 1 once the call timed out or a person pressed Stop */
    /* token exchange (SWP_PERM_TOKEN_EXCHANGE) */
    int (*token_exchange)(swp_ctx *ctx, const char *audience, int ttl_s, const char **token);
};

/* The "notes" feature service, version 1: the tenant's notes (scaiwave.notes). find needs
 * SWP_PERM_READ_NOTES and SWP_PERM_SEARCH; get needs SWP_PERM_READ_NOTES; create and update need
 * SWP_PERM_WRITE_NOTES. Everything handed back lives in the per-call arena.
 *   find: full-text search over title and body, best matches first, at most `limit`
 *     (1..SWP_NOTE_FIND_MAX); `query` is plain words (never search syntax); *count may be 0.
 *   get: SWP_E_NOTFOUND when the tenant has no note with that id.
 *   create / update: SWP_E_INVAL when a title or body is empty or too long; update changes only
 *     what is not NULL.
 * Slots are appended within a version (check struct_size); an incompatible change is version 2. */
#define SWP_NOTES_SERVICE "notes"
#define SWP_NOTES_API_VERSION 1u
typedef struct swp_notes_api {
    uint32_t struct_size;
    int (*find)(swp_ctx *ctx, const char *query, int limit, const swp_note *const **notes, int *count);
    int (*get)(swp_ctx *ctx, const char *id, const swp_note **note);
    int (*create)(swp_ctx *ctx, const char *title, const char *body, const swp_note **note);
    int (*update)(swp_ctx *ctx, const char *id, const char *title, const char *body, const swp_note **note);
} swp_notes_api;

/* ---- Helpers for plugin code (inline; they only call through ctx->host) ---- */
#define SWP_HOST_HAS(h, slot) ((h)->struct_size >= offsetof(swp_host, slot) + sizeof((h)->slot) && (h)->slot)

static inline void *swp_alloc(swp_ctx *ctx, size_t n) { return ctx->host->alloc(ctx, n); }
static inline char *swp_strdup(swp_ctx *ctx, const char *s) { return ctx->host->strdup(ctx, s); }
static inline char *swp_printf(swp_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline char *swp_printf(swp_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = ctx->host->vprintf(ctx, fmt, ap);
    va_end(ap);
    return s;
}
/* The validated arguments object as compact JSON text (never the caller's raw text). */
static inline const char *swp_args_text(swp_ctx *ctx) { return ctx->host->args_text(ctx); }
/* A string argument, or NULL when absent, not a string, or the args are not a JSON object. */
static inline const char *swp_arg_string(swp_ctx *ctx, const char *key) { return ctx->host->arg_string(ctx, key); }
/* An integer argument: SWP_OK, or SWP_E_NOTFOUND when absent / not an integer. */
static inline int swp_arg_int(swp_ctx *ctx, const char *key, int64_t *out) { return ctx->host->arg_int(ctx, key, out); }
static inline int swp_arg_bool(swp_ctx *ctx, const char *key, int *out) { return ctx->host->arg_bool(ctx, key, out); }
static inline const char *swp_arg_json(swp_ctx *ctx, const char *key) { return ctx->host->arg_json(ctx, key); }
static inline const char *swp_setting(swp_ctx *ctx, const char *key) { return ctx->host->setting(ctx, key); }
static inline void swp_log_msg(swp_ctx *ctx, int level, const char *msg) { ctx->host->log(ctx, level, msg); }

/* Services. Each returns SWP_OK or a negative SWP_E_* status (SWP_E_PERM when the tenant did not
 * grant the permission the service needs, SWP_E_UNAVAIL when this server lacks the service). */
static inline int swp_kv_get(swp_ctx *ctx, const char *key, const char **value) { return ctx->host->kv_get(ctx, key, value); }
static inline int swp_kv_set(swp_ctx *ctx, const char *key, const char *value) { return ctx->host->kv_set(ctx, key, value); }
static inline int swp_http_fetch(swp_ctx *ctx, const swp_http_request *req, swp_http_response *resp) { return ctx->host->http_fetch(ctx, req, resp); }
static inline int swp_user_get(swp_ctx *ctx, const char *participant_id, const char **json) { return ctx->host->user_get(ctx, participant_id, json); }
static inline int swp_publish(swp_ctx *ctx, const char *type, const char *content_json) { return ctx->host->publish(ctx, type, content_json); }
static inline int swp_job_enqueue(swp_ctx *ctx, const char *name, const char *payload_json) { return ctx->host->job_enqueue(ctx, name, payload_json); }
static inline int swp_model_complete(swp_ctx *ctx, const char *system, const char *prompt, const char **answer) { return ctx->host->model_complete(ctx, system, prompt, answer); }
/* A feature service's table (e.g. swp_service(ctx, SWP_NOTES_SERVICE, SWP_NOTES_API_VERSION) is a
 * const swp_notes_api *), or NULL when this server does not offer that name in that version. */
static inline const void *swp_service(swp_ctx *ctx, const char *name, uint32_t version)
{
    return SWP_HOST_HAS(ctx->host, service) ? ctx->host->service(ctx, name, version) : NULL;
}
/* What the plugin's init stored in *state, or NULL. */
static inline void *swp_plugin_state(swp_ctx *ctx)
{
    return ctx->struct_size >= offsetof(swp_ctx, plugin_state) + sizeof ctx->plugin_state ? ctx->plugin_state : NULL;
}
/* The call's deadline (CLOCK_MONOTONIC ms; 0 = none) and the time left before it (-1 = none). */
static inline int64_t swp_deadline_ms(swp_ctx *ctx) { return SWP_HOST_HAS(ctx->host, deadline_ms) ? ctx->host->deadline_ms(ctx) : 0; }
static inline int64_t swp_remaining_ms(swp_ctx *ctx) { return SWP_HOST_HAS(ctx->host, remaining_ms) ? ctx->host->remaining_ms(ctx) : -1; }
/* 1 once the host gave up on the call (its timeout passed, or a person pressed Stop): a tool that
 * loops or waits should check it and return soon; whatever it answers then is discarded. */
static inline int swp_cancelled(swp_ctx *ctx) { return SWP_HOST_HAS(ctx->host, cancelled) ? ctx->host->cancelled(ctx) : 0; }
/* Mints a token for ONE audience (1..64 of [a-z0-9._:-]) that names the caller (tenant and
 * participant), valid ttl_s seconds (1..300; 0 = 300), into the arena. It is refused as an API
 * bearer token. SWP_E_PERM unless the plugin declared and was granted SWP_PERM_TOKEN_EXCHANGE. */
static inline int swp_token_exchange(swp_ctx *ctx, const char *audience, int ttl_s, const char **token)
{
    if (!SWP_HOST_HAS(ctx->host, token_exchange)) return SWP_E_UNAVAIL;
    return ctx->host->token_exchange(ctx, audience, ttl_s, token);
}

/* A static English description of a status code. */
static inline const char *swp_strerror(int status)
{
    switch (status) {
    case SWP_OK: return "ok";
    case SWP_E_NOMEM: return "out of memory";
    case SWP_E_PERM: return "permission not granted";
    case SWP_E_INVAL: return "invalid argument";
    case SWP_E_NOTFOUND: return "not found";
    case SWP_E_UNAVAIL: return "service not available on this server";
    case SWP_E_TIMEDOUT: return "timed out";
    case SWP_E_IO: return "network or storage failure";
    case SWP_E_CANCELLED: return "cancelled";
    default: return "failure";
    }
}

/* Results */
static inline int swp_result_text(swp_result *out, const char *text) { out->text = text; out->is_error = 0; return SWP_OK; }
/* An error the model can act on: end `text` with "Fallback suggestions: ..." */
static inline int swp_result_error(swp_result *out, const char *text) { out->text = text; out->is_error = 1; return SWP_OK; }

#ifdef __cplusplus
}
#endif
#endif /* SCAIWAVE_PLUGIN_H */
