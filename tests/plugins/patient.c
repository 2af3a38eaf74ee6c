/* patient: a well-formed test plugin (id test.patient) for deadlines, cancellation and plugin
 * state. init allocates its state (no globals) and shutdown frees it. `spin {"max_ms"}` (timeout
 * 300 ms) and `linger {"max_ms"}` (timeout 60 s, for Stop) wait until swp_cancelled() says the
 * host gave up on them (or max_ms passed, a safety cap), then try swp_http_fetch once and keep
 * its status; `seen` answers "state=<ok|missing> running=R cancelled=C finished=F http=H" from
 * the state; `deadline` answers "deadline=<set|none> remaining_ok=<0|1>". */
#include <scaiwave/plugin.h>

#include <stdlib.h>
#include <time.h>

#define PATIENT_MAGIC 0x5eed

typedef struct patient_state {
    int magic;
    int running, cancelled, finished, http_rc; /* read and written atomically */
} patient_state;

static int spin(swp_ctx *ctx, swp_result *out);
static int seen(swp_ctx *ctx, swp_result *out);
static int deadline(swp_ctx *ctx, swp_result *out);

#define WAIT_SCHEMA "{\"type\":\"object\",\"properties\":{\"max_ms\":{\"type\":\"integer\",\"minimum\":1," \
                    "\"maximum\":60000}},\"required\":[\"max_ms\"]}"

static const swp_tool patient_tools[] = {
    {.name = "spin", .description = "Wait until cancelled (timeout 300 ms).", .parameters = WAIT_SCHEMA,
     .timeout_ms = 300, .run = spin},
    {.name = "linger", .description = "Wait until cancelled (timeout 60 s): press Stop.", .parameters = WAIT_SCHEMA,
     .timeout_ms = 60000, .run = spin},
    {.name = "seen", .description = "What the waiting tools saw.", .parameters = "{\"type\":\"object\"}", .run = seen},
    {.name = "deadline", .description = "Whether this call has a deadline.", .parameters = "{\"type\":\"object\"}",
     .timeout_ms = 5000, .run = deadline},
    SWP_TOOL_END,
};

static patient_state *state_of(swp_ctx *ctx)
{
    patient_state *s = swp_plugin_state(ctx);
    return s && s->magic == PATIENT_MAGIC ? s : NULL;
}

static int spin(swp_ctx *ctx, swp_result *out)
{
    patient_state *s = state_of(ctx);
    if (!s) return swp_result_error(out, "no plugin state.\nFallback suggestions: none.");
    int64_t max_ms = 1;
    swp_arg_int(ctx, "max_ms", &max_ms);
    __atomic_add_fetch(&s->running, 1, __ATOMIC_ACQ_REL);
    struct timespec tick = {0, 2000000}; /* 2 ms */
    int64_t waited = 0;
    while (!swp_cancelled(ctx) && waited < max_ms) {
        nanosleep(&tick, NULL);
        waited += 2;
    }
    int cancelled = swp_cancelled(ctx);
    if (cancelled) {
        swp_http_request req = {.url = "http://example.invalid/", .timeout_ms = 5000};
        swp_http_response resp;
        __atomic_store_n(&s->http_rc, swp_http_fetch(ctx, &req, &resp), __ATOMIC_RELEASE);
    }
    __atomic_add_fetch(cancelled ? &s->cancelled : &s->finished, 1, __ATOMIC_ACQ_REL);
    __atomic_sub_fetch(&s->running, 1, __ATOMIC_ACQ_REL);
    return swp_result_text(out, cancelled ? "cancelled" : "finished");
}

static int seen(swp_ctx *ctx, swp_result *out)
{
    patient_state *s = state_of(ctx);
    if (!s) return swp_result_text(out, "state=missing");
    return swp_result_text(out, swp_printf(ctx, "state=ok running=%d cancelled=%d finished=%d http=%d",
                                         __atomic_load_n(&s->running, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&s->cancelled, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&s->finished, __ATOMIC_ACQUIRE),
                                         __atomic_load_n(&s->http_rc, __ATOMIC_ACQUIRE)));
}

static int deadline(swp_ctx *ctx, swp_result *out)
{
    int64_t left = swp_remaining_ms(ctx);
    return swp_result_text(out, swp_printf(ctx, "deadline=%s remaining_ok=%d", swp_deadline_ms(ctx) > 0 ? "set" : "none",
                                         left > 0 && left <= 5000));
}

static int patient_init(const swp_host *host, void **state)
{
    (void)host;
    patient_state *s = calloc(1, sizeof *s);
    if (!s) return -1;
    s->magic = PATIENT_MAGIC;
    *state = s;
    return 0;
}

static void patient_shutdown(void *state)
{
    free(state); /* LeakSanitizer would report it if shutdown did not receive the state */
}

static const swp_plugin patient = {
    SWP_PLUGIN_INIT,
    .id = "test.patient",
    .name = "Patient",
    .version = "1.0.0",
    .description = "Test plugin: tools that wait for their cancel flag.",
    .tools = patient_tools,
    .permissions = SWP_PERM_EXTERNAL_HTTP,
    .init = patient_init,
    .shutdown = patient_shutdown,
};
SWP_PLUGIN_EXPORT(patient)
