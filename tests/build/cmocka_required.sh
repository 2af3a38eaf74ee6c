#!/usr/bin/env bash
# CTest `build.cmocka_required`: the unit tests cannot vanish without a word. With a pkg-config
# view that lacks cmocka (every other .pc file of this machine, linked into a temp dir), a
# configure with SW_TESTS=ON (the default, and what `make test` passes) must fail and name cmocka,
# and one with SW_TESTS=OFF (what `make run` passes without cmocka) must succeed.
set -uo pipefail
SRC=${1:?usage: cmocka_required.sh SOURCE_DIR}
tmp=$(mktemp -d /tmp/sw-cmocka-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/pc"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
  [ -d "$d" ] || continue
  for f in "$d"/*.pc; do
    [ -e "$f" ] && [ "$(basename "$f")" != cmocka.pc ] && ln -sf "$f" "$tmp/pc/" 2>/dev/null
  done
done
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if PKG_CONFIG_LIBDIR="$tmp/pc" cmake -S "$SRC" -B "$tmp/on" "${gen[@]}" -DSW_TESTS=ON >"$tmp/on.log" 2>&1; then
  echo "FAIL: configured with SW_TESTS=ON although cmocka is missing (the unit tests would vanish)"
  exit 1
fi
if ! grep -q "cmocka" "$tmp/on.log"; then
  echo "FAIL: the configure error does not name cmocka:"; tail -20 "$tmp/on.log"; exit 1
fi
if ! PKG_CONFIG_LIBDIR="$tmp/pc" cmake -S "$SRC" -B "$tmp/off" "${gen[@]}" -DSW_TESTS=OFF >"$tmp/off.log" 2>&1; then
  echo "FAIL: SW_TESTS=OFF does not configure without cmocka (make run would break):"; tail -20 "$tmp/off.log"; exit 1
fi
echo "ok: without cmocka SW_TESTS=ON is a configure error naming cmocka, SW_TESTS=OFF configures"
