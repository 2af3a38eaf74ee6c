/* exchange: a well-formed test plugin (id test.exchange) that declares SW_PERM_TOKEN_EXCHANGE.
 * `mint {"audience", "ttl_s"}` answers the exchanged token itself (a test only: a real plugin
 * sends it to its audience and never shows it), or "refused: <reason>" as an error result. */
#include <scaiwave/plugin.h>

static int mint(sw_ctx *ctx, sw_result *out);

static const sw_tool exchange_tools[] = {
    {.name = "mint", .description = "Mint a token for an audience.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"audience\":{\"type\":\"string\"},"
                   "\"ttl_s\":{\"type\":\"integer\"}},\"required\":[\"audience\"]}",
     .run = mint},
    SW_TOOL_END,
};

static int mint(sw_ctx *ctx, sw_result *out)
{
    int64_t ttl = 0;
    sw_arg_int(ctx, "ttl_s", &ttl);
    const char *token = NULL;
    int rc = sw_token_exchange(ctx, sw_arg_string(ctx, "audience"), (int)ttl, &token);
    if (rc != SW_OK)
        return sw_result_error(out, sw_printf(ctx, "refused: %s\nFallback suggestions: none.", sw_strerror(rc)));
    return sw_result_text(out, token);
}

static const sw_plugin exchange = {
    SW_PLUGIN_INIT,
    .id = "test.exchange",
    .name = "Exchange",
    .version = "1.0.0",
    .description = "Test plugin: mints exchanged tokens.",
    .tools = exchange_tools,
    .permissions = SW_PERM_TOKEN_EXCHANGE,
};
SW_PLUGIN_EXPORT(exchange)
