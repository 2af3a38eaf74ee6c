"""The real-time stream, GET /v1/stream?token=... (WebSocket, RFC 6455), against the real binary:
the hello comes first; a bad or missing token is accepted and closed with 4401 and no hello; a
plain HTTP GET is answered 426; a room message reaches every member's socket with the same
stream_position, and nobody else's (another tenant, or the same tenant outside the room: checked
by ordering, since a later event of their own arrives first); joining and leaving change what a
socket sees while it is open; {"type":"ping"} gets {"type":"pong"}; a client that never reads
while 5,000 messages go out is dropped (1008) without the server's memory growing, while a
client that reads keeps up and gets all of them in order; and SIGTERM closes sockets with 1001
without waiting for them to go away by themselves.

The client is python3-websockets 10.4 (asyncio), wrapped in a small synchronous facade that runs
each connection's event loop on its own thread."""
import asyncio
import base64
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
import urllib.parse

import pytest
import requests
import websockets

from conftest import TIMEOUT, err, ok

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
WAIT = 10  # seconds for anything that should arrive


# ---- a synchronous WebSocket client ----

class WS:
    """One websockets connection driven from synchronous test code."""

    def __init__(self, server, token=None, max_queue=32, query=None):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        if query is None:
            query = "" if token is None else "?token=" + urllib.parse.quote(token, safe="")
        self.url = "ws://127.0.0.1:%d/v1/stream%s" % (server.port, query)

        async def _open():
            return await websockets.connect(self.url, compression=None, ping_interval=None,
                                            max_queue=max_queue, max_size=2 ** 22,
                                            open_timeout=TIMEOUT, close_timeout=5)
        try:
            self.conn = self._run(_open(), TIMEOUT + 5)
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def recv(self, timeout=WAIT):
        async def _recv():
            return await asyncio.wait_for(self.conn.recv(), timeout)
        return self._run(_recv(), timeout + 5)

    def recv_json(self, timeout=WAIT):
        m = self.recv(timeout)
        assert isinstance(m, str), "expected a text frame, got %r" % (m,)
        return json.loads(m)

    def send(self, text):
        self._run(self.conn.send(text), TIMEOUT)

    def ping(self):
        """A protocol-level ping; returns once the pong came back."""
        async def _ping():
            waiter = await self.conn.ping(b"hb")
            await asyncio.wait_for(waiter, WAIT)
        self._run(_ping(), WAIT + 5)

    def closed_with(self, timeout=WAIT):
        """Reads until the server closes; returns (code, reason, messages read before)."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "the server did not close the socket within %d s" % timeout
            try:
                seen.append(self.recv(left))
            except websockets.ConnectionClosed as e:
                rcvd = e.rcvd
                return (rcvd.code if rcvd else None), (rcvd.reason if rcvd else None), seen

    def until(self, pred, timeout=WAIT):
        """Reads JSON messages until pred(msg); returns (msg, the messages before it)."""
        before = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "no matching message within %d s; got %r" % (timeout, before)
            m = self.recv_json(left)
            if pred(m):
                return m, before
            before.append(m)

    def hello(self):
        h = self.recv_json()
        assert h["type"] == "hello", "first message is not the hello: %r" % h
        return h

    def close(self):
        try:
            self._run(self.conn.close(), 10)
        except Exception:
            pass
        self._stop_loop()

    def _stop_loop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- HTTP helpers (shapes from API.md) ----

def create_room(server, token, name="room"):
    return ok(server.post("/v1/rooms", token, json={"room_type": "group", "name": name}), 201)


def send(server, token, room_id, body, session=None):
    payload = {"content": {"msgtype": "swp.text", "body": body}}
    if session is None:
        return ok(server.post("/v1/rooms/%s/send" % room_id, token, json=payload))
    return ok(session.post(server.url + "/v1/rooms/%s/send" % room_id, json=payload, timeout=TIMEOUT))


def invite(server, token, room_id, pid):
    ok(server.post("/v1/rooms/%s/invite" % room_id, token, json={"participant_id": pid}))


def join(server, token, room_id):
    ok(server.post("/v1/rooms/%s/join" % room_id, token))


def leave(server, token, room_id):
    ok(server.post("/v1/rooms/%s/leave" % room_id, token))


def is_msg(ev_id):
    return lambda m: m.get("type") == "swp.room.message" and m.get("id") == ev_id


def check_wire(m, stored, tenant_id):
    """The socket's form of a stored event (API.md, Real-time)."""
    assert m["type"] == stored["event_type"] == "swp.room.message"
    assert m["id"] == stored["id"]
    assert m["room_id"] == stored["room_id"]
    assert m["tenant_id"] == tenant_id
    assert m["stream_position"] == stored["stream_position"]
    assert m["sender_id"] == stored["sender_id"]
    assert m["content"] == stored["content"]
    assert isinstance(m["ts"], str) and TS_RE.match(m["ts"]), m


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


# ---- handshake, hello, auth ----

def test_hello_first(server, make_tenant):
    t = make_tenant("wsh")
    with WS(server, t.member_token) as w:
        h = w.recv_json()
        assert h["type"] == "hello"
        assert set(h) == {"type", "session_id", "tenant_id", "ts"}, h
        assert h["tenant_id"] == t.tenant_id
        assert UUID_RE.match(h["session_id"]), h
        assert TS_RE.match(h["ts"]), h
        with WS(server, t.member_token) as w2:  # every socket is its own session
            assert w2.hello()["session_id"] != h["session_id"]


@pytest.mark.parametrize("query", ["?token=garbage", "", "?token=", "?token=a.b.c"])
def test_bad_token_is_closed_4401_without_hello(server, query):
    with WS(server, query=query) as w:  # the upgrade itself succeeds
        code, reason, seen = w.closed_with()
        assert code == 4401 and reason == "unauthorized", (code, reason)
        assert seen == [], "got %r before the close" % seen


def test_token_of_another_server_is_4401(server, server_factory):
    other = server_factory()
    foreign = other.admin_token  # signed with another key
    with WS(server, foreign) as w:
        code, _, seen = w.closed_with()
        assert code == 4401 and seen == []


def test_plain_get_is_426(server, make_tenant):
    t = make_tenant("ws426")
    r = server.get("/v1/stream", params={"token": t.member_token})
    e = err(r, 426, None)
    assert e["code"].startswith("SW_")
    assert r.headers.get("Sec-WebSocket-Version") == "13"


def test_accept_header(server, make_tenant):
    """The 101 carries the RFC 6455 accept digest (checked by hand, not by the library)."""
    t = make_tenant("wsacc")
    s, head, key = raw_connect(server, t.member_token)
    try:
        assert head.startswith(b"HTTP/1.1 101"), head
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        hdrs = {k.strip().lower(): v.strip() for k, _, v in
                (line.decode("latin-1").partition(":") for line in head.split(b"\r\n")[1:] if line)}
        assert hdrs.get("sec-websocket-accept") == want
        assert hdrs.get("upgrade", "").lower() == "websocket"
        assert "upgrade" in hdrs.get("connection", "").lower()
    finally:
        s.close()


# ---- fan-out and isolation ----

def test_room_message_reaches_members_and_nobody_else(server, make_tenant):
    t = make_tenant("wsfan")
    x = make_tenant("wsiso")  # another tenant
    room = create_room(server, t.admin_token, "general")
    invite(server, t.admin_token, room["id"], t.member["participant_id"])
    join(server, t.member_token, room["id"])
    outsider_token = server.new_user_token(t.slug, "olga")  # same tenant, not in the room

    with WS(server, t.admin_token) as a, WS(server, t.member_token) as m, \
            WS(server, outsider_token) as o, WS(server, x.admin_token) as xa:
        for w in (a, m, o, xa):
            w.hello()
        stored = send(server, t.admin_token, room["id"], "hello team")

        got_a, _ = a.until(is_msg(stored["id"]))
        got_m, _ = m.until(is_msg(stored["id"]))
        check_wire(got_a, stored, t.tenant_id)
        check_wire(got_m, stored, t.tenant_id)
        assert got_a == got_m  # the same serialised event for everyone
        assert got_a["stream_position"] == got_m["stream_position"] == stored["stream_position"]

        # The outsiders: each then causes an event of its own. Delivery is ordered, so if the
        # team's message were coming to them it would come before their own.
        for w, token in ((o, outsider_token), (xa, x.admin_token)):
            own_room = create_room(server, token, "mine")
            own = send(server, token, own_room["id"], "my own")
            _, before = w.until(is_msg(own["id"]))
            leaked = [e for e in before if e.get("room_id") == room["id"] or e.get("id") == stored["id"]]
            assert leaked == [], "an outsider saw %r" % leaked

        # a second message: still both members, in order after the first
        second = send(server, t.member_token, room["id"], "second")
        for w in (a, m):
            got, before = w.until(is_msg(second["id"]))
            assert got["stream_position"] > stored["stream_position"]
            assert got["sender_id"] == t.member["participant_id"]


def test_order_preserved_for_a_burst(server, make_tenant):
    t = make_tenant("wsord")
    room = create_room(server, t.admin_token, "burst")
    invite(server, t.admin_token, room["id"], t.member["participant_id"])
    join(server, t.member_token, room["id"])
    with WS(server, t.member_token, max_queue=None) as m:
        m.hello()
        sent = []
        lock = threading.Lock()

        def sender(token, n):
            s = requests.Session()
            s.headers["Authorization"] = "Bearer " + token
            for i in range(n):
                ev = send(server, token, room["id"], "b%d" % i, session=s)
                with lock:
                    sent.append(ev)

        threads = [threading.Thread(target=sender, args=(tok, 50))
                   for tok in (t.admin_token, t.member_token, t.admin_token, t.member_token)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        got = []
        while len(got) < len(sent):
            msg = m.recv_json()
            if msg["type"] == "swp.room.message":
                got.append(msg)
        assert [g["stream_position"] for g in got] == sorted(e["stream_position"] for e in sent)
        assert {g["id"] for g in got} == {e["id"] for e in sent}


def test_join_and_leave_change_what_an_open_socket_sees(server, make_tenant):
    t = make_tenant("wsmem")
    mpid = t.member["participant_id"]
    room = create_room(server, t.admin_token, "club")
    with WS(server, t.member_token) as m:
        m.hello()
        before_join = send(server, t.admin_token, room["id"], "not for you yet")

        invite(server, t.admin_token, room["id"], mpid)
        inv, skipped = m.until(lambda e: e["type"] == "swp.room.member")
        assert inv["room_id"] == room["id"]
        assert inv["content"]["participant_id"] == mpid
        assert inv["content"]["membership"] == "invite"
        assert all(e.get("id") != before_join["id"] for e in skipped)

        join(server, t.member_token, room["id"])
        j, _ = m.until(lambda e: e["type"] == "swp.room.member")
        assert j["content"]["membership"] == "join" and j["content"]["participant_id"] == mpid

        msg = send(server, t.admin_token, room["id"], "welcome")
        got, _ = m.until(is_msg(msg["id"]))
        check_wire(got, msg, t.tenant_id)

        leave(server, t.member_token, room["id"])
        lv, _ = m.until(lambda e: e["type"] == "swp.room.member")
        assert lv["content"]["membership"] == "leave" and lv["content"]["participant_id"] == mpid

        after = send(server, t.admin_token, room["id"], "gone now")
        own_room = create_room(server, t.member_token, "own")
        own = send(server, t.member_token, own_room["id"], "mine")
        _, before = m.until(is_msg(own["id"]))
        assert all(e.get("id") != after["id"] and e.get("room_id") != room["id"] for e in before), before


def test_every_open_socket_follows_joins_and_leaves_of_several_rooms(server, make_tenant):
    """The room set of an open socket follows its participant's swp.room.member events (the
    stream no longer rereads the store for them): two sockets of one member, two rooms, a leave
    and a rejoin; delivery matches membership at each step, on both sockets."""
    t = make_tenant("wsfol")
    mpid = t.member["participant_id"]
    ra = create_room(server, t.admin_token, "alpha")
    rb = create_room(server, t.admin_token, "beta")

    def member_event(room, membership):
        return lambda e: (e["type"] == "swp.room.member" and e["room_id"] == room["id"]
                          and e["content"]["participant_id"] == mpid
                          and e["content"]["membership"] == membership)

    with WS(server, t.member_token) as m1, WS(server, t.member_token) as m2:
        socks = (m1, m2)
        for w in socks:
            w.hello()
        for room in (ra, rb):
            invite(server, t.admin_token, room["id"], mpid)
            join(server, t.member_token, room["id"])
            for w in socks:
                w.until(member_event(room, "join"))
        in_a = send(server, t.admin_token, ra["id"], "a1")
        in_b = send(server, t.admin_token, rb["id"], "b1")
        for w in socks:
            got, _ = w.until(is_msg(in_a["id"]))
            check_wire(got, in_a, t.tenant_id)
            got, _ = w.until(is_msg(in_b["id"]))
            check_wire(got, in_b, t.tenant_id)

        leave(server, t.member_token, ra["id"])
        for w in socks:
            w.until(member_event(ra, "leave"))
        gone = send(server, t.admin_token, ra["id"], "a2, not for the member")
        still = send(server, t.admin_token, rb["id"], "b2")
        for w in socks:  # ordered delivery: a message of alpha would come before beta's
            _, before = w.until(is_msg(still["id"]))
            assert all(e.get("id") != gone["id"] and e.get("room_id") != ra["id"] for e in before), before

        invite(server, t.admin_token, ra["id"], mpid)
        join(server, t.member_token, ra["id"])
        for w in socks:
            w.until(member_event(ra, "join"))
        back = send(server, t.admin_token, ra["id"], "a3, welcome back")
        for w in socks:
            got, before = w.until(is_msg(back["id"]))
            check_wire(got, back, t.tenant_id)
            assert all(e.get("id") != gone["id"] for e in before), before


# ---- keep-alive ----

def test_ping_pong(server, make_tenant):
    t = make_tenant("wsping")
    with WS(server, t.member_token) as w:
        w.hello()
        w.send('{"type":"ping"}')
        assert w.recv() == '{"type":"pong"}'
        w.send('{"type":"typing"}')  # anything else is ignored
        w.send("not json")
        w.send('{"type":"ping","n":2}')
        assert w.recv() == '{"type":"pong"}'
        w.ping()  # a protocol ping is answered by a protocol pong
        w.send('{"type":"ping"}')
        assert w.recv() == '{"type":"pong"}'


def test_oversized_message_is_closed_1009(server, make_tenant):
    t = make_tenant("wsbig")
    with WS(server, t.member_token) as w:
        w.hello()
        w.send(json.dumps({"type": "ping", "pad": "x" * (70 * 1024)}))
        code, _, _ = w.closed_with()
        assert code == 1009


# ---- back-pressure ----

def raw_connect(server, token, rcvbuf=None):
    """A hand-made WebSocket handshake on a plain socket; only the response head is read."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(TIMEOUT)
    s.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /v1/stream?token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (urllib.parse.quote(token, safe=""), server.port, key)).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # byte by byte: nothing after the head is consumed
        c = s.recv(1)
        assert c, "connection closed during the handshake: %r" % head
        head += c
    return s, head, key


def parse_frames(buf):
    """Complete server frames in buf: [(opcode, payload)]."""
    out, i = [], 0
    while i + 2 <= len(buf):
        b0, b1 = buf[i], buf[i + 1]
        assert not b1 & 0x80, "server frames are not masked"
        n, h = b1 & 0x7F, 2
        if n == 126:
            if i + 4 > len(buf):
                break
            n, h = struct.unpack(">H", buf[i + 2:i + 4])[0], 4
        elif n == 127:
            if i + 10 > len(buf):
                break
            n, h = struct.unpack(">Q", buf[i + 2:i + 10])[0], 10
        if i + h + n > len(buf):
            break
        out.append((b0 & 0x0F, buf[i + h:i + h + n]))
        i += h + n
    return out


class _Users:
    pass


def test_client_that_never_reads_is_dropped_and_memory_stays_bounded(server_factory):
    # A server of its own, so that its RSS is about this test only. Under AddressSanitizer, freed
    # memory sits in a 256 MB quarantine before reuse, which would look like growth: turn it off
    # (the variable is ignored by a normal build).
    asan = os.environ.get("ASAN_OPTIONS", "")
    server = server_factory(env={"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=0"})
    t = _Users()
    t.slug = "default"
    t.admin_token = server.new_user_token("default", "firehose-admin")
    t.member_token = server.new_user_token("default", "firehose-reader")
    t.member = server.me(t.member_token)
    room = create_room(server, t.admin_token, "firehose")
    invite(server, t.admin_token, room["id"], t.member["participant_id"])
    join(server, t.member_token, room["id"])
    slow_token = server.new_user_token(t.slug, "sloth")
    slow_pid = server.me(slow_token)["participant_id"]
    invite(server, t.admin_token, room["id"], slow_pid)
    join(server, slow_token, room["id"])

    N = 5000
    body = "z" * 1200  # ~1.5 KB on the wire: ~7.5 MB for the slow socket in all
    pid = server.proc.pid
    slow, head, _ = raw_connect(server, slow_token, rcvbuf=4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    with WS(server, t.member_token, max_queue=None) as fast:  # reads everything as it comes
        fast.hello()
        # warm up (first sends, statement caches, the WS thread's DB connection) before measuring
        for i in range(20):
            send(server, t.admin_token, room["id"], "warm %d" % i)
        rss0 = rss_kib(pid)

        sent = []
        lock = threading.Lock()

        def sender(k, n):
            s = requests.Session()
            s.headers["Authorization"] = "Bearer " + t.admin_token
            for i in range(n):
                ev = send(server, t.admin_token, room["id"], "%d-%d %s" % (k, i, body), session=s)
                with lock:
                    sent.append(ev["stream_position"])

        threads = [threading.Thread(target=sender, args=(k, N // 8)) for k in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert len(sent) == N

        # the reading client kept up: all N, in order
        got, warm = [], 0
        deadline = time.monotonic() + 60
        while len(got) < N:
            assert time.monotonic() < deadline, "fast reader got %d of %d" % (len(got), N)
            m = fast.recv_json()
            if m["type"] != "swp.room.message":
                continue
            if m["content"]["body"].startswith("warm"):
                warm += 1
                continue
            got.append(m["stream_position"])
        assert got == sorted(sent)

        rss1 = rss_kib(pid)
        assert rss1 - rss0 < 64 * 1024, "server RSS grew by %d KiB" % (rss1 - rss0)

    # the slow socket: the server has closed it (1008 if the close frame got through, else the
    # TCP connection just ends) -- or, if the buffers took everything, it has all N
    slow.settimeout(20)
    data = b""
    ended = False
    t0 = time.monotonic()
    while time.monotonic() - t0 < 20:
        try:
            c = slow.recv(65536)
        except ConnectionResetError:
            ended = True
            break
        except socket.timeout:
            break
        if not c:
            ended = True
            break
        data += c
    slow.close()
    frames = parse_frames(data)
    texts = [json.loads(p) for op, p in frames if op == 1]
    closes = [p for op, p in frames if op == 8]
    msgs = [m for m in texts if m["type"] == "swp.room.message" and not m["content"]["body"].startswith("warm")]
    if closes:
        assert struct.unpack(">H", closes[0][:2])[0] == 1008, closes[0]
    assert ended or len(msgs) == N, "slow socket neither closed nor complete (%d msgs)" % len(msgs)
    assert len(msgs) < N, "expected the server to drop a client that never reads"

    # the server is fine afterwards
    assert server.get("/healthz").status_code == 200
    with WS(server, t.member_token) as again:
        again.hello()


# ---- shutdown ----

def test_sigterm_closes_sockets_1001(server_factory):
    s = server_factory()
    tok = s.new_user_token("default", "wsbye")
    w1 = WS(s, tok)
    w2 = WS(s, tok)
    try:
        w1.hello()
        w2.hello()
        t0 = time.monotonic()
        rc = s.stop()
        took = time.monotonic() - t0
        assert rc == 0, s.stderr_text()[-2000:]
        assert took < 8, "shutdown took %.1f s with open sockets" % took
        for w in (w1, w2):
            code, reason, _ = w.closed_with()
            assert code == 1001, (code, reason)
        assert "upgraded" not in s.stderr_text()  # MHD's complaint about sockets left open
    finally:
        w1.close()
        w2.close()
