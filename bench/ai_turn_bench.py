#!/usr/bin/python3
"""ai_turn_bench: the AI turn's overhead beyond the model's own time.

Starts the real server and the fake model server (tests/fakes/fake_llm.py) answering at once:
each turn is one tool round (greet) and a final answer, i.e. two model requests. Measures, per
turn, the time from the human's POST /send to the AI's stored answer arriving on a /v1/sync
long-poll, sequentially (p50/p99 over TURNS turns), then 50 rooms' turns at once (turns per
second and the server's max RSS). The fake is a Python process on the same 2 cores; its own
time is part of the figures, so they are an upper bound of the server's overhead.

Nothing is counted that did not happen: every turn's stored answer must be the scripted
"Hallo, Alice!", the fake must have received exactly two requests per turn (the second carrying
the greet tool's result), every send must be answered 200, and every room must be answered;
otherwise the bench prints what went wrong and exits 1."""
import http.client, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time

from benchlib import call, free_port, rss_kib

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/scaiwave"
HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "tests", "fakes", "fake_llm.py")
TURNS = int(os.environ.get("AI_TURNS", "200"))
ROOMS = int(os.environ.get("AI_ROOMS", "50"))


ANSWER = "Hallo, Alice!"
failures = []


def expect(cond, what):
    """Records a failed check (the bench exits 1 at the end)."""
    if not cond:
        failures.append(what)
        if len(failures) <= 10:
            print("ai: CHECK FAILED: " + what, file=sys.stderr)
    return cond


def check_model_requests(fport, turns, phase):
    """Exactly two model requests per turn: the first offers the tools, the second carries the
    greet tool's result as a role "tool" message."""
    reqs = call(fport, "GET", "/_requests")
    expect(len(reqs) == 2 * turns, f"{phase}: the fake got {len(reqs)} requests for {turns} turns (expected {2 * turns})")
    with_result = [r for r in reqs if (r.get("body") or {}).get("messages")
                   and r["body"]["messages"][-1].get("role") == "tool"]
    expect(len(with_result) == turns, f"{phase}: {len(with_result)} requests carried a tool result (expected {turns})")
    bad = [r for r in with_result if r["body"]["messages"][-1].get("content") != ANSWER]
    expect(not bad, f"{phase}: {len(bad)} tool results were not {ANSWER!r}, e.g. "
                    f"{bad[0]['body']['messages'][-1].get('content')!r}" if bad else "")


def send(port, room, tok):
    r = call(port, "POST", f"/v1/rooms/{room}/send", {"content": {"msgtype": "swp.text", "body": "hello"}}, tok)
    expect(isinstance(r, dict) and "data" in r, f"send to {room} was refused: {str(r)[:200]}")


def wait_file(path, proc, secs=15):
    deadline = time.monotonic() + secs
    while not (os.path.exists(path) and open(path).read().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("process did not start: " + path)
        time.sleep(0.01)


def main():
    d = tempfile.mkdtemp(prefix="sw-aibench-")
    fport_file = os.path.join(d, "fport")
    fake = subprocess.Popen(["/usr/bin/python3", FAKE, "--port", "0", "--port-file", fport_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    srv = None
    try:
        wait_file(fport_file, fake)
        fport = int(open(fport_file).read())
        srv = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", d + "/var", "--access-log", "0",
                                "--workers", "64", "--log-level", "debug",
                                "--outbound-allow", "127.0.0.1"], env=dict(os.environ, SW_PASSWORD_FAST="1"),
                               stdout=subprocess.DEVNULL, stderr=open(d + "/err", "w"))
        wait_file(d + "/var/admin.token", srv)
        time.sleep(0.3)
        tok = open(d + "/var/admin.token").read().strip()
        call(port, "POST", "/v1/admin/plugins/scaiwave.greeter/enable", {}, tok)
        ai = call(port, "POST", "/v1/admin/participants/model", {"local_id": "bench", "model": "fake",
              "base_url": f"http://127.0.0.1:{fport}/v1", "stream": True}, tok)["data"]
        tool_round = {"tool_calls": [{"id": "t1", "name": "greet", "arguments": '{"language":"de","name":"Alice"}'}],
                      "finish_reason": "tool_calls"}
        final = {"content": "Hallo, Alice!"}

        def make_room(i):
            room = call(port, "POST", "/v1/rooms", {"room_type": "dm", "name": f"bench {i}"}, tok)["data"]["id"]
            call(port, "POST", f"/v1/rooms/{room}/invite", {"participant_id": ai["participant_id"]}, tok)
            return room

        def one_turn(room, cursor):
            t0 = time.monotonic()
            send(port, room, tok)
            deadline = t0 + 60
            while time.monotonic() < deadline:
                r = call(port, "GET", f"/v1/sync?since={cursor}&timeout=10000", None, tok)["data"]
                cursor = int(r["next_cursor"])
                for ev in r["events"]:
                    if ev["room_id"] == room and ev["sender_id"] == ai["participant_id"]:
                        body = (ev.get("content") or {}).get("body")
                        expect(body == ANSWER, f"turn answered {body!r}, expected {ANSWER!r}")
                        return time.monotonic() - t0, cursor
            expect(False, "a turn got no answer within 60 s")
            return None, cursor

        # sequential turns
        room = make_room(0)
        call(fport, "POST", "/_reset", {})
        call(fport, "POST", "/_script", {"responses": [tool_round, final] * TURNS})
        cursor = int(call(port, "GET", "/v1/sync?timeout=0", None, tok)["data"]["next_cursor"])
        lat = []
        for _ in range(TURNS):
            dt, cursor = one_turn(room, cursor)
            if dt is None:
                break
            lat.append(dt)
        check_model_requests(fport, TURNS, "sequential turns")
        if not lat:
            raise SystemExit("ai: FAILED: no turn was answered")
        lat.sort()
        q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
        # the model's own time: the same two streamed requests straight to the fake
        call(fport, "POST", "/_reset", {})
        call(fport, "POST", "/_script", {"responses": [tool_round, final] * TURNS})
        body = {"model": "fake", "stream": True, "messages": [{"role": "user", "content": "hello"}]}
        model = []
        for _ in range(TURNS):
            t0 = time.monotonic()
            for _ in range(2):
                c = http.client.HTTPConnection("127.0.0.1", fport, timeout=10)
                c.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
                c.getresponse().read()
            model.append(time.monotonic() - t0)
        m50 = statistics.median(model) * 1000
        print(f"ai: {TURNS} sequential turns (one tool round + final answer, fake model answering at once): "
              f"p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms per turn (send -> answer seen on /v1/sync)")
        print(f"ai: the model's own time for those two requests (straight to the fake): p50 {m50:.2f} ms; "
              f"turn overhead beyond it: p50 {q(0.5) - m50:.2f} ms, p99 {q(0.99) - m50:.2f} ms")

        # the server's own account: per turn, time from the trigger to the end minus the time spent
        # waiting for the model (logged at debug level by sw_turn.c)
        over = []
        for line in open(d + "/err"):
            if '"ai turn ' in line and " us overhead" in line:
                over.append(int(line.rsplit(" us overhead", 1)[0].rsplit(", ", 1)[1]) / 1000.0)
        if over:
            over.sort()
            qo = lambda p: over[min(len(over) - 1, int(p * len(over)))]
            print(f"ai: server-side turn overhead beyond the model's time ({len(over)} turns): "
                  f"p50 {qo(0.5):.2f} ms, p99 {qo(0.99):.2f} ms")

        # many rooms at once
        rooms = [make_room(i + 1) for i in range(ROOMS)]
        # turns share the fake's queue in any order: each queued answer is a tool round, or the
        # final answer when the request already carries the tool's result (exactly 2 per turn)
        call(fport, "POST", "/_reset", {})
        call(fport, "POST", "/_script", {"responses": [dict(tool_round, after_tool=final)] * (ROOMS * 2)})
        base = int(call(port, "GET", "/v1/sync?timeout=0", None, tok)["data"]["next_cursor"])
        peak = [rss_kib(srv.pid)]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(srv.pid))
                time.sleep(0.01)
        th = threading.Thread(target=sample)
        th.start()
        # one consumer follows the tenant's stream for every room (50 long-polls woken by every
        # event would measure the clients, not the server)
        pending = set(rooms)
        answered = {}
        t0 = time.monotonic()
        senders = [threading.Thread(target=send, args=(port, r, tok)) for r in rooms]
        for t in senders:
            t.start()
        cursor = base
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            r = call(port, "GET", f"/v1/sync?since={cursor}&timeout=10000&limit=1000", None, tok)["data"]
            cursor = int(r["next_cursor"])
            for ev in r["events"]:
                if ev["room_id"] in pending and ev["sender_id"] == ai["participant_id"]:
                    body = (ev.get("content") or {}).get("body")
                    expect(body == ANSWER, f"room {ev['room_id']} answered {body!r}, expected {ANSWER!r}")
                    pending.discard(ev["room_id"])
                    answered[ev["room_id"]] = time.monotonic() - t0
        for t in senders:
            t.join()
        results = list(answered.values())
        wall = time.monotonic() - t0
        done.set()
        th.join()
        expect(not pending, f"{len(pending)} of {ROOMS} rooms got no answer within 120 s")
        check_model_requests(fport, ROOMS, f"{ROOMS} rooms at once")
        print(f"ai: {ROOMS} rooms' turns at once: {len(results)} turns in {wall:.2f} s = {len(results) / wall:.1f} turns/s, "
              f"server max RSS {peak[0] / 1024:.1f} MiB")
    finally:
        for p in (srv, fake):
            if p:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(d, ignore_errors=True)
    if failures:
        print(f"ai: FAILED: {len(failures)} checks failed (first: {failures[0]})", file=sys.stderr)
        sys.exit(1)
    print(f"ai: every answer was {ANSWER!r} and the fake got exactly 2 requests per turn")


if __name__ == "__main__":
    main()
