"""A subcommand's arguments, built from Python keywords that are checked first.

Each check raises the Python exception a Python function would (:class:`InputTypeError` for a
wrong type, :class:`InputError`, a ``ValueError``, for a wrong value, :class:`MissingFileError`
for a path that does not exist), naming the function and the keyword; the library then validates
the values as the command line does. Paths are made absolute, so a later ``os.chdir`` changes
nothing.
"""

from __future__ import annotations

import numbers
import os
from typing import Any, Iterable, Optional, Sequence

from . import _native
from ._errors import InputError, InputTypeError, MissingFileError

#: Largest seed: the command line's is an unsigned 64-bit number.
MAX_SEED = 2**64 - 1


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Args:
    """The argument list of one call of ``command``: ``args[0]`` is the subcommand."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.args: list[str] = [command]

    def _where(self, name: str, value: Any) -> str:
        return f"{self.command}({name}={value!r})"

    def type_error(self, name: str, value: Any, expected: str) -> InputTypeError:
        return InputTypeError(f"{self._where(name, value)}: expected {expected}, not {type(value).__name__}")

    def value_error(self, name: str, value: Any, expected: str) -> InputError:
        return InputError(f"{self._where(name, value)}: expected {expected}")

    def positional(self, text: str) -> "Args":
        self.args.append(text)
        return self

    def whole(self, name: str, value: Optional[int], low: int, high: int, flag: Optional[str] = None, what: str = "") -> Optional[int]:
        """A whole number in ``low..=high`` (None: the flag is left out)."""
        if value is None:
            return None
        what = what or "a whole number"
        if not _is_int(value):
            raise self.type_error(name, value, f"{what} (an int)")
        if not low <= int(value) <= high:
            raise self.value_error(name, value, f"{what} from {low} to {high}")
        self.args += [flag or "--" + name.replace("_", "-"), str(int(value))]
        return int(value)

    def number(self, name: str, value: Optional[float], low: float, high: float, flag: Optional[str] = None, what: str = "a number") -> None:
        """A finite number in ``low..=high`` (None: left out)."""
        if value is None:
            return
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise self.type_error(name, value, f"{what} (a float)")
        if not low <= float(value) <= high:
            raise self.value_error(name, value, f"{what} from {low:g} to {high:g}")
        self.args += [flag or "--" + name.replace("_", "-"), repr(float(value))]

    def text(self, name: str, value: Optional[str], flag: Optional[str] = None, what: str = "a str") -> None:
        """A text (None: left out)."""
        if value is None:
            return
        if not isinstance(value, str):
            raise self.type_error(name, value, what)
        self.args += [flag or "--" + name.replace("_", "-"), value]

    def choice(self, name: str, value: Optional[str], choices: Sequence[str]) -> None:
        """One of ``choices`` (None: left out)."""
        if value is None:
            return
        if not isinstance(value, str):
            raise self.type_error(name, value, "a str")
        if value not in choices:
            raise self.value_error(name, value, " or ".join(repr(c) for c in choices))
        self.args += ["--" + name.replace("_", "-"), value]

    def off_switch(self, name: str, value: bool, flag: str) -> None:
        """A keyword that is ``True`` by default and adds ``flag`` (``--no-plots``) when ``False``."""
        if not isinstance(value, bool):
            raise self.type_error(name, value, "True or False")
        if not value:
            self.args.append(flag)

    def switch(self, name: str, value: bool, flag: str) -> None:
        """A ``True``/``False`` keyword that adds ``flag`` when it differs from the default."""
        if not isinstance(value, bool):
            raise self.type_error(name, value, "True or False")
        if value:
            self.args.append(flag)

    def texts(self, name: str, values: Iterable[str], flag: str) -> list[str]:
        """A repeated flag (``--set``, ``--param``, ``--outcome``, ``--free``), one per item."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise self.type_error(name, values, "a list of str")
        out = []
        for v in values:
            if not isinstance(v, str):
                raise self.type_error(name, v, f"str items in {name}")
            self.args += [flag, v]
            out.append(v)
        return out

    def plan(self, runs: Optional[int], seed: Optional[int], threads: Optional[int]) -> None:
        """``runs``, ``seed`` and ``threads`` with the command line's limits."""
        self.whole("runs", runs, 1, _native.MAX_RUNS, what="a whole number of runs")
        self.whole("seed", seed, 0, MAX_SEED, what="a whole-number seed")
        self.whole("threads", threads, 1, _native.MAX_THREADS, what="a number of worker threads")

    def charts(self, plots: bool, plot_scale: float) -> None:
        """``plots`` (``--no-plots``) and ``plot_scale`` (``--plot-scale``)."""
        self.off_switch("plots", plots, "--no-plots")
        self.number("plot_scale", plot_scale, 0.25, 16.0, what="a PNG resolution multiplier")


def path_text(command: str, name: str, value: Any, must_exist: bool = True, kind: str = "file or directory") -> str:
    """An absolute path from a ``str`` or ``os.PathLike``; missing -> :class:`MissingFileError`."""
    if not isinstance(value, (str, os.PathLike)):
        raise InputTypeError(f"{command}({name}={value!r}): expected a path (str or os.PathLike), not {type(value).__name__}")
    path = os.path.abspath(os.fspath(value))
    if must_exist and not os.path.exists(path):
        raise MissingFileError(f"{command}({name}={os.fspath(value)!r}): no such {kind}: {path}", path)
    return path


def scenario_text(command: str, name: str, value: Any) -> str:
    """A bundled scenario's name as given, or a scenario file's absolute path."""
    if not isinstance(value, (str, os.PathLike)):
        raise InputTypeError(
            f"{command}({name}={value!r}): expected a Scenario, a bundled scenario's name or a TOML path, "
            f"not {type(value).__name__}"
        )
    text = os.fspath(value)
    if os.path.exists(text):
        return os.path.abspath(text)  # what the library would read, made immune to os.chdir
    if isinstance(value, os.PathLike) or text.endswith(".toml"):
        return path_text(command, name, text, kind="scenario file")
    return text  # a bundled name (or an error from the library, which lists the bundled ones)


def years(command: str, name: str, value: Any) -> Optional[str]:
    """``(first, last)`` or ``"FIRST:LAST"`` as the command line's ``FIRST:LAST``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Sequence) and len(value) == 2 and all(_is_int(v) for v in value):
        return f"{int(value[0])}:{int(value[1])}"
    raise InputTypeError(f"{command}({name}={value!r}): expected (first, last) years or 'FIRST:LAST'")
