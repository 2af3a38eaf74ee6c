// sdk_greeter_server: the baseline of bench/mcp_bench.py — the greeter tool (the same answers as
// src/plugins/builtin/greeter.c for the languages the bench uses) on the official TypeScript SDK's
// McpServer, served the way the SDK's stateless Streamable HTTP example does it: a fresh server and
// transport per POST, JSON responses (no SSE), on 127.0.0.1.
// Usage: node sdk_greeter_server.mjs <port-file> — listens on a free port and writes it there;
//        node sdk_greeter_server.mjs --stdio — the same tool over stdio (bench/mcp_mount_bench.py).
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const HELLO = { en: "Hello", de: "Hallo", nl: "Hallo", fr: "Bonjour" };

function greeter() {
  const server = new McpServer({ name: "sdk-greeter", version: "1.0.0" });
  server.registerTool(
    "greet",
    {
      description: "Say hello in the given language.",
      inputSchema: { language: z.string(), name: z.string().optional() },
    },
    async ({ language, name }) => ({
      content: [{ type: "text", text: `${HELLO[language.toLowerCase()] ?? HELLO.en}, ${(name ?? "world").trim()}!` }],
    }),
  );
  return server;
}

if (process.argv[2] === "--stdio") {
  await greeter().connect(new StdioServerTransport());
} else {
  serveHttp();
}

function serveHttp() {
const app = createMcpExpressApp();
app.post("/mcp", async (req, res) => {
  const server = greeter();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => {
    transport.close();
    server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
const listener = app.listen(0, "127.0.0.1", () => writeFileSync(process.argv[2], String(listener.address().port)));
}
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
