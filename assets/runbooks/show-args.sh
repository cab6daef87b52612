#!/bin/sh
# quell example runbook: prints each argument it received on its own line,
# quoted, so you can see that every placeholder arrives as exactly one
# argument, shell syntax and all, and that nothing else ran.
echo "received $# argument(s):"
i=1
for a in "$@"; do
  printf '  [%d] <%s>\n' "$i" "$a"
  i=$((i + 1))
done
