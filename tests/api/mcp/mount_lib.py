"""mount_lib: what tests/api/mcp/test_mcp_mount*.py share — the server under test (started with
`--mcp-stdio-allow node` and `--outbound-allow 127.0.0.1`), the fake model, server-everything in
its Streamable HTTP mode, and helpers to register servers, wait for their status, find their
children (each registration carries a unique marker argument, which server-everything and the
fixtures ignore, so `pgrep -f` finds the child) and call their tools. Everything that happens in
the background is awaited by polling with a deadline."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conftest import Server, TenantUsers, ok, unique  # noqa: E402
from test_ai import Fake  # noqa: E402

MCP_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "mcp"))
EVERYTHING = os.path.join(MCP_DIR, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
FLAGS = ["--mcp-stdio-allow", "node", "--outbound-allow", "127.0.0.1"]
WAIT = 60  # seconds, at most, for a background change (a node child starting on a busy host)


@pytest.fixture(scope="module")
def srv():
    if not os.path.exists(EVERYTHING):
        pytest.fail("tests/mcp/node_modules missing: run bash tests/mcp/install.sh (CTest mcp.npm)")
    s = Server(extra_args=FLAGS)
    try:
        s.start()
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def fake():
    f = Fake()
    yield f
    f.close()


def marker():
    return "sw-mcp-test-" + uuid.uuid4().hex[:12]


def everything(sid, mark=None, **extra):
    body = {"id": sid, "transport": "stdio", "command": "node", "args": [EVERYTHING, "stdio", mark or marker()]}
    body.update(extra)
    return body


def pids(mark):
    p = subprocess.run(["pgrep", "-f", mark], capture_output=True, text=True)
    return [int(x) for x in p.stdout.split()]


def register(srv, tok, body):
    v = ok(srv.post("/v1/admin/mcp-servers", tok, json=body), 201)
    assert v["id"] == body["id"] and v["plugin_id"] == "mcp." + body["id"]
    assert v["status"] in (("connecting", "ready") if body.get("enabled", True) else ("disabled",)), v
    return v


def wait_view(srv, tok, sid, pred, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        v = ok(srv.get("/v1/admin/mcp-servers/" + sid, tok))
        if pred(v):
            return v
        if time.monotonic() > deadline:
            raise AssertionError("server %s never matched; last view: %s" % (sid, json.dumps(v)[:2000]))
        time.sleep(0.05)


def ready(srv, tok, sid):
    return wait_view(srv, tok, sid, lambda v: v["status"] == "ready")


def plugin(srv, tok, pid):
    ps = [p for p in ok(srv.get("/v1/admin/plugins", tok)) if p["id"] == pid]
    return ps[0] if ps else None


def call(srv, tok, tool, args, timeout=30):
    return ok(srv.post("/v1/tools/%s/call" % tool, tok, json={"arguments": args}, timeout=timeout))


def mounted(srv, name, **extra):
    """A fresh tenant with server-everything registered as `name`, ready and enabled."""
    t = TenantUsers(srv, unique("mcpm"))
    mark = marker()
    register(srv, t.admin_token, everything(name, mark, **extra))
    ready(srv, t.admin_token, name)
    ok(srv.post("/v1/admin/plugins/mcp.%s/enable" % name, t.admin_token, json={}))
    return t, mark


def ai_room(srv, fake, t):
    from test_ai import Room as AiRoom

    class MountedRoom(AiRoom):
        def __init__(self):  # AiRoom's own tenant setup, but in the tenant t
            self.srv, self.t, self.tok = srv, t, t.admin_token
            body = {"local_id": "helper", "display_name": "Helper", "model": "fake-model", "base_url": fake.base,
                    "api_key": "sk-x"}
            self.ai = ok(srv.post("/v1/admin/participants/model", self.tok, json=body), 201)
            self.room = ok(srv.post("/v1/rooms", self.tok, json={"room_type": "group", "name": "mcp"}), 201)
            ok(srv.post("/v1/rooms/%s/invite" % self.room["id"], self.tok,
                        json={"participant_id": self.ai["participant_id"]}))
            ok(srv.put("/v1/rooms/%s/ai/engagement" % self.room["id"], self.tok, json={"mode": "always"}))
            self.cursor = int(ok(srv.get("/v1/sync", self.tok, params={"timeout": 0}))["next_cursor"])

    return MountedRoom()


FIXTURE = os.path.join(MCP_DIR, "fixture_server.mjs")


def fixture(sid, **extra):
    body = {"id": sid, "transport": "stdio", "command": "node", "args": [FIXTURE, "tools", marker()]}
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def everything_http():
    """server-everything in its Streamable HTTP mode on a free loopback port: its /mcp URL."""
    import socket
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    log = tempfile.TemporaryFile()
    p = subprocess.Popen(["node", EVERYTHING, "streamableHttp"], env=dict(os.environ, PORT=str(port)), cwd=MCP_DIR,
                         stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if p.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("server-everything streamableHttp did not start: %r" % log.read()[-500:])
                time.sleep(0.05)
        yield "http://127.0.0.1:%d/mcp" % port
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def secret_free(srv, secret):
    for root, _, files in os.walk(srv.data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                if secret.encode() in fh.read():
                    return False
    return secret not in srv.stderr_text()


def _stored_config(data_dir, sid):
    import sqlite3
    con = sqlite3.connect(os.path.join(data_dir, "scaiwave.db"), timeout=10)
    try:
        return json.loads(con.execute("SELECT config FROM mcp_servers WHERE id = ?", (sid,)).fetchone()[0])
    finally:
        con.close()
