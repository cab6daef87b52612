#!/bin/sh
# quell demo runbook: clear evicted keys and warm the cache, simulated.
# usage: flush-redis.sh SERVICE
set -eu
svc="${1:?usage: flush-redis.sh SERVICE}"
echo "scanning $svc for evicted-key tombstones (demo: nothing is touched)"
for n in 1200 5400 9100; do
  sleep 0.4
  echo "  cleared $n keys"
done
echo "warming the hot set from the primary store"
sleep 0.6
echo "done: hit ratio back to 0.97"
