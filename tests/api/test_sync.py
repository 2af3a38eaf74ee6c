"""GET /v1/sync?since=&limit=&timeout= — long-poll catch-up over the rooms the caller joined:
history from since=0 (joined rooms only, never another tenant's), a parked request woken by a
new event, an empty answer after the timeout, catching up from a saved cursor with paging, and
a parked request answered when the server is stopped with SIGTERM.

Timing assertions are loose on purpose: "did not answer at once" and "answered well before the
deadline", never exact durations. A request is known to be parked from the scaiwave_sync_parked
gauge on /metrics (polled with a deadline), and which events woke it from
scaiwave_sync_wakes_total / scaiwave_sync_scans_total."""
import threading
import time

import pytest
import requests

from conftest import TIMEOUT, err, ok, unique

SYNC_KEYS = {"events", "next_cursor", "has_more"}


def create_room(server, token, name="room"):
    return ok(server.post("/v1/rooms", token, json={"room_type": "group", "name": name}), 201)["id"]


def send(server, token, room_id, body):
    return ok(server.post("/v1/rooms/%s/send" % room_id, token,
                          json={"content": {"msgtype": "swp.text", "body": body}}))


def invite_and_join(server, admin_token, room_id, member_token, member_pid):
    ok(server.post("/v1/rooms/%s/invite" % room_id, admin_token, json={"participant_id": member_pid}))
    ok(server.post("/v1/rooms/%s/join" % room_id, member_token))


def sync(server, token, since=0, limit=None, timeout=0, http_timeout=TIMEOUT):
    params = {"since": since, "timeout": timeout}
    if limit is not None:
        params["limit"] = limit
    r = server.get("/v1/sync", token, params=params, timeout=http_timeout)
    d = ok(r)
    assert set(d) == SYNC_KEYS, d
    assert isinstance(d["events"], list) and isinstance(d["has_more"], bool)
    assert isinstance(d["next_cursor"], str) and d["next_cursor"].isdigit(), d
    if d["events"]:
        assert d["next_cursor"] == str(d["events"][-1]["stream_position"])
    else:
        assert d["next_cursor"] == str(since)
    pos = [e["stream_position"] for e in d["events"]]
    assert all(a < b for a, b in zip(pos, pos[1:])), pos
    assert all(p > int(since) for p in pos)
    return d


def sync_all(server, token, since=0, limit=100):
    """Pages from since until has_more is false (timeout=0: never waits)."""
    out = []
    cursor = since
    for _ in range(10000):
        d = sync(server, token, cursor, limit=limit)
        assert len(d["events"]) <= limit
        out.extend(d["events"])
        cursor = d["next_cursor"]
        if not d["has_more"]:
            return out, cursor
    raise AssertionError("sync paging did not end")


def run_in_thread(fn):
    """Starts fn in a thread; returns a getter that joins (bounded) and returns (result, time)."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["error"] = e
        box["at"] = time.monotonic()

    th = threading.Thread(target=target, daemon=True)
    th.start()

    def get(timeout=60):
        th.join(timeout)
        assert not th.is_alive(), "the sync request did not return within %d s" % timeout
        if "error" in box:
            raise box["error"]
        return box["result"], box["at"]
    return get


# ---- history ----

def test_since_0_returns_joined_rooms_only(server, make_tenant):
    a = make_tenant("sa")
    b = make_tenant("sb")
    shared = create_room(server, a.admin_token, "shared")
    private = create_room(server, a.admin_token, "private")
    invited = create_room(server, a.admin_token, "invited-only")
    theirs = create_room(server, b.admin_token, "other tenant")
    send(server, a.admin_token, shared, "before the member joined")
    invite_and_join(server, a.admin_token, shared, a.member_token, a.member["participant_id"])
    ok(server.post("/v1/rooms/%s/invite" % invited, a.admin_token,
                   json={"participant_id": a.member["participant_id"]}))
    send(server, a.admin_token, shared, "after")
    send(server, a.admin_token, private, "admin only")
    send(server, a.admin_token, invited, "not joined yet")
    send(server, b.admin_token, theirs, "tenant b")

    mine, _ = sync_all(server, a.member_token)
    assert {e["room_id"] for e in mine} == {shared}
    assert {e["tenant_id"] for e in mine} == {a.tenant_id}
    bodies = [e["content"].get("body") for e in mine if e["event_type"] == "swp.room.message"]
    assert bodies == ["before the member joined", "after"]  # the joined room's history

    admins, _ = sync_all(server, a.admin_token)
    assert {e["room_id"] for e in admins} == {shared, private, invited}
    assert {e["tenant_id"] for e in admins} == {a.tenant_id}
    bodies = [e["content"].get("body") for e in admins if e["event_type"] == "swp.room.message"]
    assert bodies == ["before the member joined", "after", "admin only", "not joined yet"]

    theirs_events, _ = sync_all(server, b.admin_token)
    assert {e["room_id"] for e in theirs_events} == {theirs}
    assert "tenant b" in [e["content"].get("body") for e in theirs_events]

    # a user with no rooms gets nothing, at once
    d = sync(server, server.new_user_token(a.slug, "nobody"), 0)
    assert d == {"events": [], "next_cursor": "0", "has_more": False}


def test_events_have_the_room_event_shape(server, make_tenant):
    t = make_tenant("shape")
    rid = create_room(server, t.admin_token)
    sent = send(server, t.admin_token, rid, "shape")
    events, cursor = sync_all(server, t.admin_token)
    assert events[-1] == sent
    assert cursor == str(sent["stream_position"])
    # the same events as /messages
    r = server.get("/v1/rooms/%s/messages" % rid, t.admin_token, params={"direction": "forward"})
    assert ok(r) == events


def test_after_leaving_a_room_its_events_stop(server, make_tenant):
    t = make_tenant("leave")
    rid = create_room(server, t.admin_token)
    invite_and_join(server, t.admin_token, rid, t.member_token, t.member["participant_id"])
    _, cursor = sync_all(server, t.member_token)
    ok(server.post("/v1/rooms/%s/leave" % rid, t.member_token))
    send(server, t.admin_token, rid, "after you left")
    d = sync(server, t.member_token, cursor)
    assert d["events"] == []


@pytest.mark.parametrize("params", [
    {"since": "-1"}, {"since": "x"}, {"limit": "0"}, {"limit": "1001"}, {"timeout": "-1"},
    {"timeout": "120001"}, {"timeout": "1s"},
], ids=["since-neg", "since-text", "limit-0", "limit-1001", "timeout-neg", "timeout-big",
        "timeout-text"])
def test_sync_validation(server, make_tenant, params):
    t = make_tenant("syncval")
    err(server.get("/v1/sync", t.admin_token, params=params), 422, "SW_VALIDATION")


def test_sync_needs_a_token(server):
    err(server.get("/v1/sync", params={"timeout": 0}), 401, "SW_AUTH_INVALID_TOKEN")


# ---- long-poll ----

def test_long_poll_wakes_on_a_new_event(server, make_tenant):
    t = make_tenant("wake")
    rid = create_room(server, t.admin_token)
    invite_and_join(server, t.admin_token, rid, t.member_token, t.member["participant_id"])
    _, cursor = sync_all(server, t.member_token)

    POLL_MS = 30000
    parked0 = metric(server, "scaiwave_sync_parked")
    wakes0 = metric(server, "scaiwave_sync_wakes_total")
    start = time.monotonic()
    get = run_in_thread(lambda: sync(server, t.member_token, cursor, timeout=POLL_MS,
                                     http_timeout=POLL_MS / 1000 + 30))
    wait_for_parked(server, parked0 + 1)  # parked: the event below must wake it, not find it
    sent_at = time.monotonic()
    ev = send(server, t.admin_token, rid, "wake up")
    d, returned_at = get(POLL_MS / 1000 + 30)
    assert [e["id"] for e in d["events"]] == [ev["id"]]
    assert d["events"][0] == ev
    assert d["next_cursor"] == str(ev["stream_position"])
    assert returned_at >= sent_at
    assert returned_at - start < POLL_MS / 1000 / 2, "answered only near its timeout"
    assert metric(server, "scaiwave_sync_wakes_total") - wakes0 == 1  # woken by the event


def test_long_poll_ignores_other_rooms_and_tenants(server, make_tenant):
    a = make_tenant("wa")
    b = make_tenant("wb")
    joined = create_room(server, a.admin_token, "joined")
    invite_and_join(server, a.admin_token, joined, a.member_token, a.member["participant_id"])
    not_joined = create_room(server, a.admin_token, "not joined")
    other_tenant = create_room(server, b.admin_token, "b")
    _, cursor = sync_all(server, a.member_token)

    POLL_MS = 30000
    parked0 = metric(server, "scaiwave_sync_parked")
    wakes0 = metric(server, "scaiwave_sync_wakes_total")
    start = time.monotonic()
    get = run_in_thread(lambda: sync(server, a.member_token, cursor, timeout=POLL_MS,
                                     http_timeout=POLL_MS / 1000 + 30))
    wait_for_parked(server, parked0 + 1)
    # events the member must not see: the request keeps waiting through them, not woken
    send(server, a.admin_token, not_joined, "not for you")
    send(server, b.admin_token, other_tenant, "other tenant")
    assert metric(server, "scaiwave_sync_parked") == parked0 + 1
    assert metric(server, "scaiwave_sync_wakes_total") == wakes0
    ev = send(server, a.admin_token, joined, "for you")
    d, returned_at = get(POLL_MS / 1000 + 30)
    assert [e["id"] for e in d["events"]] == [ev["id"]], d
    assert returned_at - start < POLL_MS / 1000 / 2


def test_many_parked_requests_wake_together(server, make_tenant):
    # parked requests hold no thread: more of them than HTTP threads all get the event
    t = make_tenant("many")
    rid = create_room(server, t.admin_token)
    _, cursor = sync_all(server, t.admin_token)
    N = 24
    POLL_MS = 30000
    parked0 = metric(server, "scaiwave_sync_parked")
    getters = [run_in_thread(lambda: sync(server, t.admin_token, cursor, timeout=POLL_MS,
                                          http_timeout=POLL_MS / 1000 + 30)) for _ in range(N)]
    wait_for_parked(server, parked0 + N)  # all parked at once: none holds a thread
    # the server still answers other requests while they wait
    assert ok(server.get("/v1/me", t.member_token))["local_id"] == t.member_name
    start = time.monotonic()
    ev = send(server, t.admin_token, rid, "everyone")
    for get in getters:
        d, returned_at = get(POLL_MS / 1000 + 30)
        assert [e["id"] for e in d["events"]] == [ev["id"]]
        assert returned_at - start < POLL_MS / 1000 / 2


def metric(server, name):
    """The value of an unlabelled metric on /metrics (fails when it is not there)."""
    r = server.get("/metrics")
    assert r.status_code == 200, r.text
    for line in r.text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("no metric %s on /metrics" % name)


def wait_for_parked(server, want, timeout=60):
    """Polls the parked-requests gauge until it reaches want (a deadline, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        n = metric(server, "scaiwave_sync_parked")
        if n >= want:
            return n
        assert time.monotonic() < deadline, "only %d of %d long-polls parked" % (n, want)
        time.sleep(0.02)


def test_parked_polls_wake_only_for_their_rooms(server, make_tenant):
    # 30 parked polls of a member; 10 messages in a room the member is not in must neither wake
    # nor re-scan them; one message in the member's room wakes
    # each exactly once and each looks at the store exactly once more
    t = make_tenant("amp")
    mine = create_room(server, t.admin_token, "mine")
    invite_and_join(server, t.admin_token, mine, t.member_token, t.member["participant_id"])
    other = create_room(server, t.admin_token, "not the member's")
    _, cursor = sync_all(server, t.member_token)
    N = 30
    POLL_MS = 60000
    parked0 = metric(server, "scaiwave_sync_parked")
    getters = [run_in_thread(lambda: sync(server, t.member_token, cursor, timeout=POLL_MS,
                                          http_timeout=POLL_MS / 1000 + 30)) for _ in range(N)]
    wait_for_parked(server, parked0 + N)
    scans0 = metric(server, "scaiwave_sync_scans_total")
    wakes0 = metric(server, "scaiwave_sync_wakes_total")
    for i in range(10):
        send(server, t.admin_token, other, "not for the member %d" % i)
    assert metric(server, "scaiwave_sync_wakes_total") == wakes0
    assert metric(server, "scaiwave_sync_scans_total") == scans0
    assert metric(server, "scaiwave_sync_parked") == parked0 + N
    ev = send(server, t.admin_token, mine, "for the member")
    for get in getters:
        d, _ = get(POLL_MS / 1000 + 30)
        assert [e["id"] for e in d["events"]] == [ev["id"]], d
    assert metric(server, "scaiwave_sync_wakes_total") - wakes0 == N
    assert metric(server, "scaiwave_sync_scans_total") - scans0 == N
    assert metric(server, "scaiwave_sync_parked") == parked0


def test_a_parked_poll_wakes_when_its_participant_joins_a_room(server, make_tenant):
    # the poll waits on the rooms it had; joining another one must still wake it with the join
    t = make_tenant("joinwake")
    rid = create_room(server, t.admin_token)
    ok(server.post("/v1/rooms/%s/invite" % rid, t.admin_token,
                   json={"participant_id": t.member["participant_id"]}))
    _, cursor = sync_all(server, t.member_token)
    POLL_MS = 60000
    parked0 = metric(server, "scaiwave_sync_parked")
    get = run_in_thread(lambda: sync(server, t.member_token, cursor, timeout=POLL_MS,
                                     http_timeout=POLL_MS / 1000 + 30))
    wait_for_parked(server, parked0 + 1)
    ok(server.post("/v1/rooms/%s/join" % rid, t.member_token))
    d, _ = get(POLL_MS / 1000 + 30)
    # the room's history comes with it (the member now sees the room); its join ends the page
    last = d["events"][-1]
    assert (last["event_type"], last["content"].get("membership"),
            last["content"].get("participant_id")) == (
        "swp.room.member", "join", t.member["participant_id"]), d
    assert {e["room_id"] for e in d["events"]} == {rid}


def test_timeout_with_nothing_new_returns_empty(server, make_tenant):
    t = make_tenant("tmo")
    create_room(server, t.admin_token)
    _, cursor = sync_all(server, t.admin_token)
    POLL_MS = 1500
    start = time.monotonic()
    d = sync(server, t.admin_token, cursor, timeout=POLL_MS, http_timeout=30)
    took = time.monotonic() - start
    assert d == {"events": [], "next_cursor": cursor, "has_more": False}
    assert took >= POLL_MS / 1000 * 0.6, "answered after %.3f s, before its timeout" % took
    assert took < POLL_MS / 1000 + 10, "answered only after %.3f s" % took
    # timeout=0 never waits
    start = time.monotonic()
    d = sync(server, t.admin_token, cursor, timeout=0)
    assert d["events"] == [] and time.monotonic() - start < 5


def test_events_waiting_are_returned_at_once(server, make_tenant):
    t = make_tenant("ready")
    rid = create_room(server, t.admin_token)
    _, cursor = sync_all(server, t.admin_token)
    ev = send(server, t.admin_token, rid, "already here")
    start = time.monotonic()
    d = sync(server, t.admin_token, cursor, timeout=60000, http_timeout=90)
    assert [e["id"] for e in d["events"]] == [ev["id"]]
    assert time.monotonic() - start < 10


# ---- catching up ----

def test_reconnect_from_a_cursor(server, make_tenant):
    t = make_tenant("resume")
    rid = create_room(server, t.admin_token)
    other = create_room(server, t.admin_token)
    invite_and_join(server, t.admin_token, rid, t.member_token, t.member["participant_id"])
    send(server, t.admin_token, rid, "before the cursor")
    _, cursor = sync_all(server, t.member_token)  # "disconnect" here

    sent = []
    for i in range(50):
        sent.append(send(server, t.admin_token, rid, "missed %d" % i))
        if i % 10 == 0:
            send(server, t.admin_token, other, "not joined %d" % i)  # gaps in positions

    got = []
    pages = 0
    c = cursor
    while True:
        d = sync(server, t.member_token, c, limit=7, timeout=0)
        pages += 1
        assert len(d["events"]) <= 7
        got.extend(d["events"])
        c = d["next_cursor"]
        if not d["has_more"]:
            break
        assert len(d["events"]) == 7
        assert pages < 100
    assert pages == 8  # 50 events, 7 a page
    assert [e["id"] for e in got] == [e["id"] for e in sent]
    assert len({e["id"] for e in got}) == 50
    assert [e["content"]["body"] for e in got] == ["missed %d" % i for i in range(50)]
    assert c == str(sent[-1]["stream_position"])
    # nothing more after the end
    assert sync(server, t.member_token, c)["events"] == []


def test_limit_bounds(server, make_tenant):
    t = make_tenant("limits")
    rid = create_room(server, t.admin_token)
    for i in range(5):
        send(server, t.admin_token, rid, "l%d" % i)
    d = sync(server, t.admin_token, 0, limit=1)
    assert len(d["events"]) == 1 and d["has_more"] is True
    d = sync(server, t.admin_token, 0, limit=6)  # join + 5 messages
    assert len(d["events"]) == 6 and d["has_more"] is False
    d = sync(server, t.admin_token, 0, limit=1000)
    assert len(d["events"]) == 6 and d["has_more"] is False


# ---- shutdown ----

def test_sigterm_answers_a_parked_sync(server_factory):
    s = server_factory()
    slug = unique("term")
    s.create_tenant(slug)
    tok = s.new_user_token(slug, "waiter")
    create_room(s, tok)
    _, cursor = sync_all(s, tok)

    POLL_MS = 60000

    def parked():
        r = requests.get(s.url + "/v1/sync", headers={"Authorization": "Bearer " + tok},
                         params={"since": cursor, "timeout": POLL_MS}, timeout=POLL_MS / 1000 + 30)
        return r

    get = run_in_thread(parked)
    wait_for_parked(s, 1)
    start = time.monotonic()
    rc = s.stop()
    r, returned_at = get(POLL_MS / 1000 + 30)
    assert rc == 0, s.stderr_text()[-2000:]
    assert r.status_code == 200, r.text
    d = ok(r)
    assert d == {"events": [], "next_cursor": cursor, "has_more": False}
    assert returned_at - start < 20, "the parked sync was answered only after %.1f s" % (
        returned_at - start)
