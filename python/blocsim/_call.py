"""How a Python function runs a subcommand: the arguments through the library's own parser and
``commands::execute`` (``_native.invoke``), its errors and warnings in Python's words, the scenario
and output arguments every command shares."""

from __future__ import annotations

import os
import warnings
from typing import Any, Union

from . import _native, _outdir
from ._args import Args, path_text
from ._errors import InputError, in_python
from ._progress import ProgressArg, Reporter
from ._results import Result, open_dir
from ._scenario import Scenario, Sets, as_scenario, set_texts

PathArg = Union[str, "os.PathLike[str]", None]
ScenarioArg = Union[Scenario, str, "os.PathLike[str]"]


class BlocsimWarning(UserWarning):
    """What the command line prints as ``warning: ...`` (e.g. a sweep's noisy outcomes)."""


def _invoke(a: Args, progress: ProgressArg = False) -> dict[str, Any]:
    """Run the arguments; errors and warnings speak Python (keywords, not flags)."""
    try:
        with Reporter(progress, a.command) as r:
            info = _native.invoke(a.args, ["blocsim-python", *a.args], r.callback)
    except InputError as e:
        raise _invoke_error(e, a.command) from None
    for w in info["warnings"]:
        warnings.warn(in_python(w, a.command), BlocsimWarning, stacklevel=3)
    return info


def _invoke_error(e: InputError, command: str) -> InputError:
    """The library's message with the command's flags as Python keywords."""
    return InputError(in_python(str(e), command))


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

