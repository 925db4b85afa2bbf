#!/usr/bin/env bash
# Time from launch to a usable chat screen (status bar says "ready": model loaded, input open)
# and the chat's resident memory, measured through tmux like a person would see it.
# Usage: scripts/measure-launch.sh [runs] (default 3). Needs tmux and a release build.
set -u
cd "$(dirname "$0")/.."
BIN="${BITA_CHAT_BIN:-$PWD/.build/release/bita-chat}"
runs="${1:-3}"
dir=$(mktemp -d)
trap 'tmux kill-session -t bita-launch 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 "$runs"); do
  tmux kill-session -t bita-launch 2>/dev/null
  t0=$(date +%s%N)
  tmux new-session -d -s bita-launch -x 110 -y 36 "$BIN --transcript-dir $dir"
  until tmux capture-pane -p -t bita-launch | grep -q "ready"; do sleep 0.01; done
  t1=$(date +%s%N)
  pid=$(pgrep -n -x bita-chat)
  peak_load=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  tmux send-keys -t bita-launch "Write a short story about a lighthouse keeper." Enter
  sleep 8
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  echo "launch to ready: $(( (t1 - t0) / 1000000 )) ms; resident after loading peak ${peak_load} kB;" \
       "after an answer ${rss} kB (peak ${peak} kB)"
  tmux send-keys -t bita-launch C-d
  sleep 1
done
