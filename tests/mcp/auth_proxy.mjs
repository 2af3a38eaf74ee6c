// auth_proxy: a loopback HTTP proxy that adds "Authorization: Bearer <token>" to every request
// and passes everything else through unchanged (method, path, Host, Origin, body, the answer's
// status, headers and body). The MCP conformance tool has no option for an auth header, and
// /v1/mcp requires a tenant's token: tests/mcp/conformance_server.sh puts this in between.
// Usage: node auth_proxy.mjs <target base URL> <token> — prints the port it listens on.
import http from "node:http";

const [target, token] = process.argv.slice(2);
const t = new URL(target);
const server = http.createServer((req, res) => {
  const headers = { ...req.headers, authorization: `Bearer ${token}` };
  const up = http.request({ hostname: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on("error", (e) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(String(e));
  });
  req.pipe(up);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
