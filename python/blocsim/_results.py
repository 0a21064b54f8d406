"""What the commands return: an output directory and its tables as pyarrow Tables.

Tables are read when first asked for, in Rust, and handed to pyarrow without copying the column
buffers (``.to_pandas()`` or ``polars.from_arrow`` from there). The files on disk are exactly the
command line's, byte for byte.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

import pyarrow as pa

from . import _native


class Chart:
    """One chart of an output directory: its SVG, shown inline by Jupyter, and its PNG beside it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.stem

    @cached_property
    def svg(self) -> str:
        """The SVG text (the same bytes as the command line's ``plots/<name>.svg``)."""
        return self.path.read_text(encoding="utf-8")

    @property
    def png_path(self) -> Path:
        return self.path.with_suffix(".png")

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: "str | Path") -> Path:
        """Copy the SVG (``.svg``) or the PNG (``.png``) to ``path``."""
        path = Path(path)
        source = self.png_path if path.suffix.lower() == ".png" else self.path
        path.write_bytes(source.read_bytes())
        return path

    def __repr__(self) -> str:
        return f"Chart({str(self.path)!r})"


class _Output:
    """An output directory written by a command."""

    def __init__(self, dir: "str | Path", info: dict[str, Any]) -> None:
        self.dir = Path(dir)
        self.info = info

    def _table(self, name: str) -> pa.Table:
        path = self.dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not written by this command")
        return _native.read_table(str(path))

    def _json(self, name: str) -> Any:
        return json.loads((self.dir / name).read_text(encoding="utf-8"))

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: version, scenario hash, seed, runs, threads, command, files."""
        return self._json("manifest.json")

    def charts(self) -> list[str]:
        """The names of the charts drawn (``plots/<name>.svg``)."""
        return sorted(p.stem for p in (self.dir / "plots").glob("*.svg"))

    def chart(self, name: str) -> Chart:
        """The chart ``plots/<name>.svg``."""
        path = self.dir / "plots" / f"{name}.svg"
        if not path.is_file():
            known = ", ".join(self.charts()) or "none (run with plots=True)"
            raise KeyError(f"chart {name!r}: not in {self.dir / 'plots'}; the charts are: {known}")
        return Chart(path)


class Batch(_Output):
    """A Monte Carlo batch: ``runs``, ``states``, ``timeseries``, ``indices``, ``summary`` and
    ``detail`` as pyarrow Tables; ``plot()`` for its charts. Columns: the README's "Outputs of a
    batch"."""

    @property
    def scenario(self) -> str:
        return self.info["scenario"]

    @property
    def n_runs(self) -> int:
        return self.info["runs"]

    @property
    def threads(self) -> int:
        return self.info["threads"]

    @property
    def wall_seconds(self) -> float:
        return self.info["wall_seconds"]

    @cached_property
    def runs(self) -> pa.Table:
        """``runs.csv``: one row per run (drawn parameters, final shares, indices, switches, tipping years)."""
        return self._table("runs.csv")

    @cached_property
    def states(self) -> pa.Table:
        """``states.csv``: per state and domain, the probability of each framework at the horizon."""
        return self._table("states.csv")

    @cached_property
    def timeseries(self) -> pa.Table:
        """``timeseries.csv``: per year, domain, framework and measure, the distribution across runs."""
        return self._table("timeseries.csv")

    @cached_property
    def indices(self) -> pa.Table:
        """``indices.csv``: per year, fragmentation and hedging across runs."""
        return self._table("indices.csv")

    @cached_property
    def summary(self) -> pa.Table:
        """``summary.json`` as a table: ``key`` (e.g. ``final_share.cloud.US``) and mean, sd, p05 ... p95."""
        return _native.summary_table(str(self.dir / "summary.json"))

    @cached_property
    def summary_json(self) -> dict[str, Any]:
        """``summary.json`` as written (tipping, switches and the run count included)."""
        return self._json("summary.json")

    @cached_property
    def detail(self) -> pa.Table:
        """``detail.parquet``: each run's framework for every state and domain (if written)."""
        return self._table("detail.parquet")

    def plot(self, kind: str, domain: Optional[str] = None, measure: str = "count") -> Chart:
        """A chart of the batch, the same file as the command line draws.

        ``kind`` is ``fan`` (``measure`` ``count`` or ``gdp``), ``outcomes``, ``ternary``
        (``domain="all"`` for every domain), ``swing``, ``map`` (needs a domain), ``indices``, or a
        chart's full name (``"fan_gdp_cloud"``). Charts not drawn yet (``plots=False``) are drawn
        first, as ``blocsim plot DIR`` does.
        """
        if kind == "fan":
            if domain is None:
                raise ValueError("plot('fan'): expected domain=, e.g. domain='cloud'")
            name = f"fan_{measure}_{domain}"
        elif kind == "indices" or domain is None:
            name = kind
        else:
            name = f"{kind}_{domain}"
        if not (self.dir / "plots" / f"{name}.svg").is_file() and not self.charts():
            _native.plot(str(self.dir))
        return self.chart(name)

    def __repr__(self) -> str:
        return f"Batch({self.scenario!r}, runs={self.n_runs}, dir={str(self.dir)!r})"


class Comparison(_Output):
    """Paired differences of an alternative against a baseline on common random numbers."""

    @cached_property
    def differences(self) -> pa.Table:
        """``comparison.csv``: per outcome, the paired difference, its 95% interval and P(higher)."""
        return self._table("comparison.csv")

    @cached_property
    def summary(self) -> dict[str, Any]:
        """``comparison.json`` as written."""
        return self._json("comparison.json")

    @property
    def markdown(self) -> str:
        """``comparison.md``: the table and the states that move most."""
        return (self.dir / "comparison.md").read_text(encoding="utf-8")

    def plot(self) -> Chart:
        """The comparison chart (``plots/comparison.svg``)."""
        return self.chart("comparison")

    def __repr__(self) -> str:
        return (
            f"Comparison({self.info['alternative']!r} vs {self.info['baseline']!r}, "
            f"runs={self.info['runs']}, dir={str(self.dir)!r})"
        )


class Sweep(_Output):
    """A parameter sweep: ``points`` (per design point) and ``runs`` (per run) as pyarrow Tables."""

    @cached_property
    def points(self) -> pa.Table:
        """``points.parquet``: parameter values and each outcome's mean, sd, se, p05, p50, p95."""
        return self._table("points.parquet")

    @cached_property
    def runs(self) -> pa.Table:
        """``runs.parquet``: one row per run of every design point."""
        return self._table("runs.parquet")

    @cached_property
    def summary(self) -> dict[str, Any]:
        """``sweep.json`` as written."""
        return self._json("sweep.json")

    @property
    def warnings(self) -> list[str]:
        return list(self.info["warnings"])

    def plot(self, name: str) -> Chart:
        """A chart of the sweep by name (see :meth:`charts`)."""
        return self.chart(name)

    def __repr__(self) -> str:
        return f"Sweep({self.info['scenario']!r}, points={self.info['points']}, runs={self.info['runs']}, dir={str(self.dir)!r})"
