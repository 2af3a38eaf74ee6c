#!/usr/bin/python3
"""mcp_bench: `tools/call greet` over MCP, ScaiWave-C's /v1/mcp against the official TypeScript
SDK's server running the same greeter tool, side by side in one run.

ScaiWave-C: `scaiwave serve` on a temporary store (access log off), scaiwave.greeter enabled, one
MCP session opened with initialize (its Mcp-Session-Id and MCP-Protocol-Version are sent on every
request). The baseline: tests/mcp/sdk_greeter_server.mjs (McpServer, stateless Streamable HTTP,
JSON responses: the SDK's own example's shape). Both get the same wrk load — `wrk -t2 -c64`, one
JSON-RPC POST per request — in interleaved rounds, RUNS each; a Lua hook counts an answer only
when it is 200 and carries `Hallo, Alice!`: any other answer, or a request wrk timed out, fails
the bench. Prints req/s, p50 and p99 (medians of the rounds), the server's CPU time per call, and
the ratio. wrk shares the 2 cores with the server under test."""
import http.client, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

from benchlib import free_port

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/scaiwave"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECS = int(os.environ.get("BENCH_SECS", "8"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "greet", "arguments": {"language": "de", "name": "Alice"}}}

LUA = """
wrk.method = "POST"
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
%s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok, bad = 0, 0 end
function response(status, headers, body)
  if status == 200 and body:find("Hallo, Alice!", 1, true) and not body:find('"isError":true', 1, true) then ok = ok + 1
  else bad = bad + 1; if bad == 1 then io.stderr:write("bad answer: " .. status .. " " .. body .. "\\n") end end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("answers: good=%%d bad=%%d\\n", o, b))
end
"""


def lua_headers(headers):
    return "\n".join(f'wrk.headers[{json.dumps(k)}] = {json.dumps(v)}' for k, v in headers.items())


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, script, pid):
    c0 = cpu_s(pid)
    r = subprocess.run(["wrk", "-t2", "-c64", f"-d{SECS}s", "--latency", "--timeout", "10s", "-s", script, url],
                       capture_output=True, text=True)
    cpu = cpu_s(pid) - c0
    out = r.stdout
    if r.returncode:
        raise SystemExit(f"mcp: wrk failed on {url}: {r.stderr.strip()}")
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errs and int(errs.group(4)):
        raise SystemExit(f"mcp: {errs.group(4)} requests to {url} were not answered in time")
    good, bad = (int(x) for x in re.search(r"answers: good=(\d+) bad=(\d+)", out).groups())
    if bad or not good:
        raise SystemExit(f"mcp: {bad} wrong answers ({good} right) from {url}: {r.stderr.strip()[:300]}")
    secs = re.search(r"requests in ([\d.]+)(\w+),", out)
    dur = float(secs.group(1)) * {"s": 1, "ms": 1e-3, "m": 60}[secs.group(2)]
    lat = {p: m.group(1) + m.group(2) for p in ("50", "99") if (m := re.search(p + r"%\s+([\d.]+)(\w+)", out))}
    return good / dur, lat.get("50", "?"), lat.get("99", "?"), cpu / good * 1e6


def wait_file(path, proc, what, secs=30):
    deadline = time.monotonic() + secs
    while not (os.path.exists(path) and os.path.getsize(path)):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"mcp: {what} did not start")
        time.sleep(0.05)
    return open(path).read().strip()


def post(port, path, body, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json",
              "Accept": "application/json, text/event-stream", **headers})
    r = c.getresponse()
    data = r.read()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), json.loads(data) if data else None


def scaiwave(d):
    proc = subprocess.Popen([BIN, "serve", "--port", "0", "--port-file", d + "/port", "--data-dir", d + "/var",
                             "--access-log", "0"], stdout=subprocess.DEVNULL, stderr=open(d + "/sw.err", "w"))
    port = int(wait_file(d + "/port", proc, "scaiwave"))
    token = wait_file(d + "/var/admin.token", proc, "scaiwave")
    auth = {"Authorization": "Bearer " + token}
    st, _, _ = post(port, "/v1/admin/plugins/scaiwave.greeter/enable", {}, auth)
    if st != 200:
        raise SystemExit(f"mcp: enabling the greeter answered {st}")
    st, h, init = post(port, "/v1/mcp", {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "mcp_bench", "version": "1"}}}, auth)
    if st != 200 or "mcp-session-id" not in h:
        raise SystemExit(f"mcp: initialize answered {st} {init}")
    sess = {**auth, "Mcp-Session-Id": h["mcp-session-id"], "MCP-Protocol-Version": init["result"]["protocolVersion"]}
    post(port, "/v1/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"}, sess)
    return proc, port, sess


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    d = tempfile.mkdtemp(prefix="sw-mcp-bench-")
    sw = sdk = None
    try:
        sw, sw_port, sess = scaiwave(d)
        sdk = subprocess.Popen(["node", os.path.join(ROOT, "tests/mcp/sdk_greeter_server.mjs"), d + "/sdk.port"],
                               cwd=os.path.join(ROOT, "tests/mcp"), stdout=subprocess.DEVNULL,
                               stderr=open(d + "/sdk.err", "w"))
        sdk_port = int(wait_file(d + "/sdk.port", sdk, "the SDK server"))
        targets = {}
        for name, port, path, headers, pid in (("ScaiWave-C /v1/mcp", sw_port, "/v1/mcp", sess, sw.pid),
                                               ("SDK server (stateless, JSON)", sdk_port, "/mcp",
                                                {"MCP-Protocol-Version": sess["MCP-Protocol-Version"]}, sdk.pid)):
            st, _, ans = post(port, path, CALL, headers)
            text = "".join(c.get("text", "") for c in ((ans or {}).get("result") or {}).get("content", []))
            if st != 200 or text != "Hallo, Alice!":
                raise SystemExit(f"mcp: {name} answered {st} {ans}")
            script = os.path.join(d, f"{len(targets)}.lua")
            with open(script, "w") as f:
                f.write(LUA % (json.dumps(json.dumps(CALL)), lua_headers(headers)))
            targets[name] = (f"http://127.0.0.1:{port}{path}", script, pid, [])
        print(f"mcp: tools/call greet, wrk -t2 -c64 -d{SECS}s, {RUNS} interleaved rounds; "
              f"{os.cpu_count()} cores shared by wrk and the server")
        for _ in range(RUNS):
            for url, script, pid, res in targets.values():
                res.append(wrk(url, script, pid))
        med = {}
        for name, (_, _, _, res) in targets.items():
            rates = sorted(r[0] for r in res)
            med[name] = statistics.median(rates)
            print(f"mcp: {name}: median {med[name]:,.0f} req/s (runs: {', '.join(f'{r:,.0f}' for r in rates)}); "
                  f"p50 {', '.join(r[1] for r in res)}; p99 {', '.join(r[2] for r in res)}; "
                  f"CPU {statistics.median(r[3] for r in res):.0f} us/call (server process)")
        a, b = med.values()
        print(f"mcp: ratio ScaiWave-C / SDK server: {a / b:.1f}x (target >= 10x)")
    finally:
        stop(sw)
        stop(sdk)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
