#!/usr/bin/env bash
# workerd under valgrind's callgrind, which counts the instructions it runs: Miniflare runs this in
# workerd's place (MINIFLARE_WORKERD_PATH). The process id (the same after exec) goes to
# $LINTEL_CALLGRIND_PIDS, and callgrind's dumps to $LINTEL_CALLGRIND_DIR/callgrind.<pid>.<n>.
set -euo pipefail
echo $$ >>"$LINTEL_CALLGRIND_PIDS"
exec valgrind --tool=callgrind --smc-check=all-non-file --error-limit=no -q \
  --callgrind-out-file="$LINTEL_CALLGRIND_DIR/callgrind.%p" "$LINTEL_WORKERD" "$@"
