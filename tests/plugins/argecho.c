/* argecho: a well-formed test plugin (id test.argecho) whose tool tells what arguments reached
 * it, for the tests that arguments arrive intact on every path (slash command, the API):
 * `argecho {"n": integer, "word": string, "o": object}` answers
 * "n=<n as an integer> word=<word> o=<o as JSON> text=<the arguments as text>". */
#include <scaiwave/plugin.h>

static const swp_tool argecho_tools[] = {
    {.name = "argecho", .description = "Tell the arguments as they arrived (read-only; for tests).",
     .usage = "[/argecho <n> <word>]",
     .parameters = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"},\"word\":{\"type\":\"string\"},"
                   "\"o\":{\"type\":\"object\"}},\"required\":[\"n\"]}"},
    SWP_TOOL_END,
};

static int argecho_execute(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)tool;
    (void)args;
    int64_t n = 0;
    if (swp_arg_int(ctx, "n", &n) != SWP_OK)
        return swp_result_error(out, "argecho: n is not an integer\nFallback suggestions: none");
    const char *word = swp_arg_string(ctx, "word"), *o = swp_arg_json(ctx, "o");
    return swp_result_text(out, swp_printf(ctx, "n=%lld word=%s o=%s text=%s", (long long)n, word ? word : "-",
                                         o ? o : "-", swp_args_text(ctx)));
}

static const swp_plugin argecho = {SWP_PLUGIN_INIT, .id = "test.argecho", .name = "Argument echo", .version = "1.0.0",
                                  .tools = argecho_tools, .execute_tool = argecho_execute};
SWP_PLUGIN_EXPORT(argecho)
