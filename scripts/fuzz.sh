#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/<Name>/, harnesses in Sources/FuzzTargets/) with
# -sanitize=fuzzer,address into .build-fuzz/ and runs each for FUZZ_SECONDS, at nice 19.
#
# Usage: scripts/fuzz.sh [target ...]    targets: gguf adapter tokenizer transcript chat-template
#                                         (default: all, one after another)
# Environment:
#   FUZZ_SECONDS   run time per target (default 300)
#   FUZZ_ARGS      extra libFuzzer flags (e.g. "-jobs=2 -workers=2")
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 60)
#   FUZZ_BUILD=0   reuse the built fuzzers
#   BITA_STORIES_MODEL  stories260K.gguf (default ../shared/models/stories260K.gguf)
#
# Per target: the working corpus is .build-fuzz/corpus/<target>/ (seeded from Fuzz/corpus/,
# Tests/Data/fuzz/ and the model files; it grows across runs), crashing inputs land in
# .build-fuzz/artifacts/<target>/, the log in .build-fuzz/logs/<target>.log. A summary table gives
# executions, libFuzzer's coverage counters (cov: edges, ft: features) and crashes.
# A crash: reproduce with `.build-fuzz/release/Fuzz<Name> <input>`, fix, and commit the input
# under Tests/Data/fuzz/<target>/ so FuzzRegressionTests replays it in `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$root/.build-fuzz
seconds=${FUZZ_SECONDS:-300}
stories=${BITA_STORIES_MODEL:-$root/../shared/models/stories260K.gguf}
smollm=$root/models/SmolLM2-135M-Instruct.Q4_1.gguf
export BITA_REPO=$root BITA_STORIES_MODEL=$stories
# Swift's crash backtracer reads memory that ASan reports as a second crash; libFuzzer's own
# report (and the saved input) are what count.
export SWIFT_BACKTRACE=enable=no

declare -A product=([gguf]=FuzzGGUFReader [adapter]=FuzzAdapterReader [tokenizer]=FuzzTokenizer
                    [transcript]=FuzzTranscript [chat-template]=FuzzChatTemplate)
order=(gguf adapter tokenizer transcript chat-template)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${order[@]}")
for t in "${targets[@]}"; do
  [ -n "${product[$t]:-}" ] || { echo "unknown fuzz target '$t' (known: ${order[*]})" >&2; exit 2; }
done

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
  for t in "${targets[@]}"; do
    echo "building ${product[$t]} (-sanitize=fuzzer,address, release) into .build-fuzz"
    BITA_FUZZ=1 nice -n 19 swift build -c release --scratch-path "$scratch" --product "${product[$t]}" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -g -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld 2>&1 | grep -v '^\[' || true
    [ -x "$scratch/release/${product[$t]}" ] || { echo "build of ${product[$t]} failed" >&2; exit 1; }
  done
fi

mkdir -p "$scratch/logs"
summary=()
crashed=0
for t in "${targets[@]}"; do
  corpus=$scratch/corpus/$t
  artifacts=$scratch/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  for d in "$root/Fuzz/corpus/$t" "$root/Tests/Data/fuzz/$t"; do
    [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp -n {} "$corpus/" \;
  done
  for m in "$stories" "$smollm"; do
    [ -f "$m" ] && python3 "$root/Fuzz/make-seeds.py" model "$m" "$scratch/corpus-model" >/dev/null
  done
  [ -d "$scratch/corpus-model/$t" ] && cp -n "$scratch/corpus-model/$t"/* "$corpus/" 2>/dev/null || true
  dict=()
  [ -f "$root/Fuzz/$t.dict" ] && dict=("-dict=$root/Fuzz/$t.dict")
  log=$scratch/logs/$t.log
  echo "fuzzing $t for ${seconds}s (corpus $(ls "$corpus" | wc -l) files) -> $log"
  before=$(ls "$artifacts" | wc -l)
  set +e
  # Leak checks stay on. -timeout flags a single input that takes over FUZZ_TIMEOUT seconds
  # (default 60: at nice 19 on a busy machine, ASan runs of ordinary inputs took over 10 s).
  nice -n 19 "$scratch/release/${product[$t]}" "$corpus" "${dict[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-60}" -rss_limit_mb=4096 \
    ${FUZZ_ARGS:-} >"$log" 2>&1
  status=$?
  set -e
  after=$(ls "$artifacts" | wc -l)
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | tail -1 | awk '{print $2}' || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  new=$((after - before))
  if [ "$status" -ne 0 ] || [ "$new" -gt 0 ]; then crashed=1; fi
  summary+=("$(printf '%-14s %6ss %12s %8s %7s %7s %12s %s' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$([ "$status" -eq 0 ] && [ "$new" -eq 0 ] && echo ok || echo "CRASH (exit $status, $new new in $artifacts)")")")
done

echo
printf '%-14s %7s %12s %8s %7s %7s %12s %s\n' target time execs exec/s cov ft corpus result
printf '%s\n' "${summary[@]}"
exit $crashed
