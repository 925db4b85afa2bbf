#!/usr/bin/env bash
# `make bench`: the benchmark suite, one run, one table.
#
# Runs llama.cpp (through llama-cpp-python in the peer venv) on prompts/bench.jsonl and prints
# its table: decode tokens/s per category and overall (1 and 2 threads), 512-token prefill
# speed and the cost curve cost(n)/cost(1). Results: bench/results/llamacpp.json.
#
# Environment: BITA_PEER_VENV (default ~/.cache/bita-chat/peer-venv), BITA_MODEL (default
# models/SmolLM2-135M-Instruct.Q4_1.gguf), BENCH_ARGS (extra arguments for the peer script,
# e.g. BENCH_ARGS="--limit 6 --max-tokens 64" for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BITA_PEER_VENV:-$HOME/.cache/bita-chat/peer-venv}"
PY="$VENV/bin/python"
MODEL="${BITA_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}"
RESULTS=bench/results
mkdir -p "$RESULTS"

if [ ! -x "$PY" ] || ! "$PY" -c 'import llama_cpp' 2>/dev/null; then
  echo "bench: the llama.cpp peer is not installed (no llama_cpp in $VENV)." >&2
  echo "bench: run 'make peer' (builds llama-cpp-python, ~10 minutes) and try again." >&2
  exit 1
fi
if [ ! -f "$MODEL" ]; then
  echo "bench: model $MODEL not found; run 'make model' or set BITA_MODEL." >&2
  exit 1
fi

echo "== llama.cpp (peer) =="
# shellcheck disable=SC2086  # BENCH_ARGS is a list of arguments on purpose
"$PY" scripts/peer/bench_llamacpp.py --model "$MODEL" --out "$RESULTS/llamacpp.json" ${BENCH_ARGS:-}

# ---------------------------------------------------------------------------------------------
# OUR ENGINE GOES HERE: run `bita-chat bench --json` on the same prompts and settings
# (first turn, same system prompts, same --max-tokens, threads 1 and 2) into
# "$RESULTS/bita-chat.json", then merge both JSON files into one table (llama.cpp AR, our AR,
# our BiTA; tokens/s per category and overall, tau, ratios, cost curves) and chart.
# ---------------------------------------------------------------------------------------------
