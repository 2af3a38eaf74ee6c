// http_fixture.mjs: a small MCP server over Streamable HTTP for the client's edge cases that
// server-everything cannot produce (tests/unit/mcp/test_mcp_client_http.c drives it). Built on
// the official SDK's Server and StreamableHTTPServerTransport (stateful, with the SDK's
// in-memory event store and a 100 ms retry interval, so streams are resumable). Listens on
// 127.0.0.1:$PORT, path /mcp; logs one line per event of interest to stdout. Tools:
//   echo     Echo: <message>
//   headers  the request headers it was called with (JSON)
//   resume   closes the call's SSE stream at once (after the priming event), answers 300 ms
//            later: the client gets the answer only by resuming with Last-Event-ID
//   expire   answers, then forgets the session: the next request with its id gets 404
import http from "node:http";
import { randomUUID } from "node:crypto";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { InMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const sessions = new Map();
const log = (line) => process.stdout.write(line + "\n");
const text = (t) => ({ content: [{ type: "text", text: t }] });
const obj = { type: "object", properties: {} };

function newSession() {
  const server = new Server({ name: "http-fixture", version: "1.0.0" }, { capabilities: { tools: {} } });
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    eventStore: new InMemoryEventStore(),
    retryInterval: 100,
    onsessioninitialized: (id) => { sessions.set(id, transport); log(`session ${id}`); },
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: ["echo", "headers", "resume", "expire"].map((name) => ({ name, inputSchema: obj })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const a = req.params.arguments || {};
    switch (req.params.name) {
      case "echo": return text(`Echo: ${a.message}`);
      case "headers": return text(JSON.stringify(extra.requestInfo?.headers || {}));
      case "resume":
        if (!extra.closeSSEStream) return text("no closeSSEStream (old protocol?)");
        extra.closeSSEStream();
        log("stream closed early");
        await new Promise((r) => setTimeout(r, 300));
        return text("resumed");
      case "expire":
        setTimeout(() => { sessions.delete(transport.sessionId); log(`expired ${transport.sessionId}`); }, 0);
        return text("expiring");
      default: return { isError: true, ...text(`unknown tool ${req.params.name}`) };
    }
  });
  return { server, transport };
}

const httpServer = http.createServer(async (req, res) => {
  const sid = req.headers["mcp-session-id"];
  if (req.method === "GET" && req.headers["last-event-id"]) log(`resume ${req.headers["last-event-id"]}`);
  if (req.method === "DELETE") log(`delete ${sid}`);
  if (sid && !sessions.has(sid)) {
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }));
    return;
  }
  if (sid) return sessions.get(sid).handleRequest(req, res);
  const { server, transport } = newSession();
  await server.connect(transport);
  return transport.handleRequest(req, res);
});
httpServer.listen(Number(process.env.PORT), "127.0.0.1", () => log(`listening ${process.env.PORT}`));
