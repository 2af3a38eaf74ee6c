"""Hostile and malformed input: every answer is a JSON error with the right status (never a
5xx, never a crash), and the server keeps answering afterwards. The last test of the module
checks that the process survived everything before it."""
import json

import pytest

from conftest import JSON_CT, body_json, err, hc_request, raw_err, raw_http

GREETER = "scaiwave.greeter"

# Endpoints with a JSON body: (method, path, admin token needed, a valid body).
JSON_ENDPOINTS = [
    ("POST", "/v1/auth/token", False),
    ("POST", "/v1/tools/greet/call", True),
    ("POST", "/v1/admin/plugins/%s/enable" % GREETER, True),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, True),
]
ENDPOINT_IDS = ["auth_token", "tool_call", "enable", "config"]


def _send(server, method, path, auth, **kw):
    return server.request(method, path, token=server.admin_token if auth else None,
                          headers={"Content-Type": "application/json"}, **kw)


# ---- malformed JSON: 400 with line and column ----

MALFORMED = [
    # (body, line of the error)
    (b'{"tenant": "default",', 1),
    (b'{"tenant":\n  "default", x}', 2),
    (b'{\n\n\n  "a": tru}', 4),
    (b"{'single': 'quotes'}", 1),
    (b'{"a": 1}}', 1),
    (b'{"a": 01}', 1),
    (b'\x00', 1),
]


@pytest.mark.parametrize("method,path,auth", JSON_ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("body,line", MALFORMED, ids=["unterminated", "bare_word_line2",
                                                      "bad_literal_line4", "single_quotes",
                                                      "trailing_brace", "leading_zero", "nul"])
def test_malformed_json_names_line_and_column(server, method, path, auth, body, line):
    e = err(_send(server, method, path, auth, data=body), 400, "SW_BAD_REQUEST")
    d = e.get("details") or {}
    assert d.get("line") == line, e
    assert isinstance(d.get("column"), int) and d["column"] >= 0, e
    assert "line %d" % line in e["message"] and "column %d" % d["column"] in e["message"], e


@pytest.mark.parametrize("body", [b"[]", b'"a string"', b"42", b"null", b'{"a":1,"a":2}'],
                         ids=["array", "string", "number", "null", "duplicate_keys"])
def test_json_that_is_not_an_object_or_has_duplicate_keys(server, body):
    e = err(_send(server, "POST", "/v1/auth/token", False, data=body), 400, "SW_BAD_REQUEST")


@pytest.mark.parametrize("method,path,auth", JSON_ENDPOINTS, ids=ENDPOINT_IDS)
def test_invalid_utf8_inside_a_json_string(server, method, path, auth):
    for bad in (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xc0\xaf"):
        body = b'{"tenant": "default", "username": "ad' + bad + b'min", "password": "x"}'
        e = err(_send(server, method, path, auth, data=body), 400, "SW_BAD_REQUEST")
        assert "line" in e.get("details", {}), e


def test_deeply_nested_json(server):
    body = b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"
    r = _send(server, "POST", "/v1/tools/greet/call", True, data=body)
    assert r.status_code in (400, 422), r.text[:300]
    body_json(r)


# ---- wrong field types: 422 naming the field ----

WRONG_TYPES = [
    ("POST", "/v1/auth/token", False, {"tenant": 5, "username": "a", "password": "b"}, "tenant"),
    ("POST", "/v1/auth/token", False, {"tenant": "default", "username": ["a"], "password": "b"},
     "username"),
    ("POST", "/v1/auth/token", False, {"tenant": "default", "username": "a", "password": True},
     "password"),
    ("POST", "/v1/auth/token", False, {"tenant": "default", "username": "a", "password": {}},
     "password"),
    ("POST", "/v1/auth/token", False, {"username": "a", "password": "b"}, "tenant"),
    ("POST", "/v1/tools/greet/call", True, {"arguments": {}, "room_id": 5}, "room_id"),
    ("POST", "/v1/tools/greet/call", True, {"arguments": {}, "plugin_id": {"x": 1}}, "plugin_id"),
    ("POST", "/v1/admin/plugins/%s/enable" % GREETER, True, {"permissions": "all"}, "permissions"),
    ("POST", "/v1/admin/plugins/%s/enable" % GREETER, True, {"permissions": [5]}, "permissions"),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, True, {"settings": []}, "settings"),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, True, {"settings": {"region": 5}},
     "settings.region"),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, True, {"tool_policies": "ask"},
     "tool_policies"),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, True,
     {"tool_policies": {"greet": "sometimes"}}, "tool_policies.greet"),
    ("PUT", "/v1/admin/plugins/%s/config" % GREETER, True,
     {"tool_policies": {"greet": 1}}, "tool_policies.greet"),
]


@pytest.mark.parametrize("method,path,auth,body,field", WRONG_TYPES,
                         ids=["%s-%s" % (w[1].rsplit("/", 1)[-1], w[4]) for w in WRONG_TYPES])
def test_wrong_field_type_names_the_field(server, method, path, auth, body, field):
    e = err(_send(server, method, path, auth, json=body), 422, "SW_VALIDATION")
    assert e.get("details", {}).get("field") == field, e
    assert field in e["message"], e


@pytest.mark.parametrize("limit", ["abc", "0", "-1", "201", "1e3", ""])
def test_audit_limit_validation(server, limit):
    r = server.get("/v1/admin/audit?limit=" + limit, token=server.admin_token)
    e = err(r, 422, "SW_VALIDATION")
    assert e["details"]["field"] == "limit"


# ---- sizes ----

def test_five_mib_body_is_413(server):
    body = b'{"tenant":"' + b"x" * (5 << 20) + b'","username":"a","password":"b"}'
    req = (b"POST /v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    resp = raw_http(server.port, req, send_in_background=True)
    e = raw_err(resp, 413, "SW_CONTENT_TOO_LARGE")


# A chunked body over the limit is cut off (the connection closed) once it passes it:
# test_http_edge.py::test_chunked_body_is_cut_off_when_it_passes_the_limit.


def test_body_just_under_the_limit_is_accepted(server):
    pad = " " * ((1 << 20) - 200)
    body = ('{"arguments": {"language": "de", "name": "Max"}, "room_id": null%s}' % pad).encode()
    assert len(body) < (1 << 20)
    r = _send(server, "POST", "/v1/tools/greet/call", True, data=body)
    assert r.status_code == 200, r.text[:300]
    assert body_json(r)["data"]["tool"] == "greet"


@pytest.mark.parametrize("extra,status", [(0, 200), (1, 413)], ids=["exactly_1MiB", "1MiB_plus_1"])
def test_body_size_boundary(server, extra, status):
    head = b'{"arguments": {"language": "de"}}'
    body = head[:-1] + b" " * ((1 << 20) - len(head) + extra) + b"}"
    assert len(body) == (1 << 20) + extra
    r = _send(server, "POST", "/v1/tools/greet/call", True, data=body)
    if status == 200:
        assert r.status_code == 200, r.text[:300]
        assert body_json(r)["data"]["tool"] == "greet"
    else:
        err(r, 413, "SW_CONTENT_TOO_LARGE")


def test_ten_kb_header(server):
    r = server.get("/healthz", headers={"X-Filler": "a" * 10240})
    assert r.status_code == 200
    assert body_json(r) == {"status": "ok"}


def test_ten_kb_authorization_header(server):
    r = server.get("/v1/me", headers={"Authorization": "Bearer " + "A" * 10240})
    err(r, 401, "SW_AUTH_INVALID_TOKEN")


def test_many_headers(server):
    headers = {"X-H%d" % i: "v" * 20 for i in range(200)}
    r = server.get("/healthz", headers=headers)
    assert r.status_code == 200


# ---- paths ----

@pytest.mark.parametrize("path", [
    "/v1/../healthz",
    "/v1/admin/../me",
    "/v1/admin/plugins/../../me",
    "/../healthz",
    "/healthz/..",
    "/%2e%2e/healthz",
    "/v1/%2e%2e/healthz",
    "/v1/..%2fhealthz",
])
def test_dot_dot_path_is_not_resolved(server, path):
    resp = hc_request(server.port, "GET", path, {"Authorization": "Bearer " + server.admin_token})
    assert resp[0] in (400, 404), "%s -> %d %r" % (path, resp[0], resp[2][:200])
    raw_err(resp, resp[0], "SW_NOT_FOUND" if resp[0] == 404 else "SW_BAD_REQUEST")


@pytest.mark.parametrize("method,path", [
    ("GET", "/%00"),
    ("GET", "/v1/nope%00"),
    ("GET", "/healthz%00.json"),
    ("GET", "/v1/me%00"),
    ("GET", "/v1/me%00/../admin/plugins"),
    ("POST", "/v1/admin/plugins/scaiwave.greeter%00/enable"),
])
def test_nul_in_path_is_refused(server, method, path):
    # A decoded NUL must not cut the path short: /healthz%00.json is not /healthz.
    resp = hc_request(server.port, method, path, {"Authorization": "Bearer " + server.admin_token,
                                                  "Content-Type": "application/json"},
                      body=b"{}" if method == "POST" else None)
    assert resp[0] in (400, 404), "%s %s -> %d %r" % (method, path, resp[0], resp[2][:200])
    e = raw_err(resp, resp[0], None)
    assert e["code"] in ("SW_NOT_FOUND", "SW_BAD_REQUEST", "SW_PLUGIN_NOT_FOUND"), e


def test_nul_in_tool_name_does_not_reach_the_tool(server):
    server.enable(server.admin_token, GREETER)
    resp = hc_request(server.port, "POST", "/v1/tools/greet%00/call",
                      {"Authorization": "Bearer " + server.admin_token,
                       "Content-Type": "application/json"},
                      body=b'{"arguments": {"language": "de"}}')
    if resp[0] == 200:  # an unknown tool is a tool result, not an HTTP error
        d = json.loads(resp[2])["data"]
        assert d["is_error"] is True and d["status"] == "error", d
        assert "Hallo" not in d["result"], d
    else:
        assert resp[0] in (400, 404), resp
        raw_err(resp, resp[0], None)


@pytest.mark.parametrize("n", [3000, 10000, 30000])
def test_long_path_is_json_404(server, n):
    path = "/v1/" + "a" * n
    resp = hc_request(server.port, "GET", path, {"Authorization": "Bearer " + server.admin_token})
    raw_err(resp, 404, "SW_NOT_FOUND")


def test_very_long_path_is_refused(server):
    path = "/v1/" + "a" * 100000
    status, headers, body = hc_request(server.port, "GET", path)
    assert status in (404, 414), (status, body[:200])


def test_long_tool_name(server):
    r = server.post("/v1/tools/%s/call" % ("g" * 1500), token=server.admin_token, json={})
    assert r.status_code in (200, 404, 422), r.text[:300]
    body_json(r)


def test_query_string_oddities(server):
    for q in ("?limit=10&limit=20", "?cursor=%00", "?status=%ff%fe", "?plugin_id=" + "x" * 4000,
              "?tool=%27%20OR%201%3D1--", "?=&&=&cursor"):
        r = server.get("/v1/admin/audit" + q, token=server.admin_token)
        assert r.status_code in (200, 400, 422), (q, r.status_code, r.text[:300])
        body_json(r)


# ---- empty and odd bodies ----

@pytest.mark.parametrize("body", [b"", b"   \r\n\t "], ids=["empty", "whitespace"])
def test_empty_body_on_auth_token(server, body):
    r = server.post("/v1/auth/token", data=body, headers={"Content-Type": "application/json"})
    err(r, 400, "SW_BAD_REQUEST")


def test_form_body_on_auth_token(server):
    r = server.post("/v1/auth/token", data={"tenant": "default", "username": "admin",
                                            "password": "x"})
    err(r, 400, "SW_BAD_REQUEST")


def test_garbage_request_line_does_not_kill_the_server(server):
    for junk in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"):
        try:
            status, _, _ = raw_http(server.port, junk, timeout=2)
        except OSError:
            continue  # closing the connection is a fine answer to junk
        assert status < 500 or status == 505, (junk, status)
    assert server.get("/healthz").status_code == 200


# ---- the server survived all of the above ----

def test_zz_server_still_answers(server):
    assert server.running(), "the server died; stderr:\n" + server.stderr_text()[-3000:]
    r = server.get("/healthz")
    assert r.status_code == 200 and body_json(r) == {"status": "ok"}
    server.me(server.admin_token)
    log = server.stderr_text()
    assert "AddressSanitizer" not in log and "runtime error:" not in log, log[-3000:]
    for line in log.splitlines():
        if '"msg":"access"' in line.replace(" ", ""):
            assert json.loads(line)["status"] < 500, line
