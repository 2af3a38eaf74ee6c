#!/usr/bin/python3
"""http_bench: start-up time, idle RSS and throughput of the real server.

Starts `scaiwave serve` on a free port with a temporary data dir (access log off), measures
the time from exec to the first 200 on /healthz, the idle RSS, then runs
`wrk -t2 -c64 -d<secs>s` on /healthz and /v1/me (token verify + one indexed SELECT + JSON)
RUNS times each and prints the medians. wrk runs on the same 2 cores as the server."""
import json, os, re, shutil, signal, socket, sqlite3, statistics, subprocess, sys, tempfile, time, http.client

from benchlib import free_port, rss_kib

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/scaiwave"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECS = int(os.environ.get("BENCH_SECS", "10"))


def wrk(url, token=None, script=None):
    cmd = ["wrk", "-t2", "-c64", f"-d{SECS}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} non-2xx answers on {url}")
    return rps, (p99.group(1) + p99.group(2)) if p99 else "?"


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
            rates = sorted(r for r, _ in res)
            print(f"http: {name}: median {statistics.median(rates):,.0f} req/s over {RUNS} runs "
                  f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; p99 of each: {', '.join(p for _, p in res)})")
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
        for name, text in (("send text", "hello from wrk"), ("send /greet de Alice", "/greet de Alice")):
            script = os.path.join(d, "post.lua")
            with open(script, "w") as f:
                f.write('wrk.method = "POST"\n'
                        f'wrk.body = {json.dumps(json.dumps({"content": {"msgtype": "swp.text", "body": text}}))}\n'
                        'wrk.headers["Content-Type"] = "application/json"\n')
            res = [wrk(f"http://127.0.0.1:{port}/v1/rooms/{room}/send", token, script) for _ in range(RUNS)]
            rates = sorted(r for r, _ in res)
            print(f"http: POST /v1/rooms/{{id}}/{name}: median {statistics.median(rates):,.0f} req/s over {RUNS} runs "
                  f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; p99 of each: {', '.join(p for _, p in res)})")
        print(f"http: RSS after load: {rss_kib(proc.pid) / 1024:.1f} MiB")
        stop(proc)
        # the figure counts only the answered POSTs; every /greet must also have its result stored
        db = sqlite3.connect(d + "/var/scaiwave.db")
        cmds, results = db.execute(
            "SELECT sum(json_extract(content, '$.body') = '/greet de Alice'),"
            " sum(json_extract(content, '$.msgtype') = 'swp.tool_result') FROM events").fetchone()
        db.close()
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
