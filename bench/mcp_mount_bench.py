#!/usr/bin/python3
"""mcp_mount_bench: the latency a mounted stdio MCP server adds. The same greeter
(tests/mcp/sdk_greeter_server.mjs --stdio, the official SDK's McpServer) is called one call at a
time, in interleaved rounds (RUNS each, CALLS calls per round):

  direct   the official SDK client calling it over stdio (tests/mcp/sdk_direct_latency.mjs)
  mounted  POST /v1/tools/greet/call on ScaiWave-C (keep-alive HTTP from this script), the
           server registered as the stdio MCP server mcp.sdkgreet of one tenant
  native   the same POST in a second tenant with the built-in scaiwave.greeter: what the HTTP
           request and the dispatcher cost without MCP

and prints the p50/p99 of each (medians of the rounds) and the added latency of mounting:
p50(mounted) - p50(direct) (target <= 1 ms), with p50(native) for scale (the HTTP request is
part of "mounted"; ScaiWave's C client replaces the SDK client there, so the parts need not add). Every answer must be "Hallo, Alice!" (and not an error), or the bench exits 1."""
import http.client, json, os, statistics, subprocess, sys, tempfile, time, shutil

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/scaiwave"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CALLS = int(os.environ.get("BENCH_MCP_CALLS", "2000"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MCP = os.path.join(ROOT, "tests", "mcp")
ARGS = {"arguments": {"language": "de", "name": "Alice"}}


def fail(msg):
    raise SystemExit("mcp_mount: " + msg)


class Api:
    def __init__(self, port, token):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.h = {"Content-Type": "application/json", "Authorization": "Bearer " + token}

    def req(self, method, path, body=None):
        self.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def start(tmp):
    data, pf = os.path.join(tmp, "data"), os.path.join(tmp, "port")
    proc = subprocess.Popen([BIN, "serve", "--port", "0", "--port-file", pf, "--data-dir", data, "--access-log", "0",
                             "--log-level", "warn", "--mcp-stdio-allow", "node"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "err"), "w"))
    deadline = time.monotonic() + 30
    while not (os.path.exists(pf) and open(pf).read().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            fail("the server did not start: " + open(os.path.join(tmp, "err")).read()[-500:])
        time.sleep(0.05)
    return proc, int(open(pf).read()), data


def cli(data, *args):
    p = subprocess.run([BIN] + list(args) + ["--data-dir", data], capture_output=True, text=True, timeout=30)
    if p.returncode:
        fail("%s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout.strip()


def http_round(api, n):
    times = []
    for i in range(n + 200):
        t0 = time.perf_counter_ns()
        st, body = api.req("POST", "/v1/tools/greet/call", ARGS)
        us = (time.perf_counter_ns() - t0) / 1e3
        d = (body or {}).get("data") or {}
        if st != 200 or d.get("result") != "Hallo, Alice!" or d.get("is_error"):
            fail("wrong answer: %s %s" % (st, json.dumps(body)[:300]))
        if i >= 200:  # the first 200 warm up
            times.append(us)
    times.sort()
    return times[n // 2], times[int(n * 0.99)]


def direct_round(n):
    p = subprocess.run(["node", os.path.join(MCP, "sdk_direct_latency.mjs"), str(n)], capture_output=True, text=True,
                       cwd=MCP, timeout=600)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode or not lines:
        fail("sdk_direct_latency: %s %s" % (p.stdout[-300:], p.stderr[-300:]))
    r = json.loads(lines[-1])
    return r["p50_us"], r["p99_us"]


def main():
    tmp = tempfile.mkdtemp(prefix="sw-bench-mount-")
    proc, port, data = start(tmp)
    try:
        admin = Api(port, open(os.path.join(data, "admin.token")).read().strip())
        st, v = admin.req("POST", "/v1/admin/mcp-servers", {
            "id": "sdkgreet", "transport": "stdio", "command": "node",
            "args": [os.path.join(MCP, "sdk_greeter_server.mjs"), "--stdio"]})
        if st != 201:
            fail("register: %s %s" % (st, v))
        deadline = time.monotonic() + 60
        while admin.req("GET", "/v1/admin/mcp-servers/sdkgreet")[1]["data"]["status"] != "ready":
            if time.monotonic() > deadline:
                fail("the mounted greeter never became ready")
            time.sleep(0.05)
        if admin.req("POST", "/v1/admin/plugins/mcp.sdkgreet/enable", {})[0] != 200:
            fail("cannot enable mcp.sdkgreet")
        cli(data, "tenant", "create", "native")
        cli(data, "user", "create", "--tenant", "native", "--user", "boss", "--admin")
        native = Api(port, cli(data, "token", "create", "--tenant", "native", "--user", "boss"))
        if native.req("POST", "/v1/admin/plugins/scaiwave.greeter/enable", {})[0] != 200:
            fail("cannot enable the built-in greeter")
        res = {"direct": [], "mounted": [], "native": []}
        for _ in range(RUNS):
            res["direct"].append(direct_round(CALLS))
            res["mounted"].append(http_round(admin, CALLS))
            res["native"].append(http_round(native, CALLS))
        med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in res.items()}
        for k in ("direct", "mounted", "native"):
            print("mcp_mount: %-7s p50 %7.0f us  p99 %7.0f us  (%d rounds x %d calls)" % (k, med[k][0], med[k][1], RUNS,
                                                                                         CALLS))
        added = med["mounted"][0] - med["direct"][0]
        # the mounted figure includes the HTTP request (native: what that alone costs), while ScaiWave's
        # own client side of the MCP call replaces the SDK client's: the two need not add up
        print("mcp_mount: added by mounting (p50 mounted - p50 direct): %.0f us (target <= 1000 us: %s); for scale, "
              "the same HTTP call to a native tool: %.0f us" % (added, "met" if added <= 1000 else "MISSED",
                                                              med["native"][0]))
    finally:
        proc.terminate()
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -9
        shutil.rmtree(tmp, ignore_errors=True)
    if rc != 0:
        fail("the server exited %d on SIGTERM" % rc)


if __name__ == "__main__":
    main()
