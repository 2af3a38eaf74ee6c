/* old_tool: a well-formed test plugin (id test.old-tool) built as a plugin compiled against the
 * FIRST ABI 1 header would be: its tool elements are that header's shorter swp_tool (no `run`),
 * its descriptor ends before tool_size/setting_size, and it answers through execute_tool. The
 * loader must step through its tools[] and settings[] with the plugin's element sizes, not the
 * server's. `first` answers "first ran", `second {"word"}` answers "second: <word>" and the
 * setting `mood` (default "calm") is read back by `mood`. */
#include <scaiwave/plugin.h>

#include <stddef.h>
#include <string.h>

/* swp_tool and swp_setting_def exactly as the first ABI 1 header declared them */
typedef struct old_sw_tool {
    const char *name, *description, *usage, *parameters;
    uint32_t permissions_required;
    int side_effects;
    int timeout_ms;
} old_sw_tool;

static const old_sw_tool old_tools[] = {
    {.name = "first", .description = "The first tool.", .parameters = "{\"type\":\"object\"}"},
    {.name = "second", .description = "The second tool.", .usage = "[/second <word>]",
     .parameters = "{\"type\":\"object\",\"properties\":{\"word\":{\"type\":\"string\"}},\"required\":[\"word\"]}"},
    {.name = "mood", .description = "The mood setting.", .parameters = "{\"type\":\"object\"}"},
    {0},
};

static const swp_setting_def old_settings[] = {
    {.key = "mood", .description = "How it feels.", .default_value = "calm"},
    {0},
};

static int old_execute(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)args;
    if (!strcmp(tool, "first")) return swp_result_text(out, "first ran");
    if (!strcmp(tool, "second")) return swp_result_text(out, swp_printf(ctx, "second: %s", swp_arg_string(ctx, "word")));
    if (!strcmp(tool, "mood")) return swp_result_text(out, swp_setting(ctx, "mood"));
    return swp_result_error(out, "no such tool.\nFallback suggestions: call first or second.");
}

/* the descriptor as the first header built it: struct_size stops before tool_size */
static const swp_plugin old_plugin = {
    .abi_version = SWP_PLUGIN_ABI_VERSION,
    .struct_size = offsetof(swp_plugin, tool_size),
    .id = "test.old-tool",
    .name = "Old tool",
    .version = "1.0.0",
    .tools = (const swp_tool *)(const void *)old_tools,
    .settings = old_settings,
    .execute_tool = old_execute,
};
SWP_PLUGIN_EXPORT(old_plugin)
