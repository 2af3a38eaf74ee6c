"""/v1/mcp, ScaiWave as an MCP server: the official TypeScript SDK client (tests/mcp/sdk_client.mjs)
connects with a tenant's bearer token, lists the tenant's enabled tools and calls greet; another
tenant's token sees none of them; no token is a 401. Then raw HTTP for what a client library
would never send: malformed JSON-RPC, batch abuse, huge bodies, unknown methods, foreign
sessions, bad Origin headers, ended sessions. Needs tests/mcp/node_modules (CTest fixture mcp_npm)."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conftest import Server, ok, raw_http, unique  # noqa: E402

MCP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "mcp")
SDK_CLIENT = os.path.join(MCP_DIR, "sdk_client.mjs")
INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "pytest", "version": "1"}}


@pytest.fixture(scope="module")
def srv():
    if not os.path.isdir(os.path.join(MCP_DIR, "node_modules", "@modelcontextprotocol", "sdk")):
        pytest.fail("tests/mcp/node_modules missing: run bash tests/mcp/install.sh (CTest mcp.npm)")
    s = Server()
    try:
        s.start()
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def tenants(srv):
    """Tenant A (greeter and notes enabled) and tenant B (nothing enabled): admin tokens."""
    a, b = unique("mcpa"), unique("mcpb")
    ta = srv.new_user_token(a, "alice", admin=True, create_tenant=True)
    tb = srv.new_user_token(b, "bob", admin=True, create_tenant=True)
    srv.enable(ta, "scaiwave.greeter")
    srv.enable(ta, "scaiwave.notes", body={"grant": ["read_notes", "write_notes"]})
    for p in ok(srv.get("/v1/admin/plugins", tb)):
        if p["enabled"]:
            srv.disable(tb, p["id"])
    return {"a": ta, "b": tb, "a_slug": a}


def sdk(srv, token, *call):
    p = subprocess.run(["node", SDK_CLIENT, srv.url + "/v1/mcp", token or ""] + list(call), cwd=MCP_DIR,
                       capture_output=True, text=True, timeout=60)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    assert lines, "sdk_client printed nothing; stderr: %s" % p.stderr
    return p.returncode, json.loads(lines[-1])


def post(srv, token, body, sid=None, version=None, headers=None, raw=False):
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if sid:
        h["Mcp-Session-Id"] = sid
    if version:
        h["MCP-Protocol-Version"] = version
    h.update(headers or {})
    data = body if raw else json.dumps(body)
    return srv.post("/v1/mcp", token, data=data, headers=h)


def session(srv, token, version="2025-11-25"):
    r = post(srv, token, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": dict(INIT, protocolVersion=version)})
    assert r.status_code == 200, r.text
    sid = r.headers.get("Mcp-Session-Id")
    assert sid and len(sid) == 32
    assert r.json()["result"]["protocolVersion"] == version
    n = post(srv, token, {"jsonrpc": "2.0", "method": "notifications/initialized"}, sid, version)
    assert n.status_code == 202 and n.content == b""
    return sid


def rpc(srv, token, sid, method, params=None, id=7, version="2025-11-25"):
    msg = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    r = post(srv, token, msg, sid, version)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    return r.status_code, r.json()


# ---- acceptance 3: the official SDK client ----

def test_sdk_client_lists_and_calls_greet(srv, tenants):
    rc, out = sdk(srv, tenants["a"], "greet", json.dumps({"language": "de", "name": "Alice"}))
    assert rc == 0, out
    assert out["protocol"] == "2025-11-25"
    assert "greet" in out["tools"] and "create_note" in out["tools"]
    assert out["call"] == {"text": "Hallo, Alice!", "isError": False}


def test_other_tenant_sees_none_of_them(srv, tenants):
    rc, out = sdk(srv, tenants["b"])
    assert rc == 0, out
    assert out["tools"] == []
    sid = session(srv, tenants["b"])
    st, j = rpc(srv, tenants["b"], sid, "tools/call", {"name": "greet", "arguments": {"language": "de"}})
    assert st == 200 and j["error"]["code"] == -32602 and "greet" in j["error"]["message"]


def test_no_token_is_401(srv, tenants):
    rc, out = sdk(srv, None)
    assert rc == 1 and out["code"] == 401
    r = post(srv, None, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT})
    assert r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    r = post(srv, "not.a.token", {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT})
    assert r.status_code == 401


def test_tools_list_shape(srv, tenants):
    sid = session(srv, tenants["a"])
    st, j = rpc(srv, tenants["a"], sid, "tools/list")
    tools = {t["name"]: t for t in j["result"]["tools"]}
    assert tools["greet"]["inputSchema"]["type"] == "object"
    assert tools["greet"]["annotations"]["readOnlyHint"] is True
    assert tools["create_note"]["annotations"] == {"readOnlyHint": False, "destructiveHint": True,
                                                   "openWorldHint": False}
    st, j = rpc(srv, tenants["a"], sid, "tools/list", {"cursor": "not-ours"})
    assert j["error"]["code"] == -32602


def test_tool_error_is_an_error_result(srv, tenants):
    sid = session(srv, tenants["a"])
    st, j = rpc(srv, tenants["a"], sid, "tools/call", {"name": "greet", "arguments": {"name": 5}})
    assert st == 200 and j["result"]["isError"] is True
    assert "Fallback suggestions:" in j["result"]["content"][0]["text"]
    st, j = rpc(srv, tenants["a"], sid, "tools/call", {"name": "no_such_tool"})
    assert j["error"]["code"] == -32602
    st, j = rpc(srv, tenants["a"], sid, "tools/call", {"arguments": {}})
    assert j["error"]["code"] == -32602
    st, j = rpc(srv, tenants["a"], sid, "tools/call", {"name": "greet", "arguments": [1]})
    assert j["error"]["code"] == -32602


def test_ask_policy_refuses_and_runs_nothing(srv, tenants):
    ta = tenants["a"]
    ok(srv.put("/v1/admin/plugins/scaiwave.notes/config", ta, json={"tool_policies": {"create_note": "ask"}}))
    try:
        sid = session(srv, ta)
        title = unique("mcp-note")
        st, j = rpc(srv, ta, sid, "tools/call", {"name": "create_note", "arguments": {"title": title, "body": "x"}})
        res = j["result"]
        assert res["isError"] is True
        text = res["content"][0]["text"]
        assert '"ask"' in text and "approval" in text and "/v1/admin/plugins/scaiwave.notes/config" in text
        notes = ok(srv.get("/v1/notes", ta, params={"q": title}))
        assert [n for n in notes if n["title"] == title] == []
    finally:
        ok(srv.put("/v1/admin/plugins/scaiwave.notes/config", ta, json={"tool_policies": {"create_note": None}}))
    st, j = rpc(srv, ta, sid, "tools/call", {"name": "create_note", "arguments": {"title": title, "body": "x"}})
    assert j["result"]["isError"] is False, j
    assert [n for n in ok(srv.get("/v1/notes", ta, params={"q": title})) if n["title"] == title]


# ---- acceptance 5: bad input gets JSON-RPC errors ----

def test_malformed_json_is_parse_error(srv, tenants):
    for body in ('{"jsonrpc": "2.0", "id": 1, "method": ', "", "\x00", "[1,2", '"just a string"x'):
        r = post(srv, tenants["a"], body, raw=True)
        assert r.status_code == 400, (body, r.text)
        j = r.json()
        assert j["id"] is None and j["error"]["code"] == -32700


def test_invalid_requests(srv, tenants):
    sid = session(srv, tenants["a"])
    for msg in ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, {"id": 1, "method": "ping"},
                {"jsonrpc": "2.0", "id": 1, "method": 5}, {"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"},
                {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": 3}):
        r = post(srv, tenants["a"], msg, sid, "2025-11-25")
        assert r.status_code == 400, (msg, r.text)
        assert r.json()["error"]["code"] == -32600
    for scalar in (42, None, "ping"):  # not an object or array: the framing refuses it as a parse error
        r = post(srv, tenants["a"], scalar, sid, "2025-11-25")
        assert r.status_code == 400 and r.json()["error"]["code"] == -32700


def test_unknown_method_and_ping(srv, tenants):
    sid = session(srv, tenants["a"])
    st, j = rpc(srv, tenants["a"], sid, "resources/list")
    assert st == 200 and j["error"]["code"] == -32601 and j["id"] == 7
    st, j = rpc(srv, tenants["a"], sid, "ping", id="p-1")
    assert j == {"jsonrpc": "2.0", "id": "p-1", "result": {}}


def test_batches_only_in_2025_03_26_and_bounded(srv, tenants):
    ta = tenants["a"]
    new = session(srv, ta)
    r = post(srv, ta, [{"jsonrpc": "2.0", "id": 1, "method": "ping"}], new, "2025-11-25")
    assert r.status_code == 400 and r.json()["error"]["code"] == -32600 and "2025-03-26" in r.json()["error"]["message"]
    old = session(srv, ta, "2025-03-26")
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/x"},
             {"jsonrpc": "2.0", "id": 2, "method": "nope"}, {"bad": 1},
             {"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": INIT}]
    r = post(srv, ta, batch, old, "2025-03-26")
    assert r.status_code == 200
    by_id = {json.dumps(a["id"]): a for a in r.json()}
    assert by_id["1"]["result"] == {} and by_id["2"]["error"]["code"] == -32601
    assert by_id["null"]["error"]["code"] == -32600 and by_id["3"]["error"]["code"] == -32600
    r = post(srv, ta, [{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(17)], old, "2025-03-26")
    assert r.status_code == 400 and r.json()["error"]["code"] == -32600
    r = post(srv, ta, [], old, "2025-03-26")
    assert r.status_code == 400 and r.json()["error"]["code"] == -32600
    r = post(srv, ta, [{"jsonrpc": "2.0", "method": "notifications/initialized"}], old, "2025-03-26")
    assert r.status_code == 202


def test_huge_and_deep_messages(srv, tenants):
    ta = tenants["a"]
    sid = session(srv, ta)
    big = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + "a" * (1 << 20) + '"}}'
    r = post(srv, ta, big, sid, "2025-11-25", raw=True)
    assert r.status_code == 413 and r.json()["error"]["code"] == "SW_CONTENT_TOO_LARGE"
    r = post(srv, ta, "[" * 200000 + "]" * 200000, sid, "2025-11-25", raw=True)
    assert r.status_code == 400 and r.json()["error"]["code"] in (-32700, -32600)
    st, j = rpc(srv, ta, sid, "tools/call", {"name": "greet", "arguments": {"language": "de", "name": "b" * 500000}})
    assert st == 200 and "result" in j
    assert srv.get("/healthz").status_code == 200


def test_sessions_are_checked(srv, tenants):
    ta, tb = tenants["a"], tenants["b"]
    r = post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert r.status_code == 400 and r.json()["error"]["code"] == -32600
    sid = session(srv, ta)
    # another participant (of another tenant, or the same tenant) cannot use it
    other = srv.new_user_token(tenants["a_slug"], unique("carol"))
    for tok in (tb, other):
        r = post(srv, tok, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, sid, "2025-11-25")
        assert r.status_code == 404 and r.json()["error"]["code"] == -32001
        assert srv.request("DELETE", "/v1/mcp", tok, headers={"Mcp-Session-Id": sid}).status_code == 404
    r = post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, "f" * 32, "2025-11-25")
    assert r.status_code == 404
    r = post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, sid, "1999-01-01")
    assert r.status_code == 400 and "MCP-Protocol-Version" in r.json()["error"]["message"]
    r = post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, sid, "2025-06-18")
    assert r.status_code == 400
    r = post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, sid)  # no header: the session's revision
    assert r.status_code == 200
    assert post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, sid, "2025-11-25").status_code == 200
    # DELETE ends it
    assert srv.request("DELETE", "/v1/mcp", ta, headers={"Mcp-Session-Id": sid}).status_code == 200
    r = post(srv, ta, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, sid, "2025-11-25")
    assert r.status_code == 404
    assert srv.request("DELETE", "/v1/mcp", ta).status_code == 400


def test_origin_rule(srv, tenants):
    ta = tenants["a"]
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT}
    for bad in ("http://evil.example.com", "http://localhost.evil.com", "null", "https://127.0.0.1.nip.io"):
        r = post(srv, ta, init, headers={"Origin": bad})
        assert r.status_code == 403, bad
        assert "Mcp-Session-Id" not in r.headers
    r = post(srv, None, init, headers={"Origin": "http://evil.example.com"})
    assert r.status_code == 403  # before the token is looked at
    for good in ("http://localhost:3000", "http://127.0.0.1", "http://[::1]:8080"):
        assert post(srv, ta, init, headers={"Origin": good}).status_code == 200, good


def test_allowed_origin_option(tenants):
    s = Server(extra_args=["--mcp-allowed-origins", "https://app.example.com, https://b.example.com"])
    try:
        s.start()
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT}
        tok = s.admin_token
        assert post(s, tok, init, headers={"Origin": "https://b.example.com"}).status_code == 200
        assert post(s, tok, init, headers={"Origin": "https://c.example.com"}).status_code == 403
    finally:
        s.close()


def test_get_is_405_and_notifications_are_202(srv, tenants):
    r = srv.get("/v1/mcp", tenants["a"], headers={"Accept": "text/event-stream"})
    assert r.status_code == 405 and "POST" in r.headers.get("Allow", "")
    sid = session(srv, tenants["a"])
    r = post(srv, tenants["a"], {"jsonrpc": "2.0", "method": "notifications/cancelled",
                                 "params": {"requestId": 99}}, sid, "2025-11-25")
    assert r.status_code == 202
    r = post(srv, tenants["a"], {"jsonrpc": "2.0", "id": 5, "result": {}}, sid, "2025-11-25")
    assert r.status_code == 202
