"""A tool's arguments arrive intact on every path: a slash command (JSON after the name, or
words typed to the schema) and POST /v1/tools/{tool}/call hand the dispatcher the arguments
they parsed, and the tool (test.argecho) reads an integer past 2^53 as that integer and a
nested object as it was sent. Slash replies are awaited by polling with a deadline."""
import json
import os
import time

import pytest

from conftest import Server, TenantUsers, ok, unique

WAIT = 20  # seconds, at most, for a command's reply
PLUGIN = "test.argecho"
BIG = 9007199254740993  # 2^53 + 1: not a double
NESTED = {"k": [1, {"x": True, "s": "é"}], "e": {}}


@pytest.fixture(scope="module")
def srv():
    plugin_dir = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"
    if not os.path.exists(os.path.join(plugin_dir, "argecho.so")):
        pytest.fail("build/test-plugins/argecho.so is missing")
    s = Server(extra_args=["--plugin-dir", plugin_dir]).start()
    yield s
    s.close()


@pytest.fixture
def tenant(srv):
    t = TenantUsers(srv, unique("args"))
    srv.enable(t.admin_token, PLUGIN)
    room = ok(srv.post("/v1/rooms", t.admin_token, json={"room_type": "group", "name": "args"}), 201)["id"]
    return t, room


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def expected(n, word, o):
    args = {"n": n}
    if word is not None:
        args["word"] = word
    if o is not None:
        args["o"] = o
    return "n=%d word=%s o=%s text=%s" % (n, word or "-", compact(o) if o is not None else "-", compact(args))


def slash(srv, t, room, body):
    cmd = ok(srv.post("/v1/rooms/%s/send" % room, t.admin_token,
                      json={"content": {"msgtype": "swp.text", "body": body}}))
    deadline = time.monotonic() + WAIT
    while True:
        page = ok(srv.get("/v1/rooms/%s/messages" % room, t.admin_token,
                          params={"direction": "forward", "from": cmd["stream_position"], "limit": 50}))
        for ev in page:
            if ev["content"].get("msgtype") in ("swp.tool_result", "swp.system"):
                return ev["content"]
        assert time.monotonic() < deadline, "no reply to %r within %d s" % (body, WAIT)
        time.sleep(0.02)


def test_slash_json_arguments_arrive_intact(srv, tenant):
    t, room = tenant
    reply = slash(srv, t, room, "/argecho " + json.dumps({"n": BIG, "o": NESTED}))
    assert reply["msgtype"] == "swp.tool_result" and reply["status"] == "ok", reply
    assert reply["body"] == expected(BIG, None, NESTED), reply


def test_slash_words_arrive_typed(srv, tenant):
    t, room = tenant
    reply = slash(srv, t, room, "/argecho %d hello" % BIG)
    assert reply["status"] == "ok", reply
    assert reply["body"] == expected(BIG, "hello", None), reply


def test_api_arguments_arrive_intact(srv, tenant):
    t, room = tenant
    r = srv.call_tool(t.admin_token, "argecho", {"n": BIG, "word": "w", "o": NESTED})
    assert r["status"] == "ok" and r["plugin_id"] == PLUGIN, r
    assert r["result"] == expected(BIG, "w", NESTED), r
    # the same through a room the caller joined (the room's toggles apply through the resolver)
    r = srv.call_tool(t.admin_token, "argecho", {"n": -1, "o": {}}, room_id=room)
    assert r["result"] == expected(-1, None, {}), r


def test_api_arguments_that_are_not_an_object_are_refused(srv, tenant):
    t, _ = tenant
    for bad in ([1, 2], 5, True):
        r = srv.call_tool(t.admin_token, "argecho", bad)
        assert r["status"] == "error" and r["is_error"] is True, r
        assert "expected a JSON object" in r["result"], r
    rows, _ = srv.audit(t.admin_token, tool="argecho")
    # audited as sent (the one redaction sees the value the dispatcher got)
    assert sorted(row["args_redacted"] for row in rows) == sorted(["[1,2]", "5", "true"]), rows
