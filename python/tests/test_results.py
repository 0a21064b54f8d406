"""Results: no silent mix-ups (fresh directories, stale results refused), reopening saved
directories, one shape for every result, and the notebook view."""

from __future__ import annotations

import os
import tempfile

import pyarrow as pa
import pytest

import blocsim
from conftest import same_bytes


def test_two_batches_without_out_never_share_a_directory():
    b1 = blocsim.batch("baseline", runs=20, set={"choice.lambda": 1.5}, plots=False, progress=False)
    b2 = blocsim.batch("baseline", runs=20, set={"choice.lambda": 3.0}, plots=False, progress=False)
    assert b1.dir != b2.dir
    assert not b1.summary.equals(b2.summary)
    assert "choice.lambda=1.5" in b1.manifest["command"] and "choice.lambda=3.0" in b2.manifest["command"]
    # Not into the working directory (output/baseline, the command line's default): a temporary one.
    assert all(str(b.dir).startswith(os.path.realpath(tempfile.gettempdir())) for b in (b1, b2))


def test_a_result_whose_directory_was_written_again_refuses_to_read(tmp_path):
    out = tmp_path / "same"
    b1 = blocsim.batch("baseline", runs=20, set={"choice.lambda": 1.5}, out=out, plots=False, progress=False)
    first = b1.summary  # read before: kept, it is b1's
    b2 = blocsim.batch("baseline", runs=20, set={"choice.lambda": 3.0}, out=out, plots=False, progress=False)
    assert b1.summary is first
    for read in (lambda: b1.runs, lambda: b1.manifest, lambda: b1.json, lambda: b1.table("states.csv")):
        with pytest.raises(blocsim.StaleResultError, match="written again"):
            read()
    assert b2.runs.num_rows == 20
    assert blocsim.open(out).manifest == b2.manifest


def test_open_reopens_a_saved_directory_and_save_keeps_a_copy(tmp_path, cli):
    assert cli("batch", "baseline", "--runs", 10, "--out", tmp_path / "cli", "--no-plots").returncode == 0
    b = blocsim.open(tmp_path / "cli")
    assert isinstance(b, blocsim.Batch) and b.runs.num_rows == 10
    kept = b.save(tmp_path / "kept")
    assert isinstance(kept, blocsim.Batch) and kept.dir == (tmp_path / "kept").resolve()
    assert same_bytes(tmp_path / "cli" / "runs.csv", kept.dir / "runs.csv")
    with pytest.raises(blocsim.InputError, match="exists"):
        b.save(tmp_path / "kept")
    with pytest.raises(blocsim.InputError, match="not a blocsim output directory"):
        blocsim.open(tmp_path)


def test_every_result_has_the_same_shape(tmp_path):
    b = blocsim.batch("baseline", runs=10, out=tmp_path / "b", progress=False)
    c = blocsim.compare("baseline", "dsr-surge", runs=10, out=tmp_path / "c", progress=False)
    s = blocsim.sweep("baseline", {"choice.lambda": (1, 3)}, points=2, runs=2, out=tmp_path / "s", progress=False)
    for r in (b, c, s):
        assert isinstance(r.summary, pa.Table) and r.summary.num_rows > 0
        assert isinstance(r.json, dict)
        assert r.to_pandas().shape[0] == r.summary.num_rows
        html = r._repr_html_()
        assert html.count("<table>") == 1 and "<svg" in html
    assert b.json == b.summary_json and "runs" in b.json
    assert b.plot("fan", domain="cloud").name == "fan_count_cloud"


def test_to_polars_where_polars_is_installed(tmp_path):
    polars = pytest.importorskip("polars")
    b = blocsim.batch("baseline", runs=5, out=tmp_path / "b", plots=False, progress=False)
    assert isinstance(b.to_polars("runs.csv"), polars.DataFrame) and b.to_polars("runs.csv").height == 5


def test_charts_refuse_a_format_they_are_not_and_a_measure_they_ignore(tmp_path):
    b = blocsim.batch("baseline", runs=5, out=tmp_path / "b", progress=False)
    chart = b.plot("fan", domain="cloud")
    with pytest.raises(blocsim.InputError, match=r"\.svg or \.png"):
        chart.save(tmp_path / "fan.pdf")
    assert not (tmp_path / "fan.pdf").exists()
    assert chart.save(tmp_path / "fan.svg").read_text() == chart.svg
    with pytest.raises(blocsim.InputError, match="only 'fan' charts take a measure"):
        b.plot("map", domain="cloud", measure="gdp")
    with pytest.raises(blocsim.InputError, match="expected domain="):
        b.plot("map")
    with pytest.raises(blocsim.InputError, match="not in"):
        b.plot("fan", domain="clouds")


def test_a_scenario_file_survives_chdir_and_save_round_trips(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = blocsim.Scenario.load("baseline", set={"choice.lambda": 2.25})
    saved = s.save("mine.toml")
    assert os.path.isabs(saved.source)
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    a = blocsim.batch(saved, runs=10, seed=3, out=tmp_path / "a", plots=False, progress=False)
    b = blocsim.batch(s, runs=10, seed=3, out=tmp_path / "b", plots=False, progress=False)
    assert same_bytes(a.dir / "runs.csv", b.dir / "runs.csv")
    with pytest.raises(blocsim.InputError, match=r"\.toml"):
        s.save("mine.txt")


def test_a_saved_scenario_still_finds_the_files_it_names(tmp_path):
    """fit-2017.toml reads vintage-2017.csv beside it; saved elsewhere, the copy reads the same file."""
    from conftest import ROOT

    s = blocsim.Scenario.load(ROOT / "scenarios" / "data" / "observed" / "fit-2017.toml", set={"choice.lambda": 1.5})
    saved = s.save(tmp_path / "fit.toml")
    assert saved.states == s.states and saved.start == s.start
    a = blocsim.batch(saved, runs=5, seed=2, out=tmp_path / "a", plots=False, progress=False)
    b = blocsim.batch(s, runs=5, seed=2, out=tmp_path / "b", plots=False, progress=False)
    assert same_bytes(a.dir / "runs.csv", b.dir / "runs.csv")


def test_progress_moves_run_by_run(tmp_path):
    seen = []
    blocsim.batch("baseline", runs=3000, out=tmp_path / "b", plots=False, detail=False,
                  progress=lambda done, total: seen.append(done))
    assert seen[-1] == 3000
    # Chunks are 512 runs per thread: progress between them shows runs that are not chunk ends.
    assert any(d % 512 for d in seen[:-1]), seen
