#!/usr/bin/env bash
# workerd with V8 flags: Miniflare runs this in workerd's place (MINIFLARE_WORKERD_PATH) and sends
# it workerd's config on stdin. The config is given $LINTEL_WORKERD_V8_FLAGS (separated by spaces)
# and handed to $LINTEL_WORKERD, which then replaces this shell: Miniflare's signals reach workerd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
config=$(mktemp)
# shellcheck disable=SC2086 # the flags are words
node "$here/../../bin/run-ts.mjs" "$here/v8-flags.ts" $LINTEL_WORKERD_V8_FLAGS >"$config"
exec 0<"$config"
rm -f "$config"
exec "$LINTEL_WORKERD" "$@"
