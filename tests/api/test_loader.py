"""The real server with a plugin dir full of broken plugins: each one is refused with one clear
log line, the good one (acme.echo) loads, and the server starts and serves."""
import json
import os

import pytest

from conftest import Server, ok

TEST_PLUGIN_DIR = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"

REFUSALS = {
    "bad_abi.so": "ABI version 999",
    "bad_size.so": "descriptor size 24",
    "big_size.so": "built against a newer plugin.h",
    "big_tool.so": "swp_tool size",
    "bad_id.so": "invalid id",
    "bad_schema.so": "invalid parameters schema",
    "dup_echo.so": "duplicate plugin id",
    "reserved_ns.so": "reserved",
}


@pytest.fixture(scope="module")
def loaded():
    if not os.path.exists(os.path.join(TEST_PLUGIN_DIR, "bad_abi.so")):
        pytest.fail("test plugins not built (cmake --build build)")
    srv = Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR])
    try:
        yield srv.start()
    finally:
        srv.close()


def refusal_lines(srv):
    lines = []
    for line in srv.stderr_text().splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if j.get("msg", "").startswith("plugin refused:"):
            lines.append(j)
    return lines


def test_server_starts_and_serves(loaded):
    assert loaded.get("/healthz").json() == {"status": "ok"}
    ids = {p["id"]: p for p in ok(loaded.get("/v1/admin/plugins", token=loaded.admin_token))}
    assert "scaiwave.greeter" in ids and ids["scaiwave.greeter"]["source"] == "builtin"
    assert ids["acme.echo"]["source"] == "shared_object" and ids["acme.echo"]["version"] == "0.1.0"
    for bad in ("test.bad-abi", "test.bad-size", "test.bad-schema", "scaiwave.fake", "NoDotHere"):
        assert bad not in ids


@pytest.mark.parametrize("so,reason", sorted(REFUSALS.items()))
def test_one_clear_line_per_refused_plugin(loaded, so, reason):
    lines = [j for j in refusal_lines(loaded) if so in j["msg"]]
    assert len(lines) == 1, f"expected one refusal line for {so}, got {lines}"
    assert lines[0]["level"] == "error"
    assert reason in lines[0]["msg"]


def test_loaded_plugin_works(loaded):
    tok = loaded.admin_token
    ok(loaded.post("/v1/admin/plugins/acme.echo/enable", token=tok, json={}))
    r = ok(loaded.post("/v1/tools/echo/call", token=tok, json={"arguments": {"text": "hi", "upper": True}}))
    assert r["status"] == "ok" and r["result"] == "HI"
