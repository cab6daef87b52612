#!/bin/sh
# quell demo runbook: renew a service's TLS certificate, simulated.
# usage: renew-cert.sh SERVICE
set -eu
svc="${1:?usage: renew-cert.sh SERVICE}"
echo "requesting a new certificate for $svc.internal (demo: nothing is touched)"
sleep 0.6
echo "  order validated"
sleep 0.4
echo "  installed; expires in 90 days"
