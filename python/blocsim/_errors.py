"""blocsim's exceptions, each also the built-in exception Python code expects.

- :class:`BlocsimError`: a command failed (the command line's exit code 1, e.g. a disk error).
- :class:`InputError` (a ``ValueError``): bad input, the command line's exit code 2: a scenario,
  a keyword's value, a data file, an output directory in use.
- :class:`InputTypeError` (a ``TypeError``): a keyword of the wrong type (``runs="ten"``).
- :class:`MissingFileError` (a ``FileNotFoundError``): a file or directory given does not exist.
- :class:`StaleResultError`: a result's output directory was written again since it was read.

The messages are the command line's, with its flags reworded as the Python keywords
(``--resume`` -> ``resume=True``, ``--runs 0`` -> ``runs=0``).
"""

from __future__ import annotations

import errno
import functools
import re
from typing import Iterable


class BlocsimError(Exception):
    """A blocsim command failed; the message is the command line's."""


class InputError(BlocsimError, ValueError):
    """Bad input: a scenario, keyword, data file or output directory (the command line's exit code 2)."""


class InputTypeError(BlocsimError, TypeError):
    """A keyword argument of the wrong type."""


class MissingFileError(BlocsimError, FileNotFoundError):
    """A scenario file, data directory or output directory that does not exist."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(errno.ENOENT, message)
        self.filename = path or None
        self.message = message

    def __str__(self) -> str:
        return self.message


class StaleResultError(BlocsimError):
    """The result's directory was written again (by another command or process) since it was read."""


#: Flags whose Python keyword is not the flag's name (repeatable flags take a list).
_KEYWORD = {
    "set": "set",
    "param": "params",
    "outcome": "outcomes",
    "free": "free",
    "no-plots": "plots",
    "no-detail": "detail",
    "no-profiles": "profiles",
}

# A flag, then its value if a clause ends right after it ("--runs 0: expected ...", "--param
# a=1:3: low above high"); otherwise the flag alone ("raise --trajectories and ...").
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?:([ =])(\S+?)(?=:(?:\s|$)))?(?![a-z0-9-])")


@functools.lru_cache(maxsize=None)
def command_flags(command: str) -> tuple[tuple[str, bool], ...]:
    """The subcommand's flags as ``(name, takes_value)``, from the library's own definitions."""
    from . import _native

    return tuple((long, takes) for _id, long, takes, _rep, _hid in _native.flags(command) if long)


def in_python(message: str, command: str) -> str:
    """``message`` with the flags of ``command`` reworded as its Python keywords."""
    return reworded(message, command_flags(command))


def reworded(message: str, flags: Iterable[tuple[str, bool]]) -> str:
    """``message`` with each of the command's flags (``(name, takes_value)``) as a Python keyword."""
    known = dict(flags)

    def one(m: re.Match) -> str:
        name, sep, value = m.group(1), m.group(2), m.group(3)
        if name not in known:
            return m.group(0)
        keyword = _KEYWORD.get(name, name.replace("-", "_"))
        if name.startswith("no-"):
            return f"{keyword}=False" + (f"{sep}{value}" if value else "")
        if not known[name]:
            return f"{keyword}=True" + (f"{sep}{value}" if value else "")
        if name in _KEYWORD and value:
            return f"{keyword} item {value!r}"
        return f"{keyword}={value}" if value else keyword

    return _FLAG.sub(one, message)
