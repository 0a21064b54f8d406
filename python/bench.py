"""Measurements of the Python module against the command line (not a test: numbers for the README).

    python python/bench.py overhead [ROUNDS]   # 1,000-run batch: Python call vs the binary, alternating rounds
    python python/bench.py memory [RUNS]       # a RUNS-run batch (default 100,000) held as Arrow tables

BLOCSIM_BIN selects the binary (default target/release/blocsim).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

import blocsim

ROOT = Path(__file__).resolve().parents[1]
BIN = os.environ.get("BLOCSIM_BIN", str(ROOT / "target" / "release" / "blocsim"))


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def overhead(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cli, py, tables = [], [], []
        args = ["batch", "baseline", "--runs", "1000", "--seed", "1", "--threads", "2", "--no-plots", "--force"]
        for _ in range(rounds):
            t = time.perf_counter()
            subprocess.run([BIN, *args, "--out", f"{tmp}/cli"], check=True, capture_output=True)
            cli.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = blocsim.batch("baseline", runs=1000, seed=1, threads=2, out=f"{tmp}/py", plots=False, force=True,
                              progress=False)
            py.append(time.perf_counter() - t)
            t = time.perf_counter()
            _ = (b.runs, b.states, b.timeseries, b.indices, b.summary)
            tables.append(time.perf_counter() - t)
        m = statistics.median
        print(f"1,000-run batch of baseline, 2 threads, no plots, median of {rounds} alternating rounds:")
        print(f"  command line (process start to exit): {m(cli):.3f} s")
        print(f"  blocsim.batch from Python:            {m(py):.3f} s  ({m(py) - m(cli):+.3f} s)")
        print(f"  reading its five tables into Arrow:   {m(tables):.3f} s")


def memory(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        before = rss_mib()
        t = time.perf_counter()
        b = blocsim.batch("baseline", runs=runs, seed=1, out=f"{tmp}/b", plots=False, detail=False, progress=False)
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
        print(f"  runs.csv on disk: {(b.dir / 'runs.csv').stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "overhead"
    if what == "overhead":
        overhead(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    elif what == "memory":
        memory(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
    else:
        sys.exit(f"{what}: expected overhead or memory")
