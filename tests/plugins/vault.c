/* vault: a well-formed test plugin (id test.vault) for the secrets-at-rest tests. It declares
 * a secret setting `api_key` and a plain one `region`; `check {"setting": name, "guess": text}`
 * reads the setting through the host (swp_setting) and answers "match", "mismatch" or "unset" —
 * never the value, so a test learns whether the host opened the stored secret without the
 * secret travelling anywhere. */
#include <scaiwave/plugin.h>

#include <string.h>

static int check(swp_ctx *ctx, swp_result *out);

static const swp_tool vault_tools[] = {
    {
        .name = "check",
        .description = "Compare a setting with a guess.",
        .parameters = "{\"type\":\"object\",\"properties\":{\"setting\":{\"type\":\"string\"},"
                      "\"guess\":{\"type\":\"string\",\"x-secret\":true}},\"required\":[\"setting\",\"guess\"]}",
        .run = check,
    },
    SWP_TOOL_END,
};

static const swp_setting_def vault_settings[] = {
    {.key = "api_key", .description = "The partner's API key.", .secret = 1},
    {.key = "region", .description = "Where the partner runs."},
    {0},
};

static int check(swp_ctx *ctx, swp_result *out)
{
    const char *name = swp_arg_string(ctx, "setting"), *guess = swp_arg_string(ctx, "guess");
    const char *v = name ? swp_setting(ctx, name) : NULL;
    return swp_result_text(out, !v ? "unset" : guess && strcmp(v, guess) == 0 ? "match" : "mismatch");
}

static const swp_plugin vault = {
    SWP_PLUGIN_INIT,
    .id = "test.vault",
    .name = "Vault",
    .version = "1.0.0",
    .description = "Test plugin: reads its settings through the host.",
    .tools = vault_tools,
    .settings = vault_settings,
};
SWP_PLUGIN_EXPORT(vault)
