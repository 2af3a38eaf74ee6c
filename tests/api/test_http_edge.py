"""The HTTP edge (issue #13, point 7): answers libmicrohttpd would write itself are the JSON
envelope too (a 40 KiB chunk extension, headers too large, malformed chunks, an HTTP version), a raw NUL byte in the
request target is refused instead of cutting the path short, a body over the limit is refused on
its Content-Length before a byte of it is read and a chunked one is cut off as soon as it passes
the limit, and an existing data directory is tightened to 0700 at start."""
import json
import os
import socket
import stat
import time

from conftest import JSON_CT, TIMEOUT, Server, body_json, hc_request, raw_err, raw_http

LIMIT = 1 << 20


def _head(token, path="/v1/tools/greet/call", extra=b""):
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Type: application/json\r\n" + extra)


def test_long_chunk_extension_is_a_json_400(server):
    body = b"5;" + b"x" * (40 << 10) + b"\r\nhello\r\n0\r\n\r\n"
    req = _head(server.admin_token, extra=b"Transfer-Encoding: chunked\r\n\r\n") + body
    raw_err(raw_http(server.port, req, send_in_background=True), 400, "SW_BAD_REQUEST")
    assert server.get("/healthz").status_code == 200


def test_headers_too_large_is_a_json_envelope(server):
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * (64 << 10) + b"\r\n\r\n"
    status, headers, content = raw_http(server.port, req, send_in_background=True)
    assert status == 431, (status, content[:200])
    raw_err((status, headers, content), 431, "SW_BAD_REQUEST")


def test_unsupported_http_version_is_a_json_envelope(server):
    resp = raw_http(server.port, b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n")
    raw_err(resp, 505, "SW_BAD_REQUEST")


def test_malformed_chunk_is_a_json_400(server):
    req = _head(server.admin_token, extra=b"Transfer-Encoding: chunked\r\n\r\n") + b"zz\r\nabc\r\n0\r\n\r\n"
    raw_err(raw_http(server.port, req, send_in_background=True), 400, "SW_BAD_REQUEST")


def test_raw_nul_in_the_path_is_refused(server):
    tok = server.admin_token.encode()
    for target in (b"/v1/me\x00x", b"/v1/me\x00", b"/healthz\x00/../v1/me", b"/v1/me?\x00a=b"):
        req = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + b"\r\n\r\n"
        e = raw_err(raw_http(server.port, req), 400, "SW_BAD_REQUEST")
        assert "NUL" in e["message"], (target, e)
    # the same request without the NUL is answered
    req = b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + b"\r\n\r\n"
    status, _, content = raw_http(server.port, req)
    assert status == 200, content[:300]


def test_percent_encoded_nul_is_still_not_a_cut(server):
    status, headers, content = hc_request(server.port, "GET", "/v1/me%00x",
                                          {"Authorization": "Bearer " + server.admin_token})
    assert status in (400, 404), (status, content[:300])
    raw_err((status, headers, content), status, None)


def test_content_length_over_the_limit_is_refused_before_the_body(server):
    """Only the head is sent: the 413 must come without the server waiting for 100 MB."""
    req = _head(server.admin_token, extra=b"Content-Length: 100000000\r\n\r\n")
    resp = raw_http(server.port, req)  # raw_http waits for the answer; no body follows
    e = raw_err(resp, 413, "SW_CONTENT_TOO_LARGE")
    assert e["details"]["max_bytes"] == LIMIT
    assert resp[1].get("Connection") == "close"


def test_content_length_at_the_limit_is_still_read(server):
    body = b'{"arguments": {"language": "de", "name": "Max"}}'
    body += b" " * (LIMIT - len(body))
    req = _head(server.admin_token, extra=b"Content-Length: %d\r\n\r\n" % len(body)) + body
    status, _, content = raw_http(server.port, req, send_in_background=True)
    assert status == 200, content[:300]


def test_chunked_body_is_cut_off_when_it_passes_the_limit(server):
    """64 MiB of chunks: a server that read to the end would take them all (and then answer
    413); this one stops reading after 1 MiB and closes, so the sender fails long before."""
    total = 64 << 20
    chunk = b"x" * 65536
    piece = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sent = 0
    cut = None
    try:
        s.sendall(_head(server.admin_token, extra=b"Transfer-Encoding: chunked\r\n\r\n") + b'1\r\n{\r\n')
        while sent < total:
            try:
                s.sendall(piece)
            except (BrokenPipeError, ConnectionResetError) as e:
                cut = e
                break
            sent += len(chunk)
        if cut is None:  # every byte went out: then at least no answer may claim it was read
            s.sendall(b"1\r\n}\r\n0\r\n\r\n")
            got = s.recv(65536)
    finally:
        s.close()
    assert cut is not None, "all %d bytes were read; got %r" % (sent, got[:200])
    assert sent < total
    assert server.get("/healthz").status_code == 200


def test_data_dir_mode_is_tightened_at_start(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    os.chmod(d, 0o755)
    s = Server(data_dir=str(d))
    try:
        s.start()
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
        log = s.stderr_text()
        assert "now 0700" in log and "0755" in log, log[-2000:]
        r = s.get("/healthz")
        assert r.status_code == 200 and body_json(r) == {"status": "ok"}
        assert s.stop() == 0
        # a second start finds it tight and says nothing
        s.start()
        assert s.stderr_text().count("now 0700") == 1
    finally:
        s.close()


# ---- the same points, as first written on main (kept: a tighter "just past the limit" case) ----

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


def test_a_chunked_body_past_the_limit_is_answered_without_reading_the_rest(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    try:
        s.sendall(b"POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        for _ in range(MAX_BODY // len(piece) + 2):  # just past the limit; the body never ends
            s.sendall(chunk)
        # A server that reads to the end waits here for ever (the read times out). One that stops
        # reading answers 413 and closes; the close may reach us as a reset that discards the
        # answer (we sent more than it read), which is the same refusal.
        try:
            status, body = read_response(s)
            assert status == 413 and json.loads(body)["error"]["code"] == "SW_CONTENT_TOO_LARGE"
        except ConnectionResetError:
            pass
    finally:
        s.close()
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
