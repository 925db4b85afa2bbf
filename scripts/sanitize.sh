#!/usr/bin/env bash
# Runs tests under AddressSanitizer and ThreadSanitizer, and checks a scripted 20-turn chat for
# leaks, all at nice 19 with their own build directories (.build-asan, .build-tsan, .build-valgrind).
#
# Usage: scripts/sanitize.sh [asan] [tsan] [leaks]      (default: all three)
# Environment:
#   ASAN_FILTER / TSAN_FILTER   swift test --filter regex (defaults below, see docs/RELIABILITY.md)
#   TSAN_STRICT=0               list ThreadSanitizer reports without failing (default: any report fails)
#   LEAK_TOOL=valgrind|lsan|both   what checks the chat session (default both)
#   BITA_STORIES_MODEL          stories260K.gguf (default ../shared/models/stories260K.gguf)
#
# Release builds with -enable-testing: the forward pass at -Onone would make the model tests
# take hours under a sanitizer, and the optimiser is where unsafe-pointer mistakes show up.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stories=${BITA_STORIES_MODEL:-$root/../shared/models/stories260K.gguf}
export BITA_REPO=$root BITA_STORIES_MODEL=$stories
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(asan tsan leaks)
flags=(-c release -Xswiftc -enable-testing -Xswiftc -g)

# AddressSanitizer: every suite except measurements (speed, cost and benchmark tests time code
# and would only measure the sanitizer), the tmux end-to-end tests (they drive the normal
# release binary in a terminal), and the long model evaluations (llama.cpp agreement,
# perplexity command, adapter training runs: minutes of SmolLM2 forward passes whose code paths the
# forward-pass, kernel, lossless-decoding and tokenizer suites already cover; LosslessBenchPromptsTests
# is 72 SmolLM2 prompts three times over, LosslessDecodingTests runs the same decoder paths).
ASAN_EXCLUDED='TokenizerSpeedTests|KernelBenchmarkTests|InspectorCostTests|TmuxEndToEndTests|LlamaCppAgreementTests|PerplexityCommandTests|TuningRunTests|LosslessBenchPromptsTests'
ASAN_FILTER=${ASAN_FILTER:-"^(InferenceTests|TUITests|BiTAChatTests)\\.(?!($ASAN_EXCLUDED)([/(]|$))"}
# ThreadSanitizer: everything that runs tasks, streams and threads: the start/cancel storm, the
# thread pool, decoding on two threads, the chat controller, transcripts (atomic writes).
TSAN_FILTER=${TSAN_FILTER:-'StressStartCancelTests|ThreadPoolTests|LosslessDecodingTests|ChatControllerTests|TranscriptTests|FuzzRegressionTests'}

export LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0"

status=0
run_tests() {  # name sanitizer scratch filter
  local name=$1 sanitizer=$2 scratch=$3 filter=$4
  echo "== $name: building tests with --sanitize=$sanitizer into $scratch"
  nice -n 19 swift build "${flags[@]}" --sanitize="$sanitizer" --scratch-path "$scratch" --build-tests 2>&1 \
    | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
  echo "== $name: swift test --filter '$filter'"
  local log=$scratch/sanitize-$name.log
  set +e
  BITA_CHAT_BIN=$scratch/release/bita-chat nice -n 19 swift test "${flags[@]}" --sanitize="$sanitizer" \
    --scratch-path "$scratch" --skip-build --filter "$filter" >"$log" 2>&1
  local rc=$?
  set -e
  grep -E "^(ERROR: |WARNING: ThreadSanitizer|SUMMARY: )" "$log" | sort | uniq -c | head -20 || true
  grep -E "Test run with|Executed [0-9]+ tests" "$log" | tail -2 || true
  local failed=0
  [ $rc -ne 0 ] && failed=1
  grep -qE "^==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)" "$log" && failed=1
  if grep -q "WARNING: ThreadSanitizer" "$log"; then
    # Every lock in the project is a pthread mutex (Locked), which TSan sees, so a report is a
    # real race. (Synchronization.Mutex is invisible to TSan with this toolchain: do not use it.)
    # Listed by the first frame of the racing access.
    echo "   ThreadSanitizer reports by location (first frame of each access):"
    grep -A2 -E "^  (Read|Write|Previous (read|write)|Atomic)" "$log" | grep -E "^    #0 " \
      | sed -E 's/^    #0 ([^ ]+) ([^ ]+).*/\2/' | sort | uniq -c | sort -rn | head -20
    [ "${TSAN_STRICT:-1}" = 1 ] && failed=1
  fi
  if [ $failed -ne 0 ]; then
    echo "== $name: FAILED (exit $rc), see $log"; status=1
  else
    echo "== $name: tests passed, see $log"
  fi
}

chat_script() {  # 20 user turns for plain mode
  for i in $(seq 1 20); do echo "Tell me story number $i about a cat and a dog."; done
}

leaks() {
  local tool=${LEAK_TOOL:-both}
  [ -f "$stories" ] || { echo "== leaks: $stories absent, skipped"; return; }
  if [ "$tool" = lsan ] || [ "$tool" = both ]; then
    local bin=$root/.build-asan/release/bita-chat
    if [ ! -x "$bin" ]; then
      nice -n 19 swift build "${flags[@]}" --sanitize=address --scratch-path "$root/.build-asan" --product bita-chat 2>&1 \
        | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
    fi
    local dir; dir=$(mktemp -d)
    echo "== leaks (LeakSanitizer): 20-turn plain chat with $bin"
    set +e
    chat_script | ASAN_OPTIONS=detect_leaks=1 nice -n 19 "$bin" chat --model "$stories" --max-tokens 32 \
      --transcript-dir "$dir" >"$dir/out.txt" 2>"$dir/err.txt"
    local rc=$?
    set -e
    # Answers may span lines: count them in the autosaved transcript.
    local answers; answers=$(cat "$dir"/*.json 2>/dev/null | grep -o '"role":"assistant"' | wc -l)
    echo "   exit $rc, $answers answers saved; $(grep -c 'SUMMARY: AddressSanitizer' "$dir/err.txt" || true) leak reports"
    grep -E "SUMMARY: AddressSanitizer|Direct leak|Indirect leak" "$dir/err.txt" | head -10 || true
    if [ $rc -ne 0 ] || [ "$answers" -ne 20 ]; then echo "== leaks (lsan): FAILED, see $dir/err.txt"; status=1; fi
  fi
  if [ "$tool" = valgrind ] || [ "$tool" = both ]; then
    command -v valgrind >/dev/null || bash scripts/install-deps.sh valgrind
    # Valgrind does not decode AVX-512: a build for plain x86-64 (no -target-cpu), in its own
    # directory; the C kernels pick their code path from CPUID, which valgrind reports honestly.
    # Debug info as DWARF 4: valgrind 3.19 gives up on the toolchain's default DWARF 5.
    local bin=$root/.build-valgrind/release/bita-chat
    nice -n 19 swift build -c release -Xswiftc -g -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 \
      --scratch-path "$root/.build-valgrind" --product bita-chat 2>&1 \
      | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
    local dir; dir=$(mktemp -d)
    echo "== leaks (valgrind --leak-check=full): 20-turn plain chat with $bin"
    set +e
    chat_script | nice -n 19 valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
      --log-file="$dir/valgrind.txt" "$bin" chat --model "$stories" --max-tokens 32 --threads 1 \
      --transcript-dir "$dir/sessions" >"$dir/out.txt" 2>"$dir/err.txt"
    local rc=$?
    set -e
    grep -E "definitely lost|indirectly lost|possibly lost|still reachable|ERROR SUMMARY" "$dir/valgrind.txt" | sed 's/^==[0-9]*== /   /' || true
    if ! grep -q "ERROR SUMMARY" "$dir/valgrind.txt"; then
      echo "   valgrind did not finish its run:"; tail -5 "$dir/valgrind.txt"; rc=1
    fi
    echo "   exit $rc, $(cat "$dir"/sessions/*.json 2>/dev/null | grep -o '"role":"assistant"' | wc -l) answers saved; full report: $dir/valgrind.txt"
    if [ $rc -ne 0 ]; then echo "== leaks (valgrind): FAILED"; status=1; fi
  fi
}

for s in "${stages[@]}"; do
  case $s in
    asan) run_tests asan address "$root/.build-asan" "$ASAN_FILTER" ;;
    tsan) run_tests tsan thread "$root/.build-tsan" "$TSAN_FILTER" ;;
    leaks) leaks ;;
    *) echo "unknown stage $s (asan, tsan, leaks)" >&2; exit 2 ;;
  esac
done
exit $status
