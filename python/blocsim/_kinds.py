"""The result of each command, by the files its directory holds (the README's outputs)."""

from __future__ import annotations

from typing import Optional

import pyarrow as pa

from . import _native
from ._charts import Chart
from ._errors import InputError
from ._results import Result, register


@register
class Hindcast(Result):
    """``hindcast``: out-of-sample scores of every forecasting model; ``summary`` is ``scores.csv``."""

    marker = "hindcast.json"
    headline = "scores.csv"
    json_file = "hindcast.json"

    @property
    def differences(self) -> pa.Table:
        """``differences.csv``: the calibrated model's score minus each other model's, with intervals."""
        return self.table("differences.csv")

    @property
    def forecasts(self) -> pa.Table:
        """``forecasts.csv``: every model's forecast of every scored cell-year."""
        return self.table("forecasts.csv")

    def key_chart(self) -> Optional[str]:
        return "reliability" if "reliability" in self.charts() else super().key_chart()


@register
class Forecast(Result):
    """``forecast``: P(act by each year) per history at risk; ``summary`` is ``forecast.csv``."""

    marker = json_file = "forecast.json"
    headline = "forecast.csv"

    @property
    def estimates(self) -> pa.Table:
        """``estimates.csv``: the weights fitted on every panel year."""
        return self.table("estimates.csv")

    @property
    def counts(self) -> pa.Table:
        """``counts.csv``: expected acts by year and indicator."""
        return self.table("counts.csv")


@register
class Calibration(Result):
    """``calibrate``: maximum-likelihood estimates; ``summary`` is ``estimates.csv``."""

    marker = json_file = "fit.json"
    headline = "estimates.csv"

    @property
    def estimates(self) -> pa.Table:
        return self.table("estimates.csv")

    @property
    def scenario_file(self) -> str:
        """``calibrated.toml``: a scenario that extends the original with the estimates."""
        return str(self._path("calibrated.toml"))


@register
class Discovery(Result):
    """``discover``: PRIM boxes; ``summary`` is ``prim_boxes.csv``."""

    marker = json_file = "prim.json"
    headline = "prim_boxes.csv"

    @property
    def trajectory(self) -> pa.Table:
        """``prim_trajectory.csv``: the peeling trajectory (coverage against density)."""
        return self.table("prim_trajectory.csv")


@register
class Sensitivity(Result):
    """``sensitivity``: Sobol indices or Morris effects; ``summary`` is ``sobol.csv`` or ``morris.csv``."""

    marker = json_file = "sensitivity.json"

    @property
    def headline(self) -> str:  # type: ignore[override]
        return "sobol.csv" if (self.dir / "sobol.csv").is_file() else "morris.csv"

    @property
    def design(self) -> pa.Table:
        """``design.csv``: the design points and each outcome's mean."""
        return self.table("design.csv")

    @property
    def warnings(self) -> list[str]:
        return list(self.info.get("warnings") or [])


@register
class Sweep(Result):
    """``sweep``: ``points`` and ``runs`` (Parquet); ``summary`` is ``effects.csv`` (main effects)."""

    marker = json_file = "sweep.json"
    headline = "effects.csv"

    @property
    def points(self) -> pa.Table:
        """``points.parquet``: parameter values and each outcome's mean, sd, se, p05, p50, p95."""
        return self.table("points.parquet")

    @property
    def runs(self) -> pa.Table:
        """``runs.parquet``: one row per run of every design point."""
        return self.table("runs.parquet")

    @property
    def warnings(self) -> list[str]:
        return list(self.info.get("warnings") or [])

    def plot(self, name: str) -> Chart:
        """A chart of the sweep by name (see :meth:`charts`)."""
        return self.chart(name)

    def key_chart(self) -> Optional[str]:
        return "sweep_fragmentation" if "sweep_fragmentation" in self.charts() else super().key_chart()


@register
class Comparison(Result):
    """``compare``: paired differences on common random numbers; ``summary`` is ``comparison.csv``."""

    marker = json_file = "comparison.json"
    headline = "comparison.csv"

    @property
    def differences(self) -> pa.Table:
        """``comparison.csv``: per outcome, the paired difference, its 95% interval and P(higher)."""
        return self.table("comparison.csv")

    @property
    def markdown(self) -> str:
        """``comparison.md``: the table and the states that move most."""
        return self._path("comparison.md").read_text(encoding="utf-8")

    def plot(self) -> Chart:
        """The comparison chart (``plots/comparison.svg``)."""
        return self.chart("comparison")


@register
class Run(Result):
    """``run``: one run's trajectory; ``summary`` is ``final_state.csv``."""

    marker = "trajectory.csv"
    headline = "final_state.csv"

    @property
    def trajectory(self) -> pa.Table:
        """``trajectory.csv``: per year, domain and framework, the counts and GDP shares."""
        return self.table("trajectory.csv")


@register
class Shard(Result):
    """One shard of a batch (``shard=``): merge the shards with :func:`blocsim.merge`."""

    marker = "partial.bin"
    headline = "runs.csv"

    @property
    def runs(self) -> pa.Table:
        return self.table("runs.csv")


@register
class Batch(Result):
    """A Monte Carlo batch: ``runs``, ``states``, ``timeseries``, ``indices``, ``summary`` and
    ``detail`` as pyarrow Tables; ``plot()`` for its charts. Columns: the README's "Outputs of a
    batch"."""

    marker = json_file = "summary.json"

    @property
    def scenario(self) -> str:
        return self.manifest["scenario"]

    @property
    def n_runs(self) -> int:
        return self.manifest["runs"]

    @property
    def threads(self) -> int:
        return self.manifest["threads"]

    @property
    def wall_seconds(self) -> float:
        return self.manifest["wall_seconds"]

    @property
    def resumed_at(self) -> Optional[int]:
        """The run a ``resume=True`` call continued from (None: it ran from the first run)."""
        return self.info.get("resumed_at")

    @property
    def already_complete(self) -> bool:
        """Whether a ``resume=True`` call found the batch complete and did nothing."""
        return bool(self.info.get("already_complete"))

    @property
    def runs(self) -> pa.Table:
        """``runs.csv``: one row per run (drawn parameters, final shares, indices, switches, tipping years)."""
        return self.table("runs.csv")

    @property
    def states(self) -> pa.Table:
        """``states.csv``: per state and domain, the probability of each framework at the horizon."""
        return self.table("states.csv")

    @property
    def timeseries(self) -> pa.Table:
        """``timeseries.csv``: per year, domain, framework and measure, the distribution across runs."""
        return self.table("timeseries.csv")

    @property
    def indices(self) -> pa.Table:
        """``indices.csv``: per year, fragmentation and hedging across runs."""
        return self.table("indices.csv")

    @property
    def detail(self) -> pa.Table:
        """``detail.parquet``: each run's framework for every state and domain (if written)."""
        return self.table("detail.parquet")

    @property
    def summary(self) -> pa.Table:
        """``summary.json`` as a table: ``key`` (e.g. ``final_share.cloud.US``) and mean, sd, p05 ... p95."""
        if "summary" not in self._tables:
            self._tables["summary"] = _native.summary_table(str(self._path("summary.json")))
        return self._tables["summary"]

    @property
    def summary_json(self) -> dict:
        """``summary.json`` as written (the same as ``json``)."""
        return self.json

    def key_chart(self) -> Optional[str]:
        return "ternary_all" if "ternary_all" in self.charts() else super().key_chart()

    def plot(self, kind: str, domain: Optional[str] = None, measure: Optional[str] = None) -> Chart:
        """A chart of the batch, the same file as the command line draws.

        ``kind`` is ``fan`` (``measure`` ``"count"``, the default, or ``"gdp"``), ``outcomes``,
        ``ternary`` (``domain="all"`` for every domain), ``swing``, ``map``, ``indices``, or a
        chart's full name (``"fan_gdp_cloud"``). Charts not drawn yet (``plots=False``) are drawn
        first, as ``blocsim plot DIR`` does.
        """
        name = _chart_name(kind, domain, measure)
        if not self.charts():
            _native.invoke(["plot", str(self.dir)], ["blocsim-python", "plot", str(self.dir)])
            self._refresh()
        return self.chart(name)


_PER_DOMAIN = ("outcomes", "ternary", "swing", "map")


def _chart_name(kind: str, domain: Optional[str], measure: Optional[str]) -> str:
    if not isinstance(kind, str):
        raise InputError(f"plot(kind={kind!r}): expected a chart kind such as 'fan'")
    if measure is not None and kind != "fan":
        raise InputError(f"plot({kind!r}, measure={measure!r}): only 'fan' charts take a measure")
    if kind == "fan":
        if domain is None:
            raise InputError("plot('fan'): expected domain=, e.g. domain='cloud'")
        measure = measure or "count"
        if measure not in ("count", "gdp"):
            raise InputError(f"plot('fan', measure={measure!r}): expected 'count' or 'gdp'")
        return f"fan_{measure}_{domain}"
    if kind == "indices":
        if domain is not None:
            raise InputError(f"plot('indices', domain={domain!r}): the indices chart covers every domain")
        return kind
    if kind in _PER_DOMAIN:
        if domain is None:
            raise InputError(f"plot({kind!r}): expected domain=, e.g. domain='cloud'")
        return f"{kind}_{domain}"
    if domain is not None:
        raise InputError(
            f"plot({kind!r}, domain={domain!r}): expected a kind (fan, {', '.join(_PER_DOMAIN)}, indices) or a chart's full name"
        )
    return kind
