"""blocsim in Python: every ``blocsim`` subcommand as a function, results as objects holding
pyarrow Tables, and saved output directories reopened with :func:`open`.

>>> import blocsim
>>> s = blocsim.Scenario.load("baseline", set={"choice.lambda": 2.5})
>>> b = blocsim.batch(s, runs=1000, seed=1)   # a Batch; shown in a notebook as a table and a chart
>>> b.runs.to_pandas()                        # one row per run
>>> b.plot("fan", domain="cloud")             # the command line's chart, shown inline
>>> blocsim.open(b.dir)                       # any saved output directory, reopened

Each function runs the same library function as the corresponding subcommand, through the command
line's own parser, and writes the same files, byte for byte; without ``out=`` it writes into a
fresh temporary directory (removed when Python exits; ``result.save(path)`` keeps a copy). Bad
input raises :class:`InputError` (a ``ValueError``), :class:`InputTypeError` (a ``TypeError``)
or :class:`MissingFileError` (a ``FileNotFoundError``), naming the keyword; other failures
:class:`BlocsimError`. Long commands release the GIL and stop between chunks of runs on Ctrl-C
(``KeyboardInterrupt``). ``blocsim.ema`` (EMA Workbench) and ``blocsim.dask`` (shards of a batch
on a Dask cluster) are imported on first use.
"""

from __future__ import annotations

import importlib
import os

try:
    from . import _native
except ImportError:  # only when the extension was not built (or Python runs in python/)
    # `from None`: Python's own message here would blame a circular import, which misleads.
    raise ImportError(
        "blocsim's compiled extension (blocsim._native) is missing: this is the package's source folder "
        f"({__path__[0]}), not an installed blocsim. Install it with `pip install ./python` from the clone, "
        "and run Python from a directory other than python/ (there, `import blocsim` finds this folder first)."
    ) from None

from ._charts import Chart
from ._commands import (
    BenchReport,
    BlocsimWarning,
    batch,
    bench,
    calibrate,
    check,
    compare,
    discover,
    forecast,
    hindcast,
    meanfield,
    merge,
    plot,
    run,
    scenarios,
    sensitivity,
    sweep,
)
from ._errors import BlocsimError, InputError, InputTypeError, MissingFileError, StaleResultError
from ._kinds import Batch, Calibration, Comparison, Discovery, Forecast, Hindcast, Run, Sensitivity, Shard, Sweep
from ._results import Result
from ._results import open_dir as open
from ._scenario import Outcome, Scenario, Uncertain
from ._serve import Explorer, serve

__all__ = [
    # errors
    "BlocsimError", "InputError", "InputTypeError", "MissingFileError", "StaleResultError", "BlocsimWarning",
    # scenarios
    "Scenario", "Uncertain", "Outcome",
    # commands
    "run", "batch", "merge", "plot", "check", "compare", "serve", "sweep", "sensitivity", "discover",
    "scenarios", "bench", "meanfield", "calibrate", "forecast", "hindcast",
    # results
    "open", "read_table", "Result", "Batch", "Shard", "Run", "Comparison", "Sweep", "Sensitivity", "Discovery",
    "Calibration", "Forecast", "Hindcast", "Chart", "Explorer", "BenchReport",
]

__version__: str = _native.VERSION

#: Submodules imported on first use (they need optional packages).
_LAZY = ("ema", "dask")


def read_table(path: "str | os.PathLike[str]") -> "pyarrow.Table":  # noqa: F821
    """Any ``.csv`` or ``.parquet`` table of an output directory as a pyarrow Table."""
    from ._args import path_text

    return _native.read_table(path_text("read_table", "path", path, kind="table file"))


def __getattr__(name: str) -> object:
    # importlib, not `from . import name`: that form looks the name up on this module first and
    # would come back here.
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'blocsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
