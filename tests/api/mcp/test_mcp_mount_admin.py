"""The MCP-server admin API's contract (docs/api.md "MCP servers (mounted as plugins)") with the
real server-everything: secrets masked, sealed, resealed by `secret rotate` and reaching a clean
child environment; tenants apart; DELETE, PATCH and shutdown leave no process (also of a server
that never answers); the operator's allow-list at registration and at every start; error
envelopes; tool-name clashes; the per-tenant limit. Helpers: mount_lib.py."""
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
