"""Tenant isolation: two tenants made with the CLI, each with an admin and a member. Whatever
tenant B does or asks for, it sees only its own data and changes only its own state; an attempt
to reach tenant A's data answers 404 or B's own data — never 403, never A's data."""
import uuid

import pytest

from conftest import err, ok, unique

GREETER = "scaiwave.greeter"
MASK = "********"


@pytest.fixture
def ab(server, make_tenant):
    return make_tenant("alpha"), make_tenant("beta")


def test_tokens_belong_to_their_tenant(server, ab):
    a, b = ab
    assert a.tenant_id != b.tenant_id
    assert a.admin["tenant_id"] == a.member["tenant_id"] == a.tenant_id
    assert b.admin["tenant_id"] == b.member["tenant_id"] == b.tenant_id
    assert "admin" in b.admin["roles"] and "admin" not in b.member["roles"]
    # the same local ids exist in both tenants as different participants
    assert a.admin["local_id"] == b.admin["local_id"]
    assert a.admin["participant_id"] != b.admin["participant_id"]
    default = server.me(server.admin_token)
    assert default["tenant_id"] not in (a.tenant_id, b.tenant_id)


def test_enabling_in_b_does_not_affect_a(server, ab):
    a, b = ab
    row = server.enable(b.admin_token, GREETER)
    assert row["enabled"] is True
    assert server.plugin(b.admin_token, GREETER)["enabled"] is True
    assert [p["id"] for p in ok(server.get("/v1/plugins", b.member_token))] == [GREETER]
    # A unchanged
    assert server.plugin(a.admin_token, GREETER)["enabled"] is False
    assert ok(server.get("/v1/plugins", a.member_token)) == []
    assert server.call_tool(a.member_token, "greet", "de")["status"] == "denied"
    assert server.call_tool(b.member_token, "greet", "de")["result"] == "Hallo, world!"
    # and the other way round
    server.enable(a.admin_token, GREETER)
    server.disable(b.admin_token, GREETER)
    assert server.plugin(a.admin_token, GREETER)["enabled"] is True
    assert server.call_tool(a.member_token, "greet", "de")["status"] == "ok"
    assert server.call_tool(b.member_token, "greet", "de")["status"] == "denied"


def test_config_is_per_tenant(server, ab):
    a, b = ab
    path = "/v1/admin/plugins/%s/config" % GREETER
    ok(server.put(path, a.admin_token, json={"settings": {"api_key": "alpha-secret", "region": "eu"},
                                             "tool_policies": {"greet": "ask"}}))
    row = ok(server.put(path, b.admin_token, json={"settings": {"region": "us"}}))
    assert row["config"] == {"region": "us"}
    assert row["tools"][0]["approval_policy"] != "ask"
    ga, gb = server.plugin(a.admin_token, GREETER), server.plugin(b.admin_token, GREETER)
    assert ga["config"] == {"api_key": MASK, "region": "eu"}
    assert ga["tools"][0]["approval_policy"] == "ask"
    assert gb["config"] == {"region": "us"}
    # B sending the mask for a key it never set does not borrow A's secret
    row = ok(server.put(path, b.admin_token, json={"settings": {"api_key": MASK}}))
    assert "api_key" not in row["config"], row["config"]
    # B deleting keys does not touch A
    ok(server.put(path, b.admin_token, json={"settings": {"region": None, "api_key": None}}))
    assert server.plugin(a.admin_token, GREETER)["config"] == {"api_key": MASK, "region": "eu"}


def _calls(server, t, marker, n=3):
    """n greet calls by the member in a room it created (a call's room must be one the caller
    joined), then an error row; returns the room's id."""
    server.enable(t.admin_token, GREETER)
    room = ok(server.post("/v1/rooms", t.member_token, json={"room_type": "group", "name": "room-" + marker}), 201)
    for i in range(n):
        server.call_tool(t.member_token, "greet", {"language": "de", "name": "%s-%d" % (marker, i)},
                         room_id=room["id"])
    server.call_tool(t.member_token, "greet", {"name": 5})  # an error row
    return room["id"]


def test_audit_is_per_tenant(server, ab):
    a, b = ab
    ma, mb = "alpha" + uuid.uuid4().hex[:8], "beta" + uuid.uuid4().hex[:8]
    _calls(server, a, ma)
    _calls(server, b, mb, n=2)
    server.call_tool(server.admin_token, "greet", {"language": "en"})  # default tenant: denied

    rows_a, _ = server.audit(a.admin_token)
    rows_b, _ = server.audit(b.admin_token)
    assert len(rows_a) == 4 and len(rows_b) == 3
    assert all(r["tenant_id"] == a.tenant_id for r in rows_a)
    assert all(r["tenant_id"] == b.tenant_id for r in rows_b)
    text_a, text_b = repr(rows_a), repr(rows_b)
    assert ma in text_a and mb not in text_a
    assert mb in text_b and ma not in text_b
    a_ids = {r["id"] for r in rows_a}
    assert not a_ids & {r["id"] for r in rows_b}
    b_people = {b.admin["participant_id"], b.member["participant_id"]}
    assert all(r["caller_id"] in b_people for r in rows_b)


@pytest.mark.parametrize("params", [
    {"plugin_id": GREETER},
    {"tool": "greet"},
    {"status": "ok"},
    {"status": "error"},
    {"limit": "200"},
    {"tenant_id": "{a_tenant}"},
    {"tenant": "{a_slug}"},
    {"caller_id": "{a_member}"},
    {"room_id": "{a_room}"},
    {"cursor": "{a_newest}"},
    {"cursor": "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"},
], ids=["plugin_id", "tool", "status_ok", "status_error", "limit", "tenant_id_param",
        "tenant_param", "caller_id_param", "room_id_param", "cursor_from_a", "cursor_high"])
def test_b_never_reads_a_audit_rows(server, ab, params):
    a, b = ab
    ma, mb = "alpha" + uuid.uuid4().hex[:8], "beta" + uuid.uuid4().hex[:8]
    a_room = _calls(server, a, ma)
    _calls(server, b, mb, n=1)
    rows_a, _ = server.audit(a.admin_token)
    subst = {"a_room": a_room, "a_tenant": a.tenant_id, "a_slug": a.slug, "a_member": a.member["participant_id"],
             "ma": ma, "a_newest": rows_a[0]["id"]}
    q = {k: v.format(**subst) for k, v in params.items()}
    r = server.get("/v1/admin/audit", b.admin_token, params=q)
    rows = ok(r)  # B's own (possibly empty) view; never 403
    a_ids = {x["id"] for x in rows_a}
    for row in rows:
        assert row["tenant_id"] == b.tenant_id, row
        assert row["id"] not in a_ids
    assert ma not in r.text and a.member["participant_id"] not in r.text
    # B's audit also ignores headers naming another tenant
    r = server.get("/v1/admin/audit", b.admin_token,
                   headers={"X-Tenant-Id": a.tenant_id, "X-Tenant": a.slug})
    assert all(x["tenant_id"] == b.tenant_id for x in ok(r))


def test_b_member_cannot_use_a_admin_routes(server, ab):
    a, b = ab
    # B's member is not an admin anywhere: 403 is about the role, in B's own tenant.
    err(server.post("/v1/admin/plugins/%s/enable" % GREETER, b.member_token), 403,
        "SW_AUTH_INSUFFICIENT_PERMISSION")
    assert server.plugin(a.admin_token, GREETER)["enabled"] is False
    assert server.plugin(b.admin_token, GREETER)["enabled"] is False


def test_cross_tenant_plugin_lists_show_only_own_state(server, ab):
    a, b = ab
    server.enable(a.admin_token, GREETER)
    ok(server.put("/v1/admin/plugins/%s/config" % GREETER, a.admin_token,
                  json={"settings": {"region": "alpha-only"}}))
    for r in (server.get("/v1/admin/plugins", b.admin_token), server.get("/v1/plugins", b.member_token),
              server.get("/v1/admin/plugins?tenant_id=" + a.tenant_id, b.admin_token),
              server.get("/v1/plugins", b.member_token, headers={"X-Tenant-Id": a.tenant_id})):
        assert r.status_code == 200, r.text
        assert "alpha-only" not in r.text
        for p in ok(r):
            if p["id"] == GREETER:
                assert p["enabled"] is False


def test_sign_in_is_scoped_to_the_tenant(server):
    sa, sb = unique("pa"), unique("pb")
    server.create_tenant(sa)
    server.create_tenant(sb)
    server.create_user(sa, "sam", password="alpha-password")
    server.create_user(sb, "sam", password="beta-password")
    server.create_user(sa, "only-in-a", password="alpha-password")

    def sign_in(tenant, user, pw):
        return server.post("/v1/auth/token", json={"tenant": tenant, "username": user, "password": pw})

    ta = ok(sign_in(sa, "sam", "alpha-password"))["access_token"]
    tb = ok(sign_in(sb, "sam", "beta-password"))["access_token"]
    server.issued_tokens.update((ta, tb))
    me_a, me_b = server.me(ta), server.me(tb)
    assert me_a["tenant_id"] != me_b["tenant_id"]
    assert me_a["participant_id"] != me_b["participant_id"]
    err(sign_in(sb, "sam", "alpha-password"), 401, "SW_AUTH_INVALID_CREDENTIALS")
    err(sign_in(sa, "sam", "beta-password"), 401, "SW_AUTH_INVALID_CREDENTIALS")
    err(sign_in(sb, "only-in-a", "alpha-password"), 401, "SW_AUTH_INVALID_CREDENTIALS")


def test_tool_calls_run_with_the_callers_tenant_settings(server_factory, tmp_path):
    # acme.echo reads a setting; each tenant's prefix must reach only its own calls.
    import os
    import shutil
    from conftest import PLUGIN_BUILD_DIR
    so = os.path.join(PLUGIN_BUILD_DIR, "acme_echo.so")
    if not os.path.exists(so):
        pytest.fail("%s is not built" % so)
    d = tmp_path / "plugins"
    d.mkdir()
    shutil.copy(so, d / "acme_echo.so")
    s = server_factory(extra_args=["--plugin-dir", str(d)])
    s.create_tenant("beta")
    s.create_user("beta", "boss", admin=True)
    tb = s.create_token("beta", "boss")
    ta = s.admin_token
    for tok, prefix in ((ta, "A> "), (tb, "B> ")):
        s.enable(tok, "acme.echo")
        ok(s.put("/v1/admin/plugins/acme.echo/config", tok, json={"settings": {"prefix": prefix}}))
    for _ in range(3):
        assert s.call_tool(ta, "echo", {"text": "x"})["result"] == "A> x"
        assert s.call_tool(tb, "echo", {"text": "x"})["result"] == "B> x"
    s.disable(tb, "acme.echo")
    assert s.call_tool(tb, "echo", {"text": "x"})["status"] == "denied"
    assert s.call_tool(ta, "echo", {"text": "x"})["result"] == "A> x"
