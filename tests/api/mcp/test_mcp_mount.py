"""MCP servers mounted as tenant plugins (the "MCP client" half of issue 15), against the real
@modelcontextprotocol/server-everything from tests/mcp/node_modules started as a stdio child by
its registration (POST /v1/admin/mcp-servers). The server under test runs with
`--mcp-stdio-allow node` and `--outbound-allow 127.0.0.1` (the fake model is on loopback).

Covers acceptance 1 (stdio: echo and get-sum — this server-everything's "add" — appear in
GET /v1/admin/plugins, are enabled and run from a slash command and from an AI turn with the
fake model) and the API half of acceptance 2 (kill -9 of the child during a call → an error
result, then a restart; a command that keeps crashing → disabled with the reason), plus the
admin API's contract (docs/api.md "MCP servers"): secrets masked and sealed, tenants apart,
DELETE and shutdown leave no process, timeouts, result cuts, error envelopes, tool clashes.

Each registration carries a unique marker argument (server-everything ignores arguments after
its transport name) so the test can find its child with `pgrep -f`. Everything that happens in
the background is awaited by polling with a deadline."""
import json
import os
import signal
import subprocess
import sys
import time
import tempfile
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conftest import Server, TenantUsers, err, ok, unique  # noqa: E402
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


# ---- acceptance 1: the tools appear, are enabled, and run (direct, slash command, AI turn) ----

def test_tools_appear_as_a_plugin_and_run(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, everything("everything"))
    v = ready(srv, tok, "everything")
    names = {x["name"]: x for x in v["tools"]}
    assert names["echo"]["available"] is True and names["get-sum"]["available"] is True
    assert v["status_reason"] is None and v["restarts"] == 0
    p = plugin(srv, tok, "mcp.everything")
    assert p["source"] == "mcp" and p["mcp_server"] == "everything" and p["status"] == "ready"
    assert p["enabled"] is False
    tools = {x["name"]: x for x in p["tools"]}
    assert tools["echo"]["parameters"]["properties"]["message"]["type"] == "string"
    assert tools["get-sum"]["side_effects"] is False  # readOnlyHint: true
    # not enabled yet: the tool is not there for calls
    off = call(srv, tok, "echo", {"message": "x"})
    assert off["is_error"] is True and off["status"] == "denied", off
    en = ok(srv.post("/v1/admin/plugins/mcp.everything/enable", tok, json={}))
    assert en["enabled"] is True and en["status"] == "ready"
    r = call(srv, tok, "echo", {"message": "hi there"})
    assert r["status"] == "ok" and r["is_error"] is False and r["result"] == "Echo: hi there"
    assert r["plugin_id"] == "mcp.everything"
    r = call(srv, tok, "get-sum", {"a": 2, "b": 40})
    assert r["result"] == "The sum of 2 and 40 is 42."
    # the dispatcher validates against the server's inputSchema before the server sees it
    bad = call(srv, tok, "get-sum", {"a": "two", "b": 1})
    assert bad["is_error"] is True and bad["status"] == "error" and "a" in bad["result"], bad
    # a members' view lists it too
    assert "mcp.everything" in [x["id"] for x in ok(srv.get("/v1/plugins", t.member_token))]
    audit = ok(srv.get("/v1/admin/audit", tok, params={"tool": "get-sum"}))
    assert [a["status"] for a in audit] == ["error", "ok"] and audit[0]["detail"].startswith("invalid argum")
    assert {a["plugin_id"] for a in audit} == {"mcp.everything"}


def test_slash_commands_run_mounted_tools(srv):
    from test_slash import Room as SlashRoom
    t, _ = mounted(srv, "ev")
    room = SlashRoom(srv, t, enable=False)
    _, reply = room.run("/echo hello from a room")
    assert reply["content"]["msgtype"] == "swp.tool_result", reply
    assert reply["sender_id"] == "plugin:mcp.ev"
    assert "Echo: hello from a room" in json.dumps(reply["content"])
    _, reply = room.run("/get-sum 19 23")
    assert reply["content"]["msgtype"] == "swp.tool_result", reply
    assert "The sum of 19 and 23 is 42." in json.dumps(reply["content"])


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


def test_an_ai_turn_calls_a_mounted_tool(srv, fake):
    t, _ = mounted(srv, "ev")
    fake.script({"tool_calls": [{"id": "c1", "name": "get-sum", "arguments": json.dumps({"a": 20, "b": 22})}],
                 "finish_reason": "tool_calls"},
                {"content": "It is 42."})
    r = ai_room(srv, fake, t)
    r.say("What is 20 + 22?")
    assert r.ai_answer()["content"]["body"] == "It is 42."
    reqs = fake.requests()
    assert len(reqs) == 2
    offered = [x["function"] for x in reqs[0]["body"]["tools"]]
    gs = [f for f in offered if f["name"] == "get-sum"][0]
    assert gs["parameters"]["required"] == ["a", "b"]
    assert "echo" in [f["name"] for f in offered]
    tool_msgs = [m for m in reqs[1]["body"]["messages"] if m["role"] == "tool"]
    assert tool_msgs == [{"role": "tool", "tool_call_id": "c1", "content": "The sum of 20 and 22 is 42."}]
    audit = ok(srv.get("/v1/admin/audit", t.admin_token, params={"tool": "get-sum"}))
    assert audit[0]["caller_id"] == r.ai["participant_id"] and audit[0]["status"] == "ok"


def test_stop_in_a_room_cancels_the_mcp_call(srv, fake):
    from test_stream import WS
    t, _ = mounted(srv, "ev")
    fake.script({"tool_calls": [{"id": "c1", "name": "trigger-long-running-operation",
                                 "arguments": json.dumps({"duration": 60, "steps": 60})}],
                 "finish_reason": "tool_calls"},
                {"content": "never mind"})
    r = ai_room(srv, fake, t)
    with WS(srv, r.tok) as ws:
        ws.hello()
        r.say("run the long thing")
        ws.until(lambda m: m["type"] == "swp.tool.call" and m["content"].get("status") == "running")
        t0 = time.monotonic()
        assert ok(srv.post("/v1/rooms/%s/ai/stop" % r.room["id"], r.tok, json={}))["stopped"] == 1
        done, _ = ws.until(lambda m: m["type"] == "swp.tool.call" and m["content"].get("status") != "running")
        assert done["content"]["status"] in ("cancelled", "error"), done
        assert time.monotonic() - t0 < 20  # far below the 60 s the operation would take
    audit = ok(srv.get("/v1/admin/audit", r.tok, params={"tool": "trigger-long-running-operation"}))
    assert audit and audit[0]["detail"] == "cancelled", audit[:1]
    # the session survived the cancellation (notifications/cancelled, not a dead child)
    assert ok(srv.get("/v1/admin/mcp-servers/ev", r.tok))["status"] == "ready"
    assert call(srv, r.tok, "echo", {"message": "still here"})["result"] == "Echo: still here"


# ---- acceptance 2 (API half): crashes ----

def test_kill_9_during_a_call_gives_an_error_result_and_a_restart(srv, fake):
    from test_stream import WS
    t, mark = mounted(srv, "ev")
    tok = t.admin_token
    (pid,) = pids(mark)
    assert os.getpgid(pid) == pid  # the child leads its own process group
    fake.script({"tool_calls": [{"id": "c1", "name": "trigger-long-running-operation",
                                 "arguments": json.dumps({"duration": 60, "steps": 60})}],
                 "finish_reason": "tool_calls"},
                {"content": "the tool failed"})
    r = ai_room(srv, fake, t)
    with WS(srv, tok) as ws:
        ws.hello()
        r.say("run the long thing")
        ws.until(lambda m: m["type"] == "swp.tool.call" and m["content"].get("status") == "running")
        os.kill(pid, signal.SIGKILL)
        done, _ = ws.until(lambda m: m["type"] == "swp.tool.call" and m["content"].get("status") != "running",
                           timeout=30)
    assert done["content"]["status"] == "error", done
    assert r.ai_answer()["content"]["body"] == "the tool failed"
    tool_msgs = [m for m in fake.requests()[1]["body"]["messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 1 and "Fallback suggestions:" in tool_msgs[0]["content"], tool_msgs
    v = wait_view(srv, tok, "ev", lambda v: v["status"] == "ready" and v["restarts"] == 1)
    assert v["status_reason"] is None
    (pid2,) = pids(mark)
    assert pid2 != pid
    assert call(srv, tok, "echo", {"message": "back"})["result"] == "Echo: back"


def test_a_command_that_keeps_crashing_is_disabled_with_the_reason(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, {"id": "crashy", "transport": "stdio", "command": "node",
                        "args": ["-e", "process.exit(3)", marker()]})
    register(srv, tok, everything("fine"))  # one failing server never hides another
    v = wait_view(srv, tok, "crashy", lambda v: v["status"] == "disabled", timeout=90)
    assert v["restarts"] == 3
    assert "3 crashes in 10 minutes" in v["status_reason"], v["status_reason"]
    assert "exit" in v["status_reason"] or "status" in v["status_reason"], v["status_reason"]
    p = plugin(srv, tok, "mcp.crashy")
    assert p["status"] == "disabled" and p["tools"] == []
    ready(srv, tok, "fine")
    ok(srv.post("/v1/admin/plugins/mcp.fine/enable", tok, json={}))
    assert call(srv, tok, "echo", {"message": "beside"})["result"] == "Echo: beside"
    # reconnect re-enables it (and it crashes again, counting from zero)
    rc = ok(srv.post("/v1/admin/mcp-servers/crashy/reconnect", tok, json={}), 202)
    assert rc["status"] == "connecting" and rc["restarts"] == 0
    wait_view(srv, tok, "crashy", lambda v: v["restarts"] >= 1)


# ---- the admin API's contract ----

def test_secrets_are_masked_sealed_and_reach_the_child(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    secret = "s3cr3t-" + uuid.uuid4().hex
    v = register(srv, tok, everything("envy", env={"API_TOKEN": secret, "EMPTY": ""}))
    assert v["env"] == {"API_TOKEN": "********", "EMPTY": ""}
    assert secret not in json.dumps(v)
    ready(srv, tok, "envy")
    assert secret not in json.dumps(ok(srv.get("/v1/admin/mcp-servers", tok)))
    assert secret not in json.dumps(plugin(srv, tok, "mcp.envy"))
    for root, _, files in os.walk(srv.data_dir):  # sealed at rest: not in the store, WAL included
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert secret.encode() not in fh.read(), f
    # PATCH: the mask keeps the stored value, a string sets, null removes
    v = ok(srv.request("PATCH", "/v1/admin/mcp-servers/envy", tok,
                       json={"env": {"API_TOKEN": "********", "EMPTY": None, "MORE": "x"}}))
    assert v["env"] == {"API_TOKEN": "********", "MORE": "********"}
    ready(srv, tok, "envy")
    ok(srv.post("/v1/admin/plugins/mcp.envy/enable", tok, json={}))
    env = json.loads(call(srv, tok, "get-env", {})["result"])
    assert env["API_TOKEN"] == secret and env["MORE"] == "x" and "EMPTY" not in env
    # a clean environment: nothing of the server's own
    assert not [k for k in env if k.startswith("SCAIWAVE") or k.startswith("SW_")], sorted(env)
    assert secret not in srv.stderr_text() and secret not in srv.stdout_text()


def test_another_tenant_sees_nothing(srv):
    a, _ = mounted(srv, "ev")
    b = TenantUsers(srv, unique("mcpm"))
    assert ok(srv.get("/v1/admin/mcp-servers", b.admin_token)) == []
    err(srv.get("/v1/admin/mcp-servers/ev", b.admin_token), 404, "SW_NOT_FOUND")
    err(srv.request("PATCH", "/v1/admin/mcp-servers/ev", b.admin_token, json={"timeout_ms": 1000}), 404,
        "SW_NOT_FOUND")
    err(srv.post("/v1/admin/mcp-servers/ev/reconnect", b.admin_token, json={}), 404, "SW_NOT_FOUND")
    err(srv.request("DELETE", "/v1/admin/mcp-servers/ev", b.admin_token), 404, "SW_NOT_FOUND")
    assert plugin(srv, b.admin_token, "mcp.ev") is None
    err(srv.post("/v1/admin/plugins/mcp.ev/enable", b.admin_token, json={}), 404, "SW_PLUGIN_NOT_FOUND")
    r = call(srv, b.admin_token, "echo", {"message": "x"})
    assert r["is_error"] is True and "Echo" not in r["result"], r
    # the same id in tenant B is its own registration
    register(srv, b.admin_token, everything("ev"))
    assert ok(srv.get("/v1/admin/mcp-servers/ev", a.admin_token))["status"] == "ready"
    assert len(ok(srv.get("/v1/admin/mcp-servers", b.admin_token))) == 1


def test_delete_leaves_no_process_and_no_plugin(srv):
    t, mark = mounted(srv, "gone")
    tok = t.admin_token
    (pid,) = pids(mark)
    r = srv.request("DELETE", "/v1/admin/mcp-servers/gone", tok)
    assert r.status_code == 204 and r.content == b""
    assert pids(mark) == []
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # the whole process group is gone when DELETE answers
    assert plugin(srv, tok, "mcp.gone") is None
    err(srv.get("/v1/admin/mcp-servers/gone", tok), 404, "SW_NOT_FOUND")
    r = call(srv, tok, "echo", {"message": "x"})
    assert r["is_error"] is True and "Echo" not in r["result"], r
    # registering it again starts from scratch (the old plugin state went with it)
    register(srv, tok, everything("gone", mark))
    ready(srv, tok, "gone")
    assert plugin(srv, tok, "mcp.gone")["enabled"] is False


def test_shutdown_stops_every_child():
    s = Server(extra_args=FLAGS)
    try:
        s.start()
        mark = marker()
        register(s, s.admin_token, everything("ev", mark))
        ready(s, s.admin_token, "ev")
        (pid,) = pids(mark)
        assert s.stop() == 0
        assert pids(mark) == []
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
        # and a restart brings it back from the store
        s.restart()
        ready(s, s.admin_token, "ev")
        assert len(pids(mark)) == 1
    finally:
        s.close()


def test_a_hung_call_ends_at_the_timeout(srv):
    t, _ = mounted(srv, "slow", timeout_ms=1500, max_timeout_ms=1500)
    tok = t.admin_token
    t0 = time.monotonic()
    # one step of 30 s: no progress arrives within the 1.5 s timeout
    r = call(srv, tok, "trigger-long-running-operation", {"duration": 30, "steps": 1})
    assert time.monotonic() - t0 < 20
    assert r["is_error"] is True, r
    assert "1500 ms" in r["result"] or "timed out" in r["result"] or "timeout" in r["result"], r["result"]
    assert "Fallback suggestions:" in r["result"]
    # the session is still usable (the request was cancelled, not the child)
    assert call(srv, tok, "echo", {"message": "ok"})["result"] == "Echo: ok"
    assert ok(srv.get("/v1/admin/mcp-servers/slow", tok))["restarts"] == 0


def test_progress_extends_a_call_up_to_the_maximum(srv):
    t, _ = mounted(srv, "prog", timeout_ms=1500, max_timeout_ms=60000)
    # 4 steps of 1 s: each progress restarts the 1.5 s wait, so the 4 s operation completes
    r = call(srv, t.admin_token, "trigger-long-running-operation", {"duration": 4, "steps": 4})
    assert r["is_error"] is False, r
    assert "Long running operation completed" in r["result"]


def test_a_result_over_max_result_bytes_is_cut_with_a_note(srv):
    t, _ = mounted(srv, "small", max_result_bytes=300)
    msg = "é" * 400  # two bytes each: the cut must not split one
    r = call(srv, t.admin_token, "echo", {"message": msg})
    assert r["is_error"] is False
    assert len(r["result"].encode()) < 600
    assert r["result"].startswith("Echo: éé")
    assert "cut" in r["result"] or "truncated" in r["result"], r["result"][-200:]
    assert "300" in r["result"]


def test_error_results_and_placeholders(srv):
    t, _ = mounted(srv, "ev")
    tok = t.admin_token
    img = call(srv, tok, "get-tiny-image", {})
    assert "[image: image/png]" in img["result"], img["result"][:500]
    assert len(img["result"]) < 2000  # no base64 blob in the conversation
    # the server's own refusal (unknown tool name forced through tools/call is not possible via
    # the dispatcher, so use an argument the server rejects): a JSON-RPC or isError result
    r = call(srv, tok, "gzip-file-as-resource", {"name": "x.gz", "data": "not-a-url-at-all"})
    assert r["is_error"] is True, r
    assert "Fallback suggestions:" in r["result"]


def test_bad_input_envelopes(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token

    def post(body):
        return srv.post("/v1/admin/mcp-servers", tok, json=body)

    def field(r, name):
        e = err(r, 422, "SW_VALIDATION")
        assert e["details"]["field"] == name, e
        return e

    field(post({"transport": "stdio", "command": "node"}), "id")
    field(post({"id": "Bad Id", "transport": "stdio", "command": "node"}), "id")
    field(post({"id": "a" * 41, "transport": "stdio", "command": "node"}), "id")
    field(post({"id": "x", "transport": "carrier-pigeon", "command": "node"}), "transport")
    field(post({"id": "x", "transport": "stdio"}), "command")
    field(post({"id": "x", "transport": "stdio", "command": "node", "url": "http://127.0.0.1:1/"}), "url")
    field(post({"id": "x", "transport": "stdio", "command": "node", "args": "not-a-list"}), "args")
    field(post({"id": "x", "transport": "stdio", "command": "node", "args": [1]}), "args")
    field(post({"id": "x", "transport": "stdio", "command": "node", "env": {"BAD-NAME": "v"}}), "env.BAD-NAME")
    field(post({"id": "x", "transport": "stdio", "command": "node", "timeout_ms": "soon"}), "timeout_ms")
    field(post({"id": "x", "transport": "stdio", "command": "node", "timeout_ms": 0}), "timeout_ms")
    field(post({"id": "x", "transport": "http"}), "url")
    field(post({"id": "x", "transport": "http", "url": "ftp://example.com/"}), "url")
    field(post({"id": "x", "transport": "http", "url": "http://127.0.0.1:1/mcp", "command": "node"}), "command")
    field(post({"id": "x", "transport": "stdio", "command": "node", "enabled": "yes"}), "enabled")
    e = err(post({"id": "x", "transport": "stdio", "command": "bash", "args": ["-c", "id"]}), 403, "SW_FORBIDDEN")
    assert "--mcp-stdio-allow" in e["message"], e
    e = err(post({"id": "x", "transport": "stdio", "command": "/bin/sh"}), 403, "SW_FORBIDDEN")
    err(srv.post("/v1/admin/mcp-servers", tok, data="{not json", headers={"Content-Type": "application/json"}),
        400, "SW_BAD_REQUEST")
    err(srv.post("/v1/admin/mcp-servers", tok, json=[1, 2]), 400, "SW_BAD_REQUEST")
    assert ok(srv.get("/v1/admin/mcp-servers", tok)) == []  # nothing was stored
    register(srv, tok, everything("dup"))
    err(post(everything("dup")), 409, "SW_CONFLICT")
    # PATCH: id and transport are fixed; bad values name the field; unknown ids 404
    field(srv.request("PATCH", "/v1/admin/mcp-servers/dup", tok, json={"transport": "http"}), "transport")
    field(srv.request("PATCH", "/v1/admin/mcp-servers/dup", tok, json={"id": "other"}), "id")
    field(srv.request("PATCH", "/v1/admin/mcp-servers/dup", tok, json={"max_timeout_ms": 200, "timeout_ms": 5000}),
          "max_timeout_ms")
    err(srv.request("PATCH", "/v1/admin/mcp-servers/dup", tok, json={"command": "bash"}), 403, "SW_FORBIDDEN")
    err(srv.request("PATCH", "/v1/admin/mcp-servers/nope", tok, json={}), 404, "SW_NOT_FOUND")
    err(srv.get("/v1/admin/mcp-servers/nope", tok), 404, "SW_NOT_FOUND")
    err(srv.request("DELETE", "/v1/admin/mcp-servers/nope", tok), 404, "SW_NOT_FOUND")
    err(srv.post("/v1/admin/mcp-servers/nope/reconnect", tok, json={}), 404, "SW_NOT_FOUND")
    # members are not admins
    err(srv.get("/v1/admin/mcp-servers", t.member_token), 403, "SW_AUTH_INSUFFICIENT_PERMISSION")
    err(srv.post("/v1/admin/mcp-servers", t.member_token, json=everything("m")), 403,
        "SW_AUTH_INSUFFICIENT_PERMISSION")
    err(srv.get("/v1/admin/mcp-servers"), 401, "SW_AUTH_INVALID_TOKEN")


def test_patch_restarts_and_disabling_stops_the_child(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    mark = marker()
    register(srv, tok, everything("pat", mark))
    ready(srv, tok, "pat")
    (pid,) = pids(mark)
    v = ok(srv.request("PATCH", "/v1/admin/mcp-servers/pat", tok, json={"enabled": False}))
    assert v["enabled"] is False
    v = wait_view(srv, tok, "pat", lambda v: v["status"] == "disabled")
    assert "enabled: false" in v["status_reason"]
    deadline = time.monotonic() + WAIT
    while pids(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids(mark) == []
    v = ok(srv.request("PATCH", "/v1/admin/mcp-servers/pat", tok, json={"enabled": True, "timeout_ms": 5000}))
    assert v["timeout_ms"] == 5000 and v["enabled"] is True
    ready(srv, tok, "pat")
    (pid2,) = pids(mark)
    assert pid2 != pid


def test_a_tool_name_clash_is_409(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, everything("one"))
    register(srv, tok, everything("two"))
    ready(srv, tok, "one")
    ready(srv, tok, "two")
    ok(srv.post("/v1/admin/plugins/mcp.one/enable", tok, json={}))
    e = err(srv.post("/v1/admin/plugins/mcp.two/enable", tok, json={}), 409, "SW_PLUGIN_TOOL_CONFLICT")
    assert e["details"]["conflicting_plugin"] == "mcp.one" and e["details"]["tool"], e
    assert plugin(srv, tok, "mcp.two")["enabled"] is False
    # after disabling the first, the second can be enabled
    ok(srv.post("/v1/admin/plugins/mcp.one/disable", tok, json={}))
    assert ok(srv.post("/v1/admin/plugins/mcp.two/enable", tok, json={}))["enabled"] is True
    assert call(srv, tok, "echo", {"message": "two"})["plugin_id"] == "mcp.two"


def test_tool_policies_apply_to_mounted_tools(srv):
    t, _ = mounted(srv, "pol")
    tok = t.admin_token
    p = ok(srv.put("/v1/admin/plugins/mcp.pol/config", tok, json={"tool_policies": {"echo": "ask"}}))
    assert [x for x in p["tools"] if x["name"] == "echo"][0]["approval_policy"] == "ask"
    err(srv.put("/v1/admin/plugins/mcp.pol/config", tok, json={"tool_policies": {"nope": "ask"}}), 422,
        "SW_VALIDATION")


def test_a_command_the_operator_no_longer_allows_does_not_start():
    """The allow-list is checked at every start, not only at registration: after a restart
    without --mcp-stdio-allow the stored registration fails with the reason and runs nothing."""
    s = Server(extra_args=FLAGS)
    s2 = None
    try:
        s.start()
        mark = marker()
        register(s, s.admin_token, everything("ev", mark))
        ready(s, s.admin_token, "ev")
        assert s.stop() == 0
        s2 = Server(extra_args=["--outbound-allow", "127.0.0.1"], data_dir=s.data_dir)
        s2.start()
        v = wait_view(s2, s2.admin_token, "ev", lambda v: v["status"] in ("failed", "disabled"))
        assert "--mcp-stdio-allow" in v["status_reason"], v
        assert pids(mark) == []
    finally:
        if s2:
            s2.close()
        s.close()


# ---- tests/mcp/fixture_server.mjs: what server-everything cannot show ----

FIXTURE = os.path.join(MCP_DIR, "fixture_server.mjs")


def fixture(sid, **extra):
    body = {"id": sid, "transport": "stdio", "command": "node", "args": [FIXTURE, "tools", marker()]}
    body.update(extra)
    return body


def test_tools_from_every_page_and_a_list_changed_refresh(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, fixture("fx"))
    v = ready(srv, tok, "fx")
    # the fixture lists two tools per page (nextCursor): all nine arrive
    assert [x["name"] for x in v["tools"]] == ["echo", "slow", "last-cancel", "env", "fds", "big", "garbage", "ask",
                                                "add-tool"]
    ok(srv.post("/v1/admin/plugins/mcp.fx/enable", tok, json={}))
    assert call(srv, tok, "add-tool", {"name": "fresh"})["result"] == "added"
    # notifications/tools/list_changed: the plugin is rebuilt with the new tool, still enabled
    wait_view(srv, tok, "fx", lambda v: "fresh" in [x["name"] for x in v["tools"]])
    p = plugin(srv, tok, "mcp.fx")
    assert "fresh" in [x["name"] for x in p["tools"]] and p["enabled"] is True
    r = call(srv, tok, "fresh", {})
    assert r["plugin_id"] == "mcp.fx" and r["is_error"] is True and "unknown tool fresh" in r["result"], r
    # garbage on the child's stdout does not break the session
    assert call(srv, tok, "garbage", {})["result"] == "after garbage"
    assert call(srv, tok, "echo", {"message": "m"})["result"] == "Echo: m"


def test_the_server_gets_notifications_cancelled_at_the_timeout(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, fixture("fx", timeout_ms=1000, max_timeout_ms=1000))
    ready(srv, tok, "fx")
    ok(srv.post("/v1/admin/plugins/mcp.fx/enable", tok, json={}))
    assert call(srv, tok, "last-cancel", {})["result"] == ""
    r = call(srv, tok, "slow", {"ms": 30000})
    assert r["is_error"] is True and "timed out after 1000 ms" in r["result"], r
    # the child saw the cancellation (the SDK aborts the handler on notifications/cancelled)
    deadline = time.monotonic() + WAIT
    while call(srv, tok, "last-cancel", {})["result"] == "":
        assert time.monotonic() < deadline, "the MCP server never saw notifications/cancelled"
        time.sleep(0.05)


def test_stop_in_a_room_reaches_the_mcp_server_as_a_cancellation(srv, fake):
    from test_stream import WS
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, fixture("fx"))
    ready(srv, tok, "fx")
    ok(srv.post("/v1/admin/plugins/mcp.fx/enable", tok, json={}))
    ok(srv.put("/v1/admin/plugins/mcp.fx/config", tok, json={"tool_policies": {"slow": "auto_run_everywhere"}}))
    fake.script({"tool_calls": [{"id": "c1", "name": "slow", "arguments": json.dumps({"ms": 60000})}],
                 "finish_reason": "tool_calls"},
                {"content": "stopped"})
    r = ai_room(srv, fake, t)
    with WS(srv, tok) as ws:
        ws.hello()
        r.say("sleep a minute")
        ws.until(lambda m: m["type"] == "swp.tool.call" and m["content"].get("status") == "running")
        ok(srv.post("/v1/rooms/%s/ai/stop" % r.room["id"], tok, json={}))
        ws.until(lambda m: m["type"] == "swp.tool.call" and m["content"].get("status") != "running")
    deadline = time.monotonic() + WAIT
    while call(srv, tok, "last-cancel", {})["result"] == "":
        assert time.monotonic() < deadline, "Stop never reached the MCP server as notifications/cancelled"
        time.sleep(0.05)


def test_schemas_from_the_wild(srv):
    """2020-12 schemas with pattern, format, if/then/else, $defs, patternProperties and unknown
    keywords mount and validate; a tool whose schema cannot be compiled is listed unavailable
    with the reason, and its siblings still work."""
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, {"id": "sch", "transport": "stdio", "command": "node",
                        "args": [os.path.join(MCP_DIR, "mount_schema_server.mjs"), marker()]})
    v = ready(srv, tok, "sch")
    tools = {x["name"]: x for x in v["tools"]}
    assert tools["airport"] == {"name": "airport", "available": True}
    assert tools["shape"]["available"] is True
    assert tools["broken"]["available"] is False and "strin" in tools["broken"]["reason"], tools["broken"]
    assert tools["remote"]["available"] is False and "$ref" in tools["remote"]["reason"], tools["remote"]
    p = plugin(srv, tok, "mcp.sch")
    listed = {x["name"]: x for x in p["tools"]}
    assert sorted(listed) == ["airport", "shape"]
    assert listed["airport"]["side_effects"] is False and listed["shape"]["side_effects"] is True
    ok(srv.post("/v1/admin/plugins/mcp.sch/enable", tok, json={}))
    assert call(srv, tok, "airport", {"code": "AMS"})["result"] == 'airport {"code":"AMS"}'
    bad = call(srv, tok, "airport", {"code": "amsterdam"})
    assert bad["is_error"] is True and "code" in bad["result"] and "pattern" in bad["result"], bad
    assert call(srv, tok, "airport", {"code": "AMS", "when": "not a date"})["is_error"] is False  # format: annotation
    assert call(srv, tok, "shape", {"kind": "circle", "r": 2, "tag_x": "y"})["is_error"] is False
    for args in ({"kind": "circle", "side": 2}, {"kind": "square", "side": -1}, {"kind": "circle", "r": 1, "tag_x": 5}):
        r = call(srv, tok, "shape", args)
        assert r["is_error"] is True and r["status"] == "error", (args, r)
    r = call(srv, tok, "broken", {"a": "x"})
    assert r["is_error"] is True and "broken {" not in r["result"]


# ---- acceptance 1 over Streamable HTTP: server-everything's streamableHttp mode ----

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


def test_streamable_http_tools_appear_and_run(srv, fake, everything_http):
    from test_slash import Room as SlashRoom
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    v = register(srv, tok, {"id": "evhttp", "transport": "http", "url": everything_http,
                            "headers": {"Authorization": "Bearer not-checked-by-everything", "X-Empty": ""}})
    assert v["headers"] == {"Authorization": "********", "X-Empty": ""} and v["command"] is None
    v = ready(srv, tok, "evhttp")
    names = {x["name"] for x in v["tools"] if x["available"]}
    assert {"echo", "get-sum"} <= names
    p = plugin(srv, tok, "mcp.evhttp")
    assert p["source"] == "mcp" and p["mcp_server"] == "evhttp" and p["status"] == "ready"
    ok(srv.post("/v1/admin/plugins/mcp.evhttp/enable", tok, json={}))
    assert call(srv, tok, "echo", {"message": "over http"})["result"] == "Echo: over http"
    assert call(srv, tok, "get-sum", {"a": 1, "b": 2})["result"] == "The sum of 1 and 2 is 3."
    # an answer that comes as an SSE stream with progress notifications before the result
    r = call(srv, tok, "trigger-long-running-operation", {"duration": 2, "steps": 4})
    assert r["is_error"] is False and "Long running operation completed" in r["result"], r
    room = SlashRoom(srv, t, enable=False)
    _, reply = room.run("/echo via slash over http")
    assert reply["sender_id"] == "plugin:mcp.evhttp"
    assert "Echo: via slash over http" in json.dumps(reply["content"])
    fake.script({"tool_calls": [{"id": "h1", "name": "get-sum", "arguments": json.dumps({"a": 40, "b": 2})}],
                 "finish_reason": "tool_calls"},
                {"content": "42 it is."})
    r = ai_room(srv, fake, t)
    r.say("add 40 and 2")
    assert r.ai_answer()["content"]["body"] == "42 it is."
    tool_msgs = [m for m in fake.requests()[1]["body"]["messages"] if m["role"] == "tool"]
    assert tool_msgs == [{"role": "tool", "tool_call_id": "h1", "content": "The sum of 40 and 2 is 42."}]
    assert secret_free(srv, "not-checked-by-everything")
    r = srv.request("DELETE", "/v1/admin/mcp-servers/evhttp", tok)
    assert r.status_code == 204
    assert plugin(srv, tok, "mcp.evhttp") is None


def secret_free(srv, secret):
    for root, _, files in os.walk(srv.data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                if secret.encode() in fh.read():
                    return False
    return secret not in srv.stderr_text()


def test_streamable_http_follows_the_outbound_address_rules(everything_http):
    """Without --outbound-allow, a loopback MCP URL is refused like any tenant's outbound HTTP:
    the registration is stored, the server stays failed with the reason, nothing is mounted."""
    s = Server(extra_args=["--mcp-stdio-allow", "node"])
    try:
        s.start()
        register(s, s.admin_token, {"id": "lo", "transport": "http", "url": everything_http})
        v = wait_view(s, s.admin_token, "lo", lambda v: v["status"] == "failed")
        assert "loopback" in v["status_reason"] and "--outbound-allow" in v["status_reason"], v
        assert plugin(s, s.admin_token, "mcp.lo")["tools"] == []
    finally:
        s.close()


def _stored_config(data_dir, sid):
    import sqlite3
    con = sqlite3.connect(os.path.join(data_dir, "scaiwave.db"), timeout=10)
    try:
        return json.loads(con.execute("SELECT config FROM mcp_servers WHERE id = ?", (sid,)).fetchone()[0])
    finally:
        con.close()


def test_secret_rotate_reseals_mcp_secrets_and_keeps_them_usable():
    s = Server(extra_args=FLAGS)
    try:
        s.start()
        secret = "rot-" + uuid.uuid4().hex
        register(s, s.admin_token, everything("envy", env={"API_TOKEN": secret}))
        ready(s, s.admin_token, "envy")
        ok(s.post("/v1/admin/plugins/mcp.envy/enable", s.admin_token, json={}))
        old = _stored_config(s.data_dir, "envy")["env"]["API_TOKEN"]
        assert old.startswith("swenc:v1:")
        assert s.stop() == 0
        p = s.cli("secret", "rotate")
        assert "secret key rotated" in p.stdout and "1 stored row(s) re-encrypted" in p.stdout, p.stdout
        new = _stored_config(s.data_dir, "envy")["env"]["API_TOKEN"]
        assert new.startswith("swenc:v1:") and new.split(":")[2] != old.split(":")[2]
        s.start()
        ready(s, s.admin_token, "envy")
        env = json.loads(call(s, s.admin_token, "get-env", {})["result"])
        assert env["API_TOKEN"] == secret
    finally:
        s.close()


def test_a_server_that_never_answers_initialize_blocks_nothing(srv):
    """A hanging server stays `connecting` in the background: requests answer at once, the
    others work, and DELETE ends the wait and its process without waiting for the connect
    timeout (30 s)."""
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    mark = marker()
    register(srv, tok, {"id": "mute", "transport": "stdio", "command": "node", "args": [FIXTURE, "silent", mark]})
    register(srv, tok, everything("fine"))
    ready(srv, tok, "fine")
    assert ok(srv.get("/v1/admin/mcp-servers/mute", tok))["status"] == "connecting"
    assert plugin(srv, tok, "mcp.mute")["status"] == "connecting"
    deadline = time.monotonic() + WAIT
    while not pids(mark):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    t0 = time.monotonic()
    r = srv.request("DELETE", "/v1/admin/mcp-servers/mute", tok)
    assert r.status_code == 204
    assert time.monotonic() - t0 < 10  # far below the 30 s connect timeout
    assert pids(mark) == []
    # a PATCH of a hanging one restarts it at once as well
    mark2 = marker()
    register(srv, tok, {"id": "mute2", "transport": "stdio", "command": "node", "args": [FIXTURE, "silent", mark2]})
    while not pids(mark2):
        assert time.monotonic() < deadline + WAIT
        time.sleep(0.05)
    (first,) = pids(mark2)
    ok(srv.request("PATCH", "/v1/admin/mcp-servers/mute2", tok, json={"timeout_ms": 2000}))
    deadline = time.monotonic() + 10
    while pids(mark2) in ([], [first]):
        assert time.monotonic() < deadline, "the hanging connect was not given up on PATCH"
        time.sleep(0.05)


def test_a_tenant_has_at_most_64_servers(srv):
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    for i in range(64):  # disabled: no process is started
        register(srv, tok, everything("s%02d" % i, enabled=False))
    e = err(srv.post("/v1/admin/mcp-servers", tok, json=everything("s64", enabled=False)), 409, "SW_CONFLICT")
    assert "64" in e["message"]
    views = ok(srv.get("/v1/admin/mcp-servers", tok))
    assert len(views) == 64 and {v["status"] for v in views} == {"disabled"}
    assert len([p for p in ok(srv.get("/v1/admin/plugins", tok)) if p["source"] == "mcp"]) == 64
    assert srv.request("DELETE", "/v1/admin/mcp-servers/s00", tok).status_code == 204
    register(srv, tok, everything("s64", enabled=False))


def test_room_toggles_apply_to_mounted_plugins(srv):
    from test_slash import Room as SlashRoom
    t, _ = mounted(srv, "ev")
    room = SlashRoom(srv, t, enable=False)
    r = srv.post("/v1/rooms/%s/plugins/mcp.ev/toggle" % room.id, t.admin_token, json={"enabled": False})
    assert ok(r) == {"room_id": room.id, "plugin_id": "mcp.ev", "enabled": False}
    _, reply = room.run("/echo hidden")
    assert reply["content"]["msgtype"] == "swp.system" and "mcp.ev" in reply["content"]["body"], reply
    assert "Echo: hidden" not in json.dumps(reply["content"])
    ok(srv.post("/v1/rooms/%s/plugins/mcp.ev/toggle" % room.id, t.admin_token, json={"enabled": True}))
    _, reply = room.run("/echo shown")
    assert "Echo: shown" in json.dumps(reply["content"])
    err(srv.post("/v1/rooms/%s/plugins/mcp.nope/toggle" % room.id, t.admin_token, json={"enabled": False}), 404,
        "SW_PLUGIN_NOT_FOUND")


def test_a_side_effecting_mcp_tool_waits_for_approval(srv, fake):
    """No readOnlyHint: the tool is side-effecting, so an AI's call in a room shared by two
    people waits for the initiator's approval (default policy auto_run_in_dm) and runs only once
    approved."""
    t = TenantUsers(srv, unique("mcpm"))
    tok = t.admin_token
    register(srv, tok, fixture("fx"))
    ready(srv, tok, "fx")
    ok(srv.post("/v1/admin/plugins/mcp.fx/enable", tok, json={}))
    p = plugin(srv, tok, "mcp.fx")
    echo = [x for x in p["tools"] if x["name"] == "echo"][0]
    assert echo["side_effects"] is True and echo["approval_policy"] == "auto_run_in_dm"
    fake.script({"tool_calls": [{"id": "a1", "name": "echo", "arguments": json.dumps({"message": "approved"})}],
                 "finish_reason": "tool_calls"},
                {"content": "done"})
    r = ai_room(srv, fake, t)
    # two people in the room: not a DM any more
    ok(srv.post("/v1/rooms/%s/invite" % r.room["id"], tok, json={"participant_id": t.member["participant_id"]}))
    ok(srv.post("/v1/rooms/%s/join" % r.room["id"], t.member_token, json={}))
    r.say("echo something")
    deadline = time.monotonic() + WAIT
    while not ok(srv.get("/v1/queue/hitl", tok)):
        assert time.monotonic() < deadline, "no approval request"
        time.sleep(0.05)
    (req,) = ok(srv.get("/v1/queue/hitl", tok))
    assert req["plugin_id"] == "mcp.fx" and req["tool"] == "echo", req
    assert len(fake.requests()) == 1  # parked: the model has not been asked again
    ok(srv.post("/v1/queue/hitl/%s/approve" % req["id"], tok, json={}))
    assert r.ai_answer()["content"]["body"] == "done"
    tool_msgs = [m for m in fake.requests()[1]["body"]["messages"] if m["role"] == "tool"]
    assert tool_msgs == [{"role": "tool", "tool_call_id": "a1", "content": "Echo: approved"}]
