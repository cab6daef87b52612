#!/bin/sh
# quell demo runbook: roll a service back to its previous version, simulated.
# usage: rollback-deploy.sh [--dry-run] SERVICE
set -eu
dry=0
if [ "${1:-}" = "--dry-run" ]; then dry=1; shift; fi
svc="${1:?usage: rollback-deploy.sh [--dry-run] SERVICE}"
echo "current revision of $svc: 42 (deployed 12 min ago); previous: 41"
sleep 0.5
if [ "$dry" = 1 ]; then
  echo "dry run: would roll $svc back from revision 42 to 41"
  exit 0
fi
echo "rolling $svc back to revision 41 (demo: nothing is touched)"
for pct in 25 50 75 100; do
  sleep 0.5
  echo "  $pct% of pods on revision 41"
done
echo "rollback of $svc complete"
