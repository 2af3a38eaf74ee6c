/* services: a test plugin that uses the model client and the event publisher of the host
 * (test.services: `summarize` asks the calling AI's model, `announce` publishes an event,
 * `context` answers the call's context as the host gave it: "tenant=<slug> room=<room_id>"). */
#include <scaiwave/plugin.h>

static int summarize(swp_ctx *ctx, swp_result *out);
static int announce(swp_ctx *ctx, swp_result *out);
static int context(swp_ctx *ctx, swp_result *out);

static const swp_tool tools[] = {
    {.name = "summarize", .description = "Summarise a text with the model.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}",
     .run = summarize},
    {.name = "announce", .description = "Publish an event to the room.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"kind\":{\"type\":\"string\"},\"data\":{}},\"required\":[\"kind\"]}",
     .run = announce},
    {.name = "context", .description = "Tell the call's tenant and room.",
     .parameters = "{\"type\":\"object\",\"properties\":{}}", .run = context},
    SWP_TOOL_END,
};

static int context(swp_ctx *ctx, swp_result *out)
{
    return swp_result_text(out, swp_printf(ctx, "tenant=%s room=%s", ctx->tenant_slug ? ctx->tenant_slug : "(null)",
                                         ctx->room_id ? ctx->room_id : "(null)"));
}

static int summarize(swp_ctx *ctx, swp_result *out)
{
    const char *answer = NULL;
    int rc = swp_model_complete(ctx, "Summarise in three words.", swp_arg_string(ctx, "text"), &answer);
    if (rc != SWP_OK)
        return swp_result_error(out, swp_printf(ctx, "The model could not be asked: %s.\n"
                                                   "Fallback suggestions: summarise it yourself.", swp_strerror(rc)));
    return swp_result_text(out, answer);
}

static int announce(swp_ctx *ctx, swp_result *out)
{
    const char *data = swp_arg_json(ctx, "data");
    int rc = swp_publish(ctx, swp_arg_string(ctx, "kind"), data ? data : "null");
    return rc == SWP_OK ? swp_result_text(out, "published")
                       : swp_result_error(out, swp_printf(ctx, "not published: %s\nFallback suggestions: none", swp_strerror(rc)));
}

static const swp_plugin p = {SWP_PLUGIN_INIT, .id = "test.services", .name = "Services", .version = "1.0.0",
                            .permissions = SWP_PERM_WRITE_MESSAGES, .tools = tools};
SWP_PLUGIN_EXPORT(p)
