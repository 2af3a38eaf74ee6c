/* bad_plugins: shared pieces of the deliberately broken plugins the loader must refuse. Each
 * bad_*.c builds into build/test-plugins/<name>.so. */
#include <scaiwave/plugin.h>

static int bad_exec(sw_ctx *ctx, const char *tool, const char *args, sw_result *out)
{
    (void)ctx; (void)tool; (void)args;
    return sw_result_text(out, "should never run");
}

static const sw_tool ok_tools[] = {
    {.name = "t", .description = "A tool.", .parameters = "{\"type\":\"object\"}"},
    SW_TOOL_END,
};
