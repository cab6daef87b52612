#!/usr/bin/env bash
# Installs what quell's tests need on a fresh Debian machine, then runs every
# check CI runs: formatting, clippy (warnings are errors) and all tests.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v tmux >/dev/null 2>&1 || need_pkgs+=(tmux)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "==> installing ${need_pkgs[*]} (apt)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# A cold build plus the test servers need about 4 GiB; say so up front instead
# of failing half-way through an unpack with "No space left on device".
avail_kib=$(df -Pk . | awk 'NR==2 {print $4}')
if [ -n "$avail_kib" ] && [ "$avail_kib" -lt $((4 * 1024 * 1024)) ]; then
  echo "error: only $((avail_kib / 1024)) MiB free on $(df -P . | awk 'NR==2 {print $6}'); the build and tests need about 4 GiB" >&2
  exit 1
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

scripts/fetch-test-servers.sh # real Prometheus/Alertmanager/VictoriaMetrics for tests/backends_*.rs
echo "==> cargo test"
cargo test --locked
