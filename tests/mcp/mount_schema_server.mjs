// mount_schema_server.mjs: an MCP server over stdio whose tools carry schemas as real MCP servers
// write them (tests/api/mcp/test_mcp_mount.py drives it): draft 2020-12 with pattern,
// patternProperties, if/then/else, $defs and format, unknown keywords, and two schemas that
// cannot be compiled (a bad type, a remote $ref) — those tools must be listed unavailable while
// their siblings work. Every tool answers with its arguments as JSON text.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const D2020 = "https://json-schema.org/draft/2020-12/schema";
const tools = [
  { name: "airport", description: "an IATA code", annotations: { readOnlyHint: true },
    inputSchema: { $schema: D2020, type: "object", "x-vendor-hint": { any: 1 }, unknownKeyword: true,
      properties: { code: { type: "string", pattern: "^[A-Z]{3}$" }, when: { type: "string", format: "date" } },
      required: ["code"] } },
  { name: "shape", description: "if/then/else, $defs, patternProperties", annotations: { destructiveHint: true },
    inputSchema: { $schema: D2020, type: "object",
      $defs: { pos: { type: "number", exclusiveMinimum: 0 } },
      properties: { kind: { enum: ["circle", "square"] } }, required: ["kind"],
      patternProperties: { "^tag_": { type: "string" } },
      if: { properties: { kind: { const: "circle" } } },
      then: { properties: { r: { $ref: "#/$defs/pos" } }, required: ["r"] },
      else: { properties: { side: { $ref: "#/$defs/pos" } }, required: ["side"] } } },
  { name: "broken", description: "a schema with a bad type",
    inputSchema: { type: "object", properties: { a: { type: "strin" } } } },
  { name: "remote", description: "a schema with a remote $ref",
    inputSchema: { type: "object", properties: { a: { $ref: "https://example.com/schemas/a.json" } } } },
];

const server = new Server({ name: "schemas", version: "1.0.0" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (req) => ({
  content: [{ type: "text", text: `${req.params.name} ${JSON.stringify(req.params.arguments || {})}` }],
}));
await server.connect(new StdioServerTransport());
