"""Plugin ABI v1 (final) through the real binary: Stop in a room sets the running tool call's
cancel flag (the fake model calls test.patient's `linger`, which waits for swp_cancelled()), and
token exchange: a plugin that declared SWP_PERM_TOKEN_EXCHANGE mints a short-lived token for one
audience, which the API refuses as a bearer token; without the grant it is refused."""
import base64
import json
import os
import time

import pytest

from conftest import Server, TenantUsers, err, ok, unique
from test_ai import FAKE, TEST_PLUGIN_DIR, Fake, Room


def need(so):
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, so)):
        pytest.fail("build/test-plugins/%s is missing" % so)


@pytest.fixture(scope="module")
def fake():
    if not os.path.exists(FAKE):
        pytest.fail("tests/fakes/fake_llm.py not present")
    f = Fake()
    yield f
    f.close()


@pytest.fixture(scope="module")
def srv():
    need("patient.so")
    s = Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR, "--outbound-allow", "127.0.0.1"])
    try:
        yield s.start()
    finally:
        s.close()


def seen(srv, tok):
    r = srv.call_tool(tok, "seen", {})
    assert r["status"] == "ok", r
    return r["result"]


def await_seen(srv, tok, want, timeout=30):
    """Polls the patient plugin's state until it says `want` (a condition with a deadline)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        last = seen(srv, tok)
        if want in last:
            return last
        time.sleep(0.02)
    raise AssertionError("seen never said %r (last: %r)" % (want, last))


def test_stop_in_a_room_sets_the_running_calls_cancel_flag(srv, fake):
    r = Room(srv, fake)
    ok(srv.post("/v1/admin/plugins/test.patient/enable", r.tok, json={}))
    assert "running=0 cancelled=0" in seen(srv, r.tok)
    fake.script({"tool_calls": [{"id": "l1", "name": "linger", "arguments": '{"max_ms":60000}'}],
                 "finish_reason": "tool_calls"},
                {"content": "stopped, then answered"})
    r.say("wait for me")
    await_seen(srv, r.tok, "running=1")          # the AI's call is inside the tool
    assert ok(srv.post("/v1/rooms/%s/ai/stop" % r.room["id"], r.tok, json={}))["stopped"] == 1
    out = await_seen(srv, r.tok, "running=0 cancelled=1")
    assert "finished=0" in out                   # it returned because of the flag, not its cap
    assert "http=-9" in out                      # SWP_E_CANCELLED: the HTTP service refused


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_token_exchange_is_audience_bound_short_lived_and_no_api_token(srv):
    need("exchange.so")
    t = TenantUsers(srv, unique("tx"))
    srv.enable(t.admin_token, "test.exchange")
    me = srv.me(t.admin_token)
    r = srv.call_tool(t.admin_token, "mint", {"audience": "crm.example", "ttl_s": 3600})
    assert r["status"] == "ok", r
    token = r["result"]
    c = claims_of(token)
    assert c["aud"] == "crm.example"
    assert c["sub"] == me["participant_id"] and c["tid"] == me["tenant_id"]
    assert 0 < c["exp"] - c["iat"] <= 300       # asked for an hour: at most five minutes
    err(srv.get("/v1/me", token), 401, "SW_AUTH_INVALID_TOKEN")   # never an API bearer token
    err(srv.get("/v1/plugins", token), 401, "SW_AUTH_INVALID_TOKEN")
    # enabled without the grant: refused by the host service
    srv.enable(t.admin_token, "test.exchange", {"permissions": []})
    r = srv.call_tool(t.admin_token, "mint", {"audience": "crm.example"})
    assert r["status"] == "error" and "permission not granted" in r["result"], r
