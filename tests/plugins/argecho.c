/* argecho: a well-formed test plugin (id test.argecho) whose tool tells what arguments reached
 * it, for the tests that arguments arrive intact on every path (slash command, the API):
 * `argecho {"n": integer, "word": string, "o": object}` answers
 * "n=<n as an integer> word=<word> o=<o as JSON> text=<the arguments as text>". */
#include <scaiwave/plugin.h>

static const sw_tool argecho_tools[] = {
    {.name = "argecho", .description = "Tell the arguments as they arrived (read-only; for tests).",
     .usage = "[/argecho <n> <word>]",
     .parameters = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"},\"word\":{\"type\":\"string\"},"
                   "\"o\":{\"type\":\"object\"}},\"required\":[\"n\"]}"},
    SW_TOOL_END,
};

static int argecho_execute(sw_ctx *ctx, const char *tool, const char *args, sw_result *out)
{
    (void)tool;
    (void)args;
    int64_t n = 0;
    if (sw_arg_int(ctx, "n", &n) != SW_OK)
        return sw_result_error(out, "argecho: n is not an integer\nFallback suggestions: none");
    const char *word = sw_arg_string(ctx, "word"), *o = sw_arg_json(ctx, "o");
    return sw_result_text(out, sw_printf(ctx, "n=%lld word=%s o=%s text=%s", (long long)n, word ? word : "-",
                                         o ? o : "-", sw_args_text(ctx)));
}

static const sw_plugin argecho = {SW_PLUGIN_INIT, .id = "test.argecho", .name = "Argument echo", .version = "1.0.0",
                                  .tools = argecho_tools, .execute_tool = argecho_execute};
SW_PLUGIN_EXPORT(argecho)
