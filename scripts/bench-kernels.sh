#!/usr/bin/env bash
# Kernel microbenchmark: one decode step of SmolLM2-135M's matrix shapes (synthetic Q4_1 layers
# + Q8_0 head) for n = 1..64 columns with 1 and 2 threads, a 512-token prefill (int8 vs
# OpenBLAS sgemm), and the activation-scale error comparison. Release build, this machine's
# target CPU. Environment knobs: see Tests/InferenceTests/KernelBenchmarkTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
CPU=$(bash scripts/cpu-target.sh)
FLAGS=(-c release -Xswiftc -target-cpu -Xswiftc "$CPU" -Xswiftc -enable-testing)
swift build "${FLAGS[@]}" --build-tests
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  (numbers are only meaningful on a quiet machine)"
BITA_BENCH=1 swift test "${FLAGS[@]}" --skip-build --filter "${BITA_BENCH_FILTER:-KernelBenchmarkTests}" 2>&1 \
  | grep -vE "^(◇|↳|\[|Test Suite|\s*Executed)" || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
