"""blocsim.batch: the tables, byte identity with the command line, progress, Ctrl-C and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

import blocsim
from conftest import same_bytes

TABLES = ["runs.csv", "states.csv", "timeseries.csv", "indices.csv", "summary.json", "detail.parquet"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory, cli):
    """The same batch from the command line (2 threads) and from Python (1 thread)."""
    root = tmp_path_factory.mktemp("batch")
    proc = cli("batch", "baseline", "--runs", 300, "--seed", 7, "--threads", 2, "--set", "choice.lambda=2.5",
               "--out", root / "cli")
    assert proc.returncode == 0, proc.stderr
    s = blocsim.Scenario.load("baseline", set={"choice.lambda": 2.5})
    b = blocsim.batch(s, runs=300, seed=7, threads=1, out=root / "py", progress=False)
    return root / "cli", b


@pytest.mark.parametrize("name", TABLES)
def test_tables_are_byte_identical_to_the_command_line(pair, name):
    cli_dir, b = pair
    assert same_bytes(cli_dir / name, b.dir / name), name


def test_charts_are_byte_identical_to_the_command_line(pair):
    cli_dir, b = pair
    svgs = sorted(p.name for p in (cli_dir / "plots").iterdir())
    assert svgs == sorted(p.name for p in (b.dir / "plots").iterdir())
    assert len(svgs) > 20
    for name in svgs:
        assert same_bytes(cli_dir / "plots" / name, b.dir / "plots" / name), name


def test_tables_are_pyarrow_tables_with_the_readme_columns(pair):
    _, b = pair
    for t in (b.runs, b.states, b.timeseries, b.indices, b.summary, b.detail):
        assert isinstance(t, pa.Table)
    assert b.runs.num_rows == 300
    assert b.runs.column_names[0] == "run"
    assert b.runs.schema.field("run").type == pa.int64()
    assert b.runs.schema.field("final_share.cloud.US").type == pa.float64()
    # choice.lambda was set, so it is no longer drawn: the drawn columns are the other four.
    assert "choice.lambda" not in b.runs.column_names
    assert "utility.network" in b.runs.column_names
    assert b.runs.column("run").to_pylist() == list(range(300))
    assert b.states.column_names[:3] == ["state", "name", "domain"]
    assert b.states.num_rows == 183 * 5
    assert b.timeseries.num_rows == 16 * 5 * 3 * 2  # years x domains x frameworks x measures
    assert b.detail.num_rows == 300 * 183


def test_tables_hold_the_values_written(pair):
    """Each cell is the number the CSV holds (shortest round-trip text), not a re-rounded one."""
    cli_dir, b = pair
    lines = (cli_dir / "runs.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("fragmentation")
    written = [float(l.split(",")[col]) for l in lines[1:]]
    assert b.runs.column("fragmentation").to_pylist() == written
    assert blocsim.read_table(cli_dir / "runs.csv").equals(b.runs)
    tipping = [c for c in header if c.startswith("tipping_year.")]
    for c in tipping:
        assert b.runs.schema.field(c).type == pa.int64()


def test_summary_table_matches_summary_json(pair):
    _, b = pair
    rows = dict(zip(b.summary.column("key").to_pylist(), b.summary.to_pylist()))
    js = b.summary_json
    assert rows["final_share.cloud.US"]["mean"] == js["final_share"]["cloud"]["US"]["mean"]
    assert rows["hedging"]["p95"] == js["hedging"]["p95"]
    assert rows["switches"]["mean"] == js["switches"]["mean"] and rows["switches"]["p95"] is None

    def stats_keys(prefix, v):
        if isinstance(v, dict) and "mean" in v:
            return [prefix]
        if isinstance(v, dict):
            return [k for name, c in v.items() for k in stats_keys(f"{prefix}.{name}" if prefix else name, c)]
        return []

    assert list(rows) == stats_keys("", js)
    assert len([k for k in rows if k.startswith("final_gdp_share.")]) == 5 * 3


def test_to_pandas(pair):
    _, b = pair
    df = b.runs.to_pandas()
    assert len(df) == 300 and df["final_share.cloud.US"].between(0, 1).all()


def test_progress_callback_sees_every_run(tmp_path):
    seen = []
    blocsim.batch("baseline", runs=40, seed=1, out=tmp_path / "b", plots=False, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (40, 40)
    assert all(t == 40 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_progress_bar_runs_without_a_terminal(tmp_path, capsys):
    b = blocsim.batch("baseline", runs=20, seed=1, out=tmp_path / "b", plots=False, progress=True)
    assert b.runs.num_rows == 20


def test_default_runs_and_seed_are_the_scenarios(tmp_path, cli):
    """No runs/seed: the scenario's [batch] values, as on the command line."""
    s = blocsim.Scenario.load("baseline", set={"batch.runs": 12, "batch.seed": 9})
    assert (s.runs, s.seed) == (12, 9)
    b = blocsim.batch(s, out=tmp_path / "py", plots=False, progress=False)
    assert b.n_runs == 12
    proc = cli("batch", "baseline", "--set", "batch.runs=12", "--set", "batch.seed=9", "--out", tmp_path / "cli",
               "--no-plots")
    assert proc.returncode == 0, proc.stderr
    assert same_bytes(tmp_path / "cli" / "runs.csv", b.dir / "runs.csv")
    other = blocsim.batch("baseline", runs=12, seed=10, out=tmp_path / "seed10", plots=False, progress=False)
    assert not same_bytes(other.dir / "runs.csv", b.dir / "runs.csv")


INTERRUPTED = textwrap.dedent(
    """
    import sys, blocsim
    def report(done, total):
        if done > 0:
            print("started", flush=True)
    try:
        blocsim.batch("baseline", runs=RUNS, seed=3, threads=1, out=sys.argv[1], plots=False, detail=False,
                      progress=report)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
    print("finished", flush=True)
    """
)


def test_ctrl_c_stops_a_batch_and_resume_finishes_it_byte_identical(tmp_path, cli):
    runs = 3000
    script = tmp_path / "interrupted.py"
    script.write_text(INTERRUPTED.replace("RUNS", str(runs)))
    out = tmp_path / "py"
    # Python turns SIGINT into KeyboardInterrupt only if SIGINT is not ignored when it starts, and a
    # shell that runs this suite in the background without job control ignores it: the child
    # restores the default disposition first, as a terminal's would be.
    proc = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout.readline().strip() == "started"
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, rest
    assert rest.strip() == "interrupted"
    assert not (out / "summary.json").exists()
    b = blocsim.batch("baseline", runs=runs, seed=3, threads=2, out=out, plots=False, detail=False, resume=True,
                      progress=False)
    assert b.info["resumed_at"] is not None and 0 < b.info["resumed_at"] < runs
    done = cli("batch", "baseline", "--runs", runs, "--seed", 3, "--out", tmp_path / "cli", "--no-plots", "--no-detail")
    assert done.returncode == 0, done.stderr
    for name in ["runs.csv", "states.csv", "timeseries.csv", "indices.csv", "summary.json"]:
        assert same_bytes(tmp_path / "cli" / name, out / name), name


def test_a_batch_releases_the_gil(tmp_path):
    """Python code runs on another thread while a batch runs (it would wait for the whole batch if
    the batch held the GIL): the main thread sees the batch's lock file while the batch thread is
    still alive."""
    import threading

    out = tmp_path / "b"
    t = threading.Thread(target=blocsim.batch, args=("baseline",),
                         kwargs=dict(runs=1500, seed=1, out=out, plots=False, detail=False, progress=False))
    t.start()
    while not (out / ".blocsim-lock").exists() and t.is_alive():
        pass  # pure Python: needs the GIL
    assert t.is_alive()
    t.join()
    assert (out / "summary.json").is_file()
