#!/bin/bash
# host_no_dispatch: the dispatcher <-> host-services cycle stays cut. The host services
# (src/plugins/sw_host*.c) and the per-call context (sw_call_ctx.[ch]) see only
# plugins/sw_call_ctx.h; only the dispatcher side includes plugins/sw_dispatch.h.
# Usage: host_no_dispatch.sh <repo root>; exits 1 naming each offending include.
root=${1:?usage: host_no_dispatch.sh <repo root>}
bad=$(grep -Hn '#include *"plugins/sw_dispatch.h"' "$root"/src/plugins/sw_host*.c "$root"/src/plugins/sw_call_ctx.[ch])
if [ -n "$bad" ]; then
    echo "host side includes the dispatcher (use plugins/sw_call_ctx.h):"
    echo "$bad"
    exit 1
fi
n=$(ls "$root"/src/plugins/sw_host*.c | wc -l)
[ "$n" -ge 3 ] || { echo "expected sw_host.c, sw_host_notes.c, sw_host_token.c; found $n"; exit 1; }
echo "host side: $n files, none includes plugins/sw_dispatch.h"
