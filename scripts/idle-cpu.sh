#!/usr/bin/env bash
# Measures quell's CPU use in a real terminal (tmux): once on a static screen
# (demo world slowed so nothing changes) and once with the demo running at its
# default speed. Prints CPU% = (utime+stime) / wall time over the window.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/quell}
secs=${SECS:-30}
home=$(mktemp -d)
measure() {
  local label=$1; shift
  local sock="quell-idle-$$-$RANDOM"
  tmux -L "$sock" new-session -d -x 120 -y 40 "env HOME=$home XDG_CONFIG_HOME=$home/.config $bin $*"
  sleep 5
  local pid; pid=$(pgrep -n -f "$bin $*")
  local hz; hz=$(getconf CLK_TCK)
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  sleep "$secs"
  read -r u2 s2 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  tmux -L "$sock" kill-server
  awk -v a=$((u2 + s2 - u1 - s1)) -v hz="$hz" -v t="$secs" -v l="$label" -v r="$rss" \
    'BEGIN { printf "%s: %.2f%% CPU over %ds, RSS %d MiB\n", l, 100 * a / hz / t, t, r / 1024 }'
}
measure "static screen (demo at --speed 0.001)" --demo --speed 0.001
measure "live demo (15 simulated s per s, a new view every second)" --demo
rm -rf "$home"
