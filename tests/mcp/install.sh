#!/usr/bin/env bash
# Installs the MCP peers of tests/mcp/package.json from its lock file when node_modules is missing
# or older than the lock (CTest `mcp.npm`, a fixture the MCP tests require). Idempotent; a lock
# (flock) keeps two runs from installing at once.
set -euo pipefail
cd "$(dirname "$0")"
exec 9>.install.lock
flock 9
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >/dev/null
fi
for p in @modelcontextprotocol/sdk @modelcontextprotocol/server-everything @modelcontextprotocol/conformance; do
  [ -f "node_modules/$p/package.json" ] || { echo "mcp peers: $p is missing after npm ci" >&2; exit 1; }
done
