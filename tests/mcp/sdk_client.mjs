// sdk_client: the official TypeScript SDK client (@modelcontextprotocol/sdk) against ScaiWave's
// /v1/mcp. Usage: node sdk_client.mjs <url> <token> [<tool> <arguments JSON>]
// Connects (StreamableHTTPClientTransport with an Authorization header), lists every tool
// (following nextCursor), optionally calls one, and prints one JSON line:
// {"protocol", "server", "tools": [names], "call": {"text", "isError"}} — or {"error": "..."}
// with exit code 1 when the SDK refuses (e.g. 401).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, tool, argsJson] = process.argv.slice(2);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: "scaiwave-test-client", version: "1.0.0" });
try {
  await client.connect(transport);
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  const out = { protocol: transport.protocolVersion, server: client.getServerVersion(), tools };
  if (tool) {
    const r = await client.callTool({ name: tool, arguments: argsJson ? JSON.parse(argsJson) : {} });
    out.call = { text: r.content.filter((c) => c.type === "text").map((c) => c.text).join(""), isError: !!r.isError };
  }
  await transport.terminateSession();
  await client.close();
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e && e.message ? e.message : e), code: e && e.code }));
  process.exit(1);
}
