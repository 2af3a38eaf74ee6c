"""The HTTP edge (issue #13, point 7): answers libmicrohttpd would write itself are the JSON
envelope too (a 40 KiB chunk extension, headers too large, malformed chunks, an HTTP version), a raw NUL byte in the
request target is refused instead of cutting the path short, a body far over the limit is refused on
its Content-Length before a byte of it is read, one a little over it is read away and then
answered on a connection that stays open, and a chunked one is cut off as soon as it passes
the limit, and an existing data directory is tightened to 0700 at start."""
import http.client
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


def test_a_body_a_little_over_the_limit_is_read_away_and_answered(server):
    """2 MiB with Content-Length: the server reads the body to its end without keeping it, then
    answers 413 on a connection that stays open, so the answer cannot be lost to a reset from
    bytes still unread (a close with them queued sends RST, and the client may miss the 413)."""
    body = b"{" + b" " * (2 * LIMIT - 2) + b"}"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request("POST", "/v1/tools/greet/call", body=body,
                     headers={"Authorization": "Bearer " + server.admin_token,
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        content = r.read()
        e = raw_err((r.status, dict(r.getheaders()), content), 413, "SW_CONTENT_TOO_LARGE")
        assert e["details"]["max_bytes"] == LIMIT
        assert (r.getheader("Connection") or "").lower() != "close"
        sock = conn.sock
        assert sock is not None
        conn.request("GET", "/healthz")
        r2 = conn.getresponse()
        assert conn.sock is sock, "the connection was closed after the 413"
        assert r2.status == 200 and json.loads(r2.read()) == {"status": "ok"}
    finally:
        conn.close()


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


def test_a_half_closed_incomplete_request_is_closed_before_the_header_deadline():
    """A client sends part of a request and shuts down its side: it can never finish, so the
    connection is closed soon (libmicrohttpd alone often misses the end of the stream when the
    bytes and the FIN arrive together, and kept it until the header deadline, here 120 s; the
    socket timeout of 30 s is far below that). 20 tries, each of several shapes."""
    s = Server(extra_args=["--header-timeout-s", "120"])
    try:
        s.start()
        for _ in range(20):
            for junk in (b"\x16\x03\x01\x00\xa5\x01\x00", b"GET /healthz HTTP/1.1\r\nHost", b"GET /hea"):
                c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
                try:
                    c.sendall(junk)
                    c.shutdown(socket.SHUT_WR)
                    try:
                        while c.recv(65536):
                            pass
                    except ConnectionResetError:
                        pass  # closed: what is asserted
                finally:
                    c.close()
        # a complete request followed by the half-close is still answered
        status, _, content = raw_http(s.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", eof=True)
        assert status == 200 and json.loads(content) == {"status": "ok"}, (status, content[:200])
        assert s.stop() == 0
    finally:
        s.close()
