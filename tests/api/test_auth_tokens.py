"""Token revocation: every token carries its participant's token generation, checked on every
request. POST /v1/auth/logout, `scaiwave token revoke` and setting a password bump it, which
invalidates every token issued before; a new token works."""
import time

from conftest import err, ok, unique


def sign_in(s, user, password):
    d = ok(s.post("/v1/auth/token", json={"tenant": "default", "username": user, "password": password}))
    s.issued_tokens.add(d["access_token"])
    return d["access_token"]


def wait_revoked(s, token, deadline_s=10):
    """A change made by another process (the CLI) reaches the server's cache within a second:
    poll /v1/me until it answers 401, with a deadline."""
    end = time.monotonic() + deadline_s
    while True:
        r = s.get("/v1/me", token=token)
        if r.status_code != 200:
            return err(r, 401, "SW_AUTH_INVALID_TOKEN")
        assert time.monotonic() < end, "token still accepted %d s after it was revoked" % deadline_s
        time.sleep(0.05)


def test_logout_revokes_the_presented_token_and_its_siblings(server):
    user = unique("lo")
    server.create_user("default", user, password="logout-password")
    t1 = sign_in(server, user, "logout-password")
    t2 = sign_in(server, user, "logout-password")
    other = unique("lo-other")
    server.create_user("default", other, password="other-password")
    t3 = sign_in(server, other, "other-password")
    d = ok(server.post("/v1/auth/logout", token=t1))
    assert d["revoked"] is True
    e = err(server.get("/v1/me", token=t1), 401, "SW_AUTH_INVALID_TOKEN")
    assert "revoked" in e["message"]
    err(server.get("/v1/me", token=t2), 401, "SW_AUTH_INVALID_TOKEN")
    err(server.post("/v1/auth/logout", token=t1), 401, "SW_AUTH_INVALID_TOKEN")
    assert server.me(t3)["local_id"] == other  # someone else's tokens are untouched
    t4 = sign_in(server, user, "logout-password")
    assert server.me(t4)["local_id"] == user


def test_logout_needs_a_token(server):
    err(server.post("/v1/auth/logout"), 401, "SW_AUTH_INVALID_TOKEN")
    err(server.post("/v1/auth/logout", token="not.a.token"), 401, "SW_AUTH_INVALID_TOKEN")
    err(server.get("/v1/auth/logout", token=server.admin_token), 405, "SW_METHOD_NOT_ALLOWED")


def test_cli_token_revoke(server):
    user = unique("rv")
    server.create_user("default", user)
    tok = server.create_token("default", user)
    assert server.me(tok)["local_id"] == user
    p = server.cli("token", "revoke", "--tenant", "default", "--user", user)
    assert tok not in p.stdout + p.stderr
    wait_revoked(server, tok)
    fresh = server.create_token("default", user)
    assert server.me(fresh)["local_id"] == user


def test_cli_token_revoke_refuses_unknown_user(server):
    p = server.cli("token", "revoke", "--tenant", "default", "--user", unique("ghost"), check=False)
    assert p.returncode != 0
    assert "no user" in p.stderr
    p = server.cli("token", "revoke", "--tenant", "default", check=False)
    assert p.returncode == 2


def test_password_change_revokes_tokens(server):
    user = unique("pc")
    server.create_user("default", user, password="old-password")
    by_password = sign_in(server, user, "old-password")
    by_cli = server.create_token("default", user)
    server.create_user("default", user, password="new-password")  # sets the password
    wait_revoked(server, by_password)
    wait_revoked(server, by_cli)
    err(server.post("/v1/auth/token", json={"tenant": "default", "username": user,
                                            "password": "old-password"}), 401,
        "SW_AUTH_INVALID_CREDENTIALS")
    assert server.me(sign_in(server, user, "new-password"))["local_id"] == user


def test_role_change_alone_keeps_tokens(server):
    user = unique("rc")
    server.create_user("default", user, password="role-password")
    tok = sign_in(server, user, "role-password")
    server.create_user("default", user, admin=True)  # no password given: tokens stay valid
    assert server.me(tok)["local_id"] == user


def test_revoked_admin_token_file_is_replaced_on_restart(server_factory):
    s = server_factory()
    old = s.admin_token
    s.cli("token", "revoke", "--tenant", "default", "--user", "admin")
    wait_revoked(s, old)
    s.restart()
    new = s.read_admin_token()
    assert new and new != old
    assert s.me(new)["local_id"] == "admin"
