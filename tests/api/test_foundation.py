"""Foundation: operational endpoints, the bootstrap admin token, bearer-token checks, password
sign-in, routing errors, keep-alive, and what the process prints and logs."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import stat
import time

import pytest

from conftest import JSON_CT, TIMEOUT, body_json, err, ok, unique


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(tok):
    h, p, s = tok.split(".")
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p)), s


# ---- operational endpoints ----

def test_healthz(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert body_json(r) == {"status": "ok"}


def test_readyz(server):
    r = server.get("/readyz")
    assert r.status_code == 200
    assert isinstance(body_json(r), dict)


def test_metrics(server):
    server.me(server.admin_token)  # at least one GET /v1/me observed
    r = server.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert "scaiwave_http_requests_total" in text
    assert 'scaiwave_http_request_duration_seconds_bucket{route="GET /v1/me",' in text
    # Prometheus text format: every sample line is "name{labels} value"
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_labels, _, value = line.rpartition(" ")
            assert name_labels, line
            float(value)


# ---- the bootstrap admin ----

def test_admin_token_file(server):
    path = os.path.join(server.data_dir, "admin.token")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    with open(path) as f:
        text = f.read()
    assert text.endswith("\n") and text.count("\n") == 1
    assert text.strip().count(".") == 2


def test_me_with_admin_token(server):
    me = server.me(server.admin_token)
    assert set(me) >= {"participant_id", "tenant_id", "local_id", "display_name",
                       "participant_type", "roles"}
    assert me["local_id"] == "admin"
    assert me["participant_type"] == "human"
    assert "admin" in me["roles"] and "member" in me["roles"]
    assert isinstance(me["participant_id"], str) and me["participant_id"]
    assert isinstance(me["tenant_id"], str) and me["tenant_id"]


def test_stdout_mentions_admin_token_path(server):
    out = server.stdout_text()
    assert "listening on http://" in out
    assert os.path.join(server.data_dir, "admin.token") in out


# ---- bearer-token failures ----

def _forge(server, header=None, payload=None, signature=None):
    h, p, s = jwt_parts(server.admin_token)
    hh = b64u(json.dumps(header if header is not None else h, separators=(",", ":")).encode())
    pp = b64u(json.dumps(payload if payload is not None else p, separators=(",", ":")).encode())
    return "%s.%s.%s" % (hh, pp, s if signature is None else signature)


def _bad_tokens(server):
    tok = server.admin_token
    h, p, s = tok.split(".")
    mid = len(s) // 2
    flipped = s[:mid] + ("A" if s[mid] != "A" else "B") + s[mid + 1:]
    hdr, claims, _ = jwt_parts(tok)
    other = dict(claims, roles=["admin", "member", "owner"], exp=claims["exp"] + 1000)
    hs512_head = {"alg": "HS512", "typ": "JWT"}
    hs512_signing = "%s.%s" % (b64u(json.dumps(hs512_head).encode()), p)
    hs512_sig = b64u(hmac.new(b"guessed-key", hs512_signing.encode(), hashlib.sha512).digest())
    return {
        "garbage": "not-a-token",
        "garbage_three_parts": "a.b.c",
        "tampered_signature": "%s.%s.%s" % (h, p, flipped),
        "tampered_payload": _forge(server, payload=other),
        "alg_none_unsigned": _forge(server, header={"alg": "none", "typ": "JWT"}, signature=""),
        "alg_none_with_signature": _forge(server, header={"alg": "none", "typ": "JWT"}),
        "alg_none_mixed_case": _forge(server, header={"alg": "None"}, signature=""),
        "hs512_header_original_sig": _forge(server, header=hs512_head),
        "hs512_header_own_sig": "%s.%s" % (hs512_signing, hs512_sig),
        "four_parts": tok + ".x",
        "truncated": tok[:-5],
    }


BAD_TOKEN_CASES = ["garbage", "garbage_three_parts", "tampered_signature", "tampered_payload",
                   "alg_none_unsigned", "alg_none_with_signature", "alg_none_mixed_case",
                   "hs512_header_original_sig", "hs512_header_own_sig", "four_parts", "truncated"]


@pytest.mark.parametrize("case", BAD_TOKEN_CASES)
def test_me_rejects_bad_token(server, case):
    tok = _bad_tokens(server)[case]
    r = server.get("/v1/me", token=tok)
    err(r, 401, "SW_AUTH_INVALID_TOKEN")
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
], ids=["none", "empty", "bearer_no_token", "bearer_space", "basic"])
def test_me_without_bearer_token(server, headers):
    r = server.get("/v1/me", headers=headers)
    err(r, 401, "SW_AUTH_INVALID_TOKEN")


@pytest.mark.parametrize("path,method", [
    ("/v1/me", "GET"),
    ("/v1/plugins", "GET"),
    ("/v1/admin/plugins", "GET"),
    ("/v1/admin/audit", "GET"),
    ("/v1/tools/greet/call", "POST"),
])
def test_protected_routes_need_a_token(server, path, method):
    err(server.request(method, path, json={} if method == "POST" else None), 401,
        "SW_AUTH_INVALID_TOKEN")


def test_expired_token(server):
    tok = server.create_token("default", "admin", ttl=1)
    deadline = time.monotonic() + 3.5
    while True:
        r = server.get("/v1/me", token=tok)
        if r.status_code == 401:
            break
        assert r.status_code == 200, r.text
        assert time.monotonic() < deadline, "a 1 s token still works after 3.5 s"
        time.sleep(0.1)
    err(r, 401, "SW_AUTH_EXPIRED_TOKEN")


@pytest.mark.parametrize("how", ["option", "env"])
def test_token_ttl_setting(server_factory, how):
    if how == "option":
        s = server_factory(extra_args=["--token-ttl", "1"])
    else:
        s = server_factory(env={"SCAIWAVE_TOKEN_TTL": "1"})
    s.create_user("default", "ttl", password="ttl-password")
    d = ok(s.post("/v1/auth/token", json={"tenant": "default", "username": "ttl",
                                          "password": "ttl-password"}))
    assert d["expires_in"] == 1
    _, claims, _ = jwt_parts(d["access_token"])
    assert claims["exp"] - claims["iat"] == 1
    deadline = time.monotonic() + 3.5
    while s.get("/v1/me", token=d["access_token"]).status_code == 200:
        assert time.monotonic() < deadline, "a 1 s token still works after 3.5 s"
        time.sleep(0.1)
    err(s.get("/v1/me", token=d["access_token"]), 401, "SW_AUTH_EXPIRED_TOKEN")
    # the bootstrap admin token has its own, longer lifetime
    s.me(s.admin_token)


def test_tokens_from_another_data_dir_are_refused(server, server_factory):
    other = server_factory()
    err(server.get("/v1/me", token=other.admin_token), 401, "SW_AUTH_INVALID_TOKEN")
    err(other.get("/v1/me", token=server.admin_token), 401, "SW_AUTH_INVALID_TOKEN")


def test_metrics_count_requests(server):
    def count():
        text = server.get("/metrics").text
        total = 0
        for line in text.splitlines():
            if line.startswith('scaiwave_http_requests_total{route="GET /v1/me",status="2xx"}'):
                total += int(float(line.rsplit(" ", 1)[1]))
        return total

    before = count()
    for _ in range(5):
        server.me(server.admin_token)
    assert count() == before + 5


def test_metrics_labels_are_route_patterns(server):
    marker = "zq" + unique("m").replace("-", "")
    server.post("/v1/tools/%s/call" % marker, server.admin_token, json={})
    server.get("/v1/%s" % marker)
    server.post("/v1/admin/plugins/%s/enable" % marker, server.admin_token)
    text = server.get("/metrics").text
    assert marker not in text  # raw paths would make label cardinality unbounded
    assert 'route="POST /v1/tools/{tool}/call"' in text


def test_access_log_can_be_turned_off(server_factory):
    s = server_factory(extra_args=["--access-log", "0"])  # the last option wins
    s.me(s.admin_token)
    s.get("/nope")
    assert s.stop() == 0
    assert '"msg":"access"' not in s.stderr_text().replace(" ", "")


# ---- password sign-in ----

def test_password_sign_in(server):
    user = unique("pw")
    server.create_user("default", user, password="correct horse battery")
    r = server.post("/v1/auth/token", json={"tenant": "default", "username": user,
                                            "password": "correct horse battery"})
    d = ok(r)
    assert "no-store" in r.headers.get("Cache-Control", "")  # RFC 6749 5.1
    assert d["token_type"] == "Bearer"
    assert isinstance(d["expires_in"], int) and d["expires_in"] > 0
    assert isinstance(d["access_token"], str) and d["access_token"].count(".") == 2
    server.issued_tokens.add(d["access_token"])
    me = server.me(d["access_token"])
    assert me["local_id"] == user
    assert me["roles"] == ["member"]
    assert me["tenant_id"] == server.me(server.admin_token)["tenant_id"]


def test_password_change_via_cli(server):
    user = unique("pwc")
    server.create_user("default", user, password="first-password")
    server.create_user("default", user, password="second-password")  # updates
    creds = {"tenant": "default", "username": user}
    err(server.post("/v1/auth/token", json=dict(creds, password="first-password")), 401,
        "SW_AUTH_INVALID_CREDENTIALS")
    ok(server.post("/v1/auth/token", json=dict(creds, password="second-password")))


@pytest.mark.parametrize("tenant,username,password", [
    ("default", "{user}", "wrong password"),
    ("default", "{user}", "correct horse battery "),
    ("default", "nobody-here", "correct horse battery"),
    ("no-such-tenant", "{user}", "correct horse battery"),
    ("default", "admin", "anything"),  # the bootstrap admin has no password
], ids=["wrong_password", "password_plus_space", "unknown_user", "unknown_tenant",
        "admin_without_password"])
def test_password_sign_in_refused(server, tenant, username, password):
    user = unique("pwr")
    server.create_user("default", user, password="correct horse battery")
    r = server.post("/v1/auth/token", json={"tenant": tenant, "username": username.format(user=user),
                                            "password": password})
    e = err(r, 401, "SW_AUTH_INVALID_CREDENTIALS")
    assert "access_token" not in r.text


# ---- routing errors ----

@pytest.mark.parametrize("method,path", [
    ("GET", "/"),
    ("GET", "/nope"),
    ("GET", "/v1"),
    ("GET", "/v1/nope"),
    ("POST", "/v1/me/extra"),
    ("GET", "/v1/admin/plugins/scaiwave.greeter"),
    ("DELETE", "/v2/me"),
])
def test_unknown_route_is_json_404(server, method, path):
    r = server.request(method, path, token=server.admin_token)
    err(r, 404, "SW_NOT_FOUND")


@pytest.mark.parametrize("method,path,allowed", [
    ("POST", "/healthz", "GET"),
    ("DELETE", "/v1/me", "GET"),
    ("PUT", "/metrics", "GET"),
    ("GET", "/v1/auth/token", "POST"),
    ("GET", "/v1/tools/greet/call", "POST"),
    ("DELETE", "/v1/admin/plugins/scaiwave.greeter/enable", "POST"),
    ("POST", "/v1/admin/plugins/scaiwave.greeter/config", "PUT"),
    ("POST", "/v1/admin/audit", "GET"),
])
def test_wrong_method_is_json_405(server, method, path, allowed):
    r = server.request(method, path, token=server.admin_token)
    err(r, 405, "SW_METHOD_NOT_ALLOWED")
    allow = [m.strip() for m in r.headers.get("Allow", "").split(",")]
    assert allowed in allow, "Allow: %r" % r.headers.get("Allow")


# ---- keep-alive ----

def test_keep_alive_reuses_one_connection(server):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        c.connect()
        sock = c.sock
        local = sock.getsockname()
        for path in ("/healthz", "/v1/me", "/readyz"):
            c.request("GET", path, headers={"Authorization": "Bearer " + server.admin_token})
            r = c.getresponse()
            body = r.read()
            assert r.status == 200, body
            assert (r.getheader("Connection") or "").lower() != "close"
            assert not r.will_close
            assert r.getheader("Content-Type") == JSON_CT
            json.loads(body)
            assert c.sock is sock and c.sock.getsockname() == local, "the connection was replaced"
    finally:
        c.close()


# ---- logs ----

def test_stderr_never_contains_a_token(server):
    # Put tokens where a careless logger would pick them up: query string, headers, bodies.
    tok = server.admin_token
    server.get("/v1/me?access_token=" + tok, token=tok)
    server.get("/v1/nope?token=" + tok, token=tok)
    server.get("/v1/me", token=tok + "x")
    server.post("/v1/auth/token", data='{"tenant":"%s"' % tok)
    pw = unique("logpw")
    server.create_user("default", pw, password="log-secret-password")
    d = ok(server.post("/v1/auth/token", json={"tenant": "default", "username": pw,
                                               "password": "log-secret-password"}))
    server.issued_tokens.add(d["access_token"])
    server.me(d["access_token"])
    err_text = server.stderr_text()
    assert err_text, "no logs on stderr"
    assert '"path":"/v1/me"' in err_text.replace(" ", ""), "access log missing"
    for t in server.issued_tokens:
        assert t not in err_text
        assert t.split(".")[2] not in err_text  # not even the signature
    assert "log-secret-password" not in err_text
    for line in err_text.splitlines():
        if line.startswith("{"):
            json.loads(line)  # JSON lines
