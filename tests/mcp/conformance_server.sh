#!/usr/bin/env bash
# conformance_server: @modelcontextprotocol/conformance's server scenarios against ScaiWave's
# /v1/mcp (CTest mcp.conformance_server, acceptance 4 of issue 15).
# Usage: conformance_server.sh <scaiwave binary> <test plugin dir>
# Starts a server on a fresh data dir with test.conformance enabled (tests/plugins/conformance.c:
# the tools the tools scenarios call), puts tests/mcp/auth_proxy.mjs in front (the tool has no
# option for an Authorization header; /v1/mcp needs a tenant token), runs every server scenario
# one by one and prints PASS / FAIL per scenario. Fails unless every scenario of lifecycle, ping,
# tools, errors (and the DNS-rebinding rule) passes; the rest are listed with why they are out of
# scope (a capability /v1/mcp does not offer).
set -uo pipefail
BIN=${1:?scaiwave binary}
PLUGINS=${2:?test plugin dir}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SRV_PID= PROXY_PID=
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for() { # file, seconds: until the file is non-empty
  local deadline=$((SECONDS + $2))
  while [ ! -s "$1" ]; do
    [ $SECONDS -ge $deadline ] && { echo "conformance: timed out waiting for $1" >&2; exit 1; }
    sleep 0.1
  done
}

"$BIN" serve --port 0 --data-dir "$WORK/data" --port-file "$WORK/port" --plugin-dir "$PLUGINS" \
  --access-log 0 >"$WORK/server.log" 2>&1 &
SRV_PID=$!
wait_for "$WORK/port" 30
wait_for "$WORK/data/admin.token" 30
PORT=$(cat "$WORK/port")
TOKEN=$(cat "$WORK/data/admin.token")
code=$(curl -s -o "$WORK/enable.json" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v1/admin/plugins/test.conformance/enable" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{}')
[ "$code" = 200 ] || { echo "conformance: enabling test.conformance answered $code: $(cat "$WORK/enable.json")" >&2; exit 1; }
node "$HERE/auth_proxy.mjs" "http://127.0.0.1:$PORT" "$TOKEN" >"$WORK/proxy.port" 2>"$WORK/proxy.log" &
PROXY_PID=$!
wait_for "$WORK/proxy.port" 30
URL="http://localhost:$(cat "$WORK/proxy.port")/v1/mcp"

# Must pass: the lifecycle, ping, tools and errors scenarios, and the Origin (DNS rebinding) rule.
REQUIRED="server-initialize ping tools-list tools-call-simple-text tools-call-error json-schema-2020-12 dns-rebinding-protection"
# Out of scope, with the reason.
declare -A WHY=(
  [logging-set-level]="logging capability not offered"
  [tools-call-with-logging]="logging capability not offered"
  [completion-complete]="completions capability not offered"
  [tools-call-image]="ScaiWave tools return text results only (no image content)"
  [tools-call-audio]="ScaiWave tools return text results only (no audio content)"
  [tools-call-embedded-resource]="ScaiWave tools return text results only (no embedded resources)"
  [tools-call-mixed-content]="ScaiWave tools return text results only (no mixed content)"
  [tools-call-with-progress]="answers are single JSON responses: no SSE stream for progress notifications"
  [tools-call-sampling]="server-to-client requests (sampling) not offered"
  [tools-call-elicitation]="server-to-client requests (elicitation) not offered"
  [elicitation-sep1034-defaults]="server-to-client requests (elicitation) not offered"
  [elicitation-sep1330-enums]="server-to-client requests (elicitation) not offered"
  [server-sse-polling]="no SSE stream: GET /v1/mcp is 405, POST answers are JSON"
  [server-sse-multiple-streams]="no SSE stream: GET /v1/mcp is 405, POST answers are JSON"
)
cd "$HERE"
SCENARIOS=$(npx --no-install conformance list --server 2>/dev/null | sed -n 's/^  - //p' | awk '/^Client scenarios/{exit} {print}')
[ -n "$SCENARIOS" ] || { echo "conformance: could not list the server scenarios" >&2; exit 1; }
fails=0 passed=0 oos=0
for s in $SCENARIOS; do
  out=$(timeout 120 npx --no-install conformance server --url "$URL" --scenario "$s" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
  line=$(printf '%s\n' "$out" | grep -E '^Passed: [0-9]+/[0-9]+, [0-9]+ failed' | tail -1)
  if [[ "$line" =~ ^Passed:\ ([0-9]+)/([0-9]+),\ ([0-9]+)\ failed ]] && [ "${BASH_REMATCH[3]}" = 0 ] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    result=PASS
  else
    result=FAIL
  fi
  required=0
  for r in $REQUIRED; do [ "$r" = "$s" ] && required=1; done
  if [ $required = 1 ]; then
    if [ $result = PASS ]; then passed=$((passed + 1)); echo "PASS  $s"
    else fails=$((fails + 1)); echo "FAIL  $s (required)"; printf '%s\n' "$out" | grep -E 'FAILURE|Error|error' | head -5 | sed 's/^/      /'
    fi
  else
    reason=${WHY[$s]:-}
    case "$s" in resources-*) reason="resources capability not offered" ;; prompts-*) reason="prompts capability not offered" ;; esac
    [ -z "$reason" ] && reason="not a lifecycle/ping/tools/errors scenario"
    oos=$((oos + 1))
    echo "$result  $s (out of scope: $reason)"
  fi
done
for r in $REQUIRED; do
  printf '%s\n' $SCENARIOS | grep -qx "$r" || { echo "FAIL  $r (required, but this conformance version does not list it)"; fails=$((fails + 1)); }
done
echo "conformance: $passed required scenarios passed, $fails failed; $oos out of scope"
[ $fails = 0 ]
