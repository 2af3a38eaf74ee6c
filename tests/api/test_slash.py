"""Slash commands typed in a room: a human's swp.text message "/name ..." runs the tool `name`
of an enabled plugin through the dispatcher, asynchronously — the command message is stored
first, then a swp.tool_result message from "plugin:<plugin_id>". Unknown commands, /help, a
plugin turned off in the room or disabled in the tenant get a swp.system message from "system"
and run nothing (the audit log shows no call). GET /v1/commands lists what can be used.

Results are asynchronous: tests wait for them by polling the room's messages in a bounded loop.
Each test works in its own tenant with the greeter enabled (or not, where the test says so)."""
import json
import time
import uuid

import pytest

from conftest import err, ok

GREETER = "scaiwave.greeter"
PLUGIN_SENDER = "plugin:" + GREETER
WAIT = 20  # seconds, at most, for an asynchronous reply


class Room:
    """A tenant with the greeter enabled (unless enable=False) and a room the admin created
    (power 100) and the member joined (power 0)."""

    def __init__(self, server, tenant, enable=True):
        self.server = server
        self.t = tenant
        if enable:
            server.enable(tenant.admin_token, GREETER)
        self.id = ok(server.post("/v1/rooms", tenant.admin_token,
                                 json={"room_type": "group", "name": "slash"}), 201)["id"]
        ok(server.post("/v1/rooms/%s/invite" % self.id, tenant.admin_token,
                       json={"participant_id": tenant.member["participant_id"]}))
        ok(server.post("/v1/rooms/%s/join" % self.id, tenant.member_token))

    def send(self, body, token=None, event_uuid=None):
        payload = {"content": {"msgtype": "swp.text", "body": body}}
        if event_uuid:
            payload["event_uuid"] = event_uuid
        return ok(self.server.post("/v1/rooms/%s/send" % self.id, token or self.t.admin_token,
                                   json=payload))

    def after(self, pos, token=None):
        """Events after stream position pos, oldest first."""
        out = []
        cursor = pos
        while True:
            r = self.server.get("/v1/rooms/%s/messages" % self.id, token or self.t.admin_token,
                                params={"direction": "forward", "from": cursor, "limit": 200})
            page = ok(r)
            out.extend(page)
            if not r.json()["meta"]["has_more"]:
                return out
            cursor = r.json()["meta"]["next_cursor"]

    def wait_reply(self, cmd_event, token=None, timeout=WAIT):
        """The first non-human message after the command (a tool result or a system message).
        Fails if none arrives within the bound."""
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.after(cmd_event["stream_position"], token):
                if ev["event_type"] == "swp.room.message" and \
                        ev["content"].get("msgtype") in ("swp.tool_result", "swp.system"):
                    return ev
            if time.monotonic() > deadline:
                raise AssertionError("no reply to %r within %d s" % (cmd_event["content"], timeout))
            time.sleep(0.02)

    def run(self, body, token=None):
        """Sends a command and returns (command event, reply event)."""
        cmd = self.send(body, token)
        assert cmd["content"] == {"msgtype": "swp.text", "body": body}, cmd
        assert cmd["event_type"] == "swp.room.message"
        reply = self.wait_reply(cmd, token)
        assert reply["stream_position"] > cmd["stream_position"]
        assert reply["room_id"] == self.id and reply["tenant_id"] == self.t.tenant_id
        return cmd, reply

    def greet_audit(self):
        rows, _ = self.server.audit(self.t.admin_token, tool="greet", limit=200)
        return rows


@pytest.fixture
def room(server, make_tenant):
    return Room(server, make_tenant("slash"))


def assert_tool_result(reply, body, is_error=False, status="ok"):
    assert reply["sender_id"] == PLUGIN_SENDER, reply
    assert reply["content"] == {"msgtype": "swp.tool_result", "plugin_id": GREETER, "tool": "greet",
                                "body": body, "is_error": is_error, "status": status}, reply


def assert_system(reply):
    assert reply["sender_id"] == "system", reply
    assert reply["content"]["msgtype"] == "swp.system", reply
    assert set(reply["content"]) == {"msgtype", "body"}, reply
    assert isinstance(reply["content"]["body"], str) and reply["content"]["body"]
    return reply["content"]["body"]


def command_names(server, token, **params):
    rows = ok(server.get("/v1/commands", token, params=params))
    for c in rows:
        assert {"name", "usage", "description", "source"} <= set(c), c
        assert c["source"] in ("builtin", "plugin")
        assert ("plugin_id" in c) == (c["source"] == "plugin"), c
    return [c["name"] for c in rows]


# ---- running tools ----

def test_greet_de_alice(server, room):
    cmd, reply = room.run("/greet de Alice")
    assert_tool_result(reply, "Hallo, Alice!")
    assert reply["event_type"] == "swp.room.message"
    # the command message itself is stored as sent, from the human
    assert cmd["sender_id"] == room.t.admin["participant_id"]
    # one audited call, in this room, by the human who typed it
    rows = room.greet_audit()
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["status"] == "ok" and row["plugin_id"] == GREETER
    assert row["args_redacted"] == {"language": "de", "name": "Alice"}
    assert row["room_id"] == room.id
    assert row["caller_id"] == row["initiator_id"] == room.t.admin["participant_id"]


@pytest.mark.parametrize("body, want, args", [
    ("/greet ja", "こんにちは、worldさん!", {"language": "ja"}),
    ('/greet language=fr name="Jean Luc"', "Bonjour, Jean Luc!", {"language": "fr", "name": "Jean Luc"}),
    ('/greet {"language":"nl"}', "Hallo, world!", {"language": "nl"}),
    ('/greet {"language": "fr", "name": "Zoë"}', "Bonjour, Zoë!", {"language": "fr", "name": "Zoë"}),
    ("/greet de Alice and Bob", "Hallo, Alice and Bob!", {"language": "de", "name": "Alice and Bob"}),
    ('/greet de "Jean \\"JJ\\" Luc"', 'Hallo, Jean "JJ" Luc!', {"language": "de", "name": 'Jean "JJ" Luc'}),
    ("  /greet   nl \t Piet  ", "Hallo, Piet!", {"language": "nl", "name": "Piet"}),
    ("/greet name=Bob de", "Hallo, Bob!", {"language": "de", "name": "Bob"}),
    # a named parameter plus a positional word: the word fills the parameter not yet named
    ("/greet language=fr Jean", "Bonjour, Jean!", {"language": "fr", "name": "Jean"}),
], ids=["ja", "key-value-quoted", "json", "json-unicode", "surplus-words", "escaped-quotes",
        "spacing", "named-then-positional", "positional-after-named"])
def test_greet_argument_forms(server, room, body, want, args):
    _, reply = room.run(body)
    assert_tool_result(reply, want)
    rows = room.greet_audit()
    assert len(rows) == 1 and rows[0]["args_redacted"] == args, rows


def test_missing_argument_is_a_tool_error(server, room):
    _, reply = room.run("/greet")
    assert reply["sender_id"] == PLUGIN_SENDER
    c = reply["content"]
    assert c["msgtype"] == "swp.tool_result" and c["tool"] == "greet" and c["plugin_id"] == GREETER
    assert c["is_error"] is True and c["status"] == "error"
    assert "language" in c["body"]
    rows = room.greet_audit()
    assert len(rows) == 1 and rows[0]["status"] == "error"


def test_unbalanced_quote_is_a_system_message(server, room):
    _, reply = room.run('/greet de "Alice')
    text = assert_system(reply)
    assert "quote" in text and "/greet <language>" in text
    assert room.greet_audit() == []


def test_unknown_command_suggests_close_matches(server, room):
    _, reply = room.run("/gret de")
    text = assert_system(reply)
    assert "/gret" in text and "/greet" in text
    assert "Nothing was run" in text
    _, reply = room.run("/zzzzzz")
    text = assert_system(reply)
    assert "/zzzzzz" in text and "/greet" not in text
    assert room.greet_audit() == []
    rows, _ = server.audit(room.t.admin_token)
    assert rows == []  # nothing at all ran


def test_help_lists_commands(server, room):
    _, reply = room.run("/help")
    text = assert_system(reply)
    assert "/help" in text
    assert "/greet <language> [name]" in text
    assert room.greet_audit() == []


def test_non_commands_run_nothing(server, room):
    for body in ("hello", "hello /greet de", "/ greet de", "//greet de", "/greet! de",
                 "\n/greet de", "／greet de"):
        room.send(body)
    # a marker command: its reply comes after anything the messages above could have caused
    _, help_reply = room.run("/help")
    replies = [e for e in room.after(0) if e["sender_id"] in ("system", PLUGIN_SENDER)]
    assert [e["id"] for e in replies] == [help_reply["id"]]
    assert room.greet_audit() == []


def test_members_run_commands_and_everyone_sees_results(server, room):
    t = room.t
    cmd, reply = room.run("/greet fr Mia", token=t.member_token)
    assert cmd["sender_id"] == t.member["participant_id"]
    assert_tool_result(reply, "Bonjour, Mia!")
    _, reply2 = room.run("/greet de Boss")
    # both results are visible to both members through /messages
    for token in (t.admin_token, t.member_token):
        evs = room.after(0, token)
        results = [e for e in evs if e["sender_id"] == PLUGIN_SENDER]
        assert [e["id"] for e in results] == [reply["id"], reply2["id"]]
        assert [e["content"]["body"] for e in results] == ["Bonjour, Mia!", "Hallo, Boss!"]
    rows = room.greet_audit()
    assert sorted(r["caller_id"] for r in rows) == sorted([t.member["participant_id"],
                                                           t.admin["participant_id"]])


def test_a_retried_command_runs_once(server, room):
    u = "cmd-" + uuid.uuid4().hex
    cmd = room.send("/greet de Once", event_uuid=u)
    reply = room.wait_reply(cmd)
    assert_tool_result(reply, "Hallo, Once!")
    again = room.send("/greet de Once", event_uuid=u)
    assert again["id"] == cmd["id"]
    _, marker = room.run("/help")
    results = [e for e in room.after(0) if e["sender_id"] == PLUGIN_SENDER]
    assert [e["id"] for e in results] == [reply["id"]]
    assert len(room.greet_audit()) == 1


def test_results_reach_only_their_room_and_tenant(server, make_tenant):
    a = Room(server, make_tenant("sa"))
    b = Room(server, make_tenant("sb"))
    _, reply = a.run("/greet de A")
    assert_tool_result(reply, "Hallo, A!")
    _, marker = b.run("/help")
    assert [e for e in b.after(0) if e["sender_id"] == PLUGIN_SENDER] == []
    assert b.greet_audit() == []
    # a's other room got nothing either
    other = ok(server.post("/v1/rooms", a.t.admin_token, json={"room_type": "group", "name": "o"}), 201)
    r = server.get("/v1/rooms/%s/messages" % other["id"], a.t.admin_token)
    assert [e["event_type"] for e in ok(r)] == ["swp.room.member"]


# ---- per-room toggles ----

def test_toggle_off_and_on(server, room):
    t = room.t
    r = server.post("/v1/rooms/%s/plugins/%s/toggle" % (room.id, GREETER), t.admin_token,
                    json={"enabled": False})
    assert ok(r) == {"room_id": room.id, "plugin_id": GREETER, "enabled": False}
    before = room.greet_audit()

    _, reply = room.run("/greet de Alice")
    text = assert_system(reply)
    assert "not available" in text and GREETER in text
    assert "Hallo" not in text
    _, reply = room.run("/greet de Bob", token=t.member_token)
    assert "not available" in assert_system(reply)
    assert room.greet_audit() == before  # nothing ran

    # /help and /v1/commands in this room no longer offer it; elsewhere they do
    _, reply = room.run("/help")
    assert "/greet" not in assert_system(reply)
    assert command_names(server, t.admin_token, room_id=room.id) == ["help"]
    assert "greet" in command_names(server, t.admin_token)
    other = ok(server.post("/v1/rooms", t.admin_token, json={"room_type": "group", "name": "o"}), 201)
    assert "greet" in command_names(server, t.admin_token, room_id=other["id"])
    # a room the caller has not joined tells nothing about its toggles
    err(server.get("/v1/commands", t.member_token, params={"room_id": other["id"]}), 403, "SW_NOT_MEMBER")

    # toggled back on, it works again
    r = server.post("/v1/rooms/%s/plugins/%s/toggle" % (room.id, GREETER), t.admin_token,
                    json={"enabled": True})
    assert ok(r) == {"room_id": room.id, "plugin_id": GREETER, "enabled": True}
    _, reply = room.run("/greet de Again")
    assert_tool_result(reply, "Hallo, Again!")
    assert len(room.greet_audit()) == len(before) + 1
    assert "greet" in command_names(server, t.admin_token, room_id=room.id)


def test_toggle_needs_power_50(server, room):
    t = room.t
    path = "/v1/rooms/%s/plugins/%s/toggle" % (room.id, GREETER)
    err(server.post(path, t.member_token, json={"enabled": False}), 403,
        "SW_AUTH_INSUFFICIENT_PERMISSION")
    # nothing changed: the member's command still runs
    _, reply = room.run("/greet de Mia", token=t.member_token)
    assert_tool_result(reply, "Hallo, Mia!")
    assert "greet" in command_names(server, t.member_token, room_id=room.id)
    # a non-member of the same tenant
    outsider = server.new_user_token(t.slug, "olga")
    err(server.post(path, outsider, json={"enabled": False}), 403, "SW_NOT_MEMBER")


@pytest.mark.parametrize("body", [{}, {"enabled": "no"}, {"enabled": 0}], ids=["missing", "string", "int"])
def test_toggle_validation(server, room, body):
    err(server.post("/v1/rooms/%s/plugins/%s/toggle" % (room.id, GREETER), room.t.admin_token,
                    json=body), 422, "SW_VALIDATION")


def test_toggle_unknown_plugin(server, room):
    err(server.post("/v1/rooms/%s/plugins/acme.nothing/toggle" % room.id, room.t.admin_token,
                    json={"enabled": False}), 404, "SW_PLUGIN_NOT_FOUND")


# ---- /v1/commands and the tenant-wide switch ----

def test_commands_follow_the_plugin_state(server, make_tenant):
    t = make_tenant("cmds")
    room = Room(server, t, enable=False)
    # disabled by default: only help
    assert command_names(server, t.member_token) == ["help"]
    assert command_names(server, t.member_token, room_id=room.id) == ["help"]
    _, reply = room.run("/greet de Alice")
    text = assert_system(reply)
    assert "not available" in text and "disabled" in text
    assert room.greet_audit() == []

    server.enable(t.admin_token, GREETER)
    rows = ok(server.get("/v1/commands", t.member_token))
    assert rows[0] == {"name": "help", "usage": "[/help]", "description": rows[0]["description"],
                       "source": "builtin"}
    greet = [c for c in rows if c["name"] == "greet"]
    assert len(greet) == 1
    assert greet[0]["usage"] == "[/greet <language> [name]]"
    assert greet[0]["source"] == "plugin" and greet[0]["plugin_id"] == GREETER
    assert greet[0]["description"]
    assert "greet" in command_names(server, t.member_token, room_id=room.id)
    _, reply = room.run("/greet de Alice")
    assert_tool_result(reply, "Hallo, Alice!")

    server.disable(t.admin_token, GREETER)
    assert command_names(server, t.member_token) == ["help"]
    assert command_names(server, t.admin_token, room_id=room.id) == ["help"]
    before = room.greet_audit()
    _, reply = room.run("/greet de Alice")
    assert "not available" in assert_system(reply)
    assert room.greet_audit() == before
    # another tenant is not affected by this one's switch
    other = make_tenant("cmds2")
    server.enable(other.admin_token, GREETER)
    assert "greet" in command_names(server, other.member_token)
    assert command_names(server, t.member_token) == ["help"]


def test_commands_needs_a_token(server):
    err(server.get("/v1/commands"), 401, "SW_AUTH_INVALID_TOKEN")


def test_both_sockets_see_command_and_result(server, room):
    """Issue 4, acceptance 2: /greet de Alice — both members' WebSockets see the command and the
    stored tool result, with the same stream positions."""
    from test_stream import WS
    with WS(server, room.t.admin_token) as a, WS(server, room.t.member_token) as b:
        a.hello()
        b.hello()
        cmd = room.send("/greet de Alice", token=room.t.member_token)
        seen = []
        for ws in (a, b):
            res, before = ws.until(lambda m: m["type"] == "swp.room.message"
                                   and m["content"].get("msgtype") == "swp.tool_result")
            assert res["content"]["body"] == "Hallo, Alice!" and res["content"]["tool"] == "greet"
            cmds = [m for m in before if m.get("id") == cmd["id"]]
            assert len(cmds) == 1 and cmds[0]["stream_position"] == cmd["stream_position"]
            seen.append(res["stream_position"])
        assert seen[0] == seen[1]


def test_a_command_that_overruns_its_timeout_is_answered_at_the_deadline():
    """The tool runs on a worker and a watchdog keeps its timeout: the timeout answer arrives
    while the tool is still running (a 4 s wait against a 300 ms timeout; the reply is awaited
    for at most 3 s), and the audit shows one call, status timeout."""
    import os
    from conftest import Server, TenantUsers, unique
    plugin_dir = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"
    if not os.path.exists(os.path.join(plugin_dir, "recorder.so")):
        pytest.fail("build/test-plugins/recorder.so is missing")
    srv = Server(extra_args=["--plugin-dir", plugin_dir, "--tool-timeout-ms", "300"]).start()
    try:
        t = TenantUsers(srv, unique("slow"))
        room = Room(srv, t, enable=False)
        srv.enable(t.admin_token, "test.recorder")
        cmd = room.send('/wait {"ms": 4000}')
        reply = room.wait_reply(cmd, timeout=3)
        assert reply["sender_id"] == "plugin:test.recorder", reply
        assert reply["content"]["status"] == "timeout", reply
        assert reply["content"]["is_error"] is True
        assert "timed out after 300 ms" in reply["content"]["body"]
        rows = ok(srv.get("/v1/admin/audit", t.admin_token, params={"tool": "wait"}))
        assert [r["status"] for r in rows] == ["timeout"], rows
    finally:
        srv.close()  # waits for the tool to return; its late result is discarded (unit-tested)


def test_commands_past_the_bound_are_refused_and_stored_nowhere(tmp_path):
    """--max-slash-jobs 2: two commands held running (each reads a byte from a FIFO the test
    writes to) fill it; a third command gets 503 SW_OVERLOADED with Retry-After and is not
    stored, while a plain message still is. Once the two finish, the same event_uuid sent again
    is stored once and runs."""
    import os
    from conftest import Server, TenantUsers, unique
    plugin_dir = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"
    if not os.path.exists(os.path.join(plugin_dir, "recorder.so")):
        pytest.fail("build/test-plugins/recorder.so is missing")
    gate = str(tmp_path / "gate")
    os.mkfifo(gate)
    srv = Server(extra_args=["--plugin-dir", plugin_dir, "--max-slash-jobs", "2",
                             "--workers", "2"]).start()
    wfd = None
    try:
        t = TenantUsers(srv, unique("busy"))
        room = Room(srv, t)
        srv.enable(t.admin_token, "test.recorder")
        held = [room.send('/hold {"path": %s}' % json.dumps(gate)) for _ in range(2)]
        third = str(uuid.uuid4())
        payload = {"content": {"msgtype": "swp.text", "body": "/greet"}, "event_uuid": third}
        r = srv.post("/v1/rooms/%s/send" % room.id, t.admin_token, json=payload)
        e = err(r, 503, "SW_OVERLOADED")
        assert r.headers.get("Retry-After") == "1" and e["details"]["retry_after"] == 1, (r.headers, e)
        plain = room.send("not a command")  # only commands take a slot
        bodies = [ev["content"].get("body") for ev in room.after(held[0]["stream_position"] - 1)]
        assert "/greet" not in bodies and "not a command" in bodies, bodies
        wfd = os.open(gate, os.O_WRONLY)  # blocks until a held command has the FIFO open
        os.write(wfd, b"xx")
        for cmd in held:
            reply = room.wait_reply(cmd)
            assert reply["content"]["body"] == "released", reply
        # the slots are free once the commands return: a client retries as Retry-After says
        deadline = time.monotonic() + WAIT
        while True:
            r = srv.post("/v1/rooms/%s/send" % room.id, t.admin_token, json=payload)
            if r.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        cmd = ok(r)
        assert cmd["stream_position"] > plain["stream_position"]
        reply = room.wait_reply(cmd)
        assert reply["sender_id"] == PLUGIN_SENDER, reply
        again = ok(srv.post("/v1/rooms/%s/send" % room.id, t.admin_token, json=payload))
        assert again["stream_position"] == cmd["stream_position"]  # the same event, stored once
        bodies = [ev["content"].get("body") for ev in room.after(held[0]["stream_position"] - 1)]
        assert bodies.count("/greet") == 1, bodies
    finally:
        # whatever happened, let held commands finish so the server can stop
        rel = os.open(gate, os.O_RDWR | os.O_NONBLOCK)
        os.write(rel, b"xx")
        srv.close()
        os.close(rel)
        if wfd is not None:
            os.close(wfd)
