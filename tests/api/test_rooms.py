"""Rooms, membership and messages over HTTP: create/get/directory/members, invite/join/leave
with power levels, the 403-versus-404 rules (a room of the caller's tenant that the caller has
not joined is 403 SW_NOT_MEMBER; a room of another tenant is exactly like a missing one, 404
SW_ROOM_NOT_FOUND), message paging in both directions, idempotent sends under retries and
races, the 64 KiB content limit, and durability of acknowledged sends across a kill -9.

Each test works in its own tenant (make_tenant), so tests do not depend on each other."""
import os
import sqlite3
import threading
import time
import uuid

import pytest
import requests

from conftest import TIMEOUT, err, ok, unique

ROOM_KEYS = {"id", "tenant_id", "room_type", "name", "topic", "creator_id", "created_at",
             "member_count", "ai_mode", "ai_system_prompt"}
EVENT_KEYS = {"id", "room_id", "tenant_id", "sender_id", "event_type", "content",
              "stream_position", "origin_ts"}
MAX_CONTENT = 64 * 1024


# ---- helpers ----

def create_room(server, token, name="room", room_type="group", topic=None):
    body = {"room_type": room_type, "name": name}
    if topic is not None:
        body["topic"] = topic
    room = ok(server.post("/v1/rooms", token, json=body), 201)
    assert set(room) == ROOM_KEYS, room
    return room


def text(body):
    return {"msgtype": "swp.text", "body": body}


def send(server, token, room_id, body, event_uuid=None, session=None):
    payload = {"content": text(body)}
    if event_uuid is not None:
        payload["event_uuid"] = event_uuid
    if session is None:
        r = server.post("/v1/rooms/%s/send" % room_id, token, json=payload)
    else:
        r = session.post(server.url + "/v1/rooms/%s/send" % room_id, json=payload, timeout=TIMEOUT)
    ev = ok(r)
    assert set(ev) == EVENT_KEYS, ev
    return ev


def messages(server, token, room_id, **params):
    r = server.get("/v1/rooms/%s/messages" % room_id, token, params=params)
    data = ok(r)
    return data, r.json()["meta"]


def all_events(server, token, room_id, direction="forward", limit=200):
    """Every event of the room, by paging with next_cursor (bounded)."""
    out = []
    cursor = None
    for _ in range(10000):
        params = {"direction": direction, "limit": limit}
        if cursor is not None:
            params["from"] = cursor
        page, meta = messages(server, token, room_id, **params)
        assert set(meta) >= {"has_more", "next_cursor"}, meta
        assert len(page) <= limit
        out.extend(page)
        if not meta["has_more"]:
            assert meta["next_cursor"] is None, meta
            return out
        assert isinstance(meta["next_cursor"], str), meta
        assert meta["next_cursor"] == str(page[-1]["stream_position"]), meta
        cursor = meta["next_cursor"]
    raise AssertionError("paging did not end")


def invite_and_join(server, admin_token, room_id, member_token, member_pid):
    ok(server.post("/v1/rooms/%s/invite" % room_id, admin_token,
                   json={"participant_id": member_pid}))
    ok(server.post("/v1/rooms/%s/join" % room_id, member_token))


def member_row(server, token, room_id, pid):
    rows = [m for m in ok(server.get("/v1/rooms/%s/members" % room_id, token))
            if m["participant_id"] == pid]
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


# ---- create / get / directory / members ----

def test_create_and_get(server, make_tenant):
    t = make_tenant("rooms")
    room = create_room(server, t.admin_token, name="Planning", topic="Q3 roadmap")
    assert room["tenant_id"] == t.tenant_id
    assert room["room_type"] == "group"
    assert room["name"] == "Planning" and room["topic"] == "Q3 roadmap"
    assert room["creator_id"] == t.admin["participant_id"]
    assert room["member_count"] == 1
    assert isinstance(room["id"], str) and room["id"]
    assert isinstance(room["created_at"], str) and room["created_at"]
    assert ok(server.get("/v1/rooms/%s" % room["id"], t.admin_token)) == room

    dm = create_room(server, t.member_token, name="Just us", room_type="dm")
    assert dm["room_type"] == "dm" and dm["topic"] is None
    assert dm["creator_id"] == t.member["participant_id"]
    assert dm["id"] != room["id"]


@pytest.mark.parametrize("body, field", [
    ({"room_type": "channel", "name": "x"}, "room_type"),
    ({"room_type": "group"}, "name"),
    ({"name": "x"}, "room_type"),
    ({"room_type": "group", "name": ""}, "name"),
    ({"room_type": "group", "name": 5}, "name"),
    ({"room_type": "group", "name": "x" * 256}, "name"),
    ({"room_type": "group", "name": "x", "topic": 7}, "topic"),
], ids=["bad-type", "no-name", "no-type", "empty-name", "int-name", "long-name", "int-topic"])
def test_create_validation(server, make_tenant, body, field):
    t = make_tenant("roomval")
    e = err(server.post("/v1/rooms", t.admin_token, json=body), 422, "SW_VALIDATION")
    if "details" in e:
        assert e["details"].get("field") == field, e
    assert ok(server.get("/v1/directory/rooms", t.admin_token)) == []


def test_create_needs_a_token(server):
    err(server.post("/v1/rooms", json={"room_type": "group", "name": "x"}), 401,
        "SW_AUTH_INVALID_TOKEN")


def test_directory_lists_joined_rooms_only(server, make_tenant):
    t = make_tenant("dir")
    a = create_room(server, t.admin_token, name="A")
    b = create_room(server, t.admin_token, name="B")
    c = create_room(server, t.member_token, name="C")
    r = server.get("/v1/directory/rooms", t.admin_token)
    listed = ok(r)
    assert r.json()["meta"] == {"has_more": False, "next_cursor": None}
    assert sorted(x["id"] for x in listed) == sorted([a["id"], b["id"]])
    for x in listed:
        assert set(x) == ROOM_KEYS
    assert [x["id"] for x in ok(server.get("/v1/directory/rooms", t.member_token))] == [c["id"]]
    # invited is not joined
    ok(server.post("/v1/rooms/%s/invite" % a["id"], t.admin_token,
                   json={"participant_id": t.member["participant_id"]}))
    assert [x["id"] for x in ok(server.get("/v1/directory/rooms", t.member_token))] == [c["id"]]
    ok(server.post("/v1/rooms/%s/join" % a["id"], t.member_token))
    listed = ok(server.get("/v1/directory/rooms", t.member_token))
    assert sorted(x["id"] for x in listed) == sorted([a["id"], c["id"]])
    assert [x["member_count"] for x in listed if x["id"] == a["id"]] == [2]


def test_members_list(server, make_tenant):
    t = make_tenant("members")
    room = create_room(server, t.admin_token)
    rows = ok(server.get("/v1/rooms/%s/members" % room["id"], t.admin_token))
    assert rows == [{
        "participant_id": t.admin["participant_id"],
        "power_level": 100,
        "membership": "join",
        "participant": {"local_id": t.admin["local_id"], "display_name": t.admin["display_name"],
                        "participant_type": "human"},
    }]
    ok(server.post("/v1/rooms/%s/invite" % room["id"], t.admin_token,
                   json={"participant_id": t.member["participant_id"]}))
    m = member_row(server, t.admin_token, room["id"], t.member["participant_id"])
    assert m["membership"] == "invite" and m["power_level"] == 0
    assert m["participant"]["local_id"] == t.member["local_id"]
    assert m["participant"]["participant_type"] == "human"
    ok(server.post("/v1/rooms/%s/join" % room["id"], t.member_token))
    rows = ok(server.get("/v1/rooms/%s/members" % room["id"], t.member_token))
    assert [(r["participant_id"], r["membership"], r["power_level"]) for r in rows] == [
        (t.admin["participant_id"], "join", 100), (t.member["participant_id"], "join", 0)]


# ---- invite / join / leave and power ----

def test_invite_join_leave(server, make_tenant):
    t = make_tenant("flow")
    rid = create_room(server, t.admin_token)["id"]
    mpid = t.member["participant_id"]

    # not invited: cannot join, read, or send
    err(server.post("/v1/rooms/%s/join" % rid, t.member_token), 403, "SW_NOT_MEMBER")
    err(server.get("/v1/rooms/%s" % rid, t.member_token), 403, "SW_NOT_MEMBER")

    room = ok(server.post("/v1/rooms/%s/invite" % rid, t.admin_token, json={"participant_id": mpid}))
    assert room["id"] == rid and room["member_count"] == 1  # an invite is not a join
    # invited: still not a member until they join
    err(server.get("/v1/rooms/%s" % rid, t.member_token), 403, "SW_NOT_MEMBER")
    err(server.get("/v1/rooms/%s/messages" % rid, t.member_token), 403, "SW_NOT_MEMBER")
    err(server.post("/v1/rooms/%s/send" % rid, t.member_token, json={"content": text("hi")}),
        403, "SW_NOT_MEMBER")
    # inviting twice is harmless
    ok(server.post("/v1/rooms/%s/invite" % rid, t.admin_token, json={"participant_id": mpid}))

    room = ok(server.post("/v1/rooms/%s/join" % rid, t.member_token))
    assert room["member_count"] == 2
    assert ok(server.get("/v1/rooms/%s" % rid, t.member_token))["member_count"] == 2
    # joining again is harmless
    assert ok(server.post("/v1/rooms/%s/join" % rid, t.member_token))["member_count"] == 2
    ev = send(server, t.member_token, rid, "hello from mia")
    assert ev["sender_id"] == mpid
    # inviting someone who already joined does not demote them
    ok(server.post("/v1/rooms/%s/invite" % rid, t.admin_token, json={"participant_id": mpid}))
    assert member_row(server, t.admin_token, rid, mpid)["membership"] == "join"

    left = ok(server.post("/v1/rooms/%s/leave" % rid, t.member_token))
    assert left == {"room_id": rid, "membership": "leave"}
    assert member_row(server, t.admin_token, rid, mpid) is None
    assert ok(server.get("/v1/rooms/%s" % rid, t.admin_token))["member_count"] == 1
    err(server.get("/v1/rooms/%s" % rid, t.member_token), 403, "SW_NOT_MEMBER")
    err(server.post("/v1/rooms/%s/send" % rid, t.member_token, json={"content": text("x")}),
        403, "SW_NOT_MEMBER")
    err(server.post("/v1/rooms/%s/leave" % rid, t.member_token), 403, "SW_NOT_MEMBER")
    # after leaving, joining needs a new invite
    err(server.post("/v1/rooms/%s/join" % rid, t.member_token), 403, "SW_NOT_MEMBER")
    invite_and_join(server, t.admin_token, rid, t.member_token, mpid)
    assert member_row(server, t.admin_token, rid, mpid)["membership"] == "join"

    # membership changes are room events
    kinds = []
    for e in all_events(server, t.admin_token, rid):
        k = (e["event_type"], e["content"].get("participant_id"), e["content"].get("membership"))
        if not kinds or kinds[-1] != k:  # (a repeated invite may repeat its event)
            kinds.append(k)
    assert kinds == [
        ("swp.room.member", t.admin["participant_id"], "join"),
        ("swp.room.member", mpid, "invite"),
        ("swp.room.member", mpid, "join"),
        ("swp.room.message", None, None),
        ("swp.room.member", mpid, "leave"),
        ("swp.room.member", mpid, "invite"),
        ("swp.room.member", mpid, "join"),
    ]


def test_invite_needs_power_50(server, make_tenant):
    t = make_tenant("power")
    third_tok = server.new_user_token(t.slug, "theo")
    third = server.me(third_tok)
    rid = create_room(server, t.admin_token)["id"]
    invite_and_join(server, t.admin_token, rid, t.member_token, t.member["participant_id"])
    assert member_row(server, t.admin_token, rid, t.member["participant_id"])["power_level"] == 0

    # a member with power 0 cannot invite
    err(server.post("/v1/rooms/%s/invite" % rid, t.member_token,
                    json={"participant_id": third["participant_id"]}),
        403, "SW_AUTH_INSUFFICIENT_PERMISSION")
    assert member_row(server, t.admin_token, rid, third["participant_id"]) is None
    err(server.post("/v1/rooms/%s/join" % rid, third_tok), 403, "SW_NOT_MEMBER")
    # a non-member cannot invite either (and learns nothing more)
    err(server.post("/v1/rooms/%s/invite" % rid, third_tok,
                    json={"participant_id": third["participant_id"]}),
        403, "SW_NOT_MEMBER")
    # the tenant admin role is not room power: a room the admin has not joined is closed to them
    rid2 = create_room(server, t.member_token)["id"]
    err(server.post("/v1/rooms/%s/invite" % rid2, t.admin_token,
                    json={"participant_id": t.admin["participant_id"]}),
        403, "SW_NOT_MEMBER")
    # the creator (power 100) invites the third user
    ok(server.post("/v1/rooms/%s/invite" % rid2, t.member_token,
                   json={"participant_id": third["participant_id"]}))
    ok(server.post("/v1/rooms/%s/join" % rid2, third_tok))


def test_invite_validation(server, make_tenant):
    t = make_tenant("invval")
    rid = create_room(server, t.admin_token)["id"]
    err(server.post("/v1/rooms/%s/invite" % rid, t.admin_token, json={}), 422, "SW_VALIDATION")
    err(server.post("/v1/rooms/%s/invite" % rid, t.admin_token, json={"participant_id": 5}),
        422, "SW_VALIDATION")
    err(server.post("/v1/rooms/%s/invite" % rid, t.admin_token,
                    json={"participant_id": str(uuid.uuid4())}),
        404, "SW_NOT_FOUND")
    assert len(ok(server.get("/v1/rooms/%s/members" % rid, t.admin_token))) == 1


# ---- 403 versus 404, and other tenants ----

def room_calls(rid):
    return [
        ("GET", "/v1/rooms/%s" % rid, None),
        ("GET", "/v1/rooms/%s/members" % rid, None),
        ("GET", "/v1/rooms/%s/messages" % rid, None),
        ("POST", "/v1/rooms/%s/send" % rid, {"content": text("intruder")}),
        ("POST", "/v1/rooms/%s/leave" % rid, None),
        ("POST", "/v1/rooms/%s/invite" % rid, {"participant_id": "x"}),
        ("POST", "/v1/rooms/%s/plugins/scaiwave.greeter/toggle" % rid, {"enabled": False}),
    ]


def test_non_member_of_the_same_tenant_gets_403(server, make_tenant):
    t = make_tenant("r403")
    rid = create_room(server, t.admin_token, name="Private plans")["id"]
    send(server, t.admin_token, rid, "secret")
    for method, path, body in room_calls(rid):
        kw = {"json": body} if body is not None else {}
        e = err(server.request(method, path, t.member_token, **kw), 403, "SW_NOT_MEMBER")
        assert "Private plans" not in e["message"]
    # nothing changed
    evs = all_events(server, t.admin_token, rid)
    assert [e["content"].get("body") for e in evs if e["event_type"] == "swp.room.message"] == ["secret"]


def test_other_tenant_and_random_ids_get_404(server, make_tenant):
    a = make_tenant("ra")
    b = make_tenant("rb")  # made with the CLI: another tenant on the same server
    assert a.tenant_id != b.tenant_id
    room = create_room(server, a.admin_token, name="Tenant A only")
    rid = room["id"]
    send(server, a.admin_token, rid, "a-secret")
    rnd = str(uuid.uuid4())
    for token in (b.admin_token, b.member_token):
        for target in (rid, rnd):
            for method, path, body in room_calls(target):
                kw = {"json": body} if body is not None else {}
                r = server.request(method, path, token, **kw)
                e = err(r, 404, "SW_ROOM_NOT_FOUND")
                assert "Tenant A only" not in r.text and "a-secret" not in r.text
            err(server.post("/v1/rooms/%s/join" % target, token), 404, "SW_ROOM_NOT_FOUND")
            err(server.get("/v1/commands", token, params={"room_id": target}), 404,
                "SW_ROOM_NOT_FOUND")
    # the same tenant's random id is 404 as well
    err(server.get("/v1/rooms/%s" % rnd, a.admin_token), 404, "SW_ROOM_NOT_FOUND")
    err(server.post("/v1/rooms/%s/join" % rnd, a.member_token), 404, "SW_ROOM_NOT_FOUND")
    # B sees none of A's rooms, and A's room is unchanged
    assert ok(server.get("/v1/directory/rooms", b.admin_token)) == []
    evs = all_events(server, a.admin_token, rid)
    assert [e["content"].get("body") for e in evs if e["event_type"] == "swp.room.message"] == ["a-secret"]
    assert len(ok(server.get("/v1/rooms/%s/members" % rid, a.admin_token))) == 1


def test_cannot_invite_a_participant_of_another_tenant(server, make_tenant):
    a = make_tenant("ia")
    b = make_tenant("ib")
    rid = create_room(server, a.admin_token)["id"]
    err(server.post("/v1/rooms/%s/invite" % rid, a.admin_token,
                    json={"participant_id": b.member["participant_id"]}),
        404, "SW_NOT_FOUND")
    assert member_row(server, a.admin_token, rid, b.member["participant_id"]) is None
    # and B's member cannot join A's room even knowing its id
    err(server.post("/v1/rooms/%s/join" % rid, b.member_token), 404, "SW_ROOM_NOT_FOUND")


def test_events_carry_only_the_callers_tenant(server, make_tenant):
    a = make_tenant("ea")
    b = make_tenant("eb")
    ra = create_room(server, a.admin_token)["id"]
    rb = create_room(server, b.admin_token)["id"]
    for i in range(5):
        send(server, a.admin_token, ra, "a%d" % i)
        send(server, b.admin_token, rb, "b%d" % i)
    for t, rid, prefix in ((a, ra, "a"), (b, rb, "b")):
        evs = all_events(server, t.admin_token, rid)
        assert {e["tenant_id"] for e in evs} == {t.tenant_id}
        assert {e["room_id"] for e in evs} == {rid}
        bodies = [e["content"]["body"] for e in evs if e["event_type"] == "swp.room.message"]
        assert bodies == ["%s%d" % (prefix, i) for i in range(5)]


# ---- messages ----

def test_send_returns_the_stored_event(server, make_tenant):
    t = make_tenant("send")
    rid = create_room(server, t.admin_token)["id"]
    ev = send(server, t.admin_token, rid, "hello, world")
    assert ev["room_id"] == rid and ev["tenant_id"] == t.tenant_id
    assert ev["sender_id"] == t.admin["participant_id"]
    assert ev["event_type"] == "swp.room.message"
    assert ev["content"] == text("hello, world")
    assert isinstance(ev["stream_position"], int) and ev["stream_position"] > 0
    assert isinstance(ev["origin_ts"], str) and ev["origin_ts"]
    latest, meta = messages(server, t.admin_token, rid, limit=1)
    assert latest == [ev]
    assert meta["has_more"] is True


def test_stream_position_increases_tenant_wide(server, make_tenant):
    t = make_tenant("pos")
    r1 = create_room(server, t.admin_token)["id"]
    r2 = create_room(server, t.member_token)["id"]
    positions = []
    for i in range(10):
        positions.append(send(server, t.admin_token, r1, "one %d" % i)["stream_position"])
        positions.append(send(server, t.member_token, r2, "two %d" % i)["stream_position"])
    assert all(a < b for a, b in zip(positions, positions[1:])), positions
    # no position is used twice across the tenant's rooms
    allpos = [e["stream_position"] for rid, tok in ((r1, t.admin_token), (r2, t.member_token))
              for e in all_events(server, tok, rid)]
    assert len(allpos) == len(set(allpos))


@pytest.mark.parametrize("content", [
    {"msgtype": "swp.notice", "body": "x"},
    {"msgtype": "swp.tool_result", "body": "x"},
    {"msgtype": "swp.system", "body": "x"},
], ids=["notice", "tool_result", "system"])
def test_only_text_messages_are_accepted(server, make_tenant, content):
    t = make_tenant("mtype")
    rid = create_room(server, t.admin_token)["id"]
    e = err(server.post("/v1/rooms/%s/send" % rid, t.admin_token, json={"content": content}),
            422, "SW_VALIDATION")
    assert e.get("details", {}).get("field") == "content.msgtype"
    assert [ev["event_type"] for ev in all_events(server, t.admin_token, rid)] == ["swp.room.member"]


@pytest.mark.parametrize("payload", [
    {},
    {"content": "hi"},
    {"content": {"body": "hi"}},
    {"content": {"msgtype": "swp.text"}},
    {"content": {"msgtype": "swp.text", "body": 5}},
    {"content": {"msgtype": "swp.text", "body": "hi"}, "event_uuid": 5},
    {"content": {"msgtype": "swp.text", "body": "hi"}, "event_uuid": "u" * 129},
], ids=["empty", "content-string", "no-msgtype", "no-body", "int-body", "int-uuid", "long-uuid"])
def test_send_validation(server, make_tenant, payload):
    t = make_tenant("sendval")
    rid = create_room(server, t.admin_token)["id"]
    err(server.post("/v1/rooms/%s/send" % rid, t.admin_token, json=payload), 422, "SW_VALIDATION")
    assert len(all_events(server, t.admin_token, rid)) == 1


def test_content_over_64k_is_413(server, make_tenant):
    t = make_tenant("big")
    rid = create_room(server, t.admin_token)["id"]
    r = server.post("/v1/rooms/%s/send" % rid, t.admin_token,
                    json={"content": text("x" * (65 * 1024))})
    e = err(r, 413, "SW_CONTENT_TOO_LARGE")
    assert e.get("details", {}).get("max_bytes") == MAX_CONTENT
    # counted on the content, not the request: escapes that make the request bigger do not
    # matter, but content bytes do
    overhead = len('{"msgtype":"swp.text","body":""}')
    r = server.post("/v1/rooms/%s/send" % rid, t.admin_token,
                    json={"content": text("y" * (MAX_CONTENT - overhead + 1))})
    err(r, 413, "SW_CONTENT_TOO_LARGE")
    ev = send(server, t.admin_token, rid, "z" * (MAX_CONTENT - overhead))
    assert len(ev["content"]["body"]) == MAX_CONTENT - overhead
    bodies = [e["content"].get("body", "") for e in all_events(server, t.admin_token, rid)
              if e["event_type"] == "swp.room.message"]
    assert [len(b) for b in bodies] == [MAX_CONTENT - overhead]


@pytest.mark.parametrize("params", [
    {"direction": "sideways"}, {"from": "-1"}, {"from": "abc"}, {"limit": "0"}, {"limit": "201"},
    {"limit": "x"},
], ids=["direction", "negative-from", "text-from", "limit-0", "limit-201", "limit-text"])
def test_messages_validation(server, make_tenant, params):
    t = make_tenant("msgval")
    rid = create_room(server, t.admin_token)["id"]
    err(server.get("/v1/rooms/%s/messages" % rid, t.admin_token, params=params), 422,
        "SW_VALIDATION")


def test_paging_both_directions_covers_every_event_once(server, make_tenant):
    t = make_tenant("paging")
    rid = create_room(server, t.admin_token)["id"]
    other = create_room(server, t.admin_token)["id"]  # interleaved: positions with gaps
    sent = []
    for i in range(37):
        sent.append(send(server, t.admin_token, rid, "m%02d" % i))
        if i % 3 == 0:
            send(server, t.admin_token, other, "noise %d" % i)
    expected_ids = [e["id"] for e in all_events(server, t.admin_token, rid, limit=200)]
    assert len(expected_ids) == 38  # the creator's join + 37 messages
    assert expected_ids[1:] == [e["id"] for e in sent]

    for limit in (1, 5, 7, 37, 38, 50):
        fwd = all_events(server, t.admin_token, rid, "forward", limit)
        back = all_events(server, t.admin_token, rid, "back", limit)
        assert [e["id"] for e in fwd] == expected_ids, limit
        assert [e["id"] for e in back] == expected_ids[::-1], limit
        pf = [e["stream_position"] for e in fwd]
        assert all(a < b for a, b in zip(pf, pf[1:]))
        assert {e["room_id"] for e in fwd + back} == {rid}

    # from= is exclusive in both directions
    mid = sent[20]["stream_position"]
    after, _ = messages(server, t.admin_token, rid, direction="forward", **{"from": mid}, limit=200)
    before, _ = messages(server, t.admin_token, rid, direction="back", **{"from": mid}, limit=200)
    assert [e["id"] for e in after] == [e["id"] for e in sent[21:]]
    assert [e["id"] for e in before] == expected_ids[:21][::-1]
    # the default is newest first
    page, meta = messages(server, t.admin_token, rid, limit=3)
    assert [e["id"] for e in page] == [e["id"] for e in sent[-3:][::-1]]
    assert meta == {"has_more": True, "next_cursor": str(sent[-3]["stream_position"])}
    # past either end: empty, nothing more
    end = sent[-1]["stream_position"]
    page, meta = messages(server, t.admin_token, rid, direction="forward", **{"from": end})
    assert page == [] and meta["has_more"] is False and meta["next_cursor"] is None
    page, meta = messages(server, t.admin_token, rid, direction="back", **{"from": "1"})
    assert page == [] and meta["has_more"] is False and meta["next_cursor"] is None


# ---- idempotency ----

def test_idempotent_retries(server, make_tenant):
    t = make_tenant("idem")
    rid = create_room(server, t.admin_token)["id"]
    auth = {"Authorization": "Bearer " + t.admin_token}
    N = 1000
    uuids = ["idem-%04d-%s" % (i, uuid.uuid4().hex) for i in range(N)]
    original = {}
    with requests.Session() as sess:
        sess.headers.update(auth)
        for i, u in enumerate(uuids):
            ev = send(server, None, rid, "message %d" % i, event_uuid=u, session=sess)
            assert ev["content"]["body"] == "message %d" % i
            original[u] = ev
    assert len({e["id"] for e in original.values()}) == N
    last_pos = max(e["stream_position"] for e in original.values())

    retry = uuids[::10]  # 100 of them, spread over the whole run
    assert len(retry) == 100
    sequential, concurrent = retry[:50], retry[50:]
    failures = []

    def check(u, ev, how):
        o = original[u]
        if ev["id"] != o["id"] or ev["stream_position"] != o["stream_position"] \
                or ev["content"] != o["content"]:
            failures.append((how, u, o, ev))

    # 50 sequential retries, with a different body: the original event comes back
    with requests.Session() as sess:
        sess.headers.update(auth)
        for u in sequential:
            check(u, send(server, None, rid, "retry of %s" % u, event_uuid=u, session=sess), "seq")

    # 50 concurrent retries from 8 threads; 10 of them are sent by every thread at once
    THREADS = 8
    shared, rest = concurrent[:10], concurrent[10:]
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker(k):
        try:
            mine = shared + rest[k::THREADS]
            with requests.Session() as sess:
                sess.headers.update(auth)
                barrier.wait(timeout=TIMEOUT)
                for u in mine:
                    check(u, send(server, None, rid, "racing %d" % k, event_uuid=u, session=sess),
                          "thread %d" % k)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads), "retry threads hung"
    assert not errors, errors
    assert not failures, failures[:3]

    # exactly N message events are stored, each once, with the original bodies
    evs = all_events(server, t.admin_token, rid)
    msgs = [e for e in evs if e["event_type"] == "swp.room.message"]
    assert len(msgs) == N
    assert sorted(e["id"] for e in msgs) == sorted(e["id"] for e in original.values())
    assert [e["content"]["body"] for e in msgs] == ["message %d" % i for i in range(N)]
    # retries took no stream positions: the next message comes right after the last one
    nxt = send(server, t.admin_token, rid, "after the retries")
    assert nxt["stream_position"] == last_pos + 1


def test_racing_first_sends_of_one_uuid_store_one_event(server, make_tenant):
    t = make_tenant("race")
    rid = create_room(server, t.admin_token)["id"]
    THREADS = 8
    fresh = ["race-%d-%s" % (i, uuid.uuid4().hex) for i in range(20)]
    barrier = threading.Barrier(THREADS)
    results = {u: [] for u in fresh}
    lock = threading.Lock()
    errors = []

    def worker(k):
        try:
            with requests.Session() as sess:
                sess.headers.update({"Authorization": "Bearer " + t.admin_token})
                for u in fresh:
                    barrier.wait(timeout=TIMEOUT)  # all threads send this uuid together
                    ev = send(server, None, rid, "first %s by %d" % (u, k), event_uuid=u,
                              session=sess)
                    with lock:
                        results[u].append(ev)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads)
    assert not errors, errors
    for u, evs in results.items():
        assert len(evs) == THREADS
        assert len({e["id"] for e in evs}) == 1, (u, evs)
        assert len({e["content"]["body"] for e in evs}) == 1
    msgs = [e for e in all_events(server, t.admin_token, rid) if e["event_type"] == "swp.room.message"]
    assert len(msgs) == len(fresh)
    assert sorted(e["id"] for e in msgs) == sorted(evs[0]["id"] for evs in results.values())


def test_event_uuid_is_scoped_to_sender_and_room(server, make_tenant):
    t = make_tenant("scope")
    r1 = create_room(server, t.admin_token)["id"]
    r2 = create_room(server, t.admin_token)["id"]
    invite_and_join(server, t.admin_token, r1, t.member_token, t.member["participant_id"])
    u = "shared-" + uuid.uuid4().hex
    a = send(server, t.admin_token, r1, "admin r1", event_uuid=u)
    b = send(server, t.member_token, r1, "member r1", event_uuid=u)
    c = send(server, t.admin_token, r2, "admin r2", event_uuid=u)
    assert len({a["id"], b["id"], c["id"]}) == 3
    assert b["content"]["body"] == "member r1" and c["content"]["body"] == "admin r2"
    assert send(server, t.admin_token, r1, "again", event_uuid=u)["id"] == a["id"]
    assert send(server, t.member_token, r1, "again", event_uuid=u)["id"] == b["id"]
    # without a uuid every send is new
    x = send(server, t.admin_token, r2, "same")
    y = send(server, t.admin_token, r2, "same")
    assert x["id"] != y["id"]


# ---- durability ----

def integrity(data_dir):
    con = sqlite3.connect(os.path.join(data_dir, "scaiwave.db"), timeout=10)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def test_acknowledged_sends_survive_kill_9(server_factory):
    s = server_factory(extra_args=["--threads", "4"])
    slug = unique("dur")
    s.create_tenant(slug)
    tok = s.new_user_token(slug, "writer")
    rid = create_room(s, tok)["id"]

    THREADS = 8
    acked = []  # (event id, stream_position, body) of every 200
    lock = threading.Lock()
    stop = threading.Event()
    unexpected = []

    def worker(k):
        with requests.Session() as sess:
            sess.headers.update({"Authorization": "Bearer " + tok})
            i = 0
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                body = "burst %d-%d" % (k, i)
                i += 1
                try:
                    r = sess.post(s.url + "/v1/rooms/%s/send" % rid,
                                  json={"content": text(body), "event_uuid": "%d-%d" % (k, i)},
                                  timeout=TIMEOUT)
                except requests.exceptions.RequestException:
                    return  # the server is gone
                if r.status_code != 200:
                    with lock:
                        unexpected.append((r.status_code, r.text[:200]))
                    continue
                try:
                    ev = r.json()["data"]
                except ValueError:
                    return  # cut off mid-answer by the kill: not acknowledged
                with lock:
                    acked.append((ev["id"], ev["stream_position"], body))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for th in threads:
        th.start()
    # kill -9 in the middle of the burst: once a good number of sends were acknowledged
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 300:
                break
        time.sleep(0.005)
    assert s.running()
    assert s.kill9() == -9
    stop.set()
    for th in threads:
        th.join(TIMEOUT + 5)
    assert not any(th.is_alive() for th in threads)
    assert not unexpected, unexpected[:3]
    assert len(acked) >= 300

    s.start()  # same data dir
    rc = None
    try:
        evs = all_events(s, tok, rid)
        stored = {e["id"]: e for e in evs}
        assert len(stored) == len(evs), "an event is listed twice"
        missing = [a for a in acked if a[0] not in stored]
        assert not missing, "%d acknowledged sends lost, e.g. %r" % (len(missing), missing[:3])
        for eid, pos, body in acked:
            assert stored[eid]["stream_position"] == pos
            assert stored[eid]["content"] == text(body)
        positions = [e["stream_position"] for e in evs]
        assert all(a < b for a, b in zip(positions, positions[1:]))
        # the stream continues after the highest position, none reused
        nxt = send(s, tok, rid, "after the crash")
        assert nxt["stream_position"] > positions[-1]
        assert integrity(s.data_dir) == ["ok"]
    finally:
        rc = s.stop()
    assert rc == 0, s.stderr_text()[-2000:]
    assert integrity(s.data_dir) == ["ok"]


def test_room_shows_its_ai_settings(server, make_tenant):
    t = make_tenant("aiset")
    dm = ok(server.post("/v1/rooms", t.admin_token, json={"room_type": "dm", "name": "d"}), 201)
    grp = ok(server.post("/v1/rooms", t.admin_token, json={"room_type": "group", "name": "g"}), 201)
    assert dm["ai_mode"] == "always" and grp["ai_mode"] == "mention" and grp["ai_system_prompt"] is None
    ok(server.put("/v1/rooms/%s/ai/engagement" % grp["id"], t.admin_token, json={"mode": "always"}))
    ok(server.put("/v1/rooms/%s/ai/system-prompt" % grp["id"], t.admin_token, json={"system_prompt": "Be brief."}))
    g = ok(server.get("/v1/rooms/%s" % grp["id"], t.admin_token))
    assert g["ai_mode"] == "always" and g["ai_system_prompt"] == "Be brief."
