#!/usr/bin/env bash
# Prints the path of the small test model stories260K.gguf, which lives in the shared folder
# beside the project's checkout (../shared/models), not in this repository. Looks, in order:
# $BITA_STORIES_MODEL; ../shared/models beside this checkout; for a clone of a local checkout
# (e.g. a fresh clone in a temporary directory), ../shared/models beside the checkout it was
# cloned from. Prints nothing if none exists; `make test` then passes the first location, and
# the tests that need the model fail on the missing file (they do not skip).
set -u
cd "$(dirname "$0")/.."
candidates=()
[ -n "${BITA_STORIES_MODEL:-}" ] && candidates+=("$BITA_STORIES_MODEL")
candidates+=("$PWD/../shared/models/stories260K.gguf")
origin=$(git config --get remote.origin.url 2>/dev/null || true)
origin=${origin#file://}
if [ -n "$origin" ] && [ -d "$origin" ]; then
  candidates+=("$(cd "$origin" && pwd)/../shared/models/stories260K.gguf")
fi
for c in "${candidates[@]}"; do
  if [ -f "$c" ]; then echo "$c"; exit 0; fi
done
exit 0
