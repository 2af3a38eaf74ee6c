/* bad_plugins: shared pieces of the deliberately broken plugins the loader must refuse. Each
 * bad_*.c builds into build/test-plugins/<name>.so. */
#include <scaiwave/plugin.h>

static int bad_exec(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)ctx; (void)tool; (void)args;
    return swp_result_text(out, "should never run");
}

static const swp_tool ok_tools[] = {
    {.name = "t", .description = "A tool.", .parameters = "{\"type\":\"object\"}"},
    SWP_TOOL_END,
};
