#!/usr/bin/env python3
"""Re-scores `quell eval rca --out PRED` independently of quell.

Reads one JSON object per line (fields: system, day, kind, truth, ranked =
[{service, score}, ...] best first) and prints, as JSON, AC@1..AC@5 (the
share of faults whose true service is among the top k) and Avg@5 (their
mean) overall, per system, per day and per fault type, and protocol B's
detection rate and AC@1/AC@3 of the incidents quell opened on its own
(fields detected, opened) with the median time to the incident's first showing
(field shown_after_ms). Standard library only.
"""
import json
import sys


def accuracy(rows):
    hits = [0] * 5
    for r in rows:
        names = [x["service"] for x in r.get("ranked", [])]
        if r["truth"] in names[:5]:
            for k in range(names.index(r["truth"]), 5):
                hits[k] += 1
    n = len(rows)
    ac = [h / n if n else 0.0 for h in hits]
    return {"faults": n, "ac": ac, "avg5": sum(ac) / 5}


def end_to_end(rows):
    """Protocol B per fault: detected, and the opened incident's top causes."""
    n = len(rows)

    def within(r, k):
        return r["truth"] in [x["service"] for x in r.get("opened", [])[:k]]

    def share(m):
        return m / n if n else 0.0

    shown = sorted(r["shown_after_ms"] for r in rows
                   if r.get("detected") and r.get("shown_after_ms") is not None)
    m = len(shown)
    median = None
    if m:
        median = (shown[m // 2] if m % 2 else (shown[m // 2 - 1] + shown[m // 2]) / 2) / 1000
    return {
        "faults": n,
        "detection": share(sum(1 for r in rows if r.get("detected"))),
        "ac1": share(sum(1 for r in rows if within(r, 1))),
        "ac3": share(sum(1 for r in rows if within(r, 3))),
        "median_shown_s": median,
    }


def grouped(rows, key):
    groups = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return {k: accuracy(v) for k, v in sorted(groups.items())}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: score-rca.py PRED")
    with open(sys.argv[1], encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    print(json.dumps({
        "overall": accuracy(rows),
        "by_system": grouped(rows, "system"),
        "by_day": grouped(rows, "day"),
        "by_kind": grouped(rows, "kind"),
        "end_to_end": end_to_end(rows),
    }, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
