"""HTTP edge cases of issue #13 point 7: a declared oversized body is refused before it is read
(a chunked one is read, discarded and answered 413: test_hostile.py), and the data directory is
made owner-only at start even when it existed with a wider mode."""
import json
import os
import socket
import stat
import time

from conftest import TIMEOUT, Server

MAX_BODY = 1024 * 1024


def read_response(sock, deadline_s=TIMEOUT):
    """Reads one HTTP response (headers + Content-Length body); returns (status, body bytes)."""
    sock.settimeout(deadline_s)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before an answer: %r" % buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    return status, rest[:length]


def test_a_declared_oversized_body_is_refused_before_it_is_sent(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    try:
        s.sendall(b"POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\n\r\n")
        status, body = read_response(s)  # no byte of the body was sent
    finally:
        s.close()
    assert status == 413
    j = json.loads(body)
    assert j["error"]["code"] == "SW_CONTENT_TOO_LARGE" and j["error"]["details"]["max_bytes"] == MAX_BODY
    assert server.get("/healthz").status_code == 200


def test_an_existing_data_dir_is_made_owner_only():
    srv = Server()
    os.makedirs(srv.data_dir, mode=0o755)
    os.chmod(srv.data_dir, 0o755)
    try:
        srv.start()
        assert stat.S_IMODE(os.stat(srv.data_dir).st_mode) == 0o700
        assert srv.get("/healthz").status_code == 200
    finally:
        srv.close()
