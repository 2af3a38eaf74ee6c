"""Notes: the /v1/notes API for people and the scaiwave.notes plugin's tools for AIs, against
the real binary (and, for AI turns, the fake OpenAI-compatible model tests/fakes/fake_llm.py).
Both work on the same tenant-scoped notes; a note of another tenant is invisible everywhere."""
import json
import os
import time

import pytest

from conftest import Server, TenantUsers, err, ok, unique
from test_ai import Fake

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fakes", "fake_llm.py")
NOTES = "scaiwave.notes"


@pytest.fixture(scope="module")
def srv():
    s = Server(extra_args=["--ai-max-rounds", "4", "--outbound-allow", "127.0.0.1"])  # the fake model
    try:
        yield s.start()
    finally:
        s.close()


@pytest.fixture(scope="module")
def fake():
    if not os.path.exists(FAKE):
        pytest.fail("tests/fakes/fake_llm.py not present")
    f = Fake()
    yield f
    f.close()


def tenant(srv, prefix="notes"):
    return TenantUsers(srv, unique(prefix))


def create(srv, tok, title, body, status=201):
    return ok(srv.post("/v1/notes", tok, json={"title": title, "body": body}), status)


NOTE_KEYS = {"id", "tenant_id", "title", "body", "created_by", "updated_by", "created_at", "updated_at"}


# ---- REST ----

def test_create_read_update(srv):
    t = tenant(srv)
    n = create(srv, t.member_token, "Offsite", "We meet in Lisbon on the 14th.")
    assert set(n) == NOTE_KEYS
    assert n["title"] == "Offsite" and n["body"] == "We meet in Lisbon on the 14th."
    assert n["tenant_id"] == t.tenant_id and n["created_by"] == t.member["participant_id"]
    assert n["created_at"] == n["updated_at"]
    # every member of the tenant sees it
    assert ok(srv.get("/v1/notes/%s" % n["id"], t.admin_token)) == n
    # only what is given changes
    time.sleep(0.01)
    u = ok(srv.put("/v1/notes/%s" % n["id"], t.admin_token, json={"body": "Moved to Porto."}))
    assert u["title"] == "Offsite" and u["body"] == "Moved to Porto."
    assert u["created_by"] == t.member["participant_id"] and u["updated_by"] == t.admin["participant_id"]
    assert u["created_at"] == n["created_at"] and u["updated_at"] > n["updated_at"]
    u = ok(srv.put("/v1/notes/%s" % n["id"], t.member_token, json={"title": "Offsite 2025"}))
    assert u["title"] == "Offsite 2025" and u["body"] == "Moved to Porto."
    assert ok(srv.get("/v1/notes/%s" % n["id"], t.member_token)) == u
    # the index followed the update
    assert ok(srv.get("/v1/notes", t.member_token, params={"q": "lisbon"})) == []
    hits = ok(srv.get("/v1/notes", t.member_token, params={"q": "porto"}))
    assert [h["id"] for h in hits] == [n["id"]]
    assert "**Porto**" in hits[0]["snippet"] and hits[0]["rank"] > 0


def test_unknown_note_is_404(srv):
    t = tenant(srv)
    for nid in ("0190a1b2-0000-7000-8000-000000000000", "not-an-id"):
        err(srv.get("/v1/notes/%s" % nid, t.member_token), 404, "SW_NOTE_NOT_FOUND")
        err(srv.put("/v1/notes/%s" % nid, t.member_token, json={"body": "x"}), 404, "SW_NOTE_NOT_FOUND")
    err(srv.get("/v1/notes", None), 401, "SW_AUTH_INVALID_TOKEN")
    err(srv.post("/v1/notes", None, json={"title": "a", "body": "b"}), 401, "SW_AUTH_INVALID_TOKEN")
    r = srv.request("DELETE", "/v1/notes/x", t.member_token)
    assert r.status_code == 405


def test_search_ranks_and_pages(srv):
    t = tenant(srv)
    tok = t.member_token
    ids = [create(srv, tok, "Note %d" % i, "the walrus appears in note %d" % i)["id"] for i in range(5)]
    titled = create(srv, tok, "Walrus", "a title hit")["id"]
    create(srv, tok, "Other", "nothing here")
    # best first: the title match leads
    hits = ok(srv.get("/v1/notes", tok, params={"q": "walrus"}))
    assert len(hits) == 6 and hits[0]["id"] == titled
    assert all("snippet" in h and "rank" in h for h in hits)
    assert [h["rank"] for h in hits] == sorted((h["rank"] for h in hits), reverse=True)
    # pages of 2 cover every match once
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": "walrus", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = srv.get("/v1/notes", tok, params=params)
        page, meta = ok(r), r.json()["meta"]
        pages += 1
        seen += [h["id"] for h in page]
        if not meta["has_more"]:
            assert meta["next_cursor"] is None
            break
        cursor = meta["next_cursor"]
        assert isinstance(cursor, str) and cursor
    assert pages == 3 and sorted(seen) == sorted(ids + [titled])
    # every word must match when a note has them all
    assert [h["id"] for h in ok(srv.get("/v1/notes", tok, params={"q": "walrus note 3"}))] == [ids[3]]
    # nothing matches: an empty page, not an error
    r = srv.get("/v1/notes", tok, params={"q": "narwhal"})
    assert ok(r) == [] and r.json()["meta"] == {"has_more": False, "next_cursor": None}
    # search syntax is just words
    for q in ['"walrus" OR *', "walrus*", "NEAR(walrus note)", "title:walrus", "*", "'; DROP TABLE notes; --"]:
        ok(srv.get("/v1/notes", tok, params={"q": q}))
    assert len(ok(srv.get("/v1/notes", tok, params={"limit": 200}))) == 7


def test_list_pages_newest_first(srv):
    t = tenant(srv)
    ids = [create(srv, t.admin_token, "n%d" % i, "body %d" % i)["id"] for i in range(5)]
    r = srv.get("/v1/notes", t.member_token, params={"limit": 3})
    first, meta = ok(r), r.json()["meta"]
    assert [n["id"] for n in first] == ids[::-1][:3] and meta["has_more"] is True
    r = srv.get("/v1/notes", t.member_token, params={"limit": 3, "cursor": meta["next_cursor"]})
    second, meta = ok(r), r.json()["meta"]
    assert [n["id"] for n in second] == ids[::-1][3:] and meta == {"has_more": False, "next_cursor": None}
    # a blank q lists
    assert [n["id"] for n in ok(srv.get("/v1/notes", t.member_token, params={"q": "  "}))] == ids[::-1]


def test_validation(srv):
    t = tenant(srv)
    tok = t.member_token

    def bad(body, field, method="post", path="/v1/notes"):
        e = err(getattr(srv, method)(path, tok, json=body), 422, "SW_VALIDATION")
        assert e["details"]["field"] == field, e
        assert field in e["message"]

    bad({"body": "b"}, "title")
    bad({"title": "t"}, "body")
    bad({"title": "", "body": "b"}, "title")
    bad({"title": "t", "body": ""}, "body")
    bad({"title": 5, "body": "b"}, "title")
    bad({"title": "t", "body": ["b"]}, "body")
    bad({"title": "x" * 201, "body": "b"}, "title")
    bad({"title": "two\nlines", "body": "b"}, "title")
    bad({"title": "   ", "body": "b"}, "title")
    bad({"title": "t", "body": "x" * 65537}, "body")
    bad({"title": "t", "body": "€" * 30000}, "body")  # 90000 bytes
    # the limits themselves are fine: 200 characters (400 bytes), 65536 bytes
    n = create(srv, tok, "é" * 200, "x" * 65536)
    assert n["title"] == "é" * 200 and len(n["body"]) == 65536
    path = "/v1/notes/%s" % n["id"]
    bad({}, "body", "put", path)
    bad({"title": None, "body": None}, "body", "put", path)
    bad({"title": "y" * 201}, "title", "put", path)
    bad({"body": "x" * 65537}, "body", "put", path)
    assert ok(srv.get(path, tok)) == n  # nothing changed
    err(srv.post("/v1/notes", tok, data="{not json"), 400, "SW_BAD_REQUEST")
    err(srv.post("/v1/notes", tok, data="[]"), 400, "SW_BAD_REQUEST")
    for params, field in (({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "x"}, "limit"),
                          ({"cursor": "bogus"}, "cursor"), ({"q": "a", "cursor": "-1"}, "cursor"),
                          ({"q": "a", "cursor": "x"}, "cursor"), ({"q": "a" * 1001}, "q")):
        e = err(srv.get("/v1/notes", tok, params=params), 422, "SW_VALIDATION")
        assert e["details"]["field"] == field


def test_notes_never_cross_tenants_over_rest(srv):
    a, b = tenant(srv, "na"), tenant(srv, "nb")
    n = create(srv, a.member_token, "Payroll", "salaries of tenant a")
    create(srv, b.member_token, "Payroll", "salaries of tenant b")
    for tok in (b.member_token, b.admin_token):
        err(srv.get("/v1/notes/%s" % n["id"], tok), 404, "SW_NOTE_NOT_FOUND")
        err(srv.put("/v1/notes/%s" % n["id"], tok, json={"body": "pwned", "title": "pwned"}), 404, "SW_NOTE_NOT_FOUND")
        hits = ok(srv.get("/v1/notes", tok, params={"q": "salaries"}))
        assert len(hits) == 1 and hits[0]["body"] == "salaries of tenant b"
        assert n["id"] not in [x["id"] for x in ok(srv.get("/v1/notes", tok))]
    # unchanged for its own tenant
    assert ok(srv.get("/v1/notes/%s" % n["id"], a.member_token)) == n
    assert [x["id"] for x in ok(srv.get("/v1/notes", a.member_token, params={"q": "salaries"}))] == [n["id"]]


# ---- the tools, through POST /v1/tools/{tool}/call ----

def test_tools_share_the_notes_with_rest(srv):
    t = tenant(srv)
    row = srv.enable(t.admin_token, NOTES)
    assert row["enabled"] and sorted(row["granted_permissions"]) == ["READ_NOTES", "SEARCH", "WRITE_NOTES"]
    tools = {x["name"]: x for x in row["tools"]}
    assert set(tools) == {"find_note", "read_note", "create_note", "update_note"}
    assert tools["create_note"]["side_effects"] and tools["update_note"]["side_effects"]
    assert not tools["find_note"]["side_effects"] and not tools["read_note"]["side_effects"]
    assert tools["create_note"]["approval_policy"] == "auto_run_in_dm"
    assert sorted(tools["find_note"]["permissions_required"]) == ["READ_NOTES", "SEARCH"]
    r = srv.call_tool(t.member_token, "create_note", {"title": "Wifi", "body": "The password is on the fridge."})
    assert r["status"] == "ok" and r["result"].startswith('Created note "Wifi" (id ')
    [n] = ok(srv.get("/v1/notes", t.member_token, params={"q": "fridge"}))
    assert n["title"] == "Wifi" and n["created_by"] == t.member["participant_id"]
    assert n["id"] in r["result"]
    r = srv.call_tool(t.member_token, "find_note", {"query": "fridge"})
    assert r["status"] == "ok" and n["id"] in r["result"] and "**fridge**" in r["result"]
    r = srv.call_tool(t.member_token, "find_note", {"query": "zebra"})
    assert r["status"] == "ok" and not r["is_error"] and "no notes match" in r["result"]
    r = srv.call_tool(t.member_token, "read_note", {"id": "0190a1b2-0000-7000-8000-000000000000"})
    assert r["status"] == "error" and "no note with id" in r["result"]
    assert "Fallback suggestions: use find_note to look it up by title" in r["result"]
    # a note made over REST is there for the tools
    m = create(srv, t.admin_token, "Lunch", "Thai on Fridays")
    r = srv.call_tool(t.member_token, "update_note", {"id": m["id"], "body": "Thai on Thursdays"})
    assert r["status"] == "ok"
    m2 = ok(srv.get("/v1/notes/%s" % m["id"], t.admin_token))
    assert m2["title"] == "Lunch" and m2["body"] == "Thai on Thursdays"


def test_without_write_notes_nothing_is_written(srv):
    t = tenant(srv)
    srv.enable(t.admin_token, NOTES, {"permissions": ["READ_NOTES", "SEARCH"]})
    r = srv.call_tool(t.member_token, "create_note", {"title": "Secret", "body": "never stored"})
    assert r["status"] == "denied" and r["is_error"]
    assert "WRITE_NOTES" in r["result"] and "Fallback suggestions:" in r["result"]
    assert ok(srv.get("/v1/notes", t.member_token)) == []
    n = create(srv, t.member_token, "Kept", "as it is")
    r = srv.call_tool(t.member_token, "update_note", {"id": n["id"], "body": "changed"})
    assert r["status"] == "denied" and "WRITE_NOTES" in r["result"]
    assert ok(srv.get("/v1/notes/%s" % n["id"], t.member_token)) == n
    assert srv.call_tool(t.member_token, "find_note", {"query": "kept"})["status"] == "ok"
    rows, _ = srv.audit(t.admin_token, tool="create_note")
    assert rows[0]["status"] == "denied"


def test_notes_never_cross_tenants_through_tools(srv):
    a, b = tenant(srv, "ta"), tenant(srv, "tb")
    for x in (a, b):
        srv.enable(x.admin_token, NOTES)
    r = srv.call_tool(a.member_token, "create_note", {"title": "Roadmap", "body": "launch the rocket in May"})
    [n] = ok(srv.get("/v1/notes", a.member_token))
    r = srv.call_tool(b.member_token, "find_note", {"query": "rocket"})
    assert r["status"] == "ok" and "no notes match" in r["result"] and n["id"] not in r["result"]
    r = srv.call_tool(b.member_token, "read_note", {"id": n["id"]})
    assert r["status"] == "error" and "no note with id" in r["result"] and "rocket" not in r["result"]
    r = srv.call_tool(b.member_token, "update_note", {"id": n["id"], "body": "cancelled", "title": "x"})
    assert r["status"] == "error" and "no note with id" in r["result"]
    assert ok(srv.get("/v1/notes/%s" % n["id"], a.member_token)) == n


def test_slash_commands_follow_the_usage_hints(srv):
    """/create_note "Team lunch" Thai on Fridays: the title, then the rest is the body."""
    t = tenant(srv, "slashnotes")
    srv.enable(t.admin_token, NOTES)
    room = ok(srv.post("/v1/rooms", t.admin_token, json={"room_type": "group", "name": "s"}), 201)["id"]

    def run(text):
        cmd = ok(srv.post("/v1/rooms/%s/send" % room, t.admin_token,
                          json={"content": {"msgtype": "swp.text", "body": text}}))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            evs = ok(srv.get("/v1/rooms/%s/messages" % room, t.admin_token,
                             params={"direction": "forward", "from": cmd["stream_position"]}))
            for ev in evs:
                if ev["content"].get("msgtype") in ("swp.tool_result", "swp.system"):
                    return ev["content"]
            time.sleep(0.02)
        raise AssertionError("no reply to %r" % text)

    c = run('/create_note "Team lunch" Thai on Fridays')
    assert c["msgtype"] == "swp.tool_result" and c["plugin_id"] == NOTES and c["status"] == "ok", c
    [n] = ok(srv.get("/v1/notes", t.admin_token))
    assert n["title"] == "Team lunch" and n["body"] == "Thai on Fridays"
    c = run("/update_note %s Thai on Thursdays now" % n["id"])
    assert c["status"] == "ok", c
    assert ok(srv.get("/v1/notes/%s" % n["id"], t.admin_token))["body"] == "Thai on Thursdays now"
    c = run("/find_note thursdays")
    assert c["status"] == "ok" and n["id"] in c["body"] and "**Thursdays**" in c["body"]
    c = run("/read_note %s" % n["id"])
    assert c["status"] == "ok" and "Thai on Thursdays now" in c["body"]
    names = [x["name"] for x in ok(srv.get("/v1/commands", t.admin_token))]
    assert {"find_note", "read_note", "create_note", "update_note"} <= set(names)


# ---- an AI turn ----

class AIRoom:
    """A tenant with scaiwave.notes enabled, an AI on the fake answering every message, and a
    group room with the admin (and, with shared=True, the member too)."""

    def __init__(self, srv, fake, shared=False):
        self.srv = srv
        self.t = tenant(srv, "ainotes")
        self.tok = self.t.admin_token
        srv.enable(self.tok, NOTES)
        self.ai = ok(srv.post("/v1/admin/participants/model", self.tok,
                              json={"local_id": "helper", "display_name": "Helper", "model": "fake-model",
                                    "base_url": fake.base, "api_key": "sk-test"}), 201)
        self.room = ok(srv.post("/v1/rooms", self.tok, json={"room_type": "group", "name": "notes"}), 201)
        rid = self.room["id"]
        ok(srv.post("/v1/rooms/%s/invite" % rid, self.tok, json={"participant_id": self.ai["participant_id"]}))
        if shared:
            ok(srv.post("/v1/rooms/%s/invite" % rid, self.tok, json={"participant_id": self.t.member["participant_id"]}))
            ok(srv.post("/v1/rooms/%s/join" % rid, self.t.member_token, json={}))
        ok(srv.put("/v1/rooms/%s/ai/engagement" % rid, self.tok, json={"mode": "always"}))
        self.cursor = int(ok(srv.get("/v1/sync", self.tok, params={"timeout": 0}))["next_cursor"])
        self.seen = []

    def say(self, text):
        ok(self.srv.post("/v1/rooms/%s/send" % self.room["id"], self.tok,
                         json={"content": {"msgtype": "swp.text", "body": text}}))

    def wait_for(self, pred, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.seen):
                if pred(ev):
                    return self.seen.pop(i)
            if time.monotonic() > deadline:
                raise AssertionError("no matching event within %s s" % timeout)
            d = ok(self.srv.get("/v1/sync", self.tok, params={"since": self.cursor, "timeout": 5000}, timeout=15))
            self.cursor = int(d["next_cursor"])
            self.seen.extend(d["events"])

    def answer(self):
        aid = self.ai["participant_id"]
        return self.wait_for(lambda e: e["sender_id"] == aid and e["content"].get("msgtype") == "swp.text")["content"]["body"]

    def messages(self):
        return ok(self.srv.get("/v1/rooms/%s/messages" % self.room["id"], self.tok, params={"limit": 200}))


def call(name, args, cid):
    return {"tool_calls": [{"id": cid, "name": name, "arguments": json.dumps(args)}], "finish_reason": "tool_calls"}


def tool_results(req):
    return {m["tool_call_id"]: m["content"] for m in req["body"]["messages"] if m["role"] == "tool"}


def test_ai_creates_finds_reads_and_updates_a_note(srv, fake):
    """Acceptance: in a one-human room the AI's create_note runs without a card; it finds the note
    by a word of its body, reads and updates it; the REST API shows the same note."""
    r = AIRoom(srv, fake)
    body = "Standup moves to 9:30 starting Monday; bring the burndown chart."
    fake.script(call("create_note", {"title": "Standup time", "body": body}, "c1"),
                {"content": "Saved it as a note."})
    r.say("Please write down that standup moves to 9:30 from Monday.")
    assert r.answer() == "Saved it as a note."
    reqs = fake.requests()
    assert len(reqs) == 2
    first = reqs[0]["body"]
    names = [x["function"]["name"] for x in first["tools"]]
    assert {"find_note", "read_note", "create_note", "update_note"} <= set(names)
    create_schema = [x for x in first["tools"] if x["function"]["name"] == "create_note"][0]["function"]["parameters"]
    assert create_schema["required"] == ["title", "body"]
    assert create_schema["properties"]["title"]["maxLength"] == 200
    system = first["messages"][0]
    assert system["role"] == "system" and "find, read, create and update" in system["content"]
    created = tool_results(reqs[1])["c1"]
    assert created.startswith('Created note "Standup time" (id ')
    # no approval card in a room with one person
    assert not [m for m in r.messages() if m["content"].get("msgtype") == "swp.approval"]
    [note] = ok(srv.get("/v1/notes", r.tok, params={"q": "burndown"}))
    assert note["title"] == "Standup time" and note["body"] == body
    assert note["created_by"] == r.ai["participant_id"] and note["id"] in created

    new_body = body + " Update: it is 9:45 now."
    fake.script(call("find_note", {"query": "burndown"}, "f1"),
                call("read_note", {"id": note["id"]}, "r1"),
                call("update_note", {"id": note["id"], "body": new_body}, "u1"),
                {"content": "Updated the standup note."})
    r.say("Actually it is 9:45 — fix the standup note.")
    assert r.answer() == "Updated the standup note."
    reqs = fake.requests()
    assert len(reqs) == 4
    found = tool_results(reqs[1])["f1"]
    assert note["id"] in found and "**burndown**" in found and "Standup time" in found
    read = tool_results(reqs[2])["r1"]
    assert body in read and note["id"] in read
    updated = tool_results(reqs[3])["u1"]
    assert updated.startswith('Updated note "Standup time"')
    after = ok(srv.get("/v1/notes/%s" % note["id"], r.tok))
    assert after["title"] == "Standup time" and after["body"] == new_body
    assert after["updated_by"] == r.ai["participant_id"] and after["created_at"] == note["created_at"]
    assert [n["id"] for n in ok(srv.get("/v1/notes", r.tok, params={"q": "9:45"}))] == [note["id"]]
    assert not [m for m in r.messages() if m["content"].get("msgtype") == "swp.approval"]
    audit, _ = srv.audit(r.tok)
    by_tool = {a["tool"]: a for a in audit}
    for name in ("create_note", "find_note", "read_note", "update_note"):
        assert by_tool[name]["status"] == "ok" and by_tool[name]["caller_id"] == r.ai["participant_id"]


def test_ai_create_note_waits_for_approval_with_two_humans(srv, fake):
    """Acceptance 4: with two people in the room, create_note waits for the initiator."""
    assert srv.get("/v1/queue/hitl", srv.admin_token).status_code == 200  # the approvals route exists
    r = AIRoom(srv, fake, shared=True)
    fake.script(call("create_note", {"title": "Holiday rota", "body": "Mia covers the first week."}, "c1"),
                {"content": "Noted."})
    r.say("Write down the holiday rota: Mia covers the first week.")
    card = r.wait_for(lambda e: e["content"].get("msgtype") == "swp.approval"
                      and e["content"].get("status") == "pending")["content"]
    assert card["tool"] == "create_note" and card["plugin_id"] == NOTES
    assert card["initiator_id"] == r.t.admin["participant_id"]
    assert ok(srv.get("/v1/notes", r.tok)) == []  # nothing written while it waits
    err(srv.post("/v1/queue/hitl/%s/approve" % card["request_id"], r.t.member_token, json={}),
        403, "SW_APPROVAL_FORBIDDEN")
    ok(srv.post("/v1/queue/hitl/%s/approve" % card["request_id"], r.tok, json={}))
    assert r.answer() == "Noted."
    [n] = ok(srv.get("/v1/notes", r.tok))
    assert n["title"] == "Holiday rota" and n["created_by"] == r.ai["participant_id"]
