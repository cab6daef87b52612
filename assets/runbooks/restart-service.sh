#!/bin/sh
# quell demo runbook: a rolling restart of a service's pods, simulated.
# It prints what a real one would do and touches nothing.
# usage: restart-service.sh --service NAME   (env NAMESPACE)
set -eu
[ "${1:-}" = "--service" ] || { echo "usage: $0 --service NAME" >&2; exit 2; }
svc="$2"
echo "rolling restart of deployment/$svc in namespace ${NAMESPACE:-default} (demo: nothing is touched)"
for i in 1 2 3; do
  sleep 0.5
  echo "  pod $svc-$i: terminating"
  sleep 0.5
  echo "  pod $svc-$i: running, ready 1/1"
done
echo "deployment/$svc: 3/3 pods ready"
