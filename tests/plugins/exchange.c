/* exchange: a well-formed test plugin (id test.exchange) that declares SWP_PERM_TOKEN_EXCHANGE.
 * `mint {"audience", "ttl_s"}` answers the exchanged token itself (a test only: a real plugin
 * sends it to its audience and never shows it), or "refused: <reason>" as an error result. */
#include <scaiwave/plugin.h>

static int mint(swp_ctx *ctx, swp_result *out);

static const swp_tool exchange_tools[] = {
    {.name = "mint", .description = "Mint a token for an audience.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"audience\":{\"type\":\"string\"},"
                   "\"ttl_s\":{\"type\":\"integer\"}},\"required\":[\"audience\"]}",
     .run = mint},
    SWP_TOOL_END,
};

static int mint(swp_ctx *ctx, swp_result *out)
{
    int64_t ttl = 0;
    swp_arg_int(ctx, "ttl_s", &ttl);
    const char *token = NULL;
    int rc = swp_token_exchange(ctx, swp_arg_string(ctx, "audience"), (int)ttl, &token);
    if (rc != SWP_OK)
        return swp_result_error(out, swp_printf(ctx, "refused: %s\nFallback suggestions: none.", swp_strerror(rc)));
    return swp_result_text(out, token);
}

static const swp_plugin exchange = {
    SWP_PLUGIN_INIT,
    .id = "test.exchange",
    .name = "Exchange",
    .version = "1.0.0",
    .description = "Test plugin: mints exchanged tokens.",
    .tools = exchange_tools,
    .permissions = SWP_PERM_TOKEN_EXCHANGE,
};
SWP_PLUGIN_EXPORT(exchange)
