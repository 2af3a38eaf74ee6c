/* scaiwave.greeter — says hello in N languages. The seed page's example plugin, in C, written
 * exactly as a third-party author would write it: it includes only <scaiwave/plugin.h>. */
#include <scaiwave/plugin.h>

#include <ctype.h>
#include <string.h>

static int greet(swp_ctx *ctx, swp_result *out);

static const swp_tool greeter_tools[] = {
    {
        .name = "greet",
        .description = "Say hello in the given language. "
                       "Use when the user explicitly asks for a greeting "
                       "in a specific language, not as small talk.",
        .usage = "[/greet <language> [name]]",
        .parameters = "{"
                      "  \"type\": \"object\","
                      "  \"properties\": {"
                      "    \"language\": {\"type\": \"string\","
                      "                   \"description\": \"Language code (en, de, nl, fr, ja, ...).\"},"
                      "    \"name\": {\"type\": \"string\", \"description\": \"Whom to greet (optional).\"}"
                      "  },"
                      "  \"required\": [\"language\"]"
                      "}",
        .run = greet,
    },
    SWP_TOOL_END,
};

static int greeter_system_context(swp_ctx *ctx, const char **text)
{
    (void)ctx;
    *text = NULL; /* no system-prompt injection needed for this plugin */
    return SWP_OK;
}

/* greet: the arguments arrive parsed and validated, so "language" is a string (plain text
 * like "de" has already been put there by the dispatcher). */
static int greet(swp_ctx *ctx, swp_result *out)
{
    const char *language = swp_arg_string(ctx, "language");
    const char *name = swp_arg_string(ctx, "name");

    /* trim the name; default "world" */
    while (name && isspace((unsigned char)*name)) name++;
    size_t name_len = name ? strlen(name) : 0;
    while (name_len && isspace((unsigned char)name[name_len - 1])) name_len--;
    if (!name_len) name = "world", name_len = 5;

    char lang[8] = "en";
    size_t i = 0;
    while (language && isspace((unsigned char)*language)) language++;
    for (; language && language[i] && !isspace((unsigned char)language[i]) && i < sizeof lang - 1; i++)
        lang[i] = (char)tolower((unsigned char)language[i]);
    if (i) lang[i] = 0;

    const char *fmt = "Hello, %.*s!";
    if (!strcmp(lang, "de") || !strcmp(lang, "nl")) fmt = "Hallo, %.*s!";
    else if (!strcmp(lang, "fr")) fmt = "Bonjour, %.*s!";
    else if (!strcmp(lang, "ja")) fmt = "こんにちは、%.*sさん!";
    return swp_result_text(out, swp_printf(ctx, fmt, (int)name_len, name));
}

const swp_plugin sw_greeter_plugin = {
    SWP_PLUGIN_INIT,
    .id = "scaiwave.greeter",
    .name = "Greeter",
    .version = "1.0.0",
    .description = "Say hello in N languages.",
    .tools = greeter_tools,
    .get_system_context = greeter_system_context,
};
