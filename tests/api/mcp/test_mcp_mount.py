"""MCP servers mounted as tenant plugins (the "MCP client" half of issue 15): the acceptance
criteria against the real @modelcontextprotocol/server-everything — as a stdio child started by
its registration (POST /v1/admin/mcp-servers) and in its Streamable HTTP mode — and the calls'
behaviour: acceptance 1 (echo and get-sum, this server-everything's "add", appear in
GET /v1/admin/plugins, are enabled and run directly, from a slash command and from an AI turn
with the fake model), the API half of acceptance 2 (kill -9 of the child during a call: an error
result, then a restart; a command that keeps crashing: disabled with the reason), Stop and
timeouts reaching the server as notifications/cancelled, progress, result cuts, placeholders,
schemas from the wild, approvals, room toggles and tool policies. tests/mcp/fixture_server.mjs
and tests/mcp/mount_schema_server.mjs show what server-everything cannot. Helpers: mount_lib.py."""
import json
import os
import signal
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conftest import Server, TenantUsers, err, ok, unique  # noqa: E402
from mount_lib import (EVERYTHING, FIXTURE, FLAGS, MCP_DIR, WAIT, ai_room, call, everything,  # noqa: E402,F401
                       everything_http, fake, fixture, marker, mounted, pids, plugin, ready, register, secret_free,
                       srv, wait_view, _stored_config)


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


def test_tool_policies_apply_to_mounted_tools(srv):
    t, _ = mounted(srv, "pol")
    tok = t.admin_token
    p = ok(srv.put("/v1/admin/plugins/mcp.pol/config", tok, json={"tool_policies": {"echo": "ask"}}))
    assert [x for x in p["tools"] if x["name"] == "echo"][0]["approval_policy"] == "ask"
    err(srv.put("/v1/admin/plugins/mcp.pol/config", tok, json={"tool_policies": {"nope": "ask"}}), 422,
        "SW_VALIDATION")
