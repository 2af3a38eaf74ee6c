#!/usr/bin/env bash
# Runs the web app's end-to-end tests (CTest `e2e`): installs playwright-core from the lock file
# when node_modules is missing and the MCP peers of tests/mcp (mcp.test.mjs runs server-everything),
# then node's test runner. Env: SCAIWAVE_BIN, SW_TEST_PLUGIN_DIR,
# SW_E2E_SHOTS (screenshots; default build/e2e-shots). Every server is judged when it stops
# (lib.mjs Server.stop: exit 0 on SIGTERM, no sanitizer report in stderr; harness.test.mjs
# shows both failing), and node exits non-zero when a test or hook fails.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund >/dev/null
fi
bash ../mcp/install.sh
exec node --test --test-concurrency=1 --test-timeout=240000 ./*.test.mjs
