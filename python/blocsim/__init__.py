"""blocsim in Python: Monte Carlo batches, comparisons and sweeps of states aligning, domain by
domain, with EU, US and Chinese digital frameworks, with the results as pyarrow Tables.

>>> import blocsim
>>> s = blocsim.Scenario.load("baseline", set={"choice.lambda": 2.5})
>>> b = blocsim.batch(s, runs=1000, seed=1, threads=2)
>>> b.runs.to_pandas()            # one row per run
>>> b.plot("fan", domain="cloud") # the command line's chart, shown inline in a notebook

Each function calls the same library function as the corresponding ``blocsim`` subcommand and
writes the same output directory, byte for byte. Bad input raises :class:`InputError` (the command
line's exit code 2) and other failures :class:`BlocsimError`, with the command line's message.
Long commands release the GIL and stop between chunks of runs on Ctrl-C (``KeyboardInterrupt``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from ._native import BlocsimError, InputError
from ._progress import ProgressArg, Reporter
from ._results import Batch, Chart, Comparison, Sweep
from ._scenario import Outcome, Scenario, Sets, Uncertain, as_scenario, set_texts

__all__ = [
    "BlocsimError",
    "InputError",
    "Scenario",
    "Uncertain",
    "Outcome",
    "Batch",
    "Comparison",
    "Sweep",
    "Chart",
    "batch",
    "compare",
    "sweep",
    "plot",
    "scenarios",
    "read_table",
]

__version__: str = _native.VERSION

PathArg = Union[str, os.PathLike, None]
ScenarioArg = Union[Scenario, str, os.PathLike]


def _command(name: str, *args: object) -> list[str]:
    """The manifest's record of the call: the equivalent command line, marked as from Python."""
    out = ["blocsim-python", name]
    for a in args:
        if a is None or a is False:
            continue
        out.append(str(a))
    return out


def _flags(**flags: object) -> list[str]:
    out: list[str] = []
    for k, v in flags.items():
        if v is None or v is False:
            continue
        flag = "--" + k.replace("_", "-")
        if isinstance(v, (list, tuple)):
            for item in v:  # sets -> --set, params -> --param, outcomes -> --outcome
                out += [flag[:-1], str(item)]
        elif v is True:
            out.append(flag)
        else:
            out += [flag, str(v)]
    return out


def _out(out: PathArg) -> Optional[str]:
    return None if out is None else os.fspath(out)


def scenarios() -> str:
    """The bundled scenarios, one line each (``blocsim scenarios``)."""
    return _native.scenarios()


def read_table(path: Union[str, os.PathLike]) -> "pyarrow.Table":  # noqa: F821
    """Any ``.csv`` or ``.parquet`` table of an output directory as a pyarrow Table."""
    return _native.read_table(os.fspath(path))


def batch(
    scenario: ScenarioArg,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: PathArg = None,
    *,
    set: Sets = None,
    plots: bool = True,
    plot_scale: float = 2.0,
    detail: bool = True,
    resume: bool = False,
    force: bool = False,
    progress: ProgressArg = True,
) -> Batch:
    """A Monte Carlo batch, as ``blocsim batch`` (same defaults, same files).

    ``scenario`` is a :class:`Scenario`, a bundled name or a TOML path; ``set`` adds overrides.
    ``runs``/``seed`` default to the scenario's ``[batch]``, ``threads`` to one per core, ``out`` to
    ``output/<scenario-name>/``. ``plots=False`` is ``--no-plots``, ``detail=False`` ``--no-detail``.
    ``progress=True`` shows a bar (a widget in notebooks); a callable gets ``(done, total)``.
    Ctrl-C stops the batch after its current chunk and raises ``KeyboardInterrupt``; the checkpoint
    is kept, and ``resume=True`` continues it.
    """
    source, sets = as_scenario(scenario)
    sets += set_texts(set)
    command = _command("batch", source) + _flags(
        runs=runs, seed=seed, threads=threads, out=_out(out), sets=sets, resume=resume, force=force,
        no_plots=not plots, no_detail=not detail,
    )
    with Reporter(progress, "batch") as r:
        info = _native.batch(
            source, sets, runs, seed, threads, _out(out), plot_scale if plots else None, detail, resume, force,
            command, r.callback,
        )
    return Batch(info["dir"], info)


def compare(
    baseline: ScenarioArg,
    alternative: ScenarioArg,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: PathArg = None,
    *,
    set: Sets = None,
    plots: bool = True,
    plot_scale: float = 2.0,
    force: bool = False,
    progress: ProgressArg = True,
) -> Comparison:
    """The alternative against the baseline on common random numbers, as ``blocsim compare``.

    ``set`` (and an alternative :class:`Scenario`'s own overrides) change the alternative only;
    the baseline takes none, as on the command line. The result's ``differences`` table holds the
    paired differences with their 95% intervals.
    """
    base, base_sets = as_scenario(baseline)
    if base_sets:
        raise InputError(
            "compare: the baseline takes no overrides (--set changes the alternative only); "
            "load the baseline without set= or save it as a scenario file"
        )
    alt, sets = as_scenario(alternative)
    sets += set_texts(set)
    command = _command("compare", base, alt) + _flags(
        runs=runs, seed=seed, threads=threads, out=_out(out), sets=sets, force=force, no_plots=not plots,
    )
    with Reporter(progress, "compare") as r:
        info = _native.compare(
            base, alt, sets, runs, seed, threads, _out(out), force, plot_scale if plots else None, command,
            r.callback,
        )
    return Comparison(info["dir"], info)


def sweep(
    scenario: ScenarioArg,
    params: Union[Mapping[str, Tuple[float, float]], Iterable[str]],
    design: str = "grid",
    points: Optional[int] = None,
    runs: int = 10,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: PathArg = None,
    *,
    outcomes: Sequence[str] = (),
    set: Sets = None,
    plots: bool = True,
    plot_scale: float = 2.0,
    force: bool = False,
    progress: ProgressArg = True,
    precision: Optional[float] = None,
) -> Sweep:
    """A parameter sweep, as ``blocsim sweep``.

    ``params`` maps key paths to ``(low, high)`` ranges (``{"utility.network": (1, 3)}``), or is a
    list of ``PATH=LO:HI`` texts; ``design`` is ``grid`` or ``lhs``; ``points`` the levels per
    parameter (grid) or the points in all (lhs); ``runs`` the replications per point (common
    random numbers); ``outcomes`` the ``--outcome`` selectors; ``precision`` the wanted
    half-width of the main effects' 95% bands (``--precision``, in outcome units): a warning names
    the outcomes whose bands are wider and the replications that would reach it.
    """
    source, sets = as_scenario(scenario)
    sets += set_texts(set)
    if isinstance(params, Mapping):
        texts = [f"{k}={_number(lo)}:{_number(hi)}" for k, (lo, hi) in params.items()]
    else:
        texts = [str(p) for p in params]
    command = _command("sweep", source) + _flags(
        params=texts, design=design, points=points, runs=runs, seed=seed, threads=threads, out=_out(out),
        sets=sets, outcomes=list(outcomes), force=force, no_plots=not plots, precision=precision,
    )
    with Reporter(progress, "sweep") as r:
        info = _native.sweep(
            source, sets, texts, design, points, list(outcomes), runs, seed, threads, _out(out), force,
            plot_scale if plots else None, command, r.callback, precision,
        )
    return Sweep(info["dir"], info)


def plot(dir: Union[str, os.PathLike], plot_scale: float = 2.0) -> list[str]:
    """Redraw every chart (and the report) of a saved output directory, as ``blocsim plot DIR``."""
    return _native.plot(os.fspath(dir), plot_scale)


def _number(v: float) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def __getattr__(name: str) -> object:
    if name == "ema":
        from . import ema

        return ema
    raise AttributeError(f"module 'blocsim' has no attribute {name!r}")
