"""Every ``blocsim`` subcommand as a Python function.

Each function checks its keywords (:mod:`blocsim._args`), builds the command line's arguments and
runs them through the library's own parser and ``commands::execute`` (``_native.invoke``), so the
files written are the command line's, byte for byte, and every flag is the command line's. A
command that writes a directory returns its result (:mod:`blocsim._kinds`); without ``out=`` it
writes into a fresh temporary directory (:mod:`blocsim._outdir`), so two calls never overwrite
each other.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

from . import _native
from ._args import Args, path_text
from ._call import BlocsimWarning, PathArg, ScenarioArg, _invoke, _invoke_error, _opened, _output, _source
from ._errors import InputError, InputTypeError
from ._experiments import discover, sensitivity, sweep
from ._kinds import Batch, Comparison, Run, Shard
from ._panel import calibrate, forecast, hindcast
from ._progress import ProgressArg
from ._results import Result
from ._scenario import Sets, as_scenario

__all__ = ["BlocsimWarning", "BenchReport", "run", "batch", "merge", "plot", "check", "meanfield", "scenarios",
           "compare", "sweep", "sensitivity", "discover", "calibrate", "forecast", "hindcast", "bench",
           "ScenarioArg", "PathArg", "_invoke_error"]


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
    a.off_switch("detail", detail, "--no-detail")
    _output(a, out, name, force)
    a.charts(plots, plot_scale)
    return _opened(_invoke(a, progress))


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
