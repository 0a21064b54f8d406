"""The analyses: ``sweep``, ``sensitivity`` and ``discover``."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

from ._args import Args, path_text
from ._call import PathArg, ScenarioArg, _invoke, _opened, _output, _source
from ._errors import InputTypeError
from ._kinds import Discovery, Sensitivity, Sweep
from ._progress import ProgressArg
from ._results import Result
from ._scenario import Sets


def _param_texts(command: str, params: Union[Mapping[str, Tuple[float, float]], Iterable[str], None]) -> list[str]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        out = []
        for k, v in params.items():
            if not isinstance(k, str) or not isinstance(v, Sequence) or isinstance(v, str) or len(v) != 2:
                raise InputTypeError(f"{command}(params={{{k!r}: {v!r}}}): expected key path: (low, high)")
            out.append(f"{k}={_number(v[0])}:{_number(v[1])}")
        return out
    if isinstance(params, str):
        return [params]
    return list(params)


def _number(v: Any) -> str:
    return repr(float(v)) if isinstance(v, float) else str(v)


def _experiment(a: Args, scenario: ScenarioArg, set: Sets, params: Any, outcomes: Sequence[str], runs: Optional[int],
                seed: Optional[int], threads: Optional[int], out: PathArg, force: bool, plots: bool, plot_scale: float) -> None:
    name = _source(a, scenario, set)
    a.texts("params", _param_texts(a.command, params), "--param")
    a.texts("outcomes", [outcomes] if isinstance(outcomes, str) else outcomes, "--outcome")
    a.plan(runs, seed, threads)
    _output(a, out, f"{name}-{a.command}", force)
    a.charts(plots, plot_scale)


def sweep(scenario: ScenarioArg, params: Union[Mapping[str, Tuple[float, float]], Iterable[str]], design: str = "grid",
          points: Optional[int] = None, runs: int = 10, seed: Optional[int] = None, threads: Optional[int] = None,
          out: PathArg = None, *, outcomes: Sequence[str] = (), set: Sets = None, plots: bool = True,
          plot_scale: float = 2.0, force: bool = False, progress: ProgressArg = True, precision: Optional[float] = None) -> Sweep:
    """A parameter sweep, as ``blocsim sweep``: ``params`` maps key paths to ``(low, high)``
    (or is a list of ``PATH=LO:HI`` texts); ``design`` is ``grid`` or ``lhs``; ``points`` the
    levels per parameter (grid) or the points in all (lhs); ``runs`` the replications per point;
    ``outcomes`` the outcomes studied; ``precision`` the wanted half-width of the main effects' 95%
    bands (a :class:`BlocsimWarning` names the outcomes whose bands are wider)."""
    a = Args("sweep")
    _experiment(a, scenario, set, params, outcomes, runs, seed, threads, out, force, plots, plot_scale)
    a.choice("design", design, ("grid", "lhs"))
    a.whole("points", points, 1, 10**7, what="a number of points")
    a.number("precision", precision, 0.0, float("inf"), what="a half-width")
    return _opened(_invoke(a, progress))


def sensitivity(scenario: ScenarioArg, params: Union[Mapping[str, Tuple[float, float]], Iterable[str], None] = None,
                method: str = "sobol", samples: Optional[int] = None, trajectories: Optional[int] = None,
                levels: Optional[int] = None, runs: int = 10, seed: Optional[int] = None, threads: Optional[int] = None,
                out: PathArg = None, *, outcomes: Sequence[str] = (), set: Sets = None, plots: bool = True,
                plot_scale: float = 2.0, force: bool = False, progress: ProgressArg = True,
                precision: Optional[float] = None) -> Sensitivity:
    """Global sensitivity analysis, as ``blocsim sensitivity``: Sobol indices (``samples`` base
    samples, a power of two) or Morris elementary effects (``trajectories``, ``levels``), over
    ``params`` (default: the scenario's drawn parameters)."""
    a = Args("sensitivity")
    _experiment(a, scenario, set, params, outcomes, runs, seed, threads, out, force, plots, plot_scale)
    a.choice("method", method, ("sobol", "morris"))
    a.whole("samples", samples, 1, 2**32, what="a number of base samples")
    a.whole("trajectories", trajectories, 1, 10**7, what="a number of trajectories")
    a.whole("levels", levels, 2, 10**6, what="a number of grid levels")
    a.number("precision", precision, 0.0, float("inf"), what="a half-width")
    return _opened(_invoke(a, progress))


def discover(sweep: Union[Sweep, PathArg], where: str, alpha: Optional[float] = None, min_mass: Optional[float] = None,
             min_coverage: Optional[float] = None, boxes: Optional[int] = None, out: PathArg = None, *,
             plots: bool = True, plot_scale: float = 2.0, force: bool = False) -> Discovery:
    """Scenario discovery (PRIM) on a sweep's runs, as ``blocsim discover``: ``where`` is the
    condition, e.g. ``"final_gdp_share.telecom.CN > 0.5"``."""
    a = Args("discover")
    a.positional(str(sweep.dir) if isinstance(sweep, Result) else path_text("discover", "sweep", sweep, kind="sweep directory"))
    a.text("where", where, what="a condition such as 'fragmentation > 0.3'")
    a.number("alpha", alpha, 0.0, 1.0, what="a share")
    a.number("min_mass", min_mass, 0.0, 1.0, what="a share")
    a.number("min_coverage", min_coverage, 0.0, 1.0, what="a share")
    a.whole("boxes", boxes, 1, 1000, what="a number of boxes")
    _output(a, out, "discover", force)
    a.charts(plots, plot_scale)
    return _opened(_invoke(a))
