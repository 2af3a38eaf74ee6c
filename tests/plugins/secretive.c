/* secretive: a well-formed test plugin (id test.secretive) whose tool takes a secret argument,
 * for the redaction tests. `sign_in {"user": string, "password": string (x-secret)}` has side
 * effects (so a shared room asks for approval) and answers "signed in <user>" — never the
 * password, so any place the password shows up got it from the arguments. */
#include <scaiwave/plugin.h>

#include <string.h>

static int sign_in(sw_ctx *ctx, sw_result *out);

static const sw_tool secretive_tools[] = {
    {
        .name = "sign_in",
        .description = "Sign in to the partner system with a user name and a password.",
        .parameters = "{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"
                      "\"password\":{\"type\":\"string\",\"x-secret\":true}},\"required\":[\"user\",\"password\"]}",
        .side_effects = 1,
        .run = sign_in,
    },
    SW_TOOL_END,
};

static int sign_in(sw_ctx *ctx, sw_result *out)
{
    const char *user = sw_arg_string(ctx, "user");
    const char *pw = sw_arg_string(ctx, "password");
    if (!pw || !*pw) return sw_result_error(out, "no password.\nFallback suggestions: pass one.");
    return sw_result_text(out, sw_printf(ctx, "signed in %s", user ? user : "?"));
}

static const sw_plugin secretive = {
    SW_PLUGIN_INIT,
    .id = "test.secretive",
    .name = "Secretive",
    .version = "1.0.0",
    .description = "Test plugin: a tool with a secret argument.",
    .tools = secretive_tools,
};

SW_PLUGIN_EXPORT(secretive)
