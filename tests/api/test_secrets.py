"""Secrets at rest (issue #13, point 8): plugin secret settings and AI api keys are stored sealed
with <data-dir>/secret.key — the raw database files hold no clear secret — and opened only where
they are used (the test.vault plugin compares a setting it reads through the host with a guess,
so the secret never travels). A store copied without its key reveals nothing and the server still
starts and says which values it cannot read; `scaiwave secret rotate` keeps every value usable;
legacy clear values are sealed at the next start."""
import json
import os
import shutil
import sqlite3

from conftest import Server, ok

MASK = "********"

TEST_PLUGIN_DIR = os.environ.get("SW_TEST_PLUGIN_DIR") or "/work/main/build/test-plugins"
VAULT = "test.vault"
PLUGIN_SECRET = "sk-vault-7f3a9c1e5d"        # declared secret by the plugin
UNDECLARED_SECRET = "pw-undeclared-42b8e0"   # db_pwd: undeclared, credential-like name
AI_SECRET = "sk-ai-model-key-9d2c4b7a"


def _vault_server(data_dir=None):
    assert os.path.exists(os.path.join(TEST_PLUGIN_DIR, "vault.so")), "tests/plugins/vault.c not built"
    return Server(extra_args=["--plugin-dir", TEST_PLUGIN_DIR], data_dir=data_dir)


def _db_bytes(data_dir):
    """Every byte SQLite keeps for the store: the database, its WAL and shared-memory index."""
    out = b""
    for suffix in ("", "-wal", "-shm"):
        path = os.path.join(data_dir, "scaiwave.db" + suffix)
        if os.path.exists(path):
            with open(path, "rb") as f:
                out += f.read()
    return out


def _query(data_dir, sql, args=()):
    con = sqlite3.connect(os.path.join(data_dir, "scaiwave.db"), timeout=10)
    try:
        rows = con.execute(sql, args).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def _stored_settings(data_dir):
    rows = _query(data_dir, "SELECT settings FROM plugin_states WHERE plugin_id = ?", (VAULT,))
    assert len(rows) == 1
    return json.loads(rows[0][0])


def _stored_ai_key(data_dir, participant_id):
    return _query(data_dir, "SELECT api_key FROM model_configs WHERE participant_id = ?", (participant_id,))[0][0]


def _key_id(sealed):
    assert sealed.startswith("swenc:v1:"), sealed
    return sealed.split(":")[2]


def _check(srv, setting, guess):
    return srv.call_tool(srv.admin_token, "check", {"setting": setting, "guess": guess})


def _setup(srv):
    tok = srv.admin_token
    ok(srv.post("/v1/admin/plugins/%s/enable" % VAULT, tok, json={}))
    row = ok(srv.put("/v1/admin/plugins/%s/config" % VAULT, tok,
                     json={"settings": {"api_key": PLUGIN_SECRET, "db_pwd": UNDECLARED_SECRET, "region": "eu"}}))
    assert row["config"] == {"api_key": MASK, "db_pwd": MASK, "region": "eu"}
    ai = ok(srv.post("/v1/admin/participants/model", tok,
                     json={"local_id": "vault-ai", "model": "m", "api_key": AI_SECRET}), 201)
    return ai["participant_id"]


def _ai_config(srv, participant_id):
    ps = ok(srv.get("/v1/admin/participants", srv.admin_token))
    return [p for p in ps if p["participant_id"] == participant_id][0]["model_config"]


def _assert_no_clear_secret(data_dir):
    raw = _db_bytes(data_dir)
    for secret in (PLUGIN_SECRET, UNDECLARED_SECRET, AI_SECRET):
        assert secret.encode() not in raw, "%s is stored in clear" % secret


def test_secrets_are_sealed_at_rest_and_opened_for_the_plugin():
    srv = _vault_server()
    try:
        srv.start()
        ai_id = _setup(srv)
        _assert_no_clear_secret(srv.data_dir)
        stored = _stored_settings(srv.data_dir)
        key_id = _key_id(stored["api_key"])
        assert _key_id(stored["db_pwd"]) == key_id and stored["region"] == "eu"
        assert _key_id(_stored_ai_key(srv.data_dir, ai_id)) == key_id
        assert stored["api_key"] != _stored_settings(srv.data_dir)["db_pwd"]
        # the host opens them for the plugin
        assert _check(srv, "api_key", PLUGIN_SECRET)["result"] == "match"
        assert _check(srv, "db_pwd", UNDECLARED_SECRET)["result"] == "match"
        assert _check(srv, "api_key", "wrong")["result"] == "mismatch"
        assert _check(srv, "region", "eu")["result"] == "match"
        mc = _ai_config(srv, ai_id)
        assert mc["has_api_key"] is True and mc["api_key"] == MASK and "api_key_unreadable" not in mc
        # a masked value sent back keeps the stored secret; it still opens after a restart
        ok(srv.put("/v1/admin/plugins/%s/config" % VAULT, srv.admin_token,
                   json={"settings": {"api_key": MASK, "region": "us"}}))
        srv.restart()
        assert _check(srv, "api_key", PLUGIN_SECRET)["result"] == "match"
        _assert_no_clear_secret(srv.data_dir)
        key_file = os.path.join(srv.data_dir, "secret.key")
        assert os.stat(key_file).st_mode & 0o777 == 0o600 and os.path.getsize(key_file) == 32
        for text in (srv.stdout_text(), srv.stderr_text()):
            for secret in (PLUGIN_SECRET, UNDECLARED_SECRET, AI_SECRET):
                assert secret not in text
    finally:
        srv.close()


def test_store_copied_without_its_key_reveals_nothing():
    srv = _vault_server()
    copy = None
    try:
        srv.start()
        ai_id = _setup(srv)
        assert srv.stop() == 0
        copy = _vault_server()
        os.makedirs(copy.data_dir, mode=0o700)
        for suffix in ("", "-wal"):
            src = os.path.join(srv.data_dir, "scaiwave.db" + suffix)
            if os.path.exists(src):
                shutil.copy(src, copy.data_dir)
        copy.start()  # a fresh secret.key: the server starts anyway
        with open(os.path.join(srv.data_dir, "secret.key"), "rb") as a, \
                open(os.path.join(copy.data_dir, "secret.key"), "rb") as b:
            assert a.read() != b.read()
        assert "cannot be decrypted" in copy.stderr_text()
        row = copy.plugin(copy.admin_token, VAULT)
        assert row["config"] == {"api_key": MASK, "db_pwd": MASK, "region": "eu"}
        assert sorted(row["unreadable_settings"]) == ["api_key", "db_pwd"]
        # the plugin sees the unreadable secret as unset, and nothing else changes
        assert _check(copy, "api_key", PLUGIN_SECRET)["result"] == "unset"
        assert _check(copy, "region", "eu")["result"] == "match"
        mc = _ai_config(copy, ai_id)
        assert mc["api_key_unreadable"] is True and mc["has_api_key"] is True
        # editing the AI keeps the stored key as it was (it may be read again with the right key)
        sealed_ai = _stored_ai_key(copy.data_dir, ai_id)
        ok(copy.put("/v1/admin/participants/%s" % ai_id, copy.admin_token, json={"model": "m2"}))
        assert _stored_ai_key(copy.data_dir, ai_id) == sealed_ai
        # a value set again is readable
        ok(copy.put("/v1/admin/plugins/%s/config" % VAULT, copy.admin_token,
                    json={"settings": {"api_key": "sk-new-value-0e1f"}}))
        assert _check(copy, "api_key", "sk-new-value-0e1f")["result"] == "match"
        assert copy.plugin(copy.admin_token, VAULT)["unreadable_settings"] == ["db_pwd"]
        _assert_no_clear_secret(copy.data_dir)
        assert copy.stop() == 0
    finally:
        srv.close()
        if copy:
            copy.close()


def test_rotate_reseals_every_secret_and_keeps_them_usable():
    srv = _vault_server()
    try:
        srv.start()
        ai_id = _setup(srv)
        old_id = _key_id(_stored_settings(srv.data_dir)["api_key"])
        assert srv.stop() == 0
        p = srv.cli("secret", "rotate", extra_args=["--plugin-dir", TEST_PLUGIN_DIR])
        assert "secret key rotated: %s -> " % old_id in p.stdout and "2 stored row(s) re-encrypted" in p.stdout
        assert not os.path.exists(os.path.join(srv.data_dir, "secret.key.new"))
        stored = _stored_settings(srv.data_dir)
        new_id = _key_id(stored["api_key"])
        assert new_id != old_id and _key_id(stored["db_pwd"]) == new_id
        assert _key_id(_stored_ai_key(srv.data_dir, ai_id)) == new_id
        _assert_no_clear_secret(srv.data_dir)
        srv.start()
        assert _check(srv, "api_key", PLUGIN_SECRET)["result"] == "match"
        assert _check(srv, "db_pwd", UNDECLARED_SECRET)["result"] == "match"
        row = srv.plugin(srv.admin_token, VAULT)
        assert "unreadable_settings" not in row
        mc = _ai_config(srv, ai_id)
        assert mc["has_api_key"] is True and "api_key_unreadable" not in mc
    finally:
        srv.close()


def test_legacy_clear_values_are_sealed_at_start():
    srv = _vault_server()
    try:
        srv.start()
        ai_id = _setup(srv)
        assert srv.stop() == 0
        # what an older server stored: the values in clear
        _query(srv.data_dir, "UPDATE plugin_states SET settings = ? WHERE plugin_id = ?",
               (json.dumps({"api_key": PLUGIN_SECRET, "db_pwd": UNDECLARED_SECRET, "region": "eu"}), VAULT))
        _query(srv.data_dir, "UPDATE model_configs SET api_key = ? WHERE participant_id = ?", (AI_SECRET, ai_id))
        _query(srv.data_dir, "PRAGMA wal_checkpoint(TRUNCATE)")
        srv.start()
        stored = _stored_settings(srv.data_dir)
        assert stored["api_key"].startswith("swenc:v1:") and stored["db_pwd"].startswith("swenc:v1:")
        assert stored["region"] == "eu"
        assert _stored_ai_key(srv.data_dir, ai_id).startswith("swenc:v1:")
        assert _check(srv, "api_key", PLUGIN_SECRET)["result"] == "match"
        assert _check(srv, "db_pwd", UNDECLARED_SECRET)["result"] == "match"
    finally:
        srv.close()
