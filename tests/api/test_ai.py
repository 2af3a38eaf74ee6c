"""AI participants and the tool-calling turn loop, against the real client and a fake
OpenAI-compatible model server on loopback (tests/fakes/fake_llm.py). Each test scripts the
fake's answers and asserts on the requests the fake received and on what the room shows."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import Server, TenantUsers, err, ok, unique

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fakes", "fake_llm.py")
TEST_PLUGIN_DIR = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"
GREET_SCHEMA = {
    "type": "object",
    "properties": {
        "language": {"type": "string", "description": "Language code (en, de, nl, fr, ja, ...)."},
        "name": {"type": "string", "description": "Whom to greet (optional)."},
    },
    "required": ["language"],
}


class Fake:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="sw-fake-")
        pf = os.path.join(self.tmp, "port")
        self.proc = subprocess.Popen(["/usr/bin/python3", FAKE, "--port", "0", "--port-file", pf],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "err"), "w"))
        deadline = time.monotonic() + 15
        while not (os.path.exists(pf) and open(pf).read().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fake model server did not start")
            time.sleep(0.02)
        self.port = int(open(pf).read().strip())
        self.base = "http://127.0.0.1:%d/v1" % self.port

    def _call(self, method, path, body=None):
        import urllib.request
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            return json.loads(data) if data else None

    def script(self, *responses):
        self._call("POST", "/_reset", {})
        self._call("POST", "/_script", {"responses": list(responses)})

    def requests(self):
        return self._call("GET", "/_requests")

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def fake():
    if not os.path.exists(FAKE):
        pytest.fail("tests/fakes/fake_llm.py not present")
    f = Fake()
    yield f
    f.close()


@pytest.fixture(scope="module")
def srv():
    extra = ["--ai-max-rounds", "3", "--outbound-allow", "127.0.0.1"]  # the fake model is on loopback
    if os.path.exists(os.path.join(TEST_PLUGIN_DIR, "acme_echo.so")):
        extra += ["--plugin-dir", TEST_PLUGIN_DIR]
    s = Server(extra_args=extra)
    try:
        yield s.start()
    finally:
        s.close()


class Room:
    """A tenant with an admin, a room with an AI (engagement "always") pointing at the fake."""

    def __init__(self, srv, fake, plugins=None, enable_greeter=True):
        self.srv = srv
        self.t = TenantUsers(srv, unique("ai"))
        self.tok = self.t.admin_token
        if enable_greeter:
            ok(srv.post("/v1/admin/plugins/scaiwave.greeter/enable", self.tok, json={}))
        body = {"local_id": "helper", "display_name": "Helper", "model": "fake-model",
                "base_url": fake.base, "api_key": "sk-test-secret", "temperature": 0.2}
        if plugins is not None:
            body["plugins"] = plugins
        self.ai = ok(srv.post("/v1/admin/participants/model", self.tok, json=body), 201)
        self.room = ok(srv.post("/v1/rooms", self.tok, json={"room_type": "group", "name": "ai room"}), 201)
        ok(srv.post("/v1/rooms/%s/invite" % self.room["id"], self.tok,
                    json={"participant_id": self.ai["participant_id"]}))
        ok(srv.put("/v1/rooms/%s/ai/engagement" % self.room["id"], self.tok, json={"mode": "always"}))
        self.cursor = int(ok(srv.get("/v1/sync", self.tok, params={"timeout": 0}))["next_cursor"])

    def say(self, text):
        return ok(self.srv.post("/v1/rooms/%s/send" % self.room["id"], self.tok,
                                json={"content": {"msgtype": "swp.text", "body": text}}))

    def wait_for(self, pred, timeout=20):
        """Long-polls /v1/sync until an event matching pred arrives; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = ok(self.srv.get("/v1/sync", self.tok, params={"since": self.cursor, "timeout": 5000}, timeout=15))
            self.cursor = int(d["next_cursor"])
            for ev in d["events"]:
                if pred(ev):
                    return ev
        raise AssertionError("no matching event within %s s" % timeout)

    def ai_answer(self):
        aid = self.ai["participant_id"]
        return self.wait_for(lambda e: e["sender_id"] == aid and e["content"].get("msgtype") == "swp.text")

    def system_message(self):
        return self.wait_for(lambda e: e["content"].get("msgtype") == "swp.system")


def bearer_hash(key):
    """What the fake records of an `Authorization: Bearer <key>` header."""
    return hashlib.sha256(("Bearer " + key).encode()).hexdigest()


def tool_names(req):
    return [t["function"]["name"] for t in (req["body"].get("tools") or [])]


def test_say_hello_in_german(srv, fake):
    """The seed's step 5, end to end."""
    fake.script({"tool_calls": [{"id": "call_1", "name": "greet",
                                 "arguments": json.dumps({"language": "de", "name": "Alice"})}],
                 "finish_reason": "tool_calls", "chunk_size": 5},
                {"content": "Here you go: Hallo, Alice!", "chunk_size": 4})
    r = Room(srv, fake)
    r.say("Say hello in German to Alice.")
    ans = r.ai_answer()
    assert ans["content"]["body"] == "Here you go: Hallo, Alice!"
    reqs = fake.requests()
    assert len(reqs) == 2
    first, second = reqs[0]["body"], reqs[1]["body"]
    assert first["model"] == "fake-model" and first["stream"] is True
    greet = [t for t in first["tools"] if t["function"]["name"] == "greet"][0]
    assert greet["type"] == "function" and greet["function"]["parameters"] == GREET_SCHEMA
    assert any(m["role"] == "user" and "Say hello in German to Alice." in m["content"] for m in first["messages"])
    tool_msgs = [m for m in second["messages"] if m["role"] == "tool"]
    assert tool_msgs == [{"role": "tool", "tool_call_id": "call_1", "content": "Hallo, Alice!"}]
    assistant = [m for m in second["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    assert assistant[0]["tool_calls"][0]["function"]["name"] == "greet"
    # the key reached the endpoint but never the API
    assert all(q["authorization_present"] for q in reqs)
    assert all(q["authorization_sha256"] == bearer_hash("sk-test-secret") for q in reqs)
    ps = ok(srv.get("/v1/admin/participants", r.tok))
    mc = [p for p in ps if p["participant_id"] == r.ai["participant_id"]][0]["model_config"]
    assert mc["api_key"] == "********" and "sk-test-secret" not in json.dumps(ps)
    audit = ok(srv.get("/v1/admin/audit", r.tok, params={"tool": "greet"}))
    assert audit[0]["status"] == "ok" and audit[0]["caller_id"] == r.ai["participant_id"]
    assert audit[0]["initiator_id"] == r.t.admin["participant_id"]


@pytest.mark.parametrize("how", ["disabled", "loadout", "room_toggle"])
def test_greet_absent_when_not_available(srv, fake, how):
    fake.script({"content": "ok"})
    r = Room(srv, fake, plugins=[] if how == "loadout" else None, enable_greeter=how != "disabled")
    if how == "room_toggle":
        ok(srv.post("/v1/rooms/%s/plugins/scaiwave.greeter/toggle" % r.room["id"], r.tok, json={"enabled": False}))
    r.say("Say hello in German to Alice.")
    r.ai_answer()
    assert "greet" not in tool_names(fake.requests()[0])


def test_two_tool_calls_split_across_chunks(srv, fake):
    fake.script({"tool_calls": [{"id": "a1", "name": "greet", "arguments": '{"language": "fr", "name": "Zoë"}'},
                                {"id": "b2", "name": "greet", "arguments": '{"language": "ja"}'}],
                 "finish_reason": "tool_calls", "chunk_size": 3},
                {"content": "done"})
    r = Room(srv, fake)
    r.say("greet twice")
    assert r.ai_answer()["content"]["body"] == "done"
    tool_msgs = {m["tool_call_id"]: m["content"] for m in fake.requests()[1]["body"]["messages"] if m["role"] == "tool"}
    assert tool_msgs == {"a1": "Bonjour, Zoë!", "b2": "こんにちは、worldさん!"}


def test_invalid_arguments_reach_the_model_with_fallback(srv, fake):
    fake.script({"tool_calls": [{"id": "x", "name": "greet", "arguments": '{"name": 5}'}], "finish_reason": "tool_calls"},
                {"content": "sorry"})
    r = Room(srv, fake)
    r.say("greet")
    r.ai_answer()
    tool = [m for m in fake.requests()[1]["body"]["messages"] if m["role"] == "tool"][0]
    assert tool["tool_call_id"] == "x" and "Fallback suggestions:" in tool["content"]


def test_round_limit_ends_with_a_final_answer(srv, fake):
    call = {"tool_calls": [{"id": "r", "name": "greet", "arguments": '{"language":"de"}'}], "finish_reason": "tool_calls"}
    fake.script(call, call, call, {"content": "final words"})
    r = Room(srv, fake)
    r.say("loop forever")
    assert r.ai_answer()["content"]["body"] == "final words"
    reqs = fake.requests()
    assert len(reqs) == 4  # 3 rounds with tools, then one without
    assert "tools" in reqs[0]["body"] and not reqs[3]["body"].get("tools")


def test_429_then_success(srv, fake):
    fake.script({"status": 429, "headers": {"Retry-After": "1"}, "error_body": {"error": {"message": "slow down"}}},
                {"content": "after retry"})
    r = Room(srv, fake)
    r.say("hi")
    assert r.ai_answer()["content"]["body"] == "after retry"
    assert len(fake.requests()) == 2


def test_401_gives_a_system_message(srv, fake):
    fake.script({"status": 401, "error_body": {"error": {"message": "bad key"}}})
    r = Room(srv, fake)
    r.say("hi")
    text = r.system_message()["content"]["body"]
    assert "401" in text and "Admin → AI" in text and "sk-test-secret" not in text
    assert len(fake.requests()) == 1  # no retry


def test_stream_cut_keeps_partial_answer(srv, fake):
    fake.script({"content": "This answer will be cut short", "chunk_size": 5, "cut_after": 3})
    r = Room(srv, fake)
    r.say("hi")
    body = r.ai_answer()["content"]["body"]
    assert body.startswith("This answer will ") or body.startswith("This answer wi")
    assert "cut off" in body


def test_stop_mid_stream(srv, fake):
    fake.script({"content": "a b c d e f g h i j k l m n o p", "chunk_size": 2, "delay_ms": 1000})
    r = Room(srv, fake)
    r.say("talk slowly")
    deadline = time.monotonic() + 10
    while not fake.requests() and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    assert ok(srv.post("/v1/rooms/%s/ai/stop" % r.room["id"], r.tok, json={}))["stopped"] == 1
    ans = r.ai_answer()
    assert time.monotonic() - t0 < 5
    assert "[stopped]" in ans["content"]["body"]


def test_engage_without_model_is_503(srv, fake):
    r = Room(srv, fake)
    no = ok(srv.post("/v1/admin/participants/model", r.tok, json={"local_id": "nomodel", "model": "x"}), 201)
    err(srv.post("/v1/rooms/%s/ai/engage" % r.room["id"], r.tok, json={"participant_id": no["participant_id"]}),
        503, "SW_AI_NO_MODEL")


def test_engage_while_busy_is_409(srv, fake):
    fake.script({"content": "slow answer here", "chunk_size": 2, "delay_ms": 500})
    r = Room(srv, fake)
    ok(srv.post("/v1/rooms/%s/ai/engage" % r.room["id"], r.tok, json={"participant_id": r.ai["participant_id"]}), 202)
    err(srv.post("/v1/rooms/%s/ai/engage" % r.room["id"], r.tok, json={"participant_id": r.ai["participant_id"]}),
        409, "SW_AI_BUSY")
    ok(srv.post("/v1/rooms/%s/ai/stop" % r.room["id"], r.tok, json={}))


def test_plugin_system_context_only_while_enabled(srv, fake):
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, "acme_echo.so")):
        pytest.fail("acme_echo.so not built")
    r = Room(srv, fake)
    fake.script({"content": "one"}, {"content": "two"})
    r.say("first")
    r.ai_answer()
    assert "echo tool" not in fake.requests()[0]["body"]["messages"][0]["content"]
    ok(srv.post("/v1/admin/plugins/acme.echo/enable", r.tok, json={}))
    fake.script({"content": "three"})
    r.say("second")
    r.ai_answer()
    system = fake.requests()[0]["body"]["messages"][0]
    assert system["role"] == "system" and "echo tool" in system["content"]
    assert "Fallback suggestions" in system["content"]  # the etiquette block


def test_mention_mode(srv, fake):
    r = Room(srv, fake)
    ok(srv.put("/v1/rooms/%s/ai/engagement" % r.room["id"], r.tok, json={"mode": "mention"}))
    fake.script({"content": "you called?"})
    r.say("no mention here")
    r.say("hey @helper, are you there?")
    assert r.ai_answer()["content"]["body"] == "you called?"
    assert len(fake.requests()) == 1


def test_two_sockets_see_chunks_tool_call_and_answer(srv, fake):
    """Both people's WebSockets see the streamed chunks, the status changes, the tool call and
    the final message of the seed's step 5."""
    from test_stream import WS
    fake.script({"tool_calls": [{"id": "c1", "name": "greet", "arguments": '{"language":"de","name":"Alice"}'}],
                 "finish_reason": "tool_calls"},
                {"content": "Hallo, Alice! That is German.", "chunk_size": 6})
    r = Room(srv, fake)
    srv.create_user(r.t.slug, "bea")
    bea_tok = srv.create_token(r.t.slug, "bea")
    bea = srv.me(bea_tok)
    ok(srv.post("/v1/rooms/%s/invite" % r.room["id"], r.tok, json={"participant_id": bea["participant_id"]}))
    ok(srv.post("/v1/rooms/%s/join" % r.room["id"], bea_tok, json={}))
    aid = r.ai["participant_id"]
    with WS(srv, r.tok) as a, WS(srv, bea_tok) as b:
        a.hello()
        b.hello()
        r.say("Say hello in German to Alice.")
        for ws in (a, b):
            final, before = ws.until(lambda m: m["type"] == "swp.room.message" and m.get("sender_id") == aid
                                     and m["content"].get("msgtype") == "swp.text")
            assert final["content"]["body"] == "Hallo, Alice! That is German."
            chunks = "".join(m["content"]["chunk_text"] for m in before if m["type"] == "swp.room.message.chunk")
            assert chunks == "Hallo, Alice! That is German."
            calls = [m["content"] for m in before if m["type"] == "swp.tool.call"]
            assert [c["status"] for c in calls] == ["running", "ok"] and calls[1]["tool"] == "greet"
            assert calls[1]["result"] == "Hallo, Alice!"
            statuses = [m["content"]["status"] for m in before if m["type"] == "swp.ai.status"]
            assert statuses[:2] == ["thinking", "calling greet"] and "generating" in statuses


def test_plugin_asks_the_model_and_publishes_events(srv, fake):
    """Host services: swp_model_complete answers with the calling AI's model; swp_publish reaches
    the room's sockets as swp.plugin.event, and needs WRITE_MESSAGES."""
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, "services.so")):
        pytest.fail("services.so not built")
    from test_stream import WS
    r = Room(srv, fake)
    ok(srv.post("/v1/admin/plugins/test.services/enable", r.tok, json={}))
    fake.script({"tool_calls": [{"id": "s1", "name": "summarize", "arguments": '{"text":"a very long story"}'}],
                 "finish_reason": "tool_calls"},
                {"content": "long story short", "stream": False},
                {"content": "It says: long story short."})
    r.say("summarise this")
    assert r.ai_answer()["content"]["body"] == "It says: long story short."
    reqs = fake.requests()
    assert len(reqs) == 3
    inner = reqs[1]["body"]
    assert inner["model"] == "fake-model" and not inner.get("tools")
    assert inner["messages"][-1] == {"role": "user", "content": "a very long story"}
    assert [m for m in reqs[2]["body"]["messages"] if m["role"] == "tool"][0]["content"] == "long story short"
    with WS(srv, r.tok) as ws:
        ws.hello()
        res = ok(srv.post("/v1/tools/announce/call", r.tok,
                          json={"arguments": {"kind": "build.done", "data": {"ok": True}}, "room_id": r.room["id"]}))
        assert res["status"] == "ok"
        ev, _ = ws.until(lambda m: m["type"] == "swp.plugin.event")
        assert ev["content"] == {"plugin_id": "test.services", "type": "build.done", "data": {"ok": True}}
        assert ev["room_id"] == r.room["id"]
    ok(srv.post("/v1/admin/plugins/test.services/enable", r.tok, json={"permissions": []}))
    res = ok(srv.post("/v1/tools/announce/call", r.tok, json={"arguments": {"kind": "x"}, "room_id": r.room["id"]}))
    assert res["is_error"] and "permission" in res["result"]


# ---- whose key goes where (issue 13, points 1 and 10) --------------------------------------

def test_an_ais_own_api_key_reaches_its_model(srv, fake):
    r = Room(srv, fake)
    ok(srv.put("/v1/admin/participants/%s" % r.ai["participant_id"], r.tok,
               json={"model": "fake-model", "api_key": "sk-own-key-123"}))
    fake.script({"content": "keyed"})
    r.say("hi")
    assert r.ai_answer()["content"]["body"] == "keyed"
    reqs = fake.requests()
    assert len(reqs) == 1 and reqs[0]["authorization_present"] is True
    assert reqs[0]["authorization_sha256"] == bearer_hash("sk-own-key-123")
    assert reqs[0]["headers"]["Authorization"] == "[present]"


@pytest.fixture(scope="module")
def operator_fake():
    f = Fake()
    yield f
    f.close()


def test_operator_key_goes_only_to_the_operator_url(fake, operator_fake):
    """An AI with its own base_url and no api_key gets no Authorization header at all — in the
    turn and in a plugin's swp_model_complete; the operator's key reaches only the default URL."""
    extra = ["--ai-max-rounds", "3", "--outbound-allow", "127.0.0.1"]
    if os.path.exists(os.path.join(TEST_PLUGIN_DIR, "services.so")):
        extra += ["--plugin-dir", TEST_PLUGIN_DIR]
    s = Server(extra_args=extra, env={"SCAIWAVE_SCAIGRID_URL": operator_fake.base,
                                      "SCAIWAVE_SCAIGRID_API_KEY": "sk-operator-secret"})
    try:
        s.start()
        r = Room(s, fake)
        ok(s.put("/v1/admin/participants/%s" % r.ai["participant_id"], r.tok,
                 json={"model": "fake-model", "api_key": None}))
        operator_fake.script()
        fake.script({"content": "no key here"})
        r.say("hi")
        assert r.ai_answer()["content"]["body"] == "no key here"
        reqs = fake.requests()
        assert len(reqs) == 1
        assert reqs[0]["authorization_present"] is False and "Authorization" not in reqs[0]["headers"]
        assert operator_fake.requests() == []
        if "--plugin-dir" in extra:  # the model client offered to plugins: same rule
            ok(s.post("/v1/admin/plugins/test.services/enable", r.tok, json={}))
            fake.script({"tool_calls": [{"id": "s1", "name": "summarize", "arguments": '{"text":"story"}'}]},
                        {"content": "short", "stream": False}, {"content": "summarised"})
            r.say("summarise")
            assert r.ai_answer()["content"]["body"] == "summarised"
            reqs = fake.requests()
            assert len(reqs) == 3 and [q["authorization_present"] for q in reqs] == [False, False, False]
            assert operator_fake.requests() == []
        # an AI on the default URL does get the operator's key (so the check above can fail)
        dflt = ok(s.post("/v1/admin/participants/model", r.tok, json={"local_id": "dflt", "model": "m"}), 201)
        ok(s.post("/v1/rooms/%s/invite" % r.room["id"], r.tok, json={"participant_id": dflt["participant_id"]}))
        operator_fake.script({"content": "from the operator's model"})
        fake.script()
        ok(s.post("/v1/rooms/%s/ai/engage" % r.room["id"], r.tok, json={"participant_id": dflt["participant_id"]}), 202)
        r.wait_for(lambda e: e["sender_id"] == dflt["participant_id"] and e["content"].get("msgtype") == "swp.text")
        oreqs = operator_fake.requests()
        assert len(oreqs) == 1 and oreqs[0]["authorization_sha256"] == bearer_hash("sk-operator-secret")
        assert fake.requests() == []
        assert "sk-operator-secret" not in s.stderr_text() + s.stdout_text()
    finally:
        s.close()


# ---- outbound address policy for an AI's base_url (issue 13, point 7: SSRF) ----------------

def blocked_urls(fake):
    return {"loopback": fake.base, "private": "http://10.0.0.1:8080/v1",
            "metadata": "http://169.254.169.254/v1", "localhost": "http://localhost:%d/v1" % fake.port}


def test_base_url_at_refused_addresses_is_422_without_the_allow_list(fake):
    s = Server()
    try:
        s.start()
        t = TenantUsers(s, unique("ssrf"))
        for what, url in blocked_urls(fake).items():
            e = err(s.post("/v1/admin/participants/model", t.admin_token,
                           json={"local_id": "ai-" + what, "model": "m", "base_url": url}), 422, "SW_VALIDATION")
            assert e["details"]["field"] == "base_url" and "--outbound-allow" in e["message"], (what, e)
        ai = ok(s.post("/v1/admin/participants/model", t.admin_token,
                       json={"local_id": "public", "model": "m", "base_url": "https://models.example.com/v1"}), 201)
        for what, url in blocked_urls(fake).items():
            err(s.put("/v1/admin/participants/%s" % ai["participant_id"], t.admin_token,
                      json={"model": "m", "base_url": url}), 422, "SW_VALIDATION")
        ps = ok(s.get("/v1/admin/participants", t.admin_token))
        assert [p["model_config"]["base_url"] for p in ps if p["participant_id"] == ai["participant_id"]] == \
            ["https://models.example.com/v1"]
    finally:
        s.close()


def test_refused_addresses_are_refused_at_connect_time_and_allowed_when_listed(fake):
    """Stored while the operator allowed them, refused once the allow-list no longer names them:
    the check runs on the resolved address when connecting (localhost is a name), no request
    reaches the fake and the room says why."""
    allow = ["--outbound-allow", "127.0.0.1, localhost,10.0.0.1,169.254.169.254"]
    s = Server(extra_args=allow)
    try:
        s.start()
        t = TenantUsers(s, unique("ssrf"))
        room = ok(s.post("/v1/rooms", t.admin_token, json={"room_type": "group", "name": "r"}), 201)
        ais = {}
        for what, url in blocked_urls(fake).items():
            ais[what] = ok(s.post("/v1/admin/participants/model", t.admin_token,
                                  json={"local_id": "ai-" + what, "model": "m", "base_url": url}), 201)
            ok(s.post("/v1/rooms/%s/invite" % room["id"], t.admin_token,
                      json={"participant_id": ais[what]["participant_id"]}))
        cursor = int(ok(s.get("/v1/sync", t.admin_token, params={"timeout": 0}))["next_cursor"])

        def next_event(pred):
            nonlocal cursor
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                d = ok(s.get("/v1/sync", t.admin_token, params={"since": cursor, "timeout": 5000}, timeout=15))
                cursor = int(d["next_cursor"])
                for ev in d["events"]:
                    if pred(ev):
                        return ev
            raise AssertionError("no matching event")

        # allowed: the loopback AIs reach the fake (by address, and by the name localhost)
        for what in ("loopback", "localhost"):
            fake.script({"content": "hello from " + what})
            pid = ais[what]["participant_id"]
            ok(s.post("/v1/rooms/%s/ai/engage" % room["id"], t.admin_token, json={"participant_id": pid}), 202)
            ev = next_event(lambda e: e["sender_id"] == pid and e["content"].get("msgtype") == "swp.text")
            assert ev["content"]["body"] == "hello from " + what
            assert len(fake.requests()) == 1

        s.extra_args = [a for a in s.extra_args if a not in allow]
        s.restart()
        for what, ai in ais.items():
            fake.script()
            pid = ai["participant_id"]
            ok(s.post("/v1/rooms/%s/ai/engage" % room["id"], t.admin_token, json={"participant_id": pid}), 202)
            ev = next_event(lambda e: e["content"].get("msgtype") == "swp.system" and "could not answer" in
                            e["content"]["body"])
            assert "is not allowed" in ev["content"]["body"] and "--outbound-allow" in ev["content"]["body"], ev
            assert fake.requests() == [], what
    finally:
        s.close()


# ---- /ai/engage needs the power that inviting needs (issue 13, point 7) --------------------

def test_engage_adding_an_ai_needs_invite_power(srv, fake):
    r = Room(srv, fake)
    mia = r.t.member
    ok(srv.post("/v1/rooms/%s/invite" % r.room["id"], r.tok, json={"participant_id": mia["participant_id"]}))
    ok(srv.post("/v1/rooms/%s/join" % r.room["id"], r.t.member_token, json={}))
    other = ok(srv.post("/v1/admin/participants/model", r.tok,
                        json={"local_id": "outsider-ai", "model": "fake-model", "base_url": fake.base}), 201)
    # inviting it herself is refused, and so is engaging (= adding) it
    err(srv.post("/v1/rooms/%s/invite" % r.room["id"], r.t.member_token,
                 json={"participant_id": other["participant_id"]}), 403, "SW_AUTH_INSUFFICIENT_PERMISSION")
    err(srv.post("/v1/rooms/%s/ai/engage" % r.room["id"], r.t.member_token,
                 json={"participant_id": other["participant_id"]}), 403, "SW_AUTH_INSUFFICIENT_PERMISSION")
    members = ok(srv.get("/v1/rooms/%s/members" % r.room["id"], r.tok))
    assert other["participant_id"] not in json.dumps(members)
    # an AI that is already in the room she may still engage
    fake.script({"content": "here"})
    ok(srv.post("/v1/rooms/%s/ai/engage" % r.room["id"], r.t.member_token,
                json={"participant_id": r.ai["participant_id"]}), 202)
    assert r.ai_answer()["content"]["body"] == "here"


# ---- AI-turn tool calls carry the tenant slug (issue 13, point 17) -------------------------

def test_ai_tool_calls_get_the_tenant_slug(srv, fake):
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, "services.so")):
        pytest.fail("services.so not built")
    r = Room(srv, fake)
    ok(srv.post("/v1/admin/plugins/test.services/enable", r.tok, json={}))
    fake.script({"tool_calls": [{"id": "c1", "name": "context", "arguments": "{}"}]}, {"content": "done"})
    r.say("where am I?")
    assert r.ai_answer()["content"]["body"] == "done"
    tool = [m for m in fake.requests()[1]["body"]["messages"] if m["role"] == "tool"]
    assert tool == [{"role": "tool", "tool_call_id": "c1", "content": "tenant=%s room=%s" % (r.t.slug, r.room["id"])}]
