#!/bin/sh
# quell demo runbook: grow a service's data volume online, simulated.
# usage: expand-volume.sh SERVICE PERCENT
set -eu
svc="${1:?usage: expand-volume.sh SERVICE PERCENT}"
pct="${2:?usage: expand-volume.sh SERVICE PERCENT}"
echo "expanding the data volume of $svc by $pct% (demo: nothing is touched)"
sleep 0.5
echo "  resized the block device"
sleep 0.5
echo "  grew the filesystem online"
echo "free space on $svc: 38%"
