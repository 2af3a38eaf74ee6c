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


async def measure(port, token, room, conns):
    lat = []
    loop = asyncio.get_running_loop()
    for k in range(M):
        body = f"fanout {k}"
        t0 = time.monotonic()
        await loop.run_in_executor(None, api, port, token, "POST", f"/v1/rooms/{room}/send",
                                   {"content": {"msgtype": "swp.text", "body": body}})

        async def one(ws):
            while True:
                m = json.loads(await ws.recv())
                if m.get("type") == "swp.room.message" and m["content"].get("body") == body:
                    return time.monotonic() - t0
        lat.extend(await asyncio.gather(*(one(ws) for ws in conns)))
    return lat


def main():
    d = tempfile.mkdtemp(prefix="sw-wsbench-")
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", d + "/var", "--access-log", "0",
                             "--max-connections", str(N + 600)], env=dict(os.environ, SW_PASSWORD_FAST="1"),
                            stdout=subprocess.DEVNULL, stderr=open(d + "/err", "w"))
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
        lat = sorted(loop.run_until_complete(measure(port, token, room, conns)))
        q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
        print(f"ws: {M} messages x {N} clients = {len(lat)} deliveries: p50 {q(0.5):.1f} ms, "
              f"p99 {q(0.99):.1f} ms, max {lat[-1] * 1000:.1f} ms (Python asyncio clients on the same 2 cores)")
        for ws in conns:
            loop.run_until_complete(ws.close())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
