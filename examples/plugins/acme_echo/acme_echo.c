/* acme.echo — an example third-party plugin, built as a shared object (acme_echo.so) and loaded
 * by the server from SCAIWAVE_PLUGIN_DIR. It includes only <scaiwave/plugin.h> and exports its
 * descriptor with SWP_PLUGIN_EXPORT. Its tools show the parts of the contract a real plugin uses:
 * arguments, settings, an error result with fallback hints, and system context. */
#include <scaiwave/plugin.h>


static int echo(swp_ctx *ctx, swp_result *out);

static const swp_tool echo_tools[] = {
    {
        .name = "echo",
        .description = "Repeat the given text back, optionally in upper case. "
                       "Use when the user asks you to repeat or echo something verbatim.",
        .usage = "[/echo <text> [upper]]",
        .parameters = "{"
                      "  \"type\": \"object\","
                      "  \"properties\": {"
                      "    \"text\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 2000,"
                      "             \"description\": \"The text to repeat.\"},"
                      "    \"upper\": {\"type\": \"boolean\", \"description\": \"Upper-case it.\"}"
                      "  },"
                      "  \"required\": [\"text\"],"
                      "  \"additionalProperties\": false"
                      "}",
        .run = echo,
    },
    SWP_TOOL_END,
};

static const swp_setting_def echo_settings[] = {
    {.key = "prefix", .description = "Text put before every echo.", .default_value = ""},
    {0},
};

static int echo_system_context(swp_ctx *ctx, const char **text)
{
    (void)ctx;
    *text = "You can repeat text verbatim with the echo tool.";
    return SWP_OK;
}

/* echo: "text" is a string of 1..2000 characters (validated before run is called). */
static int echo(swp_ctx *ctx, swp_result *out)
{
    const char *text = swp_arg_string(ctx, "text");
    if (!text || !*text)
        return swp_result_error(out, "Echo failed: there is nothing to repeat.\n"
                                    "Fallback suggestions: ask the user what to repeat.");
    int upper = 0;
    swp_arg_bool(ctx, "upper", &upper);
    const char *prefix = swp_setting(ctx, "prefix");
    char *s = swp_printf(ctx, "%s%s", prefix ? prefix : "", text);
    if (!s) return SWP_E_NOMEM;
    if (upper)
        for (char *p = s; *p; p++)
            if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    return swp_result_text(out, s);
}

static const swp_plugin acme_echo = {
    SWP_PLUGIN_INIT,
    .id = "acme.echo",
    .name = "Echo",
    .version = "0.1.0",
    .description = "Repeat text back (an example third-party plugin).",
    .tools = echo_tools,
    .injects_context = 1,
    .settings = echo_settings,
    .get_system_context = echo_system_context,
};

SWP_PLUGIN_EXPORT(acme_echo)
