#!/usr/bin/env python3
"""Independent check of `quell eval nab --out RESULTS`: scores the written
NAB results files (RESULTS/quell/<category>/quell_<file>.csv, columns
timestamp,value,anomaly_score,label) against labels/combined_windows.json
with NAB's rules, using nothing from quell but those files (standard
library only).

    scripts/score-nab.py ../shared/data/nab RESULTS [THRESHOLD]

Rules (NAB whitepaper, scorer/sweeper): the first min(floor(0.15 n), 750)
rows are probation; a detection is a row with anomaly_score >= threshold;
each window scores its earliest detection A_TP * s(pos) / s(-1), with
pos = -(right - i + 1) / width and s(x) = 2 / (1 + e^(5x)) - 1, or -A_FN
without one; a detection outside windows costs A_FP * s(|i - prev_right| /
(prev_width - 1)), or -A_FP before any window. Normalized score =
100 (raw - null) / (perfect - null). The tuned threshold is the one with
the best corpus-wide raw score over every distinct anomaly score.
"""
import csv
import json
import math
import sys
from pathlib import Path

PROFILES = {
    "standard": (1.0, 0.11, 1.0),
    "reward_low_FP_rate": (1.0, 0.22, 1.0),
    "reward_low_FN_rate": (1.0, 0.11, 2.0),
}


def sigmoid(x):
    if x >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def load(nab, results):
    labels = json.loads((nab / "labels" / "combined_windows.json").read_text())
    files = []
    for name, windows in sorted(labels.items()):
        category, file = name.split("/")
        path = results / "quell" / category / f"quell_{file}"
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        stamps = [r["timestamp"] for r in rows]
        index = {t: i for i, t in enumerate(stamps)}
        spans = []
        for start, end in windows:
            left = index[start.split(".")[0]]
            right = index[end.split(".")[0]]
            spans.append((left, right))
        scores = [float(r["anomaly_score"]) for r in rows]
        files.append((name, scores, sorted(spans)))
    return files


def places(scores, spans):
    """(score, ('in', window, unit) | ('out', unit)) for each scorable row."""
    n = len(scores)
    probation = min(math.floor(0.15 * n), 750)
    out = []
    counted = set()
    prev = None
    w = 0
    for i, s in enumerate(scores):
        while w < len(spans) and spans[w][1] < i:
            prev = spans[w]
            w += 1
        if w < len(spans) and spans[w][0] <= i:
            left, right = spans[w]
            width = right - left + 1
            unit = sigmoid(-(right - i + 1) / width) / sigmoid(-1.0)
            place = ("in", w, unit)
        elif prev is None:
            place = ("out", -1.0)
        else:
            denom = prev[1] - prev[0]
            place = ("out", sigmoid(abs(i - prev[1]) / denom) if denom > 0 else -1.0)
        if i >= probation:
            out.append((s, place))
            if place[0] == "in":
                counted.add(place[1])
    return out, counted


def raw_score(prepared, threshold, profile):
    a_tp, a_fp, a_fn = profile
    total = 0.0
    windows = 0
    for rows, counted in prepared:
        first = {}
        for s, place in rows:
            if s < threshold:
                continue
            if place[0] == "in":
                first.setdefault(place[1], place[2])  # rows are in time order
            else:
                total += a_fp * place[1]
        for w in counted:
            windows += 1
            total += max(a_tp * first[w], -a_fn) if w in first else -a_fn
    return total, windows


def normalized(raw, windows, profile):
    a_tp, _, a_fn = profile
    null, perfect = -a_fn * windows, a_tp * windows
    return 100.0 * (raw - null) / (perfect - null)


def main():
    nab, results = Path(sys.argv[1]), Path(sys.argv[2])
    fixed = float(sys.argv[3]) if len(sys.argv) > 3 else 0.55
    prepared = [places(scores, spans) for _, scores, spans in load(nab, results)]
    candidates = sorted({s for rows, _ in prepared for s, _ in rows}, reverse=True)
    print(f"{'profile':<20} {'fixed':>7} {'tuned':>7} {'threshold':>10}")
    for name, profile in PROFILES.items():
        raw, windows = raw_score(prepared, fixed, profile)
        best = max(candidates, key=lambda t: raw_score(prepared, t, profile)[0])
        tuned_raw, _ = raw_score(prepared, best, profile)
        print(
            f"{name:<20} {normalized(raw, windows, profile):7.2f} "
            f"{normalized(tuned_raw, windows, profile):7.2f} {best:10.4f}"
        )


if __name__ == "__main__":
    main()
