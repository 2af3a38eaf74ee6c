"""Shared machinery of the black-box API tests: a `Server` that runs the real `scaiwave` binary
on a free port with its own temporary data dir, small HTTP helpers that check the API's JSON
envelope, and fixtures.

Environment (CTest sets both):
  SCAIWAVE_BIN          the binary (default /work/main/build/scaiwave)
  SW_PLUGIN_BUILD_DIR   where example plugins are built (default /work/main/build/plugins)

Every server started here is stopped at teardown (SIGTERM, then SIGKILL if it does not exit)
and every temporary directory is removed, also when a test fails.
"""
import atexit
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

BIN = os.environ.get("SCAIWAVE_BIN") or "/work/main/build/scaiwave"
PLUGIN_BUILD_DIR = os.environ.get("SW_PLUGIN_BUILD_DIR") or "/work/main/build/plugins"

TIMEOUT = 10            # seconds, every HTTP request
START_TIMEOUT = 30      # seconds until the port file appears (sanitizer builds start slowly)
STOP_TIMEOUT = 30       # seconds for a clean exit after SIGTERM (the server drains up to 10 s)
CLI_TIMEOUT = 30

JSON_CT = "application/json; charset=utf-8"

_live = set()  # servers not yet closed, killed at interpreter exit as a last resort


@atexit.register
def _kill_leftovers():
    for s in list(_live):
        s.close()


class ServerError(Exception):
    pass


class Server:
    """One `scaiwave serve` process on 127.0.0.1, port 0, with a temp data dir.

    .url, .port, .admin_token, .data_dir, .proc; .stop() -> exit code; .restart(); .cli(...);
    .request(...) and friends; .stdout_text() / .stderr_text() (all runs appended).
    """

    def __init__(self, extra_args=(), env=None, data_dir=None):
        self.tmp = tempfile.mkdtemp(prefix="sw-api-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env["SW_PASSWORD_FAST"] = "1"
        for k in [k for k in self.env if k.startswith("SCAIWAVE_") and k != "SCAIWAVE_BIN"]:
            del self.env[k]  # only the options given here
        if env:
            self.env.update(env)
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.port_file = os.path.join(self.tmp, "port")
        self.proc = None
        self.port = None
        self.url = None
        self.admin_token = None
        self.issued_tokens = set()  # every token this suite saw; none may reach the logs
        self._closed = False
        _live.add(self)

    # ---- process ----

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError("already running")
        try:
            os.unlink(self.port_file)
        except FileNotFoundError:
            pass
        args = [BIN, "serve", "--port", "0", "--data-dir", self.data_dir, "--port-file",
                self.port_file, "--access-log", "1"] + self.extra_args
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=self.env, cwd=self.tmp)
        deadline = time.monotonic() + START_TIMEOUT
        port = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerError("scaiwave serve exited with %s before listening; stderr:\n%s"
                                  % (rc, self.stderr_text()[-4000:]))
            try:
                with open(self.port_file) as f:
                    text = f.read()
                if text.endswith("\n") and text.strip().isdigit():
                    port = int(text)
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        if port is None:
            self._kill()
            raise ServerError("no port file after %d s; stderr:\n%s"
                              % (START_TIMEOUT, self.stderr_text()[-4000:]))
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.admin_token = self.read_admin_token()
        return self

    def read_admin_token(self):
        path = os.path.join(self.data_dir, "admin.token")
        try:
            with open(path) as f:
                tok = f.read().strip()
        except FileNotFoundError:
            return None
        self.issued_tokens.add(tok)
        return tok

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig and returns the exit code; kills the process and fails if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise ServerError("scaiwave did not exit within %d s of signal %d" % (timeout, sig))
        return self.proc.returncode

    def restart(self):
        rc = self.stop()
        if rc != 0:
            raise ServerError("exit code %s on stop; stderr:\n%s" % (rc, self.stderr_text()[-4000:]))
        return self.start()

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def close(self):
        """Stops the server (SIGKILL after the bounded wait), removes the temp dir, and fails
        (ServerError) when the server did not exit 0 on SIGTERM or any of its runs wrote a
        sanitizer report to stderr: a leak or an ASan/UBSan finding at shutdown fails the test
        that owned the server. A test that kills the server on purpose restarts it or leaves it
        dead; only the stop done here is held to exit code 0."""
        if self._closed:
            return
        self._closed = True
        problems = []
        try:
            if self.running():
                try:
                    rc = self.stop(timeout=STOP_TIMEOUT)
                    if rc != 0:
                        problems.append("exit code %s after SIGTERM" % rc)
                except ServerError as e:
                    problems.append(str(e))
        finally:
            self._kill()
            stderr = self.stderr_text()
            report = sanitizer_report(stderr)
            if report:
                problems.append("sanitizer report in stderr:\n" + report)
            if problems:
                problems.append("stderr tail:\n" + stderr[-3000:])
            shutil.rmtree(self.tmp, ignore_errors=True)
            _live.discard(self)
        if problems:
            raise ServerError("server %s: %s" % (self.url, "\n".join(problems)))

    def stdout_text(self):
        return _read(self.stdout_path)

    def stderr_text(self):
        return _read(self.stderr_path)

    # ---- CLI on the same data dir ----

    def cli(self, *args, input=None, check=True, extra_args=()):
        cmd = [BIN] + list(args) + ["--data-dir", self.data_dir] + list(extra_args)
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, env=self.env,
                           timeout=CLI_TIMEOUT, cwd=self.tmp)
        if check and p.returncode != 0:
            raise ServerError("%s -> exit %d\nstdout: %s\nstderr: %s"
                              % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
        return p

    def create_tenant(self, slug, name=None):
        args = ["tenant", "create", slug] + (["--name", name] if name else [])
        return self.cli(*args)

    def create_user(self, tenant, user, admin=False, password=None, display_name=None):
        args = ["user", "create", "--tenant", tenant, "--user", user]
        if display_name:
            args += ["--display-name", display_name]
        if admin:
            args.append("--admin")
        if password is not None:
            args.append("--password-stdin")
        return self.cli(*args, input=(password + "\n") if password is not None else None)

    def create_token(self, tenant, user, ttl=None):
        args = ["token", "create", "--tenant", tenant, "--user", user]
        if ttl is not None:
            args += ["--ttl", str(ttl)]
        tok = self.cli(*args).stdout.strip()
        assert tok.count(".") == 2, "token create printed %r" % tok
        self.issued_tokens.add(tok)
        return tok

    def new_user_token(self, tenant, user, admin=False, password=None, create_tenant=False):
        """Creates (tenant and) user with the CLI; returns a token for the user."""
        if create_tenant:
            self.create_tenant(tenant)
        self.create_user(tenant, user, admin=admin, password=password)
        return self.create_token(tenant, user)

    # ---- HTTP ----

    def request(self, method, path, token=None, headers=None, **kw):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return requests.request(method, self.url + path, headers=h, **kw)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, token=None, **kw):
        return self.request("POST", path, token=token, **kw)

    def put(self, path, token=None, **kw):
        return self.request("PUT", path, token=token, **kw)

    # ---- common API calls ----

    def plugins(self, token):
        return ok(self.get("/v1/admin/plugins", token))

    def plugin(self, token, plugin_id):
        rows = [p for p in self.plugins(token) if p["id"] == plugin_id]
        assert len(rows) == 1, "plugin %s listed %d times" % (plugin_id, len(rows))
        return rows[0]

    def enable(self, token, plugin_id, body=None):
        kw = {"json": body} if body is not None else {}
        return ok(self.post("/v1/admin/plugins/%s/enable" % plugin_id, token, **kw))

    def disable(self, token, plugin_id):
        return ok(self.post("/v1/admin/plugins/%s/disable" % plugin_id, token))

    def call_tool(self, token, tool, arguments=None, **extra):
        body = dict(extra)
        if arguments is not None:
            body["arguments"] = arguments
        return ok(self.post("/v1/tools/%s/call" % tool, token, json=body))

    def audit(self, token, **params):
        r = self.get("/v1/admin/audit", token, params=params)
        return ok(r), r.json()["meta"]

    def me(self, token):
        return ok(self.get("/v1/me", token))


_SANITIZER_LINE = re.compile(r"^(==\d+==ERROR: |SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|"
                             r"\S+:\d+:\d+: runtime error: )", re.M)


def sanitizer_report(text):
    """The first sanitizer report in a server's stderr (ASan, LSan, UBSan), or ''."""
    m = _SANITIZER_LINE.search(text)
    return text[m.start():m.start() + 4000] if m else ""


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


# ---- envelope assertions ----

def body_json(r):
    ct = r.headers.get("Content-Type", "")
    assert ct == JSON_CT, "Content-Type %r for %s %s (status %d, body %r)" % (
        ct, r.request.method, r.request.url, r.status_code, r.content[:300])
    try:
        return json.loads(r.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise AssertionError("not JSON (%s): %r" % (e, r.content[:300]))


def ok(r, status=200):
    """Asserts a success envelope and returns its data."""
    j = body_json(r)
    assert r.status_code == status, "%s %s -> %d %s" % (
        r.request.method, r.request.url, r.status_code, r.text[:500])
    assert set(j) == {"data", "meta"}, "envelope keys %s" % sorted(j)
    assert isinstance(j["meta"], dict)
    return j["data"]


def raw_err(resp, status, code):
    """Error-envelope check of a raw_http() / http.client result (status, headers, body)."""
    r_status, headers, content = resp
    assert r_status == status, "expected %d %s, got %d %r" % (status, code, r_status, content[:500])
    ct = headers.get("Content-Type")
    assert ct == JSON_CT, "Content-Type %r (status %d, body %r)" % (ct, r_status, content[:300])
    return _check_error_json(json.loads(content.decode("utf-8")), code)


def _check_error_json(j, code):
    assert set(j) == {"error"}, "error envelope keys %s: %r" % (sorted(j), j)
    e = j["error"]
    assert isinstance(e, dict)
    assert set(e) <= {"code", "message", "details"}, "error keys %s" % sorted(e)
    assert isinstance(e.get("message"), str) and e["message"], "error without message: %r" % j
    assert isinstance(e.get("code"), str) and e["code"].startswith("SW_"), j
    if code is not None:
        assert e["code"] == code, "expected %s, got %r" % (code, j)
    if "details" in e:
        assert isinstance(e["details"], dict)
    return e


def err(r, status, code):
    """Asserts an error envelope with the status and code; returns the error object."""
    j = body_json(r)
    assert r.status_code == status, "%s %s: expected %d %s, got %d %s" % (
        r.request.method, r.request.url, status, code, r.status_code, r.text[:500])
    return _check_error_json(j, code)


# ---- raw HTTP (for requests that libraries would normalise or refuse) ----

def raw_http(port, data, timeout=TIMEOUT, send_in_background=False):
    """Sends bytes on a fresh connection; returns (status, headers dict, body bytes) of the first
    response. With send_in_background the bytes are written from a thread while the answer is
    read, so a server that answers early and closes still gets its response seen."""
    import threading

    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sender = None
    send_error = []
    try:
        if send_in_background:
            def send():
                try:
                    s.sendall(data)
                except OSError as e:  # the server may close once it has answered
                    send_error.append(e)
            sender = threading.Thread(target=send, daemon=True)
            sender.start()
        else:
            s.sendall(data)
        buf = b""
        head = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if head is None and b"\r\n\r\n" in buf:
                head, _, rest = buf.partition(b"\r\n\r\n")
                buf = rest
            if head is not None:
                hdrs = _parse_headers(head)
                n = hdrs.get("Content-Length")
                if n is not None and len(buf) >= int(n):
                    return _status(head), hdrs, buf[:int(n)]
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                c = b""
            if not c:
                break
            buf += c
        if head is None:
            raise AssertionError("no complete HTTP response head; got %r" % buf[:300])
        hdrs = _parse_headers(head)
        if hdrs.get("Content-Length") is not None:
            raise AssertionError("truncated body: %d of %s bytes" % (len(buf), hdrs["Content-Length"]))
        return _status(head), hdrs, buf
    finally:
        s.close()
        if sender is not None:
            sender.join(timeout)


class _Headers(dict):
    def get(self, k, default=None):
        for key, v in self.items():
            if key.lower() == k.lower():
                return v
        return default


def _parse_headers(head):
    h = _Headers()
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        h[k.decode("latin-1").strip()] = v.decode("latin-1").strip()
    return h


def _status(head):
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ", 2)
    assert parts[0].startswith("HTTP/1."), "bad status line %r" % line
    return int(parts[1])


# ---- fixtures ----

_names = itertools.count(1)


def unique(prefix):
    """A slug unique within the session: prefix-<n>-<random>."""
    return "%s-%d-%s" % (prefix, next(_names), uuid.uuid4().hex[:6])


@pytest.fixture(scope="module")
def server():
    """One server per test module (a module may change its state; order within it matters
    only where a test says so)."""
    s = Server()
    try:
        s.start()
        yield s
    finally:
        s.close()


@pytest.fixture
def server_factory():
    """Starts extra servers inside a test: server_factory(extra_args=..., env=...) -> Server.
    All of them are stopped and removed at teardown."""
    made = []

    def make(extra_args=(), env=None, start=True):
        s = Server(extra_args=extra_args, env=env)
        made.append(s)
        return s.start() if start else s

    try:
        yield make
    finally:
        for s in made:
            s.close()


class TenantUsers:
    """A tenant made with the CLI, with an admin and a member and their tokens."""

    def __init__(self, server, slug, password=None):
        self.slug = slug
        server.create_tenant(slug, name="Tenant " + slug)
        self.admin_name = "boss"
        self.member_name = "mia"
        self.admin_token = server.new_user_token(slug, self.admin_name, admin=True, password=password)
        self.member_token = server.new_user_token(slug, self.member_name, password=password)
        self.admin = server.me(self.admin_token)
        self.member = server.me(self.member_token)
        self.tenant_id = self.admin["tenant_id"]


@pytest.fixture
def make_tenant(server):
    """make_tenant(prefix="t") -> TenantUsers in a fresh tenant on the module's server."""
    def make(prefix="t", password=None):
        return TenantUsers(server, unique(prefix), password=password)
    return make


def hc_request(port, method, path, headers=None, body=None, timeout=TIMEOUT):
    """One request with http.client, which sends the path exactly as given (no dot-segment
    removal, no re-quoting). Returns (status, headers, body bytes)."""
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()
