"""Password guessing: per-account and per-address limits with backoff on POST /v1/auth/token
(429 SW_RATE_LIMIT_EXCEEDED + Retry-After), argon2 verification off the HTTP threads (a bounded
queue: 503 + Retry-After when full), and one answer for an unknown user and a wrong password.

Each test starts its own server, and sends from its own loopback source address (127.0.0.x) so
the per-address limit of one test never reaches another."""
import http.client
import json
import threading
import time

from conftest import JSON_CT, TIMEOUT, _check_error_json, unique


def login(server, tenant, user, password, src="127.0.0.1", timeout=TIMEOUT):
    """POST /v1/auth/token from source address src; returns (status, headers, parsed body)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(src, 0))
    try:
        c.request("POST", "/v1/auth/token",
                  body=json.dumps({"tenant": tenant, "username": user, "password": password}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        assert r.headers.get("Content-Type") == JSON_CT, (r.status, body[:300])
        j = json.loads(body.decode("utf-8"))
        if r.status == 200:
            server.issued_tokens.add(j["data"]["access_token"])
        return r.status, r.headers, j
    finally:
        c.close()


def retry_after(headers):
    v = headers.get("Retry-After")
    assert v is not None and v.isdigit() and int(v) >= 1, "Retry-After %r" % v
    return int(v)


def guess_until_limited(server, tenant, users, src, max_tries):
    """Bad logins (cycling over users) until one is refused with 429; returns its answer."""
    for i in range(max_tries):
        st, h, j = login(server, tenant, users[i % len(users)], "wrong-%d" % i, src)
        if st == 429:
            return h, j
        assert st == 401, (st, j)
        _check_error_json(j, "SW_AUTH_INVALID_CREDENTIALS")
    raise AssertionError("%d bad logins from %s and no 429" % (max_tries, src))


def test_bad_logins_on_one_account_are_limited_other_accounts_still_sign_in(server_factory):
    s = server_factory()
    s.create_user("default", "victim", password="victim-password")
    s.create_user("default", "bystander", password="bystander-password")
    # 5 free failures per account, then backoff from 1 s doubling: on a slow machine a guess may
    # land after a short block ended, but never after all of them
    h, j = guess_until_limited(s, "default", ["victim"], "127.0.0.2", 12)
    e = _check_error_json(j, "SW_RATE_LIMIT_EXCEEDED")
    assert retry_after(h) <= 3600
    assert e["details"]["retry_after"] == retry_after(h)
    # the same address may still sign in to another account (its own limit is higher)
    st, _, j = login(s, "default", "bystander", "bystander-password", "127.0.0.2")
    assert st == 200, j
    st, _, j = login(s, "default", "bystander", "bystander-password", "127.0.0.3")
    assert st == 200, j
    s.me(j["data"]["access_token"])


def test_bad_logins_from_one_address_are_limited_other_addresses_still_sign_in(server_factory):
    s = server_factory()
    s.create_user("default", "alice", password="alice-password")
    # every guess on a different (unknown) account: only the address limit (20) can trip
    names = [unique("nobody") for _ in range(40)]
    h, j = guess_until_limited(s, "default", names, "127.0.0.4", 40)
    _check_error_json(j, "SW_RATE_LIMIT_EXCEEDED")
    retry_after(h)
    st, _, j = login(s, "default", "alice", "alice-password", "127.0.0.5")
    assert st == 200, j
    s.me(j["data"]["access_token"])


def test_unknown_user_and_wrong_password_answer_alike(server_factory):
    s = server_factory()
    s.create_user("default", "carol", password="carol-password")
    answers = []
    for i, (tenant, user) in enumerate([("default", "carol"), ("default", "no-such-user"),
                                        ("no-such-tenant", "carol"), ("default", "admin")]):
        st, h, j = login(s, tenant, user, "not-the-password", "127.0.0.%d" % (10 + i))
        answers.append((st, j, h.get("Retry-After")))
    assert answers[0][0] == 401
    _check_error_json(answers[0][1], "SW_AUTH_INVALID_CREDENTIALS")
    for a in answers[1:]:
        assert a == answers[0], "%r differs from %r" % (a, answers[0])


def _hammer(s, stop, statuses, src):
    while not stop.is_set():
        try:
            # a queue of real argon2id verifications on a loaded machine: wait as long as it takes
            st, h, j = login(s, "default", "dave", "wrong", src, timeout=120)
        except OSError as e:  # would be a server failure: recorded, and the test fails on it
            statuses.append(("error", str(e)))
            continue
        statuses.append(st)
        if st in (429, 503):
            retry_after(h)


def _concurrent_bad_logins(s, n, until):
    """n threads of back-to-back bad logins until until() is true (or 120 s); returns statuses."""
    stop = threading.Event()
    statuses = []
    threads = [threading.Thread(target=_hammer, args=(s, stop, statuses, "127.0.1.%d" % (i + 1)),
                                daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 120
        while not until(statuses) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(130)
    return statuses


def test_healthz_answers_while_16_concurrent_bad_logins_run(server_factory):
    # real argon2id cost (64 MiB, 2 passes) and limits that do not stop the guesses
    s = server_factory(env={"SW_PASSWORD_FAST": "0", "SCAIWAVE_LOGIN_ACCOUNT_FAILURES": "100000",
                            "SCAIWAVE_LOGIN_ADDRESS_FAILURES": "100000"})
    s.create_user("default", "dave", password="dave-password")
    answered = []

    def healthz_answered(statuses):
        if len(statuses) >= 16:  # the guessing is in full swing
            r = s.get("/healthz")
            assert r.status_code == 200 and r.json()["status"] == "ok", r.text
            answered.append(1)
        return len(answered) >= 5

    statuses = _concurrent_bad_logins(s, 16, healthz_answered)
    assert len(answered) >= 5
    assert all(st in (401, 503) for st in statuses), set(map(str, statuses))


def test_a_full_verification_queue_answers_503_with_retry_after(server_factory):
    s = server_factory(env={"SW_PASSWORD_FAST": "0", "SCAIWAVE_LOGIN_WORKERS": "1",
                            "SCAIWAVE_LOGIN_QUEUE": "1",
                            "SCAIWAVE_LOGIN_ACCOUNT_FAILURES": "100000",
                            "SCAIWAVE_LOGIN_ADDRESS_FAILURES": "100000"})
    s.create_user("default", "dave", password="dave-password")
    # 16 clients, one verification at a time and one waiting: most must be told to come back
    statuses = _concurrent_bad_logins(s, 16, lambda st: 503 in st)
    assert 503 in statuses, set(map(str, statuses))
    assert all(st in (401, 503) for st in statuses), set(map(str, statuses))
    st, _, j = login(s, "default", "dave", "dave-password", "127.0.0.20")
    assert st == 200, j
