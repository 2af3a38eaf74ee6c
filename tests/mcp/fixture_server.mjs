// fixture_server.mjs: a small MCP server over stdio for the client's edge cases that
// server-everything cannot produce (tests/unit/mcp/test_mcp_client.c drives it). Built on the
// official SDK's low-level Server class. argv[2] picks a mode:
//   tools (default)  tools listed two per page (nextCursor), and tools that: sleep with or without
//                    progress and record a cancellation (slow, last-cancel), dump the environment
//                    (env) and the open descriptors (fds), answer with N bytes (big), write garbage
//                    lines to stdout before answering (garbage), send the client requests (ask),
//                    add a tool and announce it with notifications/tools/list_changed (add-tool)
//   oldproto         raw JSON-RPC: answers initialize with protocol revision 2024-11-05
//   exit-on-init     exits with status 3 when initialize arrives
//   silent           reads stdin, never answers
import fs from "node:fs";
import readline from "node:readline";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, EmptyResultSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const mode = process.argv[2] || "tools";

if (mode !== "tools") {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    let msg;
    try { msg = JSON.parse(line); } catch { return; }
    if (msg.method !== "initialize") return;
    if (mode === "exit-on-init") process.exit(3);
    if (mode === "oldproto")
      process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: {
        protocolVersion: "2024-11-05", capabilities: {}, serverInfo: { name: "old", version: "0" } } }) + "\n");
  });
} else {
  const obj = { type: "object", properties: {} };
  const tools = ["echo", "slow", "last-cancel", "env", "fds", "big", "garbage", "ask", "add-tool"]
    .map((name) => ({ name, description: `fixture tool ${name}`, inputSchema: obj }));
  const PAGE = 2;
  let lastCancel = "";
  const text = (t) => ({ content: [{ type: "text", text: typeof t === "string" ? t : JSON.stringify(t) }] });
  const server = new Server({ name: "fixture", version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });

  server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const at = req.params?.cursor ? Number(req.params.cursor) : 0;
    const page = { tools: tools.slice(at, at + PAGE) };
    if (at + PAGE < tools.length) page.nextCursor = String(at + PAGE);
    return page;
  });

  const handlers = {
    echo: async (a) => text(`Echo: ${a.message}`),
    slow: (a, extra) => new Promise((resolve) => {
      let n = 0;
      const token = extra._meta?.progressToken;
      const tick = a.every && token !== undefined ? setInterval(() => {
        extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: ++n } });
      }, a.every) : null;
      const done = setTimeout(() => { if (tick) clearInterval(tick); resolve(text("slept")); }, a.ms || 1000);
      extra.signal.addEventListener("abort", () => {
        lastCancel = String(extra.signal.reason ?? "cancelled");
        clearTimeout(done);
        if (tick) clearInterval(tick);
        resolve(text("aborted"));
      });
    }),
    "last-cancel": async () => text(lastCancel),
    env: async () => text(process.env),
    fds: async () => {
      const out = {};
      for (const fd of fs.readdirSync("/proc/self/fd")) {
        try { out[fd] = fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { /* the directory's own fd */ }
      }
      return text(out);
    },
    big: async (a) => text("x".repeat(a.bytes || 1024)),
    garbage: async () => {
      process.stdout.write("this is not json\n{\"jsonrpc\":\"2.0\",\"broken\n\n   \n[1,2,3]\n");
      return text("after garbage");
    },
    ask: async () => {
      const out = {};
      try { out.ping = await server.request({ method: "ping" }, EmptyResultSchema); } catch (e) { out.ping = { error: e.code ?? String(e) }; }
      try { out.other = await server.request({ method: "fixture/unknown" }, EmptyResultSchema); } catch (e) { out.other = { error: e.code ?? String(e) }; }
      return text(out);
    },
    "add-tool": async (a) => {
      tools.push({ name: a.name || "added", description: "added at run time", inputSchema: obj });
      await server.sendToolListChanged();
      return text("added");
    },
  };

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const h = handlers[req.params.name];
    if (!h) return { isError: true, content: [{ type: "text", text: `unknown tool ${req.params.name}` }] };
    return h(req.params.arguments || {}, extra);
  });

  await server.connect(new StdioServerTransport());
}
