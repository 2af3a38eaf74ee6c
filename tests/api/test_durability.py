"""Durability: `kill -9` while 8 writers send messages, restart on the same data directory, and
every acknowledged send is there exactly once; a send that was in flight at the kill, repeated
with its event_uuid, is stored once too; an approval that was pending before the kill is still
decidable and runs its tool once. Three rounds on one server (each round adds to what the
previous rounds stored, and checks that too). Every wait polls a condition with a deadline.

What an acknowledgement promises: the answer to a send comes after the commit that stored it
(docs/ARCHITECTURE.md, Storage): a crash of the process (this test) never loses it; with the
default --db-synchronous full, power loss does not either (not testable here)."""
import os
import signal
import threading
import time

import pytest
import requests

from conftest import Server, TIMEOUT, ok
from test_ai import Fake
from test_approvals import FAKE, TEST_PLUGIN_DIR, Setup, calls, have_recorder, record_call, tool_messages
from test_sync import sync_all

def test_the_recorder_plugin_and_the_fake_model_are_there():
    """Every test here needs both; a missing one is a failure, not a skip."""
    assert have_recorder() and os.path.exists(FAKE), "build/test-plugins/recorder.so or the fake model is missing"

WRITERS = 8
ROUNDS = 3
ACKED_BEFORE_KILL = 120  # the kill comes once this many sends were acknowledged (writers go on)


@pytest.fixture(scope="module")
def fake():
    f = Fake()
    yield f
    f.close()


class Writer(threading.Thread):
    """Sends messages (body == event_uuid) into one room until the server goes away. Records
    every acknowledged event, and the one send that was in flight when the server was killed."""

    def __init__(self, url, token, room_id, name, killed):
        super().__init__(daemon=True)
        self.url, self.token, self.room_id, self.name, self.killed = url, token, room_id, name, killed
        self.acked = {}        # event_uuid -> the event the server answered with
        self.in_flight = None  # the event_uuid whose send got no answer
        self.failure = None    # anything that is not an answer or the kill

    def run(self):
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + self.token
        k = 0
        while True:
            uuid = "%s-%d" % (self.name, k)
            try:
                r = s.post("%s/v1/rooms/%s/send" % (self.url, self.room_id), timeout=TIMEOUT,
                           json={"content": {"msgtype": "swp.text", "body": uuid}, "event_uuid": uuid})
            except requests.RequestException as e:
                if self.killed.is_set():
                    self.in_flight = uuid
                else:
                    self.failure = "send %s failed before the kill: %r" % (uuid, e)
                return
            if r.status_code != 200:
                self.failure = "send %s answered %d: %s" % (uuid, r.status_code, r.text[:300])
                return
            self.acked[uuid] = r.json()["data"]
            k += 1


def wait_until(pred, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.01)


def send(srv, token, room_id, uuid):
    return ok(srv.post("/v1/rooms/%s/send" % room_id, token,
                       json={"content": {"msgtype": "swp.text", "body": uuid}, "event_uuid": uuid}))


def check_stored(srv, token, rooms, acked):
    """Every acknowledged event is stored exactly once, as it was answered; no body twice."""
    events, _ = sync_all(srv, token, limit=1000)
    mine = [e for e in events if e["room_id"] in rooms and e["event_type"] == "swp.room.message"]
    bodies = [e["content"]["body"] for e in mine]
    dup = sorted({b for b in bodies if bodies.count(b) > 1})
    assert not dup, "stored more than once: %s" % dup[:10]
    by_id = {e["id"]: e for e in mine}
    lost = [u for u, ev in acked.items() if ev["id"] not in by_id]
    assert not lost, "%d acknowledged sends lost, e.g. %s" % (len(lost), lost[:5])
    for u, ev in acked.items():
        assert by_id[ev["id"]] == ev, (u, by_id[ev["id"]], ev)
    return {e["content"]["body"]: e for e in mine}


def test_kill_9_under_concurrent_writers_loses_no_acknowledged_send(fake):
    srv = Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR, "--ai-max-rounds", "3"]).start()
    try:
        history = []  # (token, rooms, acked) of every round, re-checked after each restart
        for rnd in range(ROUNDS):
            # a pending approval, parked in the store before the kill
            s = Setup(srv, fake)
            answer = "Recorded after kill %d." % rnd
            fake.script(calls(record_call("durable %d" % rnd, "d%d" % rnd)), {"content": answer})
            s.say("record durable %d" % rnd)
            rid = s.card()["request_id"]
            assert [r["id"] for r in s.pending()] == [rid]
            # 8 writers over 4 rooms without an AI (two writers share each room)
            rooms = [ok(srv.post("/v1/rooms", s.boss, json={"room_type": "group", "name": "w%d" % i}), 201)["id"]
                     for i in range(WRITERS // 2)]
            killed = threading.Event()
            writers = [Writer(srv.url, s.boss, rooms[i % len(rooms)], "r%d-w%d" % (rnd, i), killed)
                       for i in range(WRITERS)]
            for w in writers:
                w.start()
            wait_until(lambda: sum(len(w.acked) for w in writers) >= ACKED_BEFORE_KILL
                       or any(not w.is_alive() for w in writers), "acknowledged sends")
            assert all(w.is_alive() for w in writers), [w.failure for w in writers]
            killed.set()
            assert srv.stop(signal.SIGKILL) == -signal.SIGKILL
            for w in writers:
                w.join(TIMEOUT + 30)
                assert not w.is_alive(), "writer %s did not notice the kill" % w.name
            assert [w.failure for w in writers if w.failure] == []
            acked = {}
            for w in writers:
                acked.update(w.acked)
            assert len(acked) >= ACKED_BEFORE_KILL

            srv.start()
            history.append((s.boss, set(rooms), acked))
            for tok, rms, ack in history:  # this round's sends and every earlier round's
                check_stored(srv, tok, rms, ack)
            # the sends that got no answer: repeated with their event_uuid, stored once
            for w in writers:
                again = [send(srv, s.boss, w.room_id, w.in_flight) for _ in range(2)]
                assert again[0] == again[1]
                last = max(w.acked, key=lambda u: int(u.rsplit("-", 1)[1]), default=None)
                if last:  # an acknowledged one repeated: the same event, not a second one
                    assert send(srv, s.boss, w.room_id, last) == w.acked[last]
                acked[w.in_flight] = again[0]
            stored = check_stored(srv, s.boss, set(rooms), acked)
            assert len(stored) == len(acked)
            # the approval pending before the kill is still pending and decidable, and runs once
            q = s.pending()
            assert [r["id"] for r in q] == [rid] and q[0]["status"] == "pending"
            assert s.count() == 0
            d = ok(s.approve(rid))
            assert d["id"] == rid and d["status"] == "approved"
            assert s.answer() == answer
            assert s.count() == 1
            reqs = fake.requests()
            assert len(reqs) == 2
            assert tool_messages(reqs[1]) == [{"role": "tool", "tool_call_id": "d%d" % rnd,
                                               "content": "recorded durable %d (run #1)" % rnd}]
        assert srv.stop() == 0, srv.stderr_text()[-2000:]
    finally:
        srv.close()
