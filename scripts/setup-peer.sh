#!/usr/bin/env bash
# Builds the reference peer (llama.cpp through llama-cpp-python) into a venv outside the repo.
# Only benchmarks and reference-data scripts need it; the test suite never does.
# Usage: scripts/setup-peer.sh            (venv at $BITA_PEER_VENV or ~/.cache/bita-chat/peer-venv)
set -euo pipefail
VENV="${BITA_PEER_VENV:-$HOME/.cache/bita-chat/peer-venv}"
VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
# AMX tile instructions are compiled out: some virtual machines report AMX in CPUID but fault
# on `tileloadd` (SIGILL in llama.cpp's quantized matmul). The stamp file records the build
# flavour so that a venv built with other flags is rebuilt.
FLAVOUR="llama-cpp-python==$VERSION native no-amx"
STAMP="$VENV/.bita-peer-build"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null \
   && [ "$(cat "$STAMP" 2>/dev/null)" = "$FLAVOUR" ]; then
  echo "peer ready: $VENV ($("$VENV/bin/python" -c 'import llama_cpp; print(llama_cpp.__version__)'))"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
echo "building llama-cpp-python $VERSION (compiles llama.cpp: ~10 minutes on 2 cores)"
CMAKE_ARGS="-DGGML_NATIVE=ON" CFLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" \
  CXXFLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" \
  "$VENV/bin/pip" install -q --no-cache-dir --force-reinstall "llama-cpp-python==$VERSION" numpy
echo "$FLAVOUR" > "$STAMP"
"$VENV/bin/python" -c 'import llama_cpp; print("peer ready:", llama_cpp.__version__)'
