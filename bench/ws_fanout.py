#!/usr/bin/python3
"""ws_fanout: WebSocket fan-out of one room to many clients.

Starts the real server, opens N clients (default 1000) of one tenant in one room on
/v1/stream, measures the server's RSS per idle connection, then sends M messages (default 100)
one after another and records, for every client, the delay from just before the POST to the
arrival of that message. Prints p50/p99/max. The clients are one Python asyncio process
(python3-websockets), which adds its own latency on the same 2 cores: the figures are an upper
bound of what the server itself takes."""
import asyncio, http.client, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

import websockets

from benchlib import call, free_port, rss_kib

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/scaiwave"
N = int(os.environ.get("WS_CLIENTS", "1000"))
M = int(os.environ.get("WS_MESSAGES", "100"))


def api(port, token, method, path, body=None):
    return call(port, method, path, body, token, timeout=10)["data"]


async def run(port, token, room):
    conns = []
    for i in range(N):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/stream?token={token}", compression=None,
                                      ping_interval=None, max_queue=None, open_timeout=30)
        await ws.recv()  # hello
        conns.append(ws)
    return conns


def main():
    d = tempfile.mkdtemp(prefix="sw-wsbench-")
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", d + "/var", "--access-log", "0",
                             "--max-connections", str(N + 600), "--max-connections-per-ip", "0"], env=dict(os.environ, SW_PASSWORD_FAST="1"),
                            stdout=subprocess.DEVNULL, stderr=open(d + "/err", "w"))
    failed = None
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(d + "/var/admin.token") and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        token = open(d + "/var/admin.token").read().strip()
        room = api(port, token, "POST", "/v1/rooms", {"room_type": "group", "name": "fanout"})["id"]
        before = rss_kib(proc.pid)
        loop = asyncio.new_event_loop()
        conns = loop.run_until_complete(run(port, token, room))
        time.sleep(0.5)
        after = rss_kib(proc.pid)
        print(f"ws: {N} idle clients: server RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB, "
              f"{(after - before) / N:.1f} KiB per connection")
        for ws in conns:
            loop.run_until_complete(ws.close())
        # latency with a C client (epoll, raw frames): the Python clients above would measure
        # mostly Python's own time on these 2 cores
        cbin = os.path.join(os.path.dirname(BIN), "bench_ws_fanout")
        if os.path.exists(cbin):
            out = subprocess.run([cbin, str(port), token, room, str(N), str(M)], capture_output=True, text=True,
                                 timeout=600)
            for text in (out.stdout.strip(), out.stderr.strip()):
                if text:
                    print(text)
            if out.returncode != 0:  # a lost delivery or a refused send: no figure to trust
                failed = "ws: FAILED: bench_ws_fanout exited %d" % out.returncode
        else:
            print("ws: latency not measured: build the bench_ws_fanout C client (make bench does)")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)
    if failed:
        raise SystemExit(failed)


if __name__ == "__main__":
    main()
