/* services: a test plugin that uses the model client and the event publisher of the host
 * (test.services: `summarize` asks the calling AI's model, `announce` publishes an event,
 * `context` answers the call's context as the host gave it: "tenant=<slug> room=<room_id>"). */
#include <scaiwave/plugin.h>

static int summarize(sw_ctx *ctx, sw_result *out);
static int announce(sw_ctx *ctx, sw_result *out);
static int context(sw_ctx *ctx, sw_result *out);

static const sw_tool tools[] = {
    {.name = "summarize", .description = "Summarise a text with the model.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}",
     .run = summarize},
    {.name = "announce", .description = "Publish an event to the room.",
     .parameters = "{\"type\":\"object\",\"properties\":{\"kind\":{\"type\":\"string\"},\"data\":{}},\"required\":[\"kind\"]}",
     .run = announce},
    {.name = "context", .description = "Tell the call's tenant and room.",
     .parameters = "{\"type\":\"object\",\"properties\":{}}", .run = context},
    SW_TOOL_END,
};

static int context(sw_ctx *ctx, sw_result *out)
{
    return sw_result_text(out, sw_printf(ctx, "tenant=%s room=%s", ctx->tenant_slug ? ctx->tenant_slug : "(null)",
                                         ctx->room_id ? ctx->room_id : "(null)"));
}

static int summarize(sw_ctx *ctx, sw_result *out)
{
    const char *answer = NULL;
    int rc = sw_model_complete(ctx, "Summarise in three words.", sw_arg_string(ctx, "text"), &answer);
    if (rc != SW_OK)
        return sw_result_error(out, sw_printf(ctx, "The model could not be asked: %s.\n"
                                                   "Fallback suggestions: summarise it yourself.", sw_strerror(rc)));
    return sw_result_text(out, answer);
}

static int announce(sw_ctx *ctx, sw_result *out)
{
    const char *data = sw_arg_json(ctx, "data");
    int rc = sw_publish(ctx, sw_arg_string(ctx, "kind"), data ? data : "null");
    return rc == SW_OK ? sw_result_text(out, "published")
                       : sw_result_error(out, sw_printf(ctx, "not published: %s\nFallback suggestions: none", sw_strerror(rc)));
}

static const sw_plugin p = {SW_PLUGIN_INIT, .id = "test.services", .name = "Services", .version = "1.0.0",
                            .permissions = SW_PERM_WRITE_MESSAGES, .tools = tools};
SW_PLUGIN_EXPORT(p)
