"""The plugin list follows MCP registrations at once: a tenant whose plugin list was read (and
so cached) before a registration sees `mcp.<id>` right after it, with the server's status while it
is not ready, and no longer after DELETE (found by the web app's end-to-end test: the cached
snapshot hid a new registration until some other admin write)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conftest import Server, TenantUsers, ok, unique  # noqa: E402


def plugin_ids(srv, tok):
    return {p["id"]: p for p in ok(srv.get("/v1/admin/plugins", tok))}


def test_a_registration_is_listed_at_once_and_gone_after_delete():
    s = Server(extra_args=["--mcp-stdio-allow", "node"])
    try:
        s.start()
        t = TenantUsers(s, unique("mcpl"))
        tok = t.admin_token
        assert "mcp.crashy" not in plugin_ids(s, tok)  # read, and so cached, before the registration
        ok(s.post("/v1/admin/mcp-servers", tok, json={"id": "crashy", "transport": "stdio", "command": "node",
                                                      "args": ["-e", "process.exit(3)"]}), 201)
        listed = plugin_ids(s, tok)
        assert "mcp.crashy" in listed
        assert listed["mcp.crashy"]["source"] == "mcp" and listed["mcp.crashy"]["mcp_server"] == "crashy"
        assert listed["mcp.crashy"]["status"] in ("connecting", "failed", "disabled")
        # it keeps crashing: disabled, and still listed (with that status) so an admin sees why
        deadline = time.monotonic() + 60
        while plugin_ids(s, tok)["mcp.crashy"]["status"] != "disabled":
            assert time.monotonic() < deadline, "never disabled"
            time.sleep(0.05)
        assert s.request("DELETE", "/v1/admin/mcp-servers/crashy", tok).status_code == 204
        assert "mcp.crashy" not in plugin_ids(s, tok)
    finally:
        s.close()
