"""Human-in-the-loop approvals of an AI's tool calls, against the real binary, a fake
OpenAI-compatible model (tests/fakes/fake_llm.py) and the test plugin test.recorder
(tests/plugins/recorder.c: `record` has side effects and counts its runs in the plugin's
key/value store, `count` reads that number without side effects).

A side-effecting call in a room with two people waits for the initiator's decision: a
swp.approval card is stored, swp.approval.requested is published, the turn is parked in the
store (no thread waits) and resumed by the last decision — also after a restart. Reject and
expiry give the model a refusal instead of a result; racing decisions have one winner.
Everything waits on /v1/sync long-polls or WebSocket receives, never on fixed sleeps."""
import json
import os
import signal
import threading
import time

import pytest

from conftest import Server, TenantUsers, err, ok, unique
from test_ai import Fake

TEST_PLUGIN_DIR = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"
HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fakes", "fake_llm.py")


def have_recorder():
    return os.path.exists(os.path.join(TEST_PLUGIN_DIR, "recorder.so"))


def test_the_recorder_plugin_and_the_fake_model_are_there():
    """Every test here needs both; a missing one is a failure, not a skip."""
    assert have_recorder() and os.path.exists(FAKE), "build/test-plugins/recorder.so or the fake model is missing"


@pytest.fixture(scope="module")
def fake():
    f = Fake()
    yield f
    f.close()


def start_server(*extra):
    s = Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR, "--ai-max-rounds", "3",
                            "--outbound-allow", "127.0.0.1"] + list(extra))  # the fake model
    return s.start()


@pytest.fixture(scope="module")
def srv():
    s = start_server()
    try:
        yield s
    finally:
        s.close()


def record_call(note, call_id="call_rec"):
    return {"id": call_id, "name": "record", "arguments": json.dumps({"note": note})}


def calls(*tool_calls):
    return {"tool_calls": list(tool_calls), "finish_reason": "tool_calls"}


class Setup:
    """A tenant with boss (admin) and mia, test.recorder enabled, an AI "helper" on the fake
    answering every message, and a group room. shared=True: mia has joined too (two humans)."""

    def __init__(self, srv, fake, shared=True):
        self.srv = srv
        self.t = TenantUsers(srv, unique("hitl"))
        self.boss, self.mia = self.t.admin_token, self.t.member_token
        self.boss_id, self.mia_id = self.t.admin["participant_id"], self.t.member["participant_id"]
        ok(srv.post("/v1/admin/plugins/test.recorder/enable", self.boss, json={}))
        self.ai = ok(srv.post("/v1/admin/participants/model", self.boss,
                              json={"local_id": "helper", "display_name": "Helper", "model": "fake-model",
                                    "base_url": fake.base, "api_key": "sk-test"}), 201)
        self.ai_id = self.ai["participant_id"]
        self.room = self.new_room(shared)
        self.cursor = int(ok(srv.get("/v1/sync", self.boss, params={"timeout": 0}))["next_cursor"])
        self.seen = []  # events read from /v1/sync but not yet matched

    def new_room(self, shared):
        room = ok(self.srv.post("/v1/rooms", self.boss, json={"room_type": "group", "name": "hitl"}), 201)
        ok(self.srv.post("/v1/rooms/%s/invite" % room["id"], self.boss, json={"participant_id": self.ai_id}))
        ok(self.srv.put("/v1/rooms/%s/ai/engagement" % room["id"], self.boss, json={"mode": "always"}))
        if shared:
            ok(self.srv.post("/v1/rooms/%s/invite" % room["id"], self.boss, json={"participant_id": self.mia_id}))
            ok(self.srv.post("/v1/rooms/%s/join" % room["id"], self.mia, json={}))
        return room

    def say(self, text, room=None, token=None):
        room = room or self.room
        return ok(self.srv.post("/v1/rooms/%s/send" % room["id"], token or self.boss,
                                json={"content": {"msgtype": "swp.text", "body": text}}))

    def wait_for(self, pred, timeout=30):
        """The first event (as boss sees them, in order) matching pred that no earlier wait_for
        returned; long-polls /v1/sync until it arrives. Events it passes over stay available."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.seen):
                if pred(ev):
                    return self.seen.pop(i)
            if time.monotonic() > deadline:
                raise AssertionError("no matching event within %s s" % timeout)
            d = ok(self.srv.get("/v1/sync", self.boss, params={"since": self.cursor, "timeout": 5000}, timeout=15))
            self.cursor = int(d["next_cursor"])
            self.seen.extend(d["events"])

    def card(self, status="pending", request_id=None):
        def pred(e):
            c = e["content"]
            return (c.get("msgtype") == "swp.approval" and c.get("status") == status
                    and (request_id is None or c.get("request_id") == request_id))
        return self.wait_for(pred)["content"]

    def answer(self, room=None):
        rid = (room or self.room)["id"]
        return self.wait_for(lambda e: e["room_id"] == rid and e["sender_id"] == self.ai_id
                             and e["content"].get("msgtype") == "swp.text")["content"]["body"]

    def count(self):
        """How many times `record` ran (the side effect itself, read back by the count tool)."""
        r = ok(self.srv.post("/v1/tools/count/call", self.boss, json={"arguments": {}}))
        assert r["status"] == "ok", r
        return int(r["result"])

    def approve(self, rid, token=None):
        return self.srv.post("/v1/queue/hitl/%s/approve" % rid, token or self.boss, json={})

    def reject(self, rid, reason=None, token=None):
        return self.srv.post("/v1/queue/hitl/%s/reject" % rid, token or self.boss,
                             json={} if reason is None else {"reason": reason})

    def pending(self, token=None):
        return ok(self.srv.get("/v1/queue/hitl", token or self.boss))

    def messages(self, room=None):
        rid = (room or self.room)["id"]
        return ok(self.srv.get("/v1/rooms/%s/messages" % rid, self.boss, params={"limit": 200}))


def tool_messages(request):
    return [m for m in request["body"]["messages"] if m["role"] == "tool"]


def wait_requests(fake, n, timeout=20):
    """The fake's recorded requests once there are at least n (the turn runs asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        reqs = fake.requests()
        if len(reqs) >= n or time.monotonic() > deadline:
            return reqs
        time.sleep(0.05)


def collect(ws, preds, timeout=15):
    """Reads a socket until every predicate matched some message; returns the matches."""
    found = [None] * len(preds)
    deadline = time.monotonic() + timeout
    while any(f is None for f in found):
        left = deadline - time.monotonic()
        assert left > 0, "missing on the socket: %r" % [i for i, f in enumerate(found) if f is None]
        m = ws.recv_json(left)
        for i, p in enumerate(preds):
            if found[i] is None and p(m):
                found[i] = m
    return found


def audit_statuses(srv, token, tool="record"):
    rows = ok(srv.get("/v1/admin/audit", token, params={"tool": tool, "limit": 200}))
    return [r["status"] for r in reversed(rows)], list(reversed(rows))


# ---- 1. a card in a shared room; only the initiator decides; approve runs the tool once ----

def test_card_then_initiator_approves(srv, fake):
    from test_stream import WS
    s = Setup(srv, fake)
    fake.script(calls(record_call("alpha", "call_a1")), {"content": "Recorded alpha for you."})
    with WS(srv, s.boss) as a, WS(srv, s.mia) as b:
        a.hello()
        b.hello()
        s.say("please record alpha")
        for ws in (a, b):
            req, card = collect(ws, [
                lambda m: m["type"] == "swp.approval.requested",
                lambda m: m["type"] == "swp.room.message" and m["content"].get("msgtype") == "swp.approval"])
            assert req["room_id"] == s.room["id"] and req["content"]["tool"] == "record"
            c = card["content"]
            assert c["status"] == "pending" and c["tool"] == "record" and c["plugin_id"] == "test.recorder"
            assert c["arguments"] == {"note": "alpha"} and c["initiator_id"] == s.boss_id
            assert c["request_id"] == req["content"]["request_id"] and c["expires_at"]
            assert card["sender_id"] == s.ai_id
    rid = c["request_id"]
    # parked: the tool has not run, and the model has not been asked again
    assert s.count() == 0
    assert len(fake.requests()) == 1
    for tok in (s.boss, s.mia):  # both people in the room see it in the queue
        q = s.pending(tok)
        assert [r["id"] for r in q] == [rid]
        assert set(q[0]) >= {"id", "room_id", "plugin_id", "tool", "arguments", "initiator_id", "created_at",
                             "expires_at", "status"}
        assert q[0]["status"] == "pending" and q[0]["arguments"] == {"note": "alpha"}
        assert q[0]["initiator_id"] == s.boss_id and q[0]["room_id"] == s.room["id"]
    # someone outside the room does not see it; the other person may not decide it
    srv.create_user(s.t.slug, "outsider")
    out_tok = srv.create_token(s.t.slug, "outsider")
    assert s.pending(out_tok) == []
    err(s.approve(rid, s.mia), 403, "SW_APPROVAL_FORBIDDEN")
    err(s.reject(rid, "no", s.mia), 403, "SW_APPROVAL_FORBIDDEN")
    err(s.approve(rid, out_tok), 403, "SW_APPROVAL_FORBIDDEN")
    assert s.count() == 0
    # the initiator approves: the tool runs once and the turn continues
    d = ok(s.approve(rid))
    assert d["id"] == rid and d["status"] == "approved" and d["decided_by"] == s.boss_id
    assert s.card("approved", rid)["initiator_id"] == s.boss_id
    assert s.answer() == "Recorded alpha for you."
    assert s.count() == 1
    reqs = fake.requests()
    assert len(reqs) == 2
    assert tool_messages(reqs[1]) == [{"role": "tool", "tool_call_id": "call_a1",
                                       "content": "recorded alpha (run #1)"}]
    assistant = [m for m in reqs[1]["body"]["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    assert assistant[-1]["tool_calls"][0]["id"] == "call_a1"
    # decided: no second run, whoever asks
    err(s.approve(rid), 409, "SW_APPROVAL_DECIDED")
    err(s.reject(rid), 409, "SW_APPROVAL_DECIDED")
    assert s.pending() == []
    assert s.count() == 1
    statuses, rows = audit_statuses(srv, s.boss)
    assert statuses == ["requested", "approved", "ok"], statuses
    assert all(r["caller_id"] == s.ai_id and r["initiator_id"] == s.boss_id for r in rows)
    assert rid in rows[1]["detail"] and s.boss_id in rows[1]["detail"]


def test_unknown_and_foreign_requests_are_404(srv, fake):
    s = Setup(srv, fake)
    fake.script(calls(record_call("x")), {"content": "done"})
    s.say("record x")
    rid = s.card()["request_id"]
    other = TenantUsers(srv, unique("hitl-other"))
    for tok in (other.admin_token, other.member_token):
        err(srv.post("/v1/queue/hitl/%s/approve" % rid, tok, json={}), 404, "SW_APPROVAL_NOT_FOUND")
        err(srv.post("/v1/queue/hitl/%s/reject" % rid, tok, json={}), 404, "SW_APPROVAL_NOT_FOUND")
        assert ok(srv.get("/v1/queue/hitl", tok)) == []
    err(s.approve("0190a1b2-0000-7000-8000-000000000000"), 404, "SW_APPROVAL_NOT_FOUND")
    err(s.approve("not-an-id"), 404, "SW_APPROVAL_NOT_FOUND")
    err(srv.post("/v1/queue/hitl/%s/approve" % rid, json={}), 401, "SW_AUTH_INVALID_TOKEN")
    err(s.reject(rid, 5), 422, "SW_VALIDATION")
    ok(s.reject(rid))
    assert s.answer() == "done"


# ---- 2. reject with a reason: nothing runs, the model is told why ----

def test_reject_with_reason(srv, fake):
    s = Setup(srv, fake)
    fake.script(calls(record_call("beta", "call_b1")), {"content": "Fine, I did not record it."})
    s.say("record beta")
    rid = s.card()["request_id"]
    d = ok(s.reject(rid, "not now"))
    assert d["status"] == "rejected" and d["reason"] == "not now"
    final = s.card("rejected", rid)
    assert final["reason"] == "not now"
    assert s.answer() == "Fine, I did not record it."
    assert s.count() == 0
    reqs = fake.requests()
    assert len(reqs) == 2
    assert tool_messages(reqs[1]) == [{"role": "tool", "tool_call_id": "call_b1",
                                       "content": "The person declined to run record: not now."}]
    statuses, rows = audit_statuses(srv, s.boss)
    assert statuses == ["requested", "rejected"], statuses
    assert "not now" in rows[1]["detail"]


def test_reject_without_reason(srv, fake):
    s = Setup(srv, fake)
    fake.script(calls(record_call("gamma", "g1")), {"content": "ok"})
    s.say("record gamma")
    ok(s.reject(s.card()["request_id"]))
    s.answer()
    assert tool_messages(fake.requests()[1])[0]["content"] == "The person declined to run record."


# ---- 3. policies ----

def test_one_human_room_runs_without_a_card(srv, fake):
    s = Setup(srv, fake, shared=False)
    fake.script(calls(record_call("solo", "s1")), {"content": "Recorded."})
    s.say("record solo")
    assert s.answer() == "Recorded."
    assert s.count() == 1
    assert not [e for e in s.messages() if e["content"].get("msgtype") == "swp.approval"]
    assert tool_messages(fake.requests()[1])[0]["content"] == "recorded solo (run #1)"
    assert audit_statuses(srv, s.boss)[0] == ["ok"]


def test_policy_ask_asks_even_with_one_human(srv, fake):
    s = Setup(srv, fake, shared=False)
    ok(srv.put("/v1/admin/plugins/test.recorder/config", s.boss, json={"tool_policies": {"record": "ask"}}))
    fake.script(calls(record_call("asked", "k1")), {"content": "Recorded after asking."})
    s.say("record asked")
    rid = s.card()["request_id"]
    assert s.count() == 0
    ok(s.approve(rid))
    assert s.answer() == "Recorded after asking."
    assert s.count() == 1


def test_policy_auto_run_everywhere_skips_the_card_in_a_shared_room(srv, fake):
    s = Setup(srv, fake)
    ok(srv.put("/v1/admin/plugins/test.recorder/config", s.boss,
               json={"tool_policies": {"record": "auto_run_everywhere"}}))
    fake.script(calls(record_call("everywhere", "e1")), {"content": "Recorded directly."})
    s.say("record everywhere")
    assert s.answer() == "Recorded directly."
    assert s.count() == 1
    assert not [e for e in s.messages() if e["content"].get("msgtype") == "swp.approval"]


def test_tool_without_side_effects_never_asks(srv, fake):
    s = Setup(srv, fake)
    fake.script(calls({"id": "c1", "name": "count", "arguments": "{}"}), {"content": "Zero so far."})
    s.say("how many?")
    assert s.answer() == "Zero so far."
    assert tool_messages(fake.requests()[1])[0]["content"] == "0"
    assert not [e for e in s.messages() if e["content"].get("msgtype") == "swp.approval"]


def test_slash_command_by_a_person_runs_directly(srv, fake):
    s = Setup(srv, fake)
    ok(srv.put("/v1/rooms/%s/ai/engagement" % s.room["id"], s.boss, json={"mode": "mention"}))
    s.say("/record typed-by-hand")
    ev = s.wait_for(lambda e: e["content"].get("msgtype") == "swp.tool_result")
    assert "recorded typed-by-hand" in ev["content"]["body"]
    assert s.count() == 1


# ---- several calls in one round ----

def test_several_calls_in_one_round(srv, fake):
    s = Setup(srv, fake)
    fake.script(calls(record_call("one", "m1"), {"id": "m2", "name": "count", "arguments": "{}"},
                      record_call("two", "m3")),
                {"content": "Handled both."})
    s.say("record one and two, and count")
    first = s.card()
    second = s.card()
    assert {first["arguments"]["note"], second["arguments"]["note"]} == {"one", "two"}
    by_note = {first["arguments"]["note"]: first["request_id"], second["arguments"]["note"]: second["request_id"]}
    # the call that needs no approval ran at once; nothing else did
    deadline = time.monotonic() + 10
    while "ok" not in audit_statuses(srv, s.boss, "count")[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert audit_statuses(srv, s.boss, "count")[0] == ["ok"]
    assert s.count() == 0
    ok(s.approve(by_note["one"]))
    s.card("approved", by_note["one"])
    # one card still open: the model is not asked yet
    assert len(fake.requests()) == 1
    assert [r["id"] for r in s.pending()] == [by_note["two"]]
    ok(s.reject(by_note["two"], "only one"))
    assert s.answer() == "Handled both."
    reqs = fake.requests()
    assert len(reqs) == 2
    assert tool_messages(reqs[1]) == [
        {"role": "tool", "tool_call_id": "m1", "content": "recorded one (run #1)"},
        {"role": "tool", "tool_call_id": "m2", "content": "0"},
        {"role": "tool", "tool_call_id": "m3", "content": "The person declined to run record: only one."},
    ]
    assert s.count() == 1


def test_decision_while_the_rounds_other_calls_still_run(srv, fake):
    """The card is up before the round's other calls finish; a decision that comes in meanwhile
    is picked up when they do, and the turn goes on from there."""
    s = Setup(srv, fake)
    fake.script(calls(record_call("quick", "q1"), {"id": "q2", "name": "wait", "arguments": '{"ms": 1500}'}),
                {"content": "Both done."})
    s.say("record quick while waiting")
    rid = s.card()["request_id"]
    ok(s.approve(rid))
    assert s.answer() == "Both done."
    assert tool_messages(fake.requests()[1]) == [
        {"role": "tool", "tool_call_id": "q1", "content": "recorded quick (run #1)"},
        {"role": "tool", "tool_call_id": "q2", "content": "waited"},
    ]
    assert s.count() == 1


# ---- racing decisions: exactly one winner, the tool at most once ----

def test_racing_approve_and_reject(srv, fake):
    s = Setup(srv, fake)
    for i in range(4):
        fake.script(calls(record_call("race%d" % i, "r%d" % i)), {"content": "race %d over" % i})
        before = s.count()
        s.say("record race%d" % i)
        rid = s.card()["request_id"]
        barrier = threading.Barrier(4)
        results = []
        lock = threading.Lock()

        def decide(kind):
            barrier.wait()
            r = s.approve(rid) if kind == "approve" else s.reject(rid, "raced")
            with lock:
                results.append((kind, r.status_code, r.json()))

        threads = [threading.Thread(target=decide, args=(k,)) for k in ("approve", "reject", "approve", "reject")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        codes = sorted(c for _, c, _ in results)
        assert codes == [200, 409, 409, 409], results
        for kind, code, body in results:
            if code == 409:
                assert body["error"]["code"] == "SW_APPROVAL_DECIDED"
        winner = [k for k, c, _ in results if c == 200][0]
        assert s.answer() == "race %d over" % i
        assert s.count() == before + (1 if winner == "approve" else 0)
        statuses = audit_statuses(srv, s.boss)[0]
        assert statuses.count("approved") + statuses.count("rejected") == i + 1


# ---- 4. a restart while a request is pending ----

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["clean-stop", "kill-9"])
def test_pending_request_survives_a_restart(fake, sig):
    srv = start_server()
    try:
        s = Setup(srv, fake)
        fake.script(calls(record_call("durable", "d1")), {"content": "Recorded after the restart."})
        s.say("record durable")
        rid = s.card()["request_id"]
        assert [r["id"] for r in s.pending()] == [rid]
        rc = srv.stop(sig)
        assert rc == (0 if sig == signal.SIGTERM else -signal.SIGKILL), srv.stderr_text()[-2000:]
        srv.start()
        q = s.pending()
        assert [r["id"] for r in q] == [rid] and q[0]["status"] == "pending"
        assert s.count() == 0
        assert len(fake.requests()) == 1
        ok(s.approve(rid))
        assert s.answer() == "Recorded after the restart."
        assert s.count() == 1
        reqs = fake.requests()
        assert len(reqs) == 2
        assert tool_messages(reqs[1]) == [{"role": "tool", "tool_call_id": "d1",
                                           "content": "recorded durable (run #1)"}]
        # the conversation before the restart is what the model continues from
        assert any(m["role"] == "user" and "record durable" in (m.get("content") or "")
                   for m in reqs[1]["body"]["messages"])
    finally:
        srv.close()


# ---- 5. expiry ----

def test_expiry_tells_the_model_and_never_runs(fake):
    srv = start_server("--approval-timeout-s", "1")
    try:
        s = Setup(srv, fake)
        fake.script(calls(record_call("late", "x1")), {"content": "Nobody approved, so I did not record it."})
        s.say("record late")
        card = s.card()
        rid = card["request_id"]
        expired = s.card("expired", rid)
        assert expired["request_id"] == rid
        assert s.answer() == "Nobody approved, so I did not record it."
        assert s.count() == 0
        content = tool_messages(fake.requests()[1])[0]["content"]
        assert "nobody approved in time" in content and "record" in content
        err(s.approve(rid), 409, "SW_APPROVAL_DECIDED")
        assert s.count() == 0
        assert s.pending() == []
        statuses, rows = audit_statuses(srv, s.boss)
        assert statuses == ["requested", "expired"], statuses
    finally:
        srv.close()


def test_expiry_is_configurable_from_the_environment(fake):
    s0 = Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR, "--outbound-allow", "127.0.0.1"], env={"SCAIWAVE_APPROVAL_TIMEOUT_S": "1"})
    try:
        srv = s0.start()
        s = Setup(srv, fake)
        fake.script(calls(record_call("env", "v1")), {"content": "expired"})
        s.say("record env")
        rid = s.card()["request_id"]
        s.card("expired", rid)
        assert s.answer() == "expired"
    finally:
        s0.close()


def test_initiator_who_left_the_room_cannot_approve(srv, fake):
    """Membership is checked when the decision comes in: an initiator who left the room gave the
    decision up (403 SW_APPROVAL_FORBIDDEN) and the tool does not run."""
    s = Setup(srv, fake)
    fake.script(calls(record_call("left", "call_l1")), {"content": "never"})
    s.say("please record left")
    rid = s.card()["request_id"]
    ok(srv.post("/v1/rooms/%s/leave" % s.room["id"], s.boss, json={}))
    err(s.approve(rid), 403, "SW_APPROVAL_FORBIDDEN")
    err(s.reject(rid), 403, "SW_APPROVAL_FORBIDDEN")
    assert s.count() == 0
    # still pending: nobody decided it
    row = ok(srv.get("/v1/queue/hitl", s.mia))
    assert [q["status"] for q in row if q["id"] == rid] == ["pending"]


def test_secret_arguments_are_masked_everywhere(srv, fake):
    """An x-secret argument of an AI's tool call is masked in every place arguments leave the
    dispatcher: the approval card and request, the queue, the swp.tool.call event and the audit
    log (sw_redact) — while the tool itself gets the real value."""
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, "secretive.so")):
        pytest.fail("build/test-plugins/secretive.so is missing")
    from test_stream import WS
    secret = "hunter2-" + unique("pw")
    s = Setup(srv, fake)
    ok(srv.post("/v1/admin/plugins/test.secretive/enable", s.boss, json={}))
    fake.script(calls({"id": "call_s1", "name": "sign_in",
                       "arguments": json.dumps({"user": "ann", "password": secret})}),
                {"content": "Signed in."})
    with WS(srv, s.boss) as ws:
        ws.hello()
        s.say("sign me in")
        card = s.card()
        assert card["arguments"] == {"user": "ann", "password": "***"}, card
        rid = card["request_id"]
        q = [r for r in s.pending() if r["id"] == rid]
        assert q and q[0]["arguments"] == {"user": "ann", "password": "***"}
        ok(s.approve(rid))
        seen = []
        (done,) = collect(ws, [lambda m: seen.append(m) or (m["type"] == "swp.tool.call"
                                                             and m["content"].get("status") == "ok")])
        assert done["content"]["arguments"] == {"user": "ann", "password": "***"}, done
        assert done["content"]["result"] == "signed in ann"
        assert secret not in json.dumps(seen)
    assert "Signed in." in s.answer()
    # the tool got the real password (it refuses an empty one) and the model its result
    assert tool_messages(wait_requests(fake, 2)[1])[0]["content"] == "signed in ann"
    rows = ok(srv.get("/v1/admin/audit", s.boss, params={"tool": "sign_in", "limit": 200}))
    assert {r["status"] for r in rows} >= {"requested", "approved", "ok"}
    assert secret not in json.dumps(rows)
    assert secret not in json.dumps(s.messages())
