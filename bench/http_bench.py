#!/usr/bin/python3
"""http_bench: start-up time, idle RSS and throughput of the real server.

Starts `scaiwave serve` on a free port with a temporary data dir (access log off), measures
the time from exec to the first 200 on /healthz, the idle RSS, then runs
`wrk -t2 -c64 -d<secs>s` on /healthz and /v1/me (token verify + one indexed SELECT + JSON),
then POST /v1/rooms/{id}/send with text and with the /greet command, RUNS times each, and
prints the medians. The /greet figure counts commands whose result is stored, per second until
the last one is (a 503 SW_OVERLOADED refusal is reported, not counted); any other non-200
answer or an unanswered request fails the bench. wrk runs on the same 2 cores as the server."""
import json, os, re, shutil, signal, socket, sqlite3, statistics, subprocess, sys, tempfile, time, http.client

from benchlib import free_port, rss_kib

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/scaiwave"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECS = int(os.environ.get("BENCH_SECS", "10"))


# Counts the answers by status in every wrk thread and prints them at the end (wrk's own
# "Non-2xx" line cannot tell a 503 refusal from a 500).
STATUS_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok, busy, other = 0, 0, 0 end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  io.write(string.format("statuses: 200=%d 503=%d other=%d\\n", o, b, x))
end
"""


def wrk(url, token=None, script=None, allow_busy=False):
    """(requests/s answered 200, p99, answers 503). Fails on any other answer, on a request
    wrk timed out, or on one the server never answered."""
    cmd = ["wrk", "-t2", "-c64", f"-d{SECS}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    secs = re.search(r"requests in ([\d.]+)(\w+),", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errs and int(errs.group(4)):
        raise SystemExit(f"wrk: {errs.group(4)} requests to {url} were not answered in time")
    st = re.search(r"statuses: 200=(\d+) 503=(\d+) other=(\d+)", out)
    if st:
        ok, busy, other = (int(x) for x in st.groups())
        if other or (busy and not allow_busy):
            raise SystemExit(f"wrk saw {other} answers other than 200/503 and {busy} 503s on {url}")
        dur = float(secs.group(1)) * {"s": 1, "ms": 1e-3, "m": 60}[secs.group(2)]
        return ok / dur, (p99.group(1) + p99.group(2)) if p99 else "?", busy
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} non-2xx answers on {url}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, (p99.group(1) + p99.group(2)) if p99 else "?", 0


def greet_counts(path, room):
    """(/greet commands, tool results) stored in the room so far (the store is read beside the
    running server, as WAL allows)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(
            "SELECT coalesce(sum(json_extract(content, '$.body') = '/greet de Alice'), 0),"
            " coalesce(sum(json_extract(content, '$.msgtype') = 'swp.tool_result'), 0)"
            " FROM events WHERE room_id = ?", (room,)).fetchone()
    finally:
        db.close()


def completed_run(port, token, script, dbpath, room):
    """One wrk run of /greet: the figure is commands whose result is stored, per second from
    the start of the run until the last result is (not the POSTs answered)."""
    c0, r0 = greet_counts(dbpath, room)
    t0 = time.monotonic()
    _, p99, busy = wrk(f"http://127.0.0.1:{port}/v1/rooms/{room}/send", token, script, allow_busy=True)
    while True:
        c, r = greet_counts(dbpath, room)
        if r - r0 >= c - c0 or time.monotonic() - t0 > SECS + 120:
            break
        time.sleep(0.01)
    if r - r0 != c - c0:
        raise SystemExit(f"http: {c - c0 - (r - r0)} of {c - c0} /greet commands never got a result")
    return (r - r0) / (time.monotonic() - t0), p99, busy


def main():
    d = tempfile.mkdtemp(prefix="sw-bench-")
    port = free_port()
    env = dict(os.environ, SW_PASSWORD_FAST="1")
    t0 = time.monotonic()
    proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", d + "/var",
                             "--access-log", "0"], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(d + "/err", "w"))
    try:
        first = None
        while time.monotonic() - t0 < 10:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    first = time.monotonic() - t0
                    break
            except OSError:
                time.sleep(0.001)
        if first is None:
            raise SystemExit("server did not answer within 10 s")
        time.sleep(0.5)
        idle = rss_kib(proc.pid)
        token = open(d + "/var/admin.token").read().strip()
        print(f"http: machine: {os.cpu_count()} cores, wrk -t2 -c64 -d{SECS}s shares them with the server")
        print(f"http: start to first 200 on /healthz: {first * 1000:.1f} ms (first start, empty store)")
        print(f"http: idle RSS after start: {idle / 1024:.1f} MiB")
        for name, path, tok in (("GET /healthz", "/healthz", None), ("GET /v1/me", "/v1/me", token)):
            res = [wrk(f"http://127.0.0.1:{port}{path}", tok) for _ in range(RUNS)]
            rates = sorted(r for r, _, _ in res)
            print(f"http: {name}: median {statistics.median(rates):,.0f} req/s over {RUNS} runs "
                  f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; p99 of each: {', '.join(p for _, p, _ in res)})")
        # POST /v1/rooms/{id}/send: plain text, and the /greet slash command (stored, then run
        # through the dispatcher on the worker pool and stored again as a tool result)
        def api(method, path, body=None):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Authorization": f"Bearer {token}"})
            r = c.getresponse()
            return json.loads(r.read())["data"]
        api("POST", "/v1/admin/plugins/scaiwave.greeter/enable", {})
        room = api("POST", "/v1/rooms", {"room_type": "group", "name": "bench"})["id"]
        dbpath = d + "/var/scaiwave.db"
        for name, text in (("send text", "hello from wrk"), ("send /greet de Alice", "/greet de Alice")):
            script = os.path.join(d, "post.lua")
            with open(script, "w") as f:
                f.write('wrk.method = "POST"\n'
                        f'wrk.body = {json.dumps(json.dumps({"content": {"msgtype": "swp.text", "body": text}}))}\n'
                        'wrk.headers["Content-Type"] = "application/json"\n' + STATUS_LUA)
            if text.startswith("/"):
                res = [completed_run(port, token, script, dbpath, room) for _ in range(RUNS)]
                unit = "commands completed/s"
            else:
                res = [wrk(f"http://127.0.0.1:{port}/v1/rooms/{room}/send", token, script) for _ in range(RUNS)]
                unit = "req/s"
            rates = sorted(r for r, _, _ in res)
            busy = sum(b for _, _, b in res)
            print(f"http: POST /v1/rooms/{{id}}/{name}: median {statistics.median(rates):,.0f} {unit} over {RUNS} runs "
                  f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; p99 of each: {', '.join(p for _, p, _ in res)}"
                  f"{f'; refused 503 SW_OVERLOADED, not stored: {busy:,}' if busy else ''})")
        print(f"http: RSS after load: {rss_kib(proc.pid) / 1024:.1f} MiB")
        stop(proc)
        # every stored /greet has its result stored (checked per run above, and again at the end)
        cmds, results = greet_counts(dbpath, room)
        print(f"http: /greet commands stored: {cmds:,}, tool results stored: {results:,}")
        if cmds != results:
            raise SystemExit("http: some /greet commands have no stored result")
    finally:
        stop(proc)
        shutil.rmtree(d, ignore_errors=True)


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


if __name__ == "__main__":
    main()
