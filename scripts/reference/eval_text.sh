#!/usr/bin/env bash
# Builds the evaluation text for perplexity and teacher-forced agreement checks.
#
# The text is the concatenation of license texts Debian installs on every system
# (/usr/share/common-licenses, package base-files), in the fixed order below, each followed
# by one empty line. Files missing on a machine are skipped and named on stderr. The text
# is not committed: reference data records its byte size and sha256 so a test can tell
# whether it is scoring the same text (about 136 KB; ~31k SmolLM2 tokens).
#
# Usage: scripts/reference/eval_text.sh [OUT]     (default OUT: $TMPDIR/bita-eval-text.txt)
# Prints OUT on stdout; size and sha256 on stderr.
set -euo pipefail
OUT="${1:-${TMPDIR:-/tmp}/bita-eval-text.txt}"
DIR=/usr/share/common-licenses
FILES=(GPL-3 GPL-2 LGPL-2.1 LGPL-3 Apache-2.0 MPL-2.0 Artistic BSD CC0-1.0 GFDL-1.3)
: > "$OUT"
used=()
for f in "${FILES[@]}"; do
  if [ -f "$DIR/$f" ]; then
    cat "$DIR/$f" >> "$OUT"
    printf '\n' >> "$OUT"
    used+=("$f")
  else
    echo "eval_text: $DIR/$f missing, skipped" >&2
  fi
done
if [ "${#used[@]}" -eq 0 ]; then
  echo "eval_text: no license texts found in $DIR (is base-files installed?)" >&2
  exit 1
fi
echo "eval_text: ${used[*]} -> $OUT ($(wc -c < "$OUT") bytes, sha256 $(sha256sum "$OUT" | cut -d' ' -f1))" >&2
echo "$OUT"
