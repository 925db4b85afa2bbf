#!/usr/bin/env bash
# `make bench`: the benchmark suite, one run, one table.
#
# Runs llama.cpp (through llama-cpp-python in the peer venv) and bita-chat (AR and BiTA) on
# prompts/bench.jsonl, 1 thread then 2 (each side in turn per thread count), and prints one
# table: decode tokens/s per category and overall, tau, ratios, 512-token prefill speed and
# the cost curves cost(n)/cost(1). Results: bench/results/{llamacpp-t1,llamacpp-t2,llamacpp (the
# two merged),bita-chat-t1,bita-chat-t2,summary}.json, table.txt and bench.svg.
#
# Environment: BITA_PEER_VENV (default ~/.cache/bita-chat/peer-venv), BITA_MODEL (default
# models/SmolLM2-135M-Instruct.Q4_1.gguf), BENCH_ARGS (extra arguments for the peer script,
# e.g. BENCH_ARGS="--limit 6 --max-tokens 64" for a quick run), OURS_ARGS (the same for
# bita-chat bench, e.g. OURS_ARGS="--limit 6 --max-tokens 64"), BITA_CHAT_BIN.
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

BIN="${BITA_CHAT_BIN:-.build/release/bita-chat}"
if [ ! -x "$BIN" ]; then
  echo "bench: $BIN not found; run 'make release' first." >&2
  exit 1
fi
# Same prompts, first turns, greedy, same --max-tokens. Per thread count, llama.cpp and then
# ours right after it: this machine's speed drifts by up to 1.5x within an hour, and running all
# of llama.cpp first put ~16 minutes between the two sides of a ratio (now ~8).
for t in 1 2; do
  echo "== llama.cpp (peer), $t thread(s) =="
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of arguments on purpose
  "$PY" scripts/peer/bench_llamacpp.py --model "$MODEL" --threads "$t" --out "$RESULTS/llamacpp-t$t.json" ${BENCH_ARGS:-}
  echo "== bita-chat, $t thread(s) =="
  # shellcheck disable=SC2086
  "$BIN" bench --model "$MODEL" --threads "$t" --json ${OURS_ARGS:-} > "$RESULTS/bita-chat-t$t.json"
done
python3 scripts/bench_report.py --results "$RESULTS" --peer llamacpp-t1.json --peer llamacpp-t2.json \
  | tee "$RESULTS/table.txt"
