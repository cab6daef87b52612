#!/usr/bin/env python3
"""Independent check of `quell eval loghub --out PRED`: scores the written
prediction files against Loghub's corrected ground truth with nothing from
quell but those files (standard library only).

    scripts/score-loghub.py ../shared/data/loghub PRED

GA: a line counts when its predicted group holds exactly the lines that
share its true EventTemplate. FGA: F1 over groups recovered exactly.
"""
import csv
import sys
from collections import defaultdict
from pathlib import Path


def groups(rows):
    out = defaultdict(set)
    for line_id, value in rows:
        out[value].add(line_id)
    return out


def score(truth_rows, pred_rows):
    truth = dict(truth_rows)
    pred = dict(pred_rows)
    if set(truth) != set(pred):
        raise SystemExit(f"line ids differ: {len(truth)} true, {len(pred)} predicted")
    t_groups = groups(truth.items())
    p_groups = groups(pred.items())
    t_sets = {frozenset(s) for s in t_groups.values()}
    correct_lines = 0
    exact = 0
    for members in p_groups.values():
        if frozenset(members) in t_sets:
            exact += 1
            correct_lines += len(members)
    ga = correct_lines / len(truth)
    precision = exact / len(p_groups) if p_groups else 0.0
    recall = exact / len(t_groups) if t_groups else 0.0
    fga = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ga, fga


def main():
    data, pred_dir = Path(sys.argv[1]), Path(sys.argv[2])
    gas, fgas = [], []
    for system in sorted(p.name for p in data.iterdir() if p.is_dir()):
        truth_file = data / system / f"{system}_2k.log_structured_corrected.csv"
        pred_file = pred_dir / f"{system}.csv"
        with truth_file.open(newline="") as f:
            truth = [(r["LineId"], r["EventTemplate"]) for r in csv.DictReader(f)]
        with pred_file.open(newline="") as f:
            pred = [(r["LineId"], r["EventId"]) for r in csv.DictReader(f)]
        ga, fga = score(truth, pred)
        gas.append(ga)
        fgas.append(fga)
        print(f"{system:<12} GA {ga:.3f}  FGA {fga:.3f}")
    print(f"{'mean':<12} GA {sum(gas) / len(gas):.3f}  FGA {sum(fgas) / len(fgas):.3f}")


if __name__ == "__main__":
    main()
