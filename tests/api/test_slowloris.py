"""Slow clients (issue #13, point 4): thousands of connections that trickle a header byte now
and then from one address must not take the server from everyone else — a per-address
connection limit turns the surplus away, and a header deadline that a trickle does not extend
closes those that are let in. All on loopback: the attacker is 127.0.0.1, the other client
127.0.0.2 (a source address of the 127/8 range, bound explicitly)."""
import errno
import http.client
import json
import os
import resource
import select
import socket
import time

import pytest

from conftest import JSON_CT, TIMEOUT

SLOW = 5000
ATTACKER = "127.0.0.1"
OTHER = "127.0.0.2"


def healthz_from(port, source=OTHER):
    """GET /healthz from the given source address; returns the status (raises on a timeout)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT, source_address=(source, 0))
    try:
        c.request("GET", "/healthz")
        r = c.getresponse()
        body = r.read()
        assert r.getheader("Content-Type") == JSON_CT, body[:200]
        assert json.loads(body) == {"status": "ok"}
        return r.status
    finally:
        c.close()


@pytest.fixture
def many_fds():
    """Raises this process's open-file limit for the slow sockets (the server inherits it and
    raises its own soft limit to its hard one anyway)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = SLOW + 512
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip("the hard open-file limit %d is below the %d this test needs" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _open_slow(port, n):
    """n non-blocking connections from ATTACKER, each about to send a request head slowly."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((ATTACKER, 0))
        rc = s.connect_ex(("127.0.0.1", port))
        assert rc in (0, errno.EINPROGRESS, errno.EAGAIN), os.strerror(rc)
        socks.append(s)
    return socks


def _trickle(socks, data):
    """Sends data on every socket still open; drops those the server closed."""
    alive = []
    for s in socks:
        try:
            s.send(data)
            alive.append(s)
        except BlockingIOError:  # still connecting, or a full buffer: keep it
            alive.append(s)
        except OSError:
            s.close()
    return alive


def test_slow_connections_do_not_starve_other_clients(server_factory, many_fds):
    srv = server_factory()
    assert healthz_from(srv.port) == 200
    socks = []
    try:
        for _ in range(SLOW // 500):  # 500 at a time, the other client asking in between
            socks += _open_slow(srv.port, 500)
            assert healthz_from(srv.port) == 200
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        for i in range(8):  # the trickle: a header byte every half second
            socks = _trickle(socks, head if i == 0 else b"a")
            assert healthz_from(srv.port) == 200
            time.sleep(0.5)
        assert srv.running(), srv.stderr_text()[-3000:]
    finally:
        for s in socks:
            s.close()
    assert healthz_from(srv.port) == 200
    # The attacker's address is not banned: once the server has seen its slow sockets close
    # (asynchronously), it has slots again.
    end = time.monotonic() + 30
    while True:
        try:
            assert healthz_from(srv.port, source=ATTACKER) == 200
            break
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def test_per_address_limit_closes_the_surplus(server_factory):
    srv = server_factory(env={"SCAIWAVE_MAX_CONNECTIONS_PER_IP": "8"})
    socks = [socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT,
                                      source_address=(ATTACKER, 0)) for _ in range(20)]
    try:
        for s in socks:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # one of the surplus, closed already
        closed = set()
        deadline = time.monotonic() + 20
        while len(closed) < 12 and time.monotonic() < deadline:
            ready, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.5)
            for s in ready:
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                assert data == b"", data[:200]  # closed, not answered
                closed.add(s)
        assert len(closed) == 12, "%d of 20 connections closed; the limit is 8" % len(closed)
        assert healthz_from(srv.port) == 200
    finally:
        for s in socks:
            s.close()


def test_header_deadline_is_not_extended_by_a_trickle(server_factory):
    srv = server_factory(env={"SCAIWAVE_HEADER_TIMEOUT_S": "2"})
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
    closed_by_server = False
    got = b""
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        deadline = time.monotonic() + 20  # far beyond 2 s, far below MHD's own 120 s
        while time.monotonic() < deadline:
            ready, _, _ = select.select([s], [], [], 0.5)  # a byte every half second
            if ready:
                try:
                    got = s.recv(4096)
                except ConnectionResetError:
                    got = b""
                if not got:
                    closed_by_server = True
                    break
            try:
                s.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                closed_by_server = True
                break
    finally:
        s.close()
    assert closed_by_server, "a connection trickling its headers stayed open for 20 s (got %r)" % got[:200]
    assert got == b""
    end = time.monotonic() + TIMEOUT
    while "request headers were not complete" not in srv.stderr_text() and time.monotonic() < end:
        time.sleep(0.05)
    assert "request headers were not complete" in srv.stderr_text()
    assert healthz_from(srv.port) == 200


def test_a_parked_long_poll_outlives_the_header_deadline(server_factory):
    """The deadline covers the headers only: a request that is running (here a long-poll parked
    for 4 s under a 1 s deadline) is not cut, and its keep-alive connection serves another."""
    srv = server_factory(env={"SCAIWAVE_HEADER_TIMEOUT_S": "1"})
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT)
    try:
        hdr = {"Authorization": "Bearer " + srv.admin_token}
        c.request("GET", "/v1/sync?since=0&timeout=4000", headers=hdr)
        r = c.getresponse()
        body = json.loads(r.read())
        assert r.status == 200, body
        assert body["data"]["events"] == []
        c.request("GET", "/v1/me", headers=hdr)  # the same connection, at once
        r = c.getresponse()
        assert r.status == 200, r.read()[:200]
        r.read()
    finally:
        c.close()


def _wait_closed_by_server(sock, timeout=20):
    """Waits (reading) until the server closes sock; returns whether it did within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.5)
        if ready:
            try:
                if not sock.recv(4096):
                    return True
            except ConnectionResetError:
                return True
    return False


def test_a_websocket_outlives_the_header_deadline(server_factory):
    """An upgraded connection is never shut down by the header deadline: a slow HTTP connection
    opened after the WebSocket is closed by it (so the WebSocket's time is up too, had it one),
    and the WebSocket still answers a ping."""
    from test_stream import WS

    srv = server_factory(env={"SCAIWAVE_HEADER_TIMEOUT_S": "1"})
    with WS(srv, srv.admin_token) as w:
        w.hello()
        slow = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
        try:
            slow.sendall(b"GET /healthz HTTP/1.1\r\n")
            assert _wait_closed_by_server(slow), "the slow connection was not closed"
        finally:
            slow.close()
        w.ping()
