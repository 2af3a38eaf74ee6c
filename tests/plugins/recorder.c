/* recorder: a well-formed test plugin (id test.recorder) with a side-effecting tool that records
 * that it ran, for the approval tests. `record {"note": string}` appends the note to the
 * tenant's key/value store (keys "runs" and "notes") and answers "recorded <note> (run #N)";
 * `count` (no side effects) answers how many times `record` ran, as a number; `wait {"ms"}` (no
 * side effects) sleeps, so a round's other calls can still run while a decision comes in;
 * `hold {"path"}` (no side effects) opens the FIFO at path and reads one byte from it, so a test
 * holds a command running until it writes to the FIFO (no timing involved). */
#include <scaiwave/plugin.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int record(swp_ctx *ctx, swp_result *out);
static int count(swp_ctx *ctx, swp_result *out);
static int wait(swp_ctx *ctx, swp_result *out);
static int hold(swp_ctx *ctx, swp_result *out);

static const swp_tool recorder_tools[] = {
    {
        .name = "record",
        .description = "Record a note permanently (a side effect: it changes stored state). "
                       "Use when the person asks to record or remember something.",
        .usage = "[/record <note>]",
        .parameters = "{\"type\":\"object\",\"properties\":{\"note\":{\"type\":\"string\","
                      "\"description\":\"The note to record.\"}},\"required\":[\"note\"]}",
        .side_effects = 1,
        .run = record,
    },
    {
        .name = "count",
        .description = "How many times record ran (read-only).",
        .usage = "[/count]",
        .parameters = "{\"type\":\"object\",\"properties\":{}}",
        .run = count,
    },
    {
        .name = "wait",
        .description = "Wait the given number of milliseconds, then answer \"waited\" (read-only).",
        .parameters = "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\","
                      "\"minimum\":0,\"maximum\":10000}},\"required\":[\"ms\"]}",
        .run = wait,
    },
    {
        .name = "hold",
        .description = "Read one byte from the FIFO at path, then answer \"released\" (read-only; for tests).",
        .parameters = "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},"
                      "\"required\":[\"path\"]}",
        .run = hold,
    },
    SWP_TOOL_END,
};

static int hold(swp_ctx *ctx, swp_result *out)
{
    const char *path = swp_arg_string(ctx, "path");
    int fd = open(path ? path : "", O_RDONLY | O_CLOEXEC); /* a FIFO: blocks until the test opens it to write */
    if (fd < 0) return swp_result_error(out, "hold: the path does not open");
    char c;
    ssize_t n = read(fd, &c, 1); /* one byte each: the test writes one per held command */
    close(fd);
    if (n != 1) return swp_result_error(out, "hold: the FIFO closed without a byte");
    return swp_result_text(out, "released");
}

static int wait(swp_ctx *ctx, swp_result *out)
{
    int64_t ms = 0;
    swp_arg_int(ctx, "ms", &ms);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return swp_result_text(out, "waited");
}

/* How many times record ran (the tenant's key "runs"). */
static long runs(swp_ctx *ctx)
{
    const char *r = NULL;
    if (swp_kv_get(ctx, "runs", &r) != SWP_OK) r = "0";
    return strtol(r, NULL, 10);
}

static int count(swp_ctx *ctx, swp_result *out)
{
    return swp_result_text(out, swp_printf(ctx, "%ld", runs(ctx)));
}

static int record(swp_ctx *ctx, swp_result *out)
{
    const char *notes = NULL;
    if (swp_kv_get(ctx, "notes", &notes) != SWP_OK) notes = "";
    long n = runs(ctx);
    const char *note = swp_arg_string(ctx, "note");
    if (!note) note = "";
    char *num = swp_printf(ctx, "%ld", n + 1);
    char *all = swp_printf(ctx, "%s%s%s", notes, *notes ? "\n" : "", note);
    if (!num || !all) return SWP_E_NOMEM;
    if (swp_kv_set(ctx, "notes", all) != SWP_OK || swp_kv_set(ctx, "runs", num) != SWP_OK)
        return swp_result_error(out, "Recording failed: the store did not answer.\n"
                                    "Fallback suggestions: try again once.");
    return swp_result_text(out, swp_printf(ctx, "recorded %s (run #%ld)", note, n + 1));
}

static const swp_plugin recorder = {
    SWP_PLUGIN_INIT,
    .id = "test.recorder",
    .name = "Recorder",
    .version = "1.0.0",
    .description = "Test plugin: a side-effecting tool that records whether it ran.",
    .tools = recorder_tools,
};

SWP_PLUGIN_EXPORT(recorder)
