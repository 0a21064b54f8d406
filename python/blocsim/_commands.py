"""Every ``blocsim`` subcommand as a Python function.

Each function checks its keywords (:mod:`blocsim._args`), builds the command line's arguments and
runs them through the library's own parser and ``commands::execute`` (``_native.invoke``), so the
files written are the command line's, byte for byte, and every flag is the command line's. A
command that writes a directory returns its result (:mod:`blocsim._kinds`); without ``out=`` it
writes into a fresh temporary directory (:mod:`blocsim._outdir`), so two calls never overwrite
each other.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _native, _outdir
from ._args import Args, path_text, years
from ._errors import InputError, InputTypeError, reworded
from ._kinds import Batch, Calibration, Comparison, Discovery, Forecast, Hindcast, Run, Sensitivity, Shard, Sweep
from ._progress import ProgressArg, Reporter
from ._results import Result, open_dir
from ._scenario import Scenario, Sets, as_scenario, set_texts

PathArg = Union[str, "os.PathLike[str]", None]
ScenarioArg = Union[Scenario, str, "os.PathLike[str]"]


class BlocsimWarning(UserWarning):
    """What the command line prints as ``warning: ...`` (e.g. a sweep's noisy outcomes)."""


@functools.lru_cache(maxsize=None)
def _flags(command: str) -> tuple[tuple[str, bool], ...]:
    return tuple((long, takes) for _id, long, takes, _rep, _hid in _native.flags(command) if long)


def _invoke(a: Args, progress: ProgressArg = False) -> dict[str, Any]:
    """Run the arguments; errors and warnings speak Python (keywords, not flags)."""
    try:
        with Reporter(progress, a.command) as r:
            info = _native.invoke(a.args, ["blocsim-python", *a.args], r.callback)
    except InputError as e:
        raise _invoke_error(e, a.command) from None
    for w in info["warnings"]:
        warnings.warn(reworded(w, _flags(a.command)), BlocsimWarning, stacklevel=3)
    return info


def _invoke_error(e: InputError, command: str) -> InputError:
    """The library's message with the command's flags as Python keywords."""
    return InputError(reworded(str(e), _flags(command)))


def _source(a: Args, scenario: ScenarioArg, set: Sets, name: str = "scenario") -> str:
    """Add the scenario and its overrides; returns a name for the default output directory."""
    source, sets = as_scenario(scenario, a.command, name)
    a.positional(source)
    a.texts("set", sets + set_texts(set), "--set")
    return os.path.splitext(os.path.basename(source))[0]


def _output(a: Args, out: PathArg, name: str, force: bool) -> None:
    path = _outdir.fresh(a.command, name) if out is None else path_text(a.command, "out", out, must_exist=False)
    a.args += ["--out", path]
    a.switch("force", force, "--force")


def _opened(info: dict[str, Any]) -> Result:
    r = open_dir(info["dir"])
    r.info = info
    return r


def run(scenario: ScenarioArg, run: int = 0, seed: Optional[int] = None, out: PathArg = None, *,
        set: Sets = None, force: bool = False) -> Run:
    """One run and its trajectory (``blocsim run``): run ``run`` of the batch with ``seed``."""
    a = Args("run")
    name = _source(a, scenario, set)
    a.whole("run", run, 0, _native.MAX_RUNS - 1, what="a run index")
    a.whole("seed", seed, 0, 2**64 - 1, what="a whole-number seed")
    _output(a, out, name, force)
    return _opened(_invoke(a))


def batch(scenario: ScenarioArg, runs: Optional[int] = None, seed: Optional[int] = None,
          threads: Optional[int] = None, out: PathArg = None, *, set: Sets = None,
          shard: Optional[Union[str, Tuple[int, int]]] = None, plots: bool = True, plot_scale: float = 2.0,
          detail: bool = True, resume: bool = False, force: bool = False, progress: ProgressArg = True) -> Union[Batch, Shard]:
    """A Monte Carlo batch, as ``blocsim batch`` (same defaults, same files).

    ``scenario`` is a :class:`Scenario`, a bundled name or a TOML path; ``set`` adds overrides.
    ``runs``/``seed`` default to the scenario's ``[batch]``, ``threads`` to one per core, ``out``
    to a new temporary directory. ``shard=(i, n)`` (or ``"i/n"``, ``"auto"``) runs one shard, to
    be merged with :func:`merge`. ``plots=False`` is ``--no-plots``, ``detail=False``
    ``--no-detail``. ``progress=True`` shows a bar (a widget in notebooks); a callable gets
    ``(done, total)``. Ctrl-C stops the batch after its current chunk and raises
    ``KeyboardInterrupt``; the checkpoint is kept, and the same call with ``resume=True`` (and the
    same ``out=``) finishes it.
    """
    a = Args("batch")
    name = _source(a, scenario, set)
    a.plan(runs, seed, threads)
    if shard is not None:
        a.text("shard", _shard_text(shard), what="(index, count) or 'I/N' or 'auto'")
    a.switch("resume", resume, "--resume")
    if resume and out is None:
        raise InputError("batch(resume=True): expected out=, the directory of the interrupted batch")
    a.switch("detail", not _checked_bool(a, "detail", detail), "--no-detail")
    _output(a, out, name, force)
    a.charts(plots, plot_scale)
    return _opened(_invoke(a, progress))


def _checked_bool(a: Args, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise a.type_error(name, value, "True or False")
    return value


def _shard_text(shard: Union[str, Tuple[int, int]]) -> str:
    if isinstance(shard, str):
        return shard
    if isinstance(shard, Sequence) and len(shard) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in shard):
        return f"{shard[0]}/{shard[1]}"
    raise InputTypeError(f"batch(shard={shard!r}): expected (index, count), 'I/N' or 'auto'")


def merge(shards: Iterable[Union[Shard, PathArg]], out: PathArg = None, *, plots: bool = True,
          plot_scale: float = 2.0, force: bool = False) -> Batch:
    """Merge the shards of one batch (:class:`Shard` results or their directories) into the batch a
    single machine would have written, as ``blocsim merge``."""
    a = Args("merge")
    if isinstance(shards, (str, os.PathLike)) or not isinstance(shards, Iterable):
        raise InputTypeError(f"merge(shards={shards!r}): expected a list of shard results or directories")
    dirs = [str(s.dir) if isinstance(s, Result) else path_text("merge", "shards", s, kind="shard directory") for s in shards]
    a.args += dirs
    _output(a, out, "merged", force)
    a.charts(plots, plot_scale)
    return _opened(_invoke(a))


def plot(result: Union[Result, PathArg], plot_scale: float = 2.0) -> list[str]:
    """Redraw every chart (and the report) of an output directory, as ``blocsim plot DIR``; returns
    the files drawn (``plots/fan_count_cloud.svg``, ``report.html``, ...). ``result`` is a result
    or a directory."""
    a = Args("plot")
    a.positional(str(result.dir) if isinstance(result, Result) else path_text("plot", "result", result, kind="output directory"))
    a.number("plot_scale", plot_scale, 0.25, 16.0, what="a PNG resolution multiplier")
    files = _invoke(a)["files"]
    if isinstance(result, Result):
        result._refresh()
    return list(files)


def check(scenario: ScenarioArg, *, set: Sets = None) -> str:
    """What ``blocsim check`` prints: the scenario resolved."""
    a = Args("check")
    _source(a, scenario, set)
    return _invoke(a)["text"]


def meanfield(scenario: ScenarioArg, *, set: Sets = None) -> str:
    """What ``blocsim meanfield`` prints: each domain's mean-field fixed points and their stability."""
    a = Args("meanfield")
    _source(a, scenario, set)
    return _invoke(a)["text"]


def scenarios() -> str:
    """The bundled scenarios, one line each (``blocsim scenarios``)."""
    return _invoke(Args("scenarios"))["text"]


def compare(baseline: ScenarioArg, alternative: ScenarioArg, runs: Optional[int] = None, seed: Optional[int] = None,
            threads: Optional[int] = None, out: PathArg = None, *, set: Sets = None, plots: bool = True,
            plot_scale: float = 2.0, force: bool = False, progress: ProgressArg = True) -> Comparison:
    """The alternative against the baseline on common random numbers, as ``blocsim compare``.

    ``set`` (and an alternative :class:`Scenario`'s own overrides) change the alternative only;
    the baseline takes none, as on the command line."""
    a = Args("compare")
    base, base_sets = as_scenario(baseline, "compare", "baseline")
    if base_sets:
        raise InputError(
            "compare(baseline=...): the baseline takes no overrides (set= changes the alternative only); "
            "save the baseline with Scenario.save(path) and pass the path"
        )
    a.positional(base)
    alt = _source(a, alternative, set, "alternative")
    a.plan(runs, seed, threads)
    _output(a, out, f"{os.path.splitext(os.path.basename(base))[0]}--{alt}", force)
    a.charts(plots, plot_scale)
    return _opened(_invoke(a, progress))


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
    a.switch("profiles", not _checked_bool(a, "profiles", profiles), "--no-profiles")
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


class BenchReport:
    """``blocsim bench``'s measurements: ``json`` (the ``--json`` record), ``text`` (the table)."""

    def __init__(self, info: dict[str, Any]) -> None:
        import json

        self.text: str = info["text"]
        self.json: dict[str, Any] = json.loads(info["json"])

    def __repr__(self) -> str:
        return self.text


def bench(scenario: ScenarioArg = "bench/logit-network", agents: Optional[Sequence[int]] = None,
          steps: Optional[int] = None, runs: Optional[int] = None, threads: Optional[Sequence[int]] = None,
          repeats: Optional[int] = None, warmup: Optional[int] = None, seed: Optional[int] = None, *,
          set: Sets = None) -> BenchReport:
    """Throughput, as ``blocsim bench``: agent-updates per second per world size and thread count."""
    a = Args("bench")
    _source(a, scenario, set)
    for key, values in (("agents", agents), ("threads", threads)):
        if values is not None:
            if isinstance(values, int) and not isinstance(values, bool):
                values = [values]
            if not isinstance(values, Sequence) or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
                raise InputTypeError(f"bench({key}={values!r}): expected a list of positive ints")
            a.args += [f"--{key}", ",".join(map(str, values))]
    a.whole("steps", steps, 1, 10_000, what="a number of steps")
    a.whole("runs", runs, 1, _native.MAX_RUNS, what="a whole number of runs")
    a.whole("repeats", repeats, 1, 1000, what="a number of repeats")
    a.whole("warmup", warmup, 0, 1000, what="a number of warm-up repeats")
    a.whole("seed", seed, 0, 2**64 - 1, what="a whole-number seed")
    return BenchReport(_invoke(a))
