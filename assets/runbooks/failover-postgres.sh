#!/bin/sh
# quell demo runbook: promote the standby database, simulated.
# usage: failover-postgres.sh SERVICE
set -eu
svc="${1:?usage: failover-postgres.sh SERVICE}"
echo "checking replication lag of $svc-standby"
sleep 0.5
echo "  lag 0.2 s: safe to promote"
sleep 0.5
echo "promoting $svc-standby (demo: nothing is touched)"
sleep 1
echo "$svc-standby is the new primary; old primary fenced"
