"""The tool calls of an AI round run on the tool pool (--workers threads), not on a thread of
their own each: while a round's calls are held running (each reads a byte from its own FIFO,
no timing involved) the server has no more threads than once they are done; and with a single
worker per pool the calls of one round still all complete (a call never waits on the pool it
runs on)."""
import errno
import json
import os
import time

import pytest

from conftest import Server
from test_ai import TEST_PLUGIN_DIR, Fake, Room

WAIT = 30


@pytest.fixture(scope="module")
def fake():
    f = Fake()
    yield f
    f.close()


def start_server(workers, extra=()):
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, "recorder.so")):
        pytest.fail("build/test-plugins/recorder.so is missing")
    return Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR, "--workers", str(workers), "--ai-max-rounds", "3",
                              "--outbound-allow", "127.0.0.1"] + list(extra)).start()


def threads(srv):
    return len(os.listdir("/proc/%d/task" % srv.proc.pid))


def open_writer(path):
    """The FIFO's write end once a held call has it open for reading, else None."""
    try:
        return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENXIO:  # no reader yet
            return None
        raise


def script_holds(fake, fifos):
    calls = [{"id": "h%d" % i, "name": "hold", "arguments": json.dumps({"path": p})} for i, p in enumerate(fifos)]
    fake.script({"tool_calls": calls, "finish_reason": "tool_calls"}, {"content": "all released"})


def tool_results(fake):
    reqs = fake.requests()
    assert len(reqs) == 2, reqs
    return {m["tool_call_id"]: m["content"] for m in reqs[1]["body"]["messages"] if m["role"] == "tool"}


def room_with_recorder(srv, fake):
    r = Room(srv, fake)
    srv.enable(r.tok, "test.recorder")
    # the long-poll timer and the like start with the first parked request: before the count
    r.srv.get("/v1/sync", r.tok, params={"since": r.cursor, "timeout": 20}, timeout=15)
    return r


def test_a_rounds_calls_run_on_the_tool_pool_without_a_thread_each(fake, tmp_path):
    n = 4
    srv = start_server(workers=n)  # room in the tool pool for all of them at once
    fds = {}
    try:
        r = room_with_recorder(srv, fake)
        fifos = [str(tmp_path / ("f%d" % i)) for i in range(n)]
        for p in fifos:
            os.mkfifo(p)
        script_holds(fake, fifos)
        r.say("hold them all")
        deadline = time.monotonic() + WAIT
        while len(fds) < n:  # every call is running: each has its FIFO open
            assert time.monotonic() < deadline, "only %d of %d calls started" % (len(fds), n)
            for p in fifos:
                if p not in fds:
                    fd = open_writer(p)
                    if fd is not None:
                        fds[p] = fd
            time.sleep(0.01)
        during = threads(srv)
        for fd in fds.values():
            os.write(fd, b"x")
            os.close(fd)
        fds.clear()
        assert r.ai_answer()["content"]["body"] == "all released"
        after = threads(srv)
        assert during - after < 2, "%d threads while %d calls ran, %d after: a thread per call" % (during, n, after)
        assert tool_results(fake) == {"h%d" % i: "released" for i in range(n)}
    finally:
        for fd in fds.values():
            os.close(fd)
        srv.close()


def test_a_round_completes_with_one_worker_per_pool(fake, tmp_path):
    n = 3
    srv = start_server(workers=1)
    try:
        r = room_with_recorder(srv, fake)
        fifos = [str(tmp_path / ("g%d" % i)) for i in range(n)]
        for p in fifos:
            os.mkfifo(p)
        script_holds(fake, fifos)
        r.say("hold them one by one")
        released = set()
        deadline = time.monotonic() + WAIT
        while len(released) < n:  # release each call as it starts
            assert time.monotonic() < deadline, "only %d of %d calls ran" % (len(released), n)
            for p in fifos:
                if p in released:
                    continue
                fd = open_writer(p)
                if fd is not None:
                    os.write(fd, b"x")
                    os.close(fd)
                    released.add(p)
            time.sleep(0.01)
        assert r.ai_answer()["content"]["body"] == "all released"
        assert tool_results(fake) == {"h%d" % i: "released" for i in range(n)}
    finally:
        srv.close()


def test_a_call_past_its_deadline_is_answered_while_its_worker_finishes(fake, tmp_path):
    """--tool-timeout-ms 300: a held call gets the timeout answer at its deadline and the round
    goes on with the other call's result; the tool still holds its worker until released."""
    srv = start_server(workers=2, extra=["--tool-timeout-ms", "300"])
    fd = None
    try:
        r = room_with_recorder(srv, fake)
        fifo = str(tmp_path / "late")
        os.mkfifo(fifo)
        fake.script({"tool_calls": [{"id": "h0", "name": "hold", "arguments": json.dumps({"path": fifo})},
                                    {"id": "g1", "name": "greet", "arguments": json.dumps({"language": "de"})}],
                     "finish_reason": "tool_calls"}, {"content": "went on"})
        r.say("hold and greet")
        assert r.ai_answer()["content"]["body"] == "went on"
        results = tool_results(fake)
        assert "timed out after 300 ms" in results["h0"], results
        assert results["g1"].startswith("Hallo"), results
        fd = open_writer(fifo)
        assert fd is not None, "the overrunning call no longer holds its FIFO"
        os.write(fd, b"x")
    finally:
        if fd is not None:
            os.close(fd)
        srv.close()
