"""Every subcommand from Python: the same files as the command line, byte for byte (the manifest
aside, which records the call), each result reopened by ``blocsim.open``, and a Python signature
for every flag of the command line."""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path

import pytest

import blocsim
from conftest import ROOT, blocsim_binary, same_bytes

OBSERVED = ROOT / "scenarios" / "data" / "observed"
FIT = OBSERVED / "fit-2017.toml"


def assert_same_files(cli_dir: Path, py_dir: Path) -> list[str]:
    """Every file of the command line's directory is in Python's with the same bytes; the manifest
    (which records the call) and a JSON file with a wall-clock time in it are compared field by
    field without those."""
    names = sorted(str(p.relative_to(cli_dir)) for p in cli_dir.rglob("*") if p.is_file() and p.name != ".blocsim-lock")
    assert names == sorted(str(p.relative_to(py_dir)) for p in py_dir.rglob("*") if p.is_file() and p.name != ".blocsim-lock")
    clocked = {n for n in names if n.endswith(".json") and n != "manifest.json" and not same_bytes(cli_dir / n, py_dir / n)}
    for name in names:
        if name in clocked or name == "manifest.json":
            a, b = (without_clocks(json.loads((d / name).read_text()), clocked) for d in (cli_dir, py_dir))
            if name == "manifest.json":
                for key in ("command", "scenario_path"):
                    a.pop(key, None), b.pop(key, None)
            assert a == b, name
        else:
            assert same_bytes(cli_dir / name, py_dir / name), name
    return names


def without_clocks(v, clocked: set[str]):
    """A JSON value without its wall-clock fields (``seconds``, ``wall_seconds``: they differ run to
    run), nor the manifest's hashes of the files that hold one."""
    if isinstance(v, dict):
        if v.get("path") in clocked:
            return {"path": v["path"]}
        return {k: without_clocks(x, clocked) for k, x in v.items() if k not in ("seconds", "wall_seconds")}
    if isinstance(v, list):
        return [without_clocks(x, clocked) for x in v]
    return v


def test_run(tmp_path, cli):
    assert cli("run", "baseline", "--run", 3, "--seed", 9, "--out", tmp_path / "cli").returncode == 0
    r = blocsim.run("baseline", run=3, seed=9, out=tmp_path / "py")
    assert isinstance(r, blocsim.Run)
    assert "trajectory.csv" in assert_same_files(tmp_path / "cli", r.dir)
    assert r.trajectory.num_rows == 16 * 5 * 3 and r.summary.num_rows == 183  # years x domains x frameworks; states
    assert isinstance(blocsim.open(r.dir), blocsim.Run)


def test_shards_and_merge_are_the_whole_batch(tmp_path, cli):
    assert cli("batch", "baseline", "--runs", 90, "--seed", 4, "--out", tmp_path / "cli").returncode == 0
    shards = [blocsim.batch("baseline", runs=90, seed=4, shard=(i, 3), out=tmp_path / f"s{i}", progress=False)
              for i in range(3)]
    assert all(isinstance(s, blocsim.Shard) for s in shards)
    assert isinstance(blocsim.open(shards[0].dir), blocsim.Shard)
    merged = blocsim.merge([shards[2], shards[0], tmp_path / "s1"], out=tmp_path / "merged")
    assert isinstance(merged, blocsim.Batch)
    for name in ["runs.csv", "states.csv", "timeseries.csv", "indices.csv", "summary.json", "detail.parquet",
                 "plots/fan_count_cloud.svg", "plots/ternary_all.png"]:
        assert same_bytes(tmp_path / "cli" / name, merged.dir / name), name


@pytest.mark.parametrize("command", [["scenarios"], ["check", "dsr-surge"], ["meanfield", "validation/brock-durlauf"]])
def test_text_commands_print_what_the_command_line_prints(cli, command):
    proc = cli(*command)
    assert proc.returncode == 0
    fn = getattr(blocsim, command[0])
    assert fn(*command[1:]) == proc.stdout


def test_sensitivity_and_discover(tmp_path, cli):
    args = ["baseline", "--method", "morris", "--trajectories", 4, "--levels", 4, "--runs", 2, "--seed", 3]
    assert cli("sensitivity", *args, "--out", tmp_path / "cli-sens").returncode == 0
    s = blocsim.sensitivity("baseline", method="morris", trajectories=4, levels=4, runs=2, seed=3,
                            out=tmp_path / "py-sens", progress=False)
    assert isinstance(s, blocsim.Sensitivity) and s.summary.num_rows > 0
    assert_same_files(tmp_path / "cli-sens", s.dir)

    sw = blocsim.sweep("baseline", {"choice.lambda": (1, 3)}, design="lhs", points=8, runs=2, seed=3,
                       out=tmp_path / "sweep", plots=False, progress=False)
    where = "fragmentation > 0.3"
    assert cli("discover", sw.dir, "--where", where, "--out", tmp_path / "cli-disc").returncode == 0
    d = blocsim.discover(sw, where, out=tmp_path / "py-disc")
    assert isinstance(d, blocsim.Discovery) and d.summary.num_rows >= 1
    assert_same_files(tmp_path / "cli-disc", d.dir)
    assert isinstance(blocsim.open(d.dir), blocsim.Discovery)
    assert isinstance(blocsim.open(sw.dir), blocsim.Sweep)


def test_calibrate_and_forecast(tmp_path, cli):
    assert cli("calibrate", FIT, "--observed", OBSERVED, "--no-profiles", "--out", tmp_path / "cli-cal").returncode == 0
    c = blocsim.calibrate(FIT, OBSERVED, profiles=False, out=tmp_path / "py-cal")
    assert isinstance(c, blocsim.Calibration)
    assert_same_files(tmp_path / "cli-cal", c.dir)
    assert c.estimates.num_rows == c.summary.num_rows > 0 and "loglik" in json.dumps(c.json)

    args = ["--observed", OBSERVED, "--runs", 40, "--seed", 2, "--horizon", 2028, "--fit-years", "2018:2024"]
    assert cli("forecast", FIT, *args, "--out", tmp_path / "cli-fc").returncode == 0
    f = blocsim.forecast(FIT, OBSERVED, runs=40, seed=2, horizon=2028, fit_years=(2018, 2024), out=tmp_path / "py-fc")
    assert isinstance(f, blocsim.Forecast)
    assert_same_files(tmp_path / "cli-fc", f.dir)
    assert f.summary.num_rows > 0


def test_hindcast(tmp_path):
    """The command line runs beside the Python call (it releases the GIL), to halve the wait."""
    args = ["--observed", OBSERVED, "--runs", 4, "--bootstrap", 20, "--free", "utility.network",
            "--start", 2020, "--split", 2021, "--end", 2023, "--threads", 1]
    proc = subprocess.Popen([str(blocsim_binary()), "hindcast", str(FIT), *map(str, args), "--out", str(tmp_path / "cli")],
                            stderr=subprocess.PIPE, text=True)
    h = blocsim.hindcast(FIT, OBSERVED, free=["utility.network"], start=2020, split=2021, end=2023, bootstrap=20,
                         runs=4, threads=1, out=tmp_path / "py")
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    assert isinstance(h, blocsim.Hindcast)
    assert_same_files(tmp_path / "cli", h.dir)
    assert h.summary.num_rows > 0 and h.differences.num_rows > 0


def test_bench_returns_the_json_record():
    r = blocsim.bench(agents=[500], steps=2, runs=2, threads=[1], repeats=1, warmup=0)
    assert isinstance(r, blocsim.BenchReport)
    assert "updates" in r.text
    assert isinstance(r.json, dict) and r.json


def test_python_signatures_cover_every_flag():
    """Each flag of the command line has its keyword (hidden test flags and --json aside)."""
    keyword = {"set": "set", "param": "params", "outcome": "outcomes", "no-plots": "plots", "no-detail": "detail",
               "no-profiles": "profiles"}
    skip = {"help", "checkpoint-runs", "json", "version"}
    positional = {"run": ["scenario"], "batch": ["scenario"], "merge": ["shards"], "plot": ["result"],
                  "check": ["scenario"], "compare": ["baseline", "alternative"], "serve": ["scenario"],
                  "sweep": ["scenario"], "sensitivity": ["scenario"], "discover": ["sweep"], "bench": ["scenario"],
                  "meanfield": ["scenario"], "calibrate": ["scenario"], "forecast": ["scenario"],
                  "hindcast": ["scenario"], "scenarios": []}
    assert sorted(positional) == sorted(blocsim._native.subcommands())
    for name in positional:
        params = inspect.signature(getattr(blocsim, name)).parameters
        flags = blocsim._native.flags(name)
        assert len([f for f in flags if f[1] is None]) == len(positional[name]), name
        for _id, long, _takes, _rep, hidden in flags:
            if long is None or long in skip or hidden:
                continue
            assert keyword.get(long, long.replace("-", "_")) in params, (name, long)
        for p in positional[name]:
            assert p in params, (name, p)
