"""The commands that read the observed panel: ``calibrate``, ``forecast`` and ``hindcast``."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ._args import Args, path_text, years
from ._call import PathArg, ScenarioArg, _invoke, _opened, _output, _source
from ._kinds import Calibration, Forecast, Hindcast
from ._scenario import Sets


def _panel(a: Args, scenario: ScenarioArg, set: Sets, observed: PathArg, free: Sequence[str]) -> str:
    name = _source(a, scenario, set)
    a.args += ["--observed", path_text(a.command, "observed", observed, kind="observed directory")]
    a.texts("free", [free] if isinstance(free, str) else free, "--free")
    return name


def calibrate(scenario: ScenarioArg, observed: PathArg, free: Sequence[str] = (), fit_years: Any = None,
              profiles: bool = True, out: PathArg = None, *, set: Sets = None, force: bool = False) -> Calibration:
    """Maximum-likelihood estimates of the weights from an observed panel, as ``blocsim calibrate``;
    ``fit_years`` is ``(first, last)``; ``profiles=False`` skips the profile likelihoods."""
    a = Args("calibrate")
    name = _panel(a, scenario, set, observed, free)
    a.text("fit_years", years("calibrate", "fit_years", fit_years))
    a.off_switch("profiles", profiles, "--no-profiles")
    _output(a, out, f"{name}-calibrate", force)
    return _opened(_invoke(a))


def forecast(scenario: ScenarioArg, observed: PathArg, free: Sequence[str] = (), fit_years: Any = None,
             horizon: Optional[int] = None, runs: Optional[int] = None, seed: Optional[int] = None,
             threads: Optional[int] = None, out: PathArg = None, *, set: Sets = None, force: bool = False) -> Forecast:
    """The dated forecast beyond the panel, as ``blocsim forecast``."""
    a = Args("forecast")
    name = _panel(a, scenario, set, observed, free)
    a.text("fit_years", years("forecast", "fit_years", fit_years))
    a.whole("horizon", horizon, 1900, 2500, what="a year")
    a.plan(runs, seed, threads)
    _output(a, out, f"{name}-forecast", force)
    return _opened(_invoke(a))


def hindcast(scenario: ScenarioArg, observed: PathArg, free: Sequence[str] = (), start: Optional[int] = None,
             split: Optional[int] = None, end: Optional[int] = None, bootstrap: Optional[int] = None,
             runs: Optional[int] = None, seed: Optional[int] = None, threads: Optional[int] = None, out: PathArg = None,
             *, set: Sets = None, force: bool = False) -> Hindcast:
    """Out-of-sample scores of every forecasting model, as ``blocsim hindcast``: fit on
    ``start..split``, score ``split+1..end``."""
    a = Args("hindcast")
    name = _panel(a, scenario, set, observed, free)
    for key, year in (("start", start), ("split", split), ("end", end)):
        a.whole(key, year, 1900, 2500, what="a year")
    a.whole("bootstrap", bootstrap, 0, 10**7, what="a number of bootstrap replications")
    a.plan(runs, seed, threads)
    _output(a, out, f"{name}-hindcast", force)
    return _opened(_invoke(a))
