#!/usr/bin/env python3
"""Score a dated forecast of `blocsim forecast` once a year has closed.

    python3 scripts/score_forecast.py OUTDIR OBSERVED_DIR YEAR

Reads OUTDIR/forecast.csv (P(act by each year) per state and indicator, at risk at the end of the
fit) and OBSERVED_DIR/events.csv (the panel, with the verified rows added since), and prints, per
indicator and pooled, the number of histories, the acts seen by YEAR, the mean log score and the
Brier score of the forecast P(act by YEAR), with the same scores for the forecast's own base rate
(the mean of its P by YEAR, a constant) for comparison. Only rows inside the indicator's coverage
should be added to the panel; a missing row counts as no act, as the codebook's coverage says.
"""

import csv
import math
import sys
from collections import defaultdict


def main(outdir, observed, year):
    year = int(year)
    with open(f"{outdir}/forecast.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    column = f"p_by_{year}"
    if not rows or column not in rows[0]:
        sys.exit(f"{outdir}/forecast.csv: no column {column} (the forecast's years are in its header)")
    acted = defaultdict(lambda: None)
    with open(f"{observed}/events.csv", newline="") as f:
        for r in csv.DictReader(f):
            key = (r["iso3"], r["indicator"])
            y = int(r["year"])
            if acted[key] is None or y < acted[key]:
                acted[key] = y
    by = defaultdict(list)
    for r in rows:
        p = float(r[column])
        first = acted[(r["state"], r["indicator"])]
        y = first is not None and first <= year
        by[r["indicator"]].append((p, y))
        by["pooled"].append((p, y))
    print(f"{'indicator':<24} {'n':>5} {'acts':>5} {'log score':>10} {'Brier':>8} {'base log':>9} {'base Brier':>10}")
    for name in sorted(k for k in by if k != "pooled") + ["pooled"]:
        pairs = by[name]
        base = sum(p for p, _ in pairs) / len(pairs)
        def scores(q):
            log = sum(math.log(max(q(p), 1e-300)) if y else math.log(max(1 - q(p), 1e-300)) for p, y in pairs)
            brier = sum((q(p) - y) ** 2 for p, y in pairs)
            return log / len(pairs), brier / len(pairs)
        log, brier = scores(lambda p: p)
        blog, bbrier = scores(lambda p: base)
        acts = sum(y for _, y in pairs)
        print(f"{name:<24} {len(pairs):>5} {acts:>5} {log:>10.4f} {brier:>8.5f} {blog:>9.4f} {bbrier:>10.5f}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
