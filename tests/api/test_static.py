"""The web app's static files (issue #7): `/` and `/app/…` answer index.html, `/static/<path>` the
files under --web-dir, with content types, caching and security headers; nothing outside the web
root is reachable (traversal, encoded traversal, NUL, symlinks out, hidden files), directories
are a JSON 404 without a listing, and unknown /v1 paths keep their JSON 404."""
import os
import shutil
import tempfile

import pytest

from conftest import Server, err, hc_request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def web():
    d = tempfile.mkdtemp(prefix="sw-web-")
    root = os.path.join(d, "web")
    os.makedirs(os.path.join(root, "js"))
    files = {"index.html": "<!doctype html><title>t</title>", "app.css": "body{}",
             "js/main.js": "export const x = 1;", "favicon.svg": "<svg/>", "data.json": "{}",
             "font.woff2": "w", ".env": "SECRET=1"}
    for name, text in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    with open(os.path.join(d, "secret.txt"), "w") as f:
        f.write("top secret")
    os.symlink(os.path.join(d, "secret.txt"), os.path.join(root, "leak.txt"))
    os.symlink("..", os.path.join(root, "up"))
    yield root
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def srv(web):
    s = Server(extra_args=["--web-dir", web])
    try:
        yield s.start()
    finally:
        s.close()


def check_static_headers(r):
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-cache"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self' ws: wss:" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_index_at_root_and_app_routes(srv):
    for path in ["/", "/app", "/app/chat", "/app/chat/01abc", "/app/admin/plugins"]:
        r = srv.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.text == "<!doctype html><title>t</title>"
        check_static_headers(r)


@pytest.mark.parametrize("path,ctype", [
    ("/static/app.css", "text/css; charset=utf-8"),
    ("/static/js/main.js", "text/javascript; charset=utf-8"),
    ("/static/favicon.svg", "image/svg+xml"),
    ("/static/data.json", "application/json; charset=utf-8"),
    ("/static/font.woff2", "font/woff2"),
])
def test_assets_with_content_types(srv, path, ctype):
    r = srv.get(path)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == ctype
    check_static_headers(r)


def test_head_has_no_body(srv):
    r = srv.request("HEAD", "/static/js/main.js")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Length"] == str(len("export const x = 1;"))


@pytest.mark.parametrize("path", [
    "/static/../CMakeLists.txt", "/static/js/../../secret.txt", "/static/%2e%2e/secret.txt",
    "/static/..%2fsecret.txt", "/static/js%2f..%2f..%2fsecret.txt", "/static/index.html%00.js",
    "/static/leak.txt", "/static/up/secret.txt", "/static/.env", "/static/js", "/static/js/",
    "/static/", "/static//etc/passwd", "/static/missing.js",
])
def test_nothing_outside_the_root(srv, path):
    status, headers, body = hc_request(srv.port, "GET", path)
    assert status == 404, (path, status, body[:200])
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert b"top secret" not in body and b"SECRET" not in body and b"<a href" not in body


def test_app_routes_only_ever_answer_the_index(srv):
    status, _, body = hc_request(srv.port, "GET", "/app/../static/.env")
    assert status == 200 and body == b"<!doctype html><title>t</title>"


def test_unknown_api_paths_stay_json(srv):
    err(srv.get("/v1/nope"), 404, "SW_NOT_FOUND")
    err(srv.get("/nope"), 404, "SW_NOT_FOUND")
    r = srv.post("/static/app.css")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"


def test_missing_web_dir_is_a_json_404(server_factory):
    s = server_factory(extra_args=["--web-dir", "/nonexistent/web"])
    e = err(s.get("/"), 404, "SW_NOT_FOUND")
    assert "--web-dir" in e["message"]
    assert s.get("/healthz").status_code == 200


def test_the_real_web_app_is_served(server_factory):
    s = server_factory(extra_args=["--web-dir", os.path.join(REPO, "web")])
    r = s.get("/")
    assert r.status_code == 200 and '<script type="module" src="/static/js/main.js">' in r.text
    for path in ["/static/app.css", "/static/js/main.js", "/static/js/api.js", "/static/js/live.js",
                 "/static/js/chat.js", "/static/js/admin.js", "/static/js/dom.js", "/static/favicon.svg"]:
        assert s.get(path).status_code == 200, path
