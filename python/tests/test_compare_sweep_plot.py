"""blocsim.compare, blocsim.sweep and the charts: the command line's files, as tables and SVG."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import blocsim
from conftest import same_bytes


def test_compare_writes_the_command_lines_files(tmp_path, cli):
    proc = cli("compare", "baseline", "dsr-surge", "--runs", 60, "--seed", 5, "--threads", 2, "--out", tmp_path / "cli")
    assert proc.returncode == 0, proc.stderr
    c = blocsim.compare("baseline", "dsr-surge", runs=60, seed=5, threads=1, out=tmp_path / "py", progress=False)
    for name in ["comparison.csv", "comparison.json", "comparison.md", "plots/comparison.svg", "plots/comparison.png"]:
        assert same_bytes(tmp_path / "cli" / name, c.dir / name), name
    d = c.differences
    assert isinstance(d, pa.Table)
    assert d.column_names[:4] == ["outcome", "family", "domain", "framework"]
    assert d.schema.field("diff_mean").type == pa.float64()
    row = d.filter(pc.equal(d["outcome"], "fragmentation")).to_pylist()
    assert len(row) >= 1
    assert row[0]["ci_low"] <= row[0]["diff_mean"] <= row[0]["ci_high"]
    assert c.json["runs"] == 60
    assert c.summary.equals(c.differences)
    assert c.plot().svg.startswith("<svg")


def test_compare_set_changes_the_alternative(tmp_path, cli):
    proc = cli("compare", "baseline", "baseline", "--runs", 20, "--set", "choice.lambda=4", "--out", tmp_path / "cli",
               "--no-plots")
    assert proc.returncode == 0, proc.stderr
    alt = blocsim.Scenario.load("baseline", set={"choice.lambda": 4})
    c = blocsim.compare("baseline", alt, runs=20, out=tmp_path / "py", plots=False, progress=False)
    assert same_bytes(tmp_path / "cli" / "comparison.csv", c.dir / "comparison.csv")


def test_sweep_writes_the_command_lines_files(tmp_path, cli):
    proc = cli("sweep", "baseline", "--param", "utility.network=1:3", "--design", "lhs", "--points", 6, "--runs", 4,
               "--out", tmp_path / "cli")
    assert proc.returncode == 0, proc.stderr
    s = blocsim.Scenario.load("baseline")
    sw = blocsim.sweep(s, params={"utility.network": (1, 3)}, design="lhs", points=6, runs=4, out=tmp_path / "py",
                       progress=False)
    for name in ["points.csv", "points.parquet", "runs.csv", "runs.parquet", "effects.csv", "sweep.json"]:
        assert same_bytes(tmp_path / "cli" / name, sw.dir / name), name
    for svg in (tmp_path / "cli" / "plots").glob("*.svg"):
        assert same_bytes(svg, sw.dir / "plots" / svg.name), svg.name
    assert sw.points.num_rows == 6
    assert sw.runs.num_rows == 6 * 4
    assert "utility.network" in sw.points.column_names
    lo, hi = pc.min_max(sw.points["utility.network"]).values()
    assert 1 <= lo.as_py() and hi.as_py() <= 3
    assert sw.plot(sw.charts()[0]).svg.startswith("<svg")


def test_sweep_precision_warns_like_the_command_line(tmp_path, cli):
    proc = cli("sweep", "baseline", "--param", "choice.lambda=1:2", "--points", 2, "--runs", 3, "--no-plots",
               "--precision", "0.000001", "--out", tmp_path / "cli")
    assert proc.returncode == 0, proc.stderr
    sw = blocsim.sweep("baseline", ["choice.lambda=1:2"], points=2, runs=3, out=tmp_path / "py", plots=False,
                       progress=False, precision=1e-6)
    warned = [w for w in sw.warnings if "--precision" in w]
    assert warned, sw.warnings
    assert all(f"warning: {w}" in proc.stderr for w in warned), (warned, proc.stderr)
    assert same_bytes(tmp_path / "cli" / "effects.csv", sw.dir / "effects.csv")


def test_sweep_takes_param_texts_too(tmp_path):
    sw = blocsim.sweep("baseline", ["choice.lambda=1:2"], points=2, runs=2, out=tmp_path / "py", plots=False,
                       progress=False)
    assert sw.points.column("choice.lambda").to_pylist() == [1.0, 2.0]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory, cli):
    root = tmp_path_factory.mktemp("plots")
    proc = cli("batch", "baseline", "--runs", 30, "--seed", 2, "--out", root / "cli")
    assert proc.returncode == 0, proc.stderr
    return root


def test_plot_returns_the_command_lines_chart(drawn):
    b = blocsim.batch("baseline", runs=30, seed=2, out=drawn / "py", progress=False)
    chart = b.plot("fan", domain="cloud")
    assert chart.path == b.dir / "plots" / "fan_count_cloud.svg"
    assert chart._repr_svg_() == (drawn / "cli" / "plots" / "fan_count_cloud.svg").read_text()
    assert b.plot("fan", domain="cloud", measure="gdp").name == "fan_gdp_cloud"
    assert b.plot("map", domain="data").name == "map_data"
    assert b.plot("ternary", domain="all").name == "ternary_all"
    assert b.plot("indices").name == "indices"
    saved = chart.save(drawn / "fan.png")
    assert saved.read_bytes() == (drawn / "cli" / "plots" / "fan_count_cloud.png").read_bytes()


def test_plot_draws_a_batch_run_without_plots(drawn):
    b = blocsim.batch("baseline", runs=30, seed=2, out=drawn / "bare", plots=False, progress=False)
    assert b.charts() == []
    chart = b.plot("outcomes", domain="ai")
    assert same_bytes(chart.path, drawn / "cli" / "plots" / "outcomes_ai.svg")
    # Recorded in the manifest, as `blocsim plot DIR` does.
    assert "plots/outcomes_ai.svg" in {f["path"] for f in blocsim.Batch(b.dir, b.info).manifest["files"]}


def test_an_unknown_chart_names_the_charts_there(drawn):
    b = blocsim.Batch(drawn / "cli", {})
    with pytest.raises(blocsim.InputError, match="fan_count_cloud"):
        b.plot("fan", domain="clouds")
    with pytest.raises(ValueError, match="domain="):
        b.plot("fan")


def test_plot_function_redraws_like_blocsim_plot(drawn, cli):
    files = blocsim.plot(drawn / "cli")
    assert "report.html" in files and "plots/fan_count_cloud.svg" in files
