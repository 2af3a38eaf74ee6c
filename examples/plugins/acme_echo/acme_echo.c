/* acme.echo — an example third-party plugin, built as a shared object (acme_echo.so) and loaded
 * by the server from SCAIWAVE_PLUGIN_DIR. It includes only <scaiwave/plugin.h> and exports its
 * descriptor with SW_PLUGIN_EXPORT. Its tools show the parts of the contract a real plugin uses:
 * arguments, settings, an error result with fallback hints, and system context. */
#include <scaiwave/plugin.h>


static int echo(sw_ctx *ctx, sw_result *out);

static const sw_tool echo_tools[] = {
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
    SW_TOOL_END,
};

static const sw_setting_def echo_settings[] = {
    {.key = "prefix", .description = "Text put before every echo.", .default_value = ""},
    {0},
};

static int echo_system_context(sw_ctx *ctx, const char **text)
{
    (void)ctx;
    *text = "You can repeat text verbatim with the echo tool.";
    return SW_OK;
}

/* echo: "text" is a string of 1..2000 characters (validated before run is called). */
static int echo(sw_ctx *ctx, sw_result *out)
{
    const char *text = sw_arg_string(ctx, "text");
    if (!text || !*text)
        return sw_result_error(out, "Echo failed: there is nothing to repeat.\n"
                                    "Fallback suggestions: ask the user what to repeat.");
    int upper = 0;
    sw_arg_bool(ctx, "upper", &upper);
    const char *prefix = sw_setting(ctx, "prefix");
    char *s = sw_printf(ctx, "%s%s", prefix ? prefix : "", text);
    if (!s) return SW_E_NOMEM;
    if (upper)
        for (char *p = s; *p; p++)
            if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    return sw_result_text(out, s);
}

static const sw_plugin acme_echo = {
    SW_PLUGIN_INIT,
    .id = "acme.echo",
    .name = "Echo",
    .version = "0.1.0",
    .description = "Repeat text back (an example third-party plugin).",
    .tools = echo_tools,
    .injects_context = 1,
    .settings = echo_settings,
    .get_system_context = echo_system_context,
};

SW_PLUGIN_EXPORT(acme_echo)
