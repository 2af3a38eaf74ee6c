/* conformance: a well-formed test plugin (id test.conformance) with the tools the server
 * scenarios of @modelcontextprotocol/conformance call over /v1/mcp (tests/mcp/conformance_server.sh):
 * test_simple_text (no arguments: a fixed text), test_error_handling (no arguments: always an
 * error result) and json_schema_2020_12_tool (a draft 2020-12 inputSchema with $schema, $defs
 * and additionalProperties, which the listing must keep as written). */
#include <scaiwave/plugin.h>

#include <string.h>

static const swp_tool conformance_tools[] = {
    {.name = "test_simple_text", .description = "Return a fixed text (MCP conformance tests).",
     .parameters = "{\"type\":\"object\",\"properties\":{}}"},
    {.name = "test_error_handling", .description = "Always fail with an error result (MCP conformance tests).",
     .parameters = "{\"type\":\"object\",\"properties\":{}}"},
    {.name = "json_schema_2020_12_tool", .description = "Tool with JSON Schema 2020-12 features",
     .parameters = "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
                   "\"$defs\":{\"address\":{\"type\":\"object\",\"properties\":{\"street\":{\"type\":\"string\"},"
                   "\"city\":{\"type\":\"string\"}}}},\"properties\":{\"name\":{\"type\":\"string\"},"
                   "\"address\":{\"$ref\":\"#/$defs/address\"}},\"additionalProperties\":false}"},
    SWP_TOOL_END,
};

static int conformance_execute(swp_ctx *ctx, const char *tool, const char *args, swp_result *out)
{
    (void)ctx;
    (void)args;
    if (!strcmp(tool, "test_simple_text")) return swp_result_text(out, "This is a simple text response for testing.");
    if (!strcmp(tool, "test_error_handling"))
        return swp_result_error(out, "This tool intentionally returns an error for testing\nFallback suggestions: none");
    return swp_result_text(out, "ok");
}

static const swp_plugin conformance = {SWP_PLUGIN_INIT, .id = "test.conformance", .name = "MCP conformance tools",
                                       .version = "1.0.0", .tools = conformance_tools,
                                       .execute_tool = conformance_execute};
SWP_PLUGIN_EXPORT(conformance)
