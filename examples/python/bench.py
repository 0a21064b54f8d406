"""Times of every command from Python against the command line, and the memory of a large batch
held as Arrow tables (measurements for the README, not a test).

    python examples/python/bench.py commands [--rounds N] [--runs R]   # each command, alternating rounds
    python examples/python/bench.py memory [--runs R]                   # a batch (default 100,000 runs) as tables

Run it from any directory but python/ (there, `import blocsim` finds the source folder instead of
the installed module). BLOCSIM_BIN selects the binary (default target/release/blocsim).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pyarrow as pa

import blocsim

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("BLOCSIM_BIN", str(ROOT / "target" / "release" / "blocsim"))
OBSERVED = ROOT / "scenarios" / "data" / "observed"
FIT = OBSERVED / "fit-2017.toml"


def cases(runs: int) -> list[tuple[str, list[str], object]]:
    """(name, the command line's arguments, the same call from Python taking ``out``)."""
    r = str(runs)
    return [
        ("run", ["run", "baseline", "--run", "1"], lambda out: blocsim.run("baseline", run=1, out=out)),
        ("batch", ["batch", "baseline", "--runs", r, "--no-plots"],
         lambda out: blocsim.batch("baseline", runs=runs, out=out, plots=False, progress=False)),
        ("batch + charts", ["batch", "baseline", "--runs", r],
         lambda out: blocsim.batch("baseline", runs=runs, out=out, progress=False)),
        ("compare", ["compare", "baseline", "dsr-surge", "--runs", r, "--no-plots"],
         lambda out: blocsim.compare("baseline", "dsr-surge", runs=runs, out=out, plots=False, progress=False)),
        ("sweep", ["sweep", "baseline", "--param", "choice.lambda=1:3", "--points", "5", "--runs", "10", "--no-plots"],
         lambda out: blocsim.sweep("baseline", {"choice.lambda": (1, 3)}, points=5, runs=10, out=out, plots=False,
                                   progress=False)),
        ("sensitivity", ["sensitivity", "baseline", "--method", "morris", "--trajectories", "10", "--runs", "4", "--no-plots"],
         lambda out: blocsim.sensitivity("baseline", method="morris", trajectories=10, runs=4, out=out, plots=False,
                                         progress=False)),
        ("calibrate", ["calibrate", str(FIT), "--observed", str(OBSERVED), "--no-profiles"],
         lambda out: blocsim.calibrate(FIT, OBSERVED, profiles=False, out=out)),
        ("forecast", ["forecast", str(FIT), "--observed", str(OBSERVED), "--runs", r],
         lambda out: blocsim.forecast(FIT, OBSERVED, runs=runs, out=out)),
    ]


def commands(rounds: int, runs: int) -> None:
    warnings.simplefilter("ignore", blocsim.BlocsimWarning)  # the analyses' precision notes
    print(f"median of {rounds} alternating rounds (command line: process start to exit; Python: the call)")
    print(f"{'command':<16} {'command line':>12} {'Python':>10} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, args, call in cases(runs):
            cli, py = [], []
            for i in range(rounds):
                t = time.perf_counter()
                subprocess.run([BIN, *args, "--out", f"{tmp}/cli-{i}"], check=True, capture_output=True)
                cli.append(time.perf_counter() - t)
                t = time.perf_counter()
                call(f"{tmp}/py-{name}-{i}")
                py.append(time.perf_counter() - t)
            c, p = statistics.median(cli), statistics.median(py)
            print(f"{name:<16} {c:>10.3f} s {p:>8.3f} s {p / c:>7.2f}")


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory(runs: int) -> None:
    before = rss_mib()
    t = time.perf_counter()
    b = blocsim.batch("baseline", runs=runs, seed=1, plots=False, detail=False, progress=False)
    wall = time.perf_counter() - t
    after_batch = rss_mib()
    tabs = {n: getattr(b, n) for n in ("runs", "states", "timeseries", "indices", "summary")}
    after = rss_mib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{runs:,}-run batch of baseline in {wall:.1f} s (no plots, no detail table)")
    for n, t in tabs.items():
        print(f"  b.{n:<10} {t.num_rows:>8,} rows x {t.num_columns:>3} columns: {t.nbytes / 2**20:8.1f} MiB")
    total = sum(t.nbytes for t in tabs.values())
    print(f"  all tables: {total / 2**20:.1f} MiB of Arrow buffers (pyarrow pool: {pa.total_allocated_bytes() / 2**20:.1f} MiB)")
    print(f"  process RSS: {before:.0f} MiB before, {after_batch:.0f} MiB after the batch, {after:.0f} MiB with the tables; peak {peak:.0f} MiB")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["commands", "memory"], nargs="?", default="commands")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--runs", type=int, default=None)
    a = p.parse_args()
    if a.what == "commands":
        commands(a.rounds, a.runs or 1000)
    else:
        memory(a.runs or 100_000)
