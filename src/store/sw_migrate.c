/* sw_migrate: the ordered list of schema migrations and the runner. SQL here is portable
 * (TEXT ids and RFC 3339 timestamps, INTEGER flags) so the PostgreSQL driver can run it too.
 * Every table holding tenant data carries tenant_id. Append new migrations; never edit old ones. */
#include "store/sw_migrate.h"
#include "core/sw_time.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    int version;
    const char *name;
    const char *sql;
} migration;

static const migration migrations[] = {
    {1, "tenants_and_participants",
     "CREATE TABLE tenants ("
     "  id TEXT PRIMARY KEY,"
     "  slug TEXT NOT NULL UNIQUE,"
     "  name TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE TABLE participants ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  local_id TEXT NOT NULL,"
     "  display_name TEXT NOT NULL,"
     "  participant_type TEXT NOT NULL CHECK (participant_type IN ('human','model')),"
     "  roles TEXT NOT NULL DEFAULT 'member',"
     "  password_hash TEXT,"
     "  created_at TEXT NOT NULL,"
     "  UNIQUE (tenant_id, local_id));"
     "CREATE INDEX participants_tenant_id ON participants (tenant_id, id);"},
    {2, "plugins_and_audit",
     "CREATE TABLE plugin_states ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  plugin_id TEXT NOT NULL,"
     "  enabled INTEGER NOT NULL DEFAULT 0,"
     "  granted_permissions INTEGER NOT NULL DEFAULT 0,"
     "  settings TEXT NOT NULL DEFAULT '{}',"
     "  tool_policies TEXT NOT NULL DEFAULT '{}',"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, plugin_id));"
     "CREATE TABLE tool_audit ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  ts TEXT NOT NULL,"
     "  room_id TEXT,"
     "  plugin_id TEXT NOT NULL,"
     "  tool TEXT NOT NULL,"
     "  caller_id TEXT,"
     "  initiator_id TEXT,"
     "  args_redacted TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  duration_ms INTEGER NOT NULL,"
     "  detail TEXT);"
     "CREATE INDEX tool_audit_tenant_id ON tool_audit (tenant_id, id);"
     "CREATE TABLE plugin_kv ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  plugin_id TEXT NOT NULL,"
     "  key TEXT NOT NULL,"
     "  value TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, plugin_id, key));"},
    {3, "rooms_members_events",
     "CREATE TABLE rooms ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  room_type TEXT NOT NULL CHECK (room_type IN ('group','dm')),"
     "  name TEXT NOT NULL,"
     "  topic TEXT,"
     "  creator_id TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE INDEX rooms_tenant_id ON rooms (tenant_id, id);"
     "CREATE TABLE room_members ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  room_id TEXT NOT NULL REFERENCES rooms(id),"
     "  participant_id TEXT NOT NULL REFERENCES participants(id),"
     "  membership TEXT NOT NULL CHECK (membership IN ('join','invite','leave')),"
     "  power_level INTEGER NOT NULL DEFAULT 0,"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (room_id, participant_id));"
     "CREATE INDEX room_members_participant ON room_members (tenant_id, participant_id, membership);"
     "CREATE TABLE tenant_streams ("
     "  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),"
     "  position INTEGER NOT NULL);"
     "CREATE TABLE events ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  room_id TEXT NOT NULL REFERENCES rooms(id),"
     "  sender_id TEXT NOT NULL,"
     "  event_type TEXT NOT NULL,"
     "  content TEXT NOT NULL,"
     "  stream_position INTEGER NOT NULL,"
     "  origin_ts TEXT NOT NULL,"
     "  event_uuid TEXT,"
     "  UNIQUE (tenant_id, stream_position),"
     "  UNIQUE (room_id, sender_id, event_uuid));"
     "CREATE INDEX events_room_position ON events (room_id, stream_position);"
     "CREATE TABLE room_plugin_toggles ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  room_id TEXT NOT NULL REFERENCES rooms(id),"
     "  plugin_id TEXT NOT NULL,"
     "  enabled INTEGER NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (room_id, plugin_id));"},
    {4, "ai_participants",
     "CREATE TABLE model_configs ("
     "  participant_id TEXT PRIMARY KEY REFERENCES participants(id),"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  model TEXT NOT NULL,"
     "  base_url TEXT,"
     "  api_key TEXT,"
     "  system_prompt TEXT,"
     "  temperature_milli INTEGER,"
     "  stream INTEGER NOT NULL DEFAULT 1,"
     "  plugins TEXT,"
     "  updated_at TEXT NOT NULL);"
     "CREATE INDEX model_configs_tenant ON model_configs (tenant_id);"
     "CREATE TABLE room_ai_settings ("
     "  room_id TEXT PRIMARY KEY REFERENCES rooms(id),"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  mode TEXT NOT NULL CHECK (mode IN ('always','mention')),"
     "  system_prompt TEXT,"
     "  updated_at TEXT NOT NULL);"},
    /* Approvals: a turn whose tool calls wait for people is parked in parked_turns (everything
     * needed to resume it) with one approval_requests row per call that needs a decision. */
    {5, "approvals",
     "CREATE TABLE parked_turns ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  turn_id TEXT NOT NULL,"
     "  room_id TEXT NOT NULL REFERENCES rooms(id),"
     "  ai_id TEXT NOT NULL,"
     "  initiator_id TEXT NOT NULL,"
     "  round INTEGER NOT NULL,"
     "  messages TEXT NOT NULL,"
     "  calls TEXT NOT NULL,"
     "  results TEXT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('parking','parked','resuming','done')),"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE INDEX parked_turns_state ON parked_turns (state);"
     "CREATE TABLE approval_requests ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  park_id TEXT NOT NULL REFERENCES parked_turns(id),"
     "  call_index INTEGER NOT NULL,"
     "  tool_call_id TEXT NOT NULL,"
     "  turn_id TEXT NOT NULL,"
     "  room_id TEXT NOT NULL REFERENCES rooms(id),"
     "  ai_id TEXT NOT NULL,"
     "  initiator_id TEXT NOT NULL,"
     "  plugin_id TEXT NOT NULL,"
     "  tool TEXT NOT NULL,"
     "  arguments TEXT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','expired')),"
     "  reason TEXT,"
     "  decided_by TEXT,"
     "  decided_at TEXT,"
     "  started_at TEXT,"
     "  result TEXT,"
     "  created_at TEXT NOT NULL,"
     "  expires_at TEXT NOT NULL,"
     "  expires_at_ms INTEGER NOT NULL);"
     "CREATE INDEX approval_requests_due ON approval_requests (status, expires_at_ms);"
     "CREATE INDEX approval_requests_tenant ON approval_requests (tenant_id, status, room_id);"
     "CREATE INDEX approval_requests_park ON approval_requests (park_id);"},
    /* Notes (scaiwave.notes and /v1/notes). `seq` is the integer key the full-text index needs;
     * sw_note_repo assigns it (MAX + 1 inside its write transaction) and keeps the index in step
     * on every insert and update. The index is SQLite FTS5 with external content (it stores no
     * second copy of the text); the PostgreSQL driver will use a generated
     * `search tsvector` column (setweight(to_tsvector(title), 'A') || to_tsvector(body)) with a
     * GIN index instead, and ts_rank / ts_headline where sw_note_repo uses bm25 / snippet. */
    {6, "notes",
     "CREATE TABLE notes ("
     "  id TEXT PRIMARY KEY,"
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  seq INTEGER NOT NULL UNIQUE,"
     "  title TEXT NOT NULL,"
     "  body TEXT NOT NULL,"
     "  created_by TEXT NOT NULL,"
     "  updated_by TEXT NOT NULL,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL);"
     "CREATE INDEX notes_tenant_id ON notes (tenant_id, id);"
     "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='seq',"
     "  tokenize='porter unicode61 remove_diacritics 2');"},
    {7, "events_keyed_by_stream_position",
     /* Fewer b-trees per stored event (they are written on every send): the table is keyed by
      * (tenant_id, stream_position), which also enforces the position's uniqueness, and the
      * idempotency index only covers events that carry an event_uuid. WITHOUT ROWID is SQLite's;
      * the PostgreSQL driver will use a plain table with the same primary key. */
     "CREATE TABLE events_v7 ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  stream_position INTEGER NOT NULL,"
     "  id TEXT NOT NULL,"
     "  room_id TEXT NOT NULL REFERENCES rooms(id),"
     "  sender_id TEXT NOT NULL,"
     "  event_type TEXT NOT NULL,"
     "  content TEXT NOT NULL,"
     "  origin_ts TEXT NOT NULL,"
     "  event_uuid TEXT,"
     "  PRIMARY KEY (tenant_id, stream_position)) WITHOUT ROWID;"
     "INSERT INTO events_v7 (tenant_id, stream_position, id, room_id, sender_id, event_type, content,"
     "  origin_ts, event_uuid)"
     "  SELECT tenant_id, stream_position, id, room_id, sender_id, event_type, content, origin_ts,"
     "  event_uuid FROM events;"
     "DROP TABLE events;"
     "ALTER TABLE events_v7 RENAME TO events;"
     "CREATE INDEX events_room_position ON events (room_id, stream_position);"
     "CREATE UNIQUE INDEX events_uuid ON events (room_id, sender_id, event_uuid) WHERE event_uuid IS NOT NULL;"},
    {8, "tool_audit_keyed_by_tenant",
     /* One b-tree per audit record instead of three (rowid table, id, (tenant_id, id)): a row is
      * written for every tool call, and every read is by tenant, newest first. */
     "CREATE TABLE tool_audit_v8 ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  id TEXT NOT NULL,"
     "  ts TEXT NOT NULL,"
     "  room_id TEXT,"
     "  plugin_id TEXT NOT NULL,"
     "  tool TEXT NOT NULL,"
     "  caller_id TEXT,"
     "  initiator_id TEXT,"
     "  args_redacted TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  duration_ms INTEGER NOT NULL,"
     "  detail TEXT,"
     "  PRIMARY KEY (tenant_id, id)) WITHOUT ROWID;"
     "INSERT INTO tool_audit_v8 (tenant_id, id, ts, room_id, plugin_id, tool, caller_id, initiator_id,"
     "  args_redacted, status, duration_ms, detail)"
     "  SELECT tenant_id, id, ts, room_id, plugin_id, tool, caller_id, initiator_id, args_redacted, status,"
     "  duration_ms, detail FROM tool_audit;"
     "DROP TABLE tool_audit;"
     "ALTER TABLE tool_audit_v8 RENAME TO tool_audit;"},
    {9, "stream_position_from_events",
     /* A tenant's next stream position is one past its last event, read from the events key
      * inside the write transaction: the per-tenant counter row was one more statement and one
      * more page written on every send. Events are never deleted, so positions never repeat. */
     "DROP TABLE tenant_streams;"},
    {10, "participant_token_generation",
     /* Every token carries its participant's generation; a bump (logout, token revoke, a new
      * password) revokes every token issued before it. */
     "ALTER TABLE participants ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;"},
    {11, "mcp_servers",
     /* A tenant's MCP servers mounted as plugins mcp.<id>. config is the JSON of the
      * registration (command, args, env, url, headers, limits) with every env and header value
      * sealed (sw_secretbox). */
     "CREATE TABLE mcp_servers ("
     "  tenant_id TEXT NOT NULL REFERENCES tenants(id),"
     "  id TEXT NOT NULL,"
     "  transport TEXT NOT NULL CHECK (transport IN ('stdio','http')),"
     "  config TEXT NOT NULL DEFAULT '{}',"
     "  enabled INTEGER NOT NULL DEFAULT 1,"
     "  created_at TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (tenant_id, id));"},
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int sw_migrate_latest(void)
{
    return migrations[N_MIGRATIONS - 1].version;
}

int sw_migrate(sw_db *db, char *err, size_t errlen)
{
    if (sw_db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "  version INTEGER PRIMARY KEY,"
                       "  name TEXT NOT NULL,"
                       "  applied_at TEXT NOT NULL)") != 0) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", sw_db_errmsg(db));
        return -1;
    }
    int applied = 0;
    for (int i = 0; i < N_MIGRATIONS; i++) {
        const migration *m = &migrations[i];
        if (sw_db_begin(db) != 0) {
            snprintf(err, errlen, "migration %d: cannot begin: %s", m->version, sw_db_errmsg(db));
            return -1;
        }
        /* Checked inside the write transaction, so two processes starting at once apply each
         * migration exactly once. */
        sw_stmt *st = sw_db_prepare(db, "SELECT 1 FROM schema_migrations WHERE version = ?");
        int done = 0;
        if (st) {
            sw_stmt_bind_int64(st, 1, m->version);
            done = sw_stmt_step(st) == SW_DB_ROW;
            sw_stmt_finish(st);
        }
        if (done) {
            sw_db_rollback(db);
            continue;
        }
        char ts[40];
        sw_time_rfc3339(sw_time_now_ms(), ts, sizeof ts);
        if (sw_db_exec(db, m->sql) != 0 ||
            sw_db_run(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                      "itt", (int64_t)m->version, m->name, ts) < 0 ||
            sw_db_commit(db) != 0) {
            snprintf(err, errlen, "migration %d (%s) failed: %s", m->version, m->name,
                     sw_db_errmsg(db));
            sw_db_rollback(db);
            return -1;
        }
        applied++;
    }
    return applied;
}
