#!/usr/bin/env bash
# CTest `build.sql_in_store`: all SQL lives in src/store/ (issue #14), so a second store driver
# (PostgreSQL) touches store/ only. Fails when a file of src/ outside src/store/ calls the SQL
# API (sw_db_prepare, sw_db_exec, sw_db_run, sw_stmt_*); transactions (sw_db_begin/commit/
# rollback/savepoint) stay callable from above. The checker is first shown a planted call, which
# it must find, so it cannot pass by finding nothing.
set -uo pipefail
SRC=${1:?usage: sql_in_store.sh SOURCE_DIR}
PATTERN='\b(sw_db_prepare|sw_db_exec|sw_db_run|sw_stmt_[a-z0-9_]+)[[:space:]]*\('

scan() { # prints the offending lines of the tree under $1/src, outside src/store
  grep -rnE --include='*.c' --include='*.h' "$PATTERN" "$1/src" | grep -v "^$1/src/store/"
}

tmp=$(mktemp -d /tmp/sw-sqlcheck-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/plugins" "$tmp/src/store"
printf 'static int f(sw_db *db) { return sw_db_exec(db, "DELETE FROM x"); }\n' >"$tmp/src/plugins/planted.c"
printf 'static int g(sw_db *db) { return sw_db_exec(db, "SELECT 1"); }\n' >"$tmp/src/store/fine.c"
planted=$(scan "$tmp")
if [ "$(printf '%s\n' "$planted" | grep -c .)" -ne 1 ] || ! printf '%s' "$planted" | grep -q planted.c; then
  echo "FAIL: the checker did not find exactly the planted call outside src/store (found: '$planted')"
  exit 1
fi

found=$(scan "$SRC")
if [ -n "$found" ]; then
  echo "FAIL: SQL outside src/store/ (move it behind a repository in src/store/):"
  printf '%s\n' "$found"
  exit 1
fi
echo "ok: no SQL API call outside src/store/"
