// sdk_direct_latency: the baseline of bench/mcp_mount_bench.py — the official SDK client calling
// `greet` on tests/mcp/sdk_greeter_server.mjs over stdio directly, one call at a time.
// Usage: node sdk_direct_latency.mjs <calls> — prints {"p50_us", "p99_us", "calls"} as one JSON
// line; exits 1 when any answer is not "Hallo, Alice!".
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { fileURLToPath } from "node:url";

const calls = Number(process.argv[2] || 2000);
const server = fileURLToPath(new URL("./sdk_greeter_server.mjs", import.meta.url));
const client = new Client({ name: "sdk-direct-latency", version: "1.0.0" });
await client.connect(new StdioClientTransport({ command: process.execPath, args: [server, "--stdio"] }));
const args = { name: "greet", arguments: { language: "de", name: "Alice" } };
const times = [];
for (let i = 0; i < calls + 200; i++) {
  const t0 = process.hrtime.bigint();
  const r = await client.callTool(args);
  const us = Number(process.hrtime.bigint() - t0) / 1e3;
  if (r.isError || r.content[0].text !== "Hallo, Alice!") {
    console.log(JSON.stringify({ error: `wrong answer: ${JSON.stringify(r)}` }));
    process.exit(1);
  }
  if (i >= 200) times.push(us); // the first 200 warm up
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ p50_us: times[Math.floor(calls / 2)], p99_us: times[Math.floor(calls * 0.99)], calls }));
await client.close();
