/* secretive: a well-formed test plugin (id test.secretive) whose tool takes a secret argument,
 * for the redaction tests. `sign_in {"user": string, "password": string (x-secret)}` has side
 * effects (so a shared room asks for approval) and answers "signed in <user>" — never the
 * password, so any place the password shows up got it from the arguments. */
#include <scaiwave/plugin.h>

#include <string.h>

static int sign_in(swp_ctx *ctx, swp_result *out);

static const swp_tool secretive_tools[] = {
    {
        .name = "sign_in",
        .description = "Sign in to the partner system with a user name and a password.",
        .parameters = "{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"string\"},"
                      "\"password\":{\"type\":\"string\",\"x-secret\":true}},\"required\":[\"user\",\"password\"]}",
        .side_effects = 1,
        .run = sign_in,
    },
    SWP_TOOL_END,
};

static int sign_in(swp_ctx *ctx, swp_result *out)
{
    const char *user = swp_arg_string(ctx, "user");
    const char *pw = swp_arg_string(ctx, "password");
    if (!pw || !*pw) return swp_result_error(out, "no password.\nFallback suggestions: pass one.");
    return swp_result_text(out, swp_printf(ctx, "signed in %s", user ? user : "?"));
}

static const swp_plugin secretive = {
    SWP_PLUGIN_INIT,
    .id = "test.secretive",
    .name = "Secretive",
    .version = "1.0.0",
    .description = "Test plugin: a tool with a secret argument.",
    .tools = secretive_tools,
};

SWP_PLUGIN_EXPORT(secretive)
