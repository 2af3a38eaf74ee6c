"""Acceptance of the plugin framework over HTTP: the admin plugin list, enable/disable with
permission grants, settings and tool policies, the dispatcher's answers for the built-in
greeter, the audit log, persistence across a restart, the CLI listing, and a third-party
shared-object plugin (acme.echo) loaded with --plugin-dir.

Most tests run in a fresh tenant (make_tenant), so they do not depend on each other."""
import json
import os
import shutil
import sqlite3
import time

import pytest

from conftest import PLUGIN_BUILD_DIR, body_json, err, ok

GREETER = "scaiwave.greeter"
ECHO = "acme.echo"
POLICIES = ("ask", "auto_run_in_dm", "auto_run_everywhere")
MASK = "********"


def assert_fallback(result):
    lines = result.rstrip("\n").split("\n")
    assert lines[-1].startswith("Fallback suggestions:"), result


def check_row(row):
    """The documented shape of an admin plugin row."""
    for k, t in (("id", str), ("name", str), ("version", str), ("description", str),
                 ("source", str), ("enabled", bool), ("permissions", list),
                 ("granted_permissions", list), ("tools", list), ("config", dict)):
        assert isinstance(row.get(k), t), "%s: %r in %r" % (k, row.get(k), row)
    assert row["source"] in ("builtin", "shared_object")
    assert set(row["granted_permissions"]) <= set(row["permissions"])
    for tool in row["tools"]:
        for k, t in (("name", str), ("description", str), ("parameters", dict),
                     ("side_effects", bool), ("permissions_required", list),
                     ("approval_policy", str)):
            assert isinstance(tool.get(k), t), "%s: %r in %r" % (k, tool.get(k), tool)
        assert "usage" in tool
        assert tool["approval_policy"] in POLICIES


# ---- the list ----

def test_list_shows_greeter_disabled(server, make_tenant):
    t = make_tenant()
    rows = server.plugins(t.admin_token)
    for row in rows:
        check_row(row)
    g = [r for r in rows if r["id"] == GREETER]
    assert len(g) == 1
    g = g[0]
    assert g["source"] == "builtin"
    assert g["enabled"] is False
    assert g["granted_permissions"] == []
    assert g["name"] and g["version"] and g["description"]
    assert [tool["name"] for tool in g["tools"]] == ["greet"]
    greet = g["tools"][0]
    assert greet["usage"] == "[/greet <language> [name]]"
    params = greet["parameters"]
    assert params["type"] == "object"
    assert params["required"] == ["language"]
    assert params["properties"]["language"]["type"] == "string"
    assert params["properties"]["name"]["type"] == "string"
    assert "name" not in params["required"]
    assert g["config"] == {}
    # a member sees only enabled plugins
    assert GREETER not in [p["id"] for p in ok(server.get("/v1/plugins", t.member_token))]


def test_the_default_tenant_starts_with_greeter_disabled(server_factory):
    s = server_factory()
    assert s.plugin(s.admin_token, GREETER)["enabled"] is False
    assert ok(s.get("/v1/plugins", s.admin_token)) == []


def test_enable_and_disable(server, make_tenant):
    t = make_tenant()
    row = server.enable(t.admin_token, GREETER)
    check_row(row)
    assert row["id"] == GREETER and row["enabled"] is True
    assert server.plugin(t.admin_token, GREETER)["enabled"] is True
    visible = ok(server.get("/v1/plugins", t.member_token))
    assert [p["id"] for p in visible] == [GREETER]
    assert visible[0]["enabled"] is True
    assert [tool["name"] for tool in visible[0]["tools"]] == ["greet"]
    # enabling twice is harmless
    assert server.enable(t.admin_token, GREETER)["enabled"] is True

    row = server.disable(t.admin_token, GREETER)
    check_row(row)
    assert row["enabled"] is False
    assert server.plugin(t.admin_token, GREETER)["enabled"] is False
    assert ok(server.get("/v1/plugins", t.member_token)) == []
    assert server.disable(t.admin_token, GREETER)["enabled"] is False


ADMIN_ROUTES = [
    ("GET", "/v1/admin/plugins", None),
    ("POST", "/v1/admin/plugins/%s/enable" % GREETER, {}),
    ("POST", "/v1/admin/plugins/%s/disable" % GREETER, None),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, {"tool_policies": {"greet": "ask"}}),
    ("GET", "/v1/admin/audit", None),
]


@pytest.mark.parametrize("method,path,body", ADMIN_ROUTES,
                         ids=["list", "enable", "disable", "config", "audit"])
def test_member_gets_403_on_admin_routes(server, make_tenant, method, path, body):
    t = make_tenant()
    kw = {"json": body} if body is not None else {}
    err(server.request(method, path, token=t.member_token, **kw), 403,
        "SW_AUTH_INSUFFICIENT_PERMISSION")
    # and nothing changed
    g = server.plugin(t.admin_token, GREETER)
    assert g["enabled"] is False and g["tools"][0]["approval_policy"] != "ask"


@pytest.mark.parametrize("method,suffix,body", [
    ("POST", "enable", None),
    ("POST", "disable", None),
    ("PUT", "config", {"settings": {"a": "b"}}),
], ids=["enable", "disable", "config"])
@pytest.mark.parametrize("plugin_id", ["acme.nope", "scaiwave.greeterx", "SCAIWAVE.GREETER", "x"])
def test_unknown_plugin_is_404(server, method, suffix, body, plugin_id):
    kw = {"json": body} if body is not None else {}
    r = server.request(method, "/v1/admin/plugins/%s/%s" % (plugin_id, suffix),
                       token=server.admin_token, **kw)
    e = err(r, 404, "SW_PLUGIN_NOT_FOUND")


# ---- the dispatcher ----

@pytest.fixture
def greeter_tenant(server, make_tenant):
    t = make_tenant("greet")
    server.enable(t.admin_token, GREETER)
    return t


@pytest.mark.parametrize("arguments,expected", [
    ({"language": "de", "name": "Alice"}, "Hallo, Alice!"),
    ({"language": "nl", "name": "Bob"}, "Hallo, Bob!"),
    ({"language": "en"}, "Hello, world!"),
    ({"language": "xx"}, "Hello, world!"),
    ({"language": "ja"}, "こんにちは、worldさん!"),
    ({"language": "fr", "name": "  Zoé  "}, "Bonjour, Zoé!"),
    ({"language": "DE"}, "Hallo, world!"),
    ("fr", "Bonjour, world!"),
    ("  de  ", "Hallo, world!"),
    ('{"language": "de", "name": "Eve"}', "Hallo, Eve!"),
], ids=["de", "nl", "en", "unknown_lang", "ja", "fr_trim_name", "upper_case", "string_fr",
        "string_padded", "json_text"])
def test_greeter_examples(server, greeter_tenant, arguments, expected):
    d = server.call_tool(greeter_tenant.member_token, "greet", arguments)
    assert d["plugin_id"] == GREETER and d["tool"] == "greet"
    assert d["status"] == "ok" and d["is_error"] is False, d
    assert d["result"] == expected
    assert isinstance(d["duration_ms"], int) and d["duration_ms"] >= 0


def test_call_restricted_to_plugin_id(server, greeter_tenant):
    d = server.call_tool(greeter_tenant.member_token, "greet", {"language": "de"}, plugin_id=GREETER)
    assert d["status"] == "ok" and d["result"] == "Hallo, world!"
    d = server.call_tool(greeter_tenant.member_token, "greet", {"language": "de"},
                         plugin_id="acme.other")
    assert d["is_error"] is True and d["status"] in ("error", "denied"), d
    assert "Hallo" not in d["result"]


@pytest.mark.parametrize("arguments,mentions", [
    ({"name": 5}, ("language", "name")),
    ({"language": 5}, ("language",)),
    ({"language": "de", "name": ["x"]}, ("name",)),
    ({}, ("language",)),
    ('{"language": ', ("JSON", "json")),
    ([1, 2], ("object",)),
], ids=["name_int_no_language", "language_int", "name_list", "empty", "broken_json", "array"])
def test_greeter_invalid_arguments(server, greeter_tenant, arguments, mentions):
    d = server.call_tool(greeter_tenant.member_token, "greet", arguments)
    assert d["is_error"] is True and d["status"] == "error", d
    assert d["plugin_id"] == GREETER
    assert any(m in d["result"] for m in mentions), d["result"]
    assert_fallback(d["result"])


@pytest.mark.parametrize("tool", ["nosuchtool", "gret", "GREET"])
def test_unknown_tool(server, greeter_tenant, tool):
    d = server.call_tool(greeter_tenant.member_token, tool, {"language": "de"})
    assert d["is_error"] is True and d["status"] == "error", d
    assert tool in d["result"]
    assert_fallback(d["result"])


def test_disabled_plugin_is_denied_and_audited(server, make_tenant):
    t = make_tenant("denied")
    d = server.call_tool(t.member_token, "greet", {"language": "de", "name": "Nobody"})
    assert d["status"] == "denied" and d["is_error"] is True, d
    assert d["plugin_id"] == GREETER
    assert "Hallo" not in d["result"]
    assert_fallback(d["result"])
    rows, meta = server.audit(t.admin_token)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["status"] == "denied"
    assert row["plugin_id"] == GREETER and row["tool"] == "greet"
    assert row["caller_id"] == t.member["participant_id"]
    assert row["initiator_id"] == t.member["participant_id"]
    assert row["tenant_id"] == t.tenant_id
    # disable after enable: denied again
    server.enable(t.admin_token, GREETER)
    assert server.call_tool(t.member_token, "greet", "de")["status"] == "ok"
    server.disable(t.admin_token, GREETER)
    assert server.call_tool(t.member_token, "greet", "de")["status"] == "denied"


# ---- the audit log ----

AUDIT_KEYS = {"id", "ts", "tenant_id", "room_id", "plugin_id", "tool", "caller_id", "initiator_id",
              "args_redacted", "status", "duration_ms"}


def test_each_call_writes_one_audit_row(server, greeter_tenant):
    t = greeter_tenant
    calls = [
        ({"language": "de", "name": "One"}, "ok"),
        ({"name": 5}, "error"),
        ({"language": "fr", "name": "Three"}, "ok"),
    ]
    room = ok(server.post("/v1/rooms", t.member_token, json={"room_type": "group", "name": "audit"}), 201)
    for args, status in calls:
        assert server.call_tool(t.member_token, "greet", args, room_id=room["id"])["status"] == status
    server.call_tool(t.admin_token, "nosuchtool", {})
    rows, meta = server.audit(t.admin_token)
    assert len(rows) == 4, rows
    for row in rows:
        assert AUDIT_KEYS <= set(row), row
        assert row["tenant_id"] == t.tenant_id
        assert isinstance(row["duration_ms"], int) and row["duration_ms"] >= 0
        assert isinstance(row["ts"], str) and row["ts"]
    assert meta["has_more"] is False
    # (the order itself is checked by test_audit_is_newest_first)
    unknown = [r for r in rows if r["tool"] == "nosuchtool"]
    assert len(unknown) == 1 and unknown[0]["status"] == "error"
    assert unknown[0]["plugin_id"] == ""
    assert unknown[0]["caller_id"] == t.admin["participant_id"]
    greets = [r for r in rows if r["tool"] == "greet"]
    key = lambda a: json.dumps(a, sort_keys=True)
    assert sorted(key(r["args_redacted"]) for r in greets) == sorted(key(c[0]) for c in calls)
    for r in greets:
        expected_status = [c[1] for c in calls if c[0] == r["args_redacted"]][0]
        assert r["status"] == expected_status
        assert r["plugin_id"] == GREETER
        assert r["room_id"] == room["id"]
        assert r["caller_id"] == r["initiator_id"] == t.member["participant_id"]
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == 4


def test_audit_is_newest_first(server_factory):
    # One client, one call after the other (each on a new connection, so the server may run
    # them on different threads): the audit log lists them in exactly the reverse order.
    s = server_factory(extra_args=["--threads", "4"])
    tok = s.admin_token
    s.enable(tok, GREETER)
    n = 100
    for i in range(n):
        assert s.call_tool(tok, "greet", {"language": "de", "name": "n%03d" % i})["status"] == "ok"
    rows, meta = s.audit(tok, limit=200)
    assert len(rows) == n and meta["has_more"] is False
    names = [r["args_redacted"]["name"] for r in rows]
    expected = ["n%03d" % i for i in reversed(range(n))]
    wrong = [(i, a, b) for i, (a, b) in enumerate(zip(names, expected)) if a != b]
    assert not wrong, "%d of %d rows out of order; first at position %d: %s listed where %s " \
        "belongs (ids %s)" % (len(wrong), n, wrong[0][0], wrong[0][1], wrong[0][2],
                               [r["id"] for r in rows[max(0, wrong[0][0] - 1):wrong[0][0] + 2]])
    ts = [r["ts"] for r in rows]
    assert ts == sorted(ts, reverse=True)


def test_audit_filters_and_paging(server, greeter_tenant):
    t = greeter_tenant
    for i in range(5):
        server.call_tool(t.member_token, "greet", {"language": "de", "name": "N%d" % i})
    server.call_tool(t.member_token, "greet", {"name": 5})
    server.call_tool(t.member_token, "nosuchtool", {})

    rows, _ = server.audit(t.admin_token, status="ok")
    assert len(rows) == 5 and all(r["status"] == "ok" for r in rows)
    rows, _ = server.audit(t.admin_token, status="error")
    assert len(rows) == 2
    rows, _ = server.audit(t.admin_token, tool="greet")
    assert len(rows) == 6 and all(r["tool"] == "greet" for r in rows)
    rows, _ = server.audit(t.admin_token, plugin_id=GREETER, status="error")
    assert len(rows) == 1 and rows[0]["args_redacted"] == {"name": 5}
    rows, _ = server.audit(t.admin_token, status="denied")
    assert rows == []

    # paging: limit 3 over 7 rows -> 3 + 3 + 1, no duplicates, same order as one page
    everything, meta = server.audit(t.admin_token, limit=50)
    assert len(everything) == 7 and meta["has_more"] is False
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        rows, meta = server.audit(t.admin_token, **params)
        pages += 1
        seen += rows
        assert isinstance(meta["has_more"], bool)
        if not meta["has_more"]:
            assert not meta.get("next_cursor")
            break
        assert len(rows) == 3
        cursor = meta["next_cursor"]
        assert isinstance(cursor, str) and cursor
        assert pages < 10
    assert pages == 3
    assert [r["id"] for r in seen] == [r["id"] for r in everything]


# ---- permissions ----

def test_enable_with_explicit_permissions(server, make_tenant):
    t = make_tenant()
    row = server.enable(t.admin_token, GREETER, {"permissions": []})
    assert row["enabled"] is True and row["granted_permissions"] == []
    assert server.call_tool(t.member_token, "greet", "de")["status"] == "ok"


@pytest.mark.parametrize("perms", [["EXTERNAL_HTTP"], ["READ_MESSAGES", "SEARCH"], ["nope"],
                                   ["external_http"], [None]],
                         ids=["undeclared", "two_undeclared", "unknown", "lower_case", "null"])
def test_enable_with_permissions_not_declared_is_422(server, make_tenant, perms):
    t = make_tenant()
    e = err(server.post("/v1/admin/plugins/%s/enable" % GREETER, t.admin_token,
                        json={"permissions": perms}), 422, "SW_VALIDATION")
    assert e["details"]["field"] == "permissions"
    assert server.plugin(t.admin_token, GREETER)["enabled"] is False


# ---- settings and tool policies ----

def _stored_settings(server, tenant_id, plugin_id):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(server.data_dir, "scaiwave.db"), uri=True,
                          timeout=10)
    try:
        row = con.execute("SELECT settings FROM plugin_states WHERE tenant_id = ? AND plugin_id = ?",
                          (tenant_id, plugin_id)).fetchone()
    finally:
        con.close()
    return json.loads(row[0]) if row else None


def test_config_tool_policies(server, make_tenant):
    t = make_tenant()
    for policy in POLICIES:
        row = ok(server.put("/v1/admin/plugins/%s/config" % GREETER, t.admin_token,
                            json={"tool_policies": {"greet": policy}}))
        check_row(row)
        assert row["tools"][0]["approval_policy"] == policy
        assert server.plugin(t.admin_token, GREETER)["tools"][0]["approval_policy"] == policy
    # a tool the plugin does not have
    e = err(server.put("/v1/admin/plugins/%s/config" % GREETER, t.admin_token,
                       json={"tool_policies": {"nosuchtool": "ask"}}), 422, "SW_VALIDATION")
    assert e["details"]["field"] == "tool_policies.nosuchtool"
    assert server.plugin(t.admin_token, GREETER)["tools"][0]["approval_policy"] == POLICIES[-1]
    # config does not enable
    assert server.plugin(t.admin_token, GREETER)["enabled"] is False


def test_config_settings_and_secret_masking(server, make_tenant):
    t = make_tenant()
    path = "/v1/admin/plugins/%s/config" % GREETER
    row = ok(server.put(path, t.admin_token, json={"settings": {
        "api_key": "sk-live-123456", "region": "eu", "auth_token": "tok-abc",
        "client_secret": "shh", "db_password": "pw1"}}))
    assert row["config"] == {"api_key": MASK, "region": "eu", "auth_token": MASK,
                             "client_secret": MASK, "db_password": MASK}
    # the secret is nowhere in any answer, to admins or members
    server.enable(t.admin_token, GREETER)
    for r in (server.get("/v1/admin/plugins", t.admin_token), server.get("/v1/plugins", t.member_token)):
        assert r.status_code == 200
        for secret in ("sk-live-123456", "tok-abc", "shh", "pw1"):
            assert secret not in r.text
    # sending the mask back keeps the stored value; other keys change
    row = ok(server.put(path, t.admin_token, json={"settings": {"api_key": MASK, "region": "us"}}))
    assert row["config"]["api_key"] == MASK and row["config"]["region"] == "us"
    stored = _stored_settings(server, t.tenant_id, GREETER)
    assert stored["api_key"] == "sk-live-123456" and stored["region"] == "us"
    # a new value replaces it
    ok(server.put(path, t.admin_token, json={"settings": {"api_key": "sk-live-NEW"}}))
    assert _stored_settings(server, t.tenant_id, GREETER)["api_key"] == "sk-live-NEW"
    # null deletes
    row = ok(server.put(path, t.admin_token, json={"settings": {"api_key": None, "region": None}}))
    assert "api_key" not in row["config"] and "region" not in row["config"]
    assert row["config"] == {"auth_token": MASK, "client_secret": MASK, "db_password": MASK}
    # an empty secret reads back empty, not masked
    row = ok(server.put(path, t.admin_token, json={"settings": {"api_key": ""}}))
    assert row["config"]["api_key"] == ""
    # settings and policies in one request
    row = ok(server.put(path, t.admin_token, json={"settings": {"region": "ap"},
                                                    "tool_policies": {"greet": "ask"}}))
    assert row["config"]["region"] == "ap" and row["tools"][0]["approval_policy"] == "ask"
    assert row["enabled"] is True


def test_config_is_atomic_on_validation_error(server, make_tenant):
    t = make_tenant()
    path = "/v1/admin/plugins/%s/config" % GREETER
    ok(server.put(path, t.admin_token, json={"settings": {"region": "eu"}}))
    err(server.put(path, t.admin_token, json={"settings": {"region": "us"},
                                               "tool_policies": {"greet": "never"}}),
        422, "SW_VALIDATION")
    g = server.plugin(t.admin_token, GREETER)
    assert g["config"] == {"region": "eu"}
    assert g["tools"][0]["approval_policy"] != "never"


def test_concurrent_config_updates_are_not_lost(server_factory):
    # Eight admins change eight different settings at the same moment, twenty times over;
    # every change must be kept (a read-modify-write outside the write lock loses some).
    import threading

    server = server_factory(extra_args=["--threads", "8"])
    token = server.admin_token
    path = "/v1/admin/plugins/%s/config" % GREETER
    keys = ["k%d" % i for i in range(8)]
    failures = []
    for rnd in range(20):
        barrier = threading.Barrier(len(keys))
        answers = []

        def put(k):
            barrier.wait(timeout=30)
            r = server.put(path, token, json={"settings": {k: "v%d" % rnd}})
            answers.append(r.status_code)

        threads = [threading.Thread(target=put, args=(k,)) for k in keys]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert answers == [200] * len(keys), answers
        config = server.plugin(token, GREETER)["config"]
        lost = [k for k in keys if config.get(k) != "v%d" % rnd]
        if lost:
            failures.append((rnd, lost))
    assert not failures, "updates lost in %d of 20 rounds, e.g. round %d lost %s" % (
        len(failures), failures[0][0], failures[0][1])


def test_config_needs_a_body(server):
    err(server.put("/v1/admin/plugins/%s/config" % GREETER, server.admin_token, data=b""),
        400, "SW_BAD_REQUEST")


# ---- persistence ----

def test_state_survives_restart(server_factory):
    s = server_factory()
    tok = s.admin_token
    s.enable(tok, GREETER, {"permissions": []})
    ok(s.put("/v1/admin/plugins/%s/config" % GREETER, tok,
             json={"settings": {"api_key": "sk-persist", "region": "eu"},
                   "tool_policies": {"greet": "ask"}}))
    assert s.call_tool(tok, "greet", "de")["status"] == "ok"
    s.create_tenant("other")
    s.create_user("other", "olga", admin=True)
    other = s.create_token("other", "olga")
    s.enable(other, GREETER)
    s.disable(other, GREETER)
    before = s.plugin(tok, GREETER)
    before_other = s.plugin(other, GREETER)
    audit_before, _ = s.audit(tok)

    s.restart()
    assert s.admin_token == tok, "admin.token was replaced although it is still valid"
    after = s.plugin(tok, GREETER)
    assert after == before
    assert after["enabled"] is True
    assert after["config"] == {"api_key": MASK, "region": "eu"}
    assert after["tools"][0]["approval_policy"] == "ask"
    assert s.plugin(other, GREETER) == before_other
    assert before_other["enabled"] is False
    assert s.call_tool(tok, "greet", {"language": "de", "name": "Again"})["result"] == "Hallo, Again!"
    audit_after, _ = s.audit(tok)
    assert audit_after[1:] == audit_before
    assert _stored_settings(s, s.me(tok)["tenant_id"], GREETER)["api_key"] == "sk-persist"


# ---- CLI ----

def test_cli_plugins_list(server):
    out = server.cli("plugins", "list").stdout
    lines = out.strip().splitlines()
    assert lines[0].split()[:4] == ["ID", "VERSION", "SOURCE", "TOOLS"]
    row = [l for l in lines[1:] if l.split()[0] == GREETER]
    assert len(row) == 1, out
    assert row[0].split()[1:4] == ["1.0.0", "builtin", "greet"]


# ---- a third-party plugin from a shared object ----

ECHO_SO = os.path.join(PLUGIN_BUILD_DIR, "acme_echo.so")


@pytest.fixture
def echo_server(server_factory, tmp_path):
    if not os.path.exists(ECHO_SO):
        pytest.fail("%s is not built" % ECHO_SO)
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir()
    shutil.copy(ECHO_SO, plugin_dir / "acme_echo.so")
    s = server_factory(extra_args=["--plugin-dir", str(plugin_dir)])
    s.plugin_dir = str(plugin_dir)
    return s


def test_echo_plugin_is_listed(echo_server):
    s = echo_server
    rows = s.plugins(s.admin_token)
    for row in rows:
        check_row(row)
    assert {r["id"] for r in rows} >= {GREETER, ECHO}
    e = s.plugin(s.admin_token, ECHO)
    assert e["source"] == "shared_object"
    assert e["enabled"] is False
    assert e["version"] == "0.1.0"
    assert [t["name"] for t in e["tools"]] == ["echo"]
    assert e["tools"][0]["parameters"]["required"] == ["text"]
    assert s.plugin(s.admin_token, GREETER)["source"] == "builtin"
    out = s.cli("plugins", "list", extra_args=["--plugin-dir", s.plugin_dir]).stdout
    row = [l for l in out.splitlines() if l.split() and l.split()[0] == ECHO]
    assert len(row) == 1 and "shared_object" in row[0] and "echo" in row[0], out


def test_echo_plugin_calls(echo_server):
    s = echo_server
    tok = s.admin_token
    d = s.call_tool(tok, "echo", {"text": "hi"})
    assert d["status"] == "denied" and d["plugin_id"] == ECHO
    row = s.enable(tok, ECHO, {"permissions": []})
    assert row["enabled"] is True and row["source"] == "shared_object"
    d = s.call_tool(tok, "echo", {"text": "hello there"})
    assert (d["status"], d["is_error"], d["result"], d["plugin_id"]) == ("ok", False, "hello there", ECHO)
    assert s.call_tool(tok, "echo", {"text": "abc", "upper": True})["result"] == "ABC"
    assert s.call_tool(tok, "echo", "plain words")["result"] == "plain words"
    # schema: minLength, additionalProperties, types
    for bad in ({"text": ""}, {"text": "x", "extra": 1}, {"text": 5}, {"upper": True}):
        d = s.call_tool(tok, "echo", bad)
        assert d["is_error"] is True and d["status"] == "error", (bad, d)
        assert_fallback(d["result"])
    # a setting reaches the plugin
    row = ok(s.put("/v1/admin/plugins/%s/config" % ECHO, tok, json={"settings": {"prefix": ">> "}}))
    assert row["config"] == {"prefix": ">> "}
    assert s.call_tool(tok, "echo", {"text": "x"})["result"] == ">> x"
    # both plugins work side by side, each through its own tool
    s.enable(tok, GREETER)
    assert s.call_tool(tok, "greet", "de")["result"] == "Hallo, world!"
    assert s.call_tool(tok, "echo", {"text": "y"}, plugin_id=ECHO)["result"] == ">> y"
    rows, _ = s.audit(tok, plugin_id=ECHO)
    assert rows and all(r["plugin_id"] == ECHO for r in rows)
    # the state of a shared-object plugin survives a restart too
    s.restart()
    assert s.plugin(tok, ECHO)["enabled"] is True
    assert s.call_tool(tok, "echo", {"text": "z"})["result"] == ">> z"


def test_echo_plugin_absent_without_plugin_dir(server):
    assert ECHO not in [p["id"] for p in server.plugins(server.admin_token)]
    r = server.post("/v1/admin/plugins/%s/enable" % ECHO, server.admin_token)
    err(r, 404, "SW_PLUGIN_NOT_FOUND")


def test_tool_call_checks_room_membership_and_toggles(server, make_tenant):
    """POST /v1/tools/{tool}/call trusts a room_id only when the caller has joined the room, and
    a plugin toggled off in the room does not run there (the rooms' one resolver)."""
    t = make_tenant()
    ok(server.post("/v1/admin/plugins/scaiwave.greeter/enable", t.admin_token, json={}))
    room = ok(server.post("/v1/rooms", t.admin_token, json={"room_type": "group", "name": "private"}), 201)
    body = {"arguments": {"language": "de"}, "room_id": room["id"]}
    # the admin (a member) may call there
    r = ok(server.post("/v1/tools/greet/call", t.admin_token, json=body))
    assert r["status"] == "ok", r
    # a member of the tenant who is not in the room may not
    err(server.post("/v1/tools/greet/call", t.member_token, json=body), 403, "SW_NOT_MEMBER")
    # a room that does not exist (or is another tenant's) is 404
    err(server.post("/v1/tools/greet/call", t.member_token,
                    json={"arguments": {"language": "de"}, "room_id": "no-such-room"}), 404, "SW_ROOM_NOT_FOUND")
    # toggled off in the room: denied, not run
    ok(server.post("/v1/rooms/%s/plugins/scaiwave.greeter/toggle" % room["id"], t.admin_token,
                   json={"enabled": False}))
    r = ok(server.post("/v1/tools/greet/call", t.admin_token, json=body))
    assert r["status"] == "denied" and r["is_error"], r
    # nothing was published into the room by the refused calls
    evs = ok(server.get("/v1/rooms/%s/messages" % room["id"], t.admin_token, params={"limit": 200}))
    assert [e for e in evs if e["event_type"] == "swp.room.message"] == []
