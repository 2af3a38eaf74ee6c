#!/usr/bin/env bash
# Installs the Debian packages ScaiWave-C needs. `deps.sh` alone: what building and running
# need (make run); `deps.sh --test`: also what the tests, fuzzers and benchmarks need (make test).
# Idempotent and quiet when everything is already there. Needs root (or sudo).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config
  libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libpq-dev
  libcurl4-openssl-dev libsodium-dev libssl-dev libwslay-dev nettle-dev
  libpcre2-dev
)
if [ "${1:-}" = "--test" ]; then
  PKGS+=(clang libclang-rt-14-dev libcmocka-dev libtest-json-schema-acceptance-perl
         python3-pytest python3-requests python3-websockets wrk procps curl chromium)
  # node 20 + npm run the web app's end-to-end tests (tests/e2e); only installed when missing.
  command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
  command -v npm >/dev/null 2>&1 || PKGS+=(npm)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
