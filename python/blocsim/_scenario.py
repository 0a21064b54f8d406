"""Scenarios: a bundled name or a TOML file, with ``--set`` overrides, loaded and validated."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Union

from . import _native
from ._args import scenario_text
from ._errors import InputError, InputTypeError, in_python

#: What ``set=`` accepts: a mapping of key paths to values, or ``PATH=VALUE`` texts as on the command line.
Sets = Union[Mapping[str, Any], Iterable[str], None]


def toml_value(value: Any) -> str:
    """The ``--set`` text of a Python value.

    ``bool`` -> ``true``/``false``; ``int`` and ``float`` -> the number; ``str`` -> the text itself
    (read as the command line reads it: a TOML value, else a string, so ``"sequential"`` works);
    a mapping -> a TOML inline table (``{"dist": "uniform", "low": 1, "high": 2}``); a list or tuple
    -> a TOML array.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # "inf" and "nan" are refused with the command line's message
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k} = {_quoted(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_quoted(v) for v in value) + "]"
    raise InputTypeError(f"set: cannot write a {type(value).__name__} as a scenario value: expected a number, bool, str, dict or list")


def _quoted(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return toml_value(value)


def set_texts(sets: Sets) -> list[str]:
    """``set=`` as the command line's ``PATH=VALUE`` texts, in order."""
    if sets is None:
        return []
    if isinstance(sets, str):
        return [sets]
    if isinstance(sets, Mapping):
        for k in sets:
            if not isinstance(k, str):
                raise InputTypeError(f"set: key {k!r}: expected a key path (str) such as 'choice.lambda'")
        return [f"{k}={toml_value(v)}" for k, v in sets.items()]
    if not isinstance(sets, Iterable):
        raise InputTypeError(f"set={sets!r}: expected a dict of key paths to values or a list of 'PATH=VALUE' texts")
    out = []
    for s in sets:
        if not isinstance(s, str):
            raise InputTypeError(f"set: item {s!r}: expected a 'PATH=VALUE' text")
        out.append(s)
    return out


@dataclass(frozen=True)
class Uncertain:
    """A parameter drawn per run: its key path, distribution and range.

    ``low``/``high`` are the distribution's support, or mean +- 2 sd for a normal (for a lognormal,
    exp(mu +- 2 sigma)): the range ``sensitivity`` and the EMA Workbench model use.
    """

    key: str
    dist: str
    spec: str
    low: float
    high: float


@dataclass(frozen=True)
class Outcome:
    """An outcome of the registry under its one canonical name (``final_share.cloud.US``): the
    ``runs.csv`` column, the ``summary.json`` path, the comparison's ``outcome`` and the
    ``outcomes=`` selector. ``compared``: paired by ``compare``; ``default``: studied when no
    ``outcomes=`` is given; ``selectable``: a number in every run (``tipping_year`` is not).
    """

    name: str
    family: str
    about: str
    compared: bool
    default: bool
    selectable: bool


@dataclass(frozen=True)
class Scenario:
    """A scenario loaded and validated, with its overrides.

    Create it with :meth:`Scenario.load`. ``source`` is the name or path given; ``sets`` the
    ``PATH=VALUE`` overrides, as the command line's ``--set`` takes them.
    """

    source: str
    sets: tuple[str, ...]
    name: str
    description: str
    frameworks: tuple[str, ...]
    domains: tuple[str, ...]
    start: int
    end: int
    states: int
    runs: int
    seed: int
    uncertain: tuple[Uncertain, ...]
    outcomes: tuple[Outcome, ...] = field(repr=False)
    resolved: str = field(repr=False)

    @classmethod
    def load(cls, scenario: Union[str, os.PathLike], set: Sets = None) -> "Scenario":
        """Load a bundled scenario by name (``"baseline"``) or a TOML file, with overrides.

        ``set`` maps key paths to values, as ``--set PATH=VALUE`` does:
        ``Scenario.load("baseline", set={"choice.lambda": 2.5})``. Bad input raises
        :class:`blocsim.InputError` with the command line's message (file:line:column, key path,
        what was expected).
        """
        source = scenario_text("Scenario.load", "scenario", scenario)
        texts = set_texts(set)
        try:
            info = _native.load(source, texts)
        except InputError as e:
            raise InputError(in_python(str(e), "check")) from None
        return cls(
            source=source,
            sets=tuple(texts),
            name=info["name"],
            description=info["description"],
            frameworks=tuple(info["frameworks"]),
            domains=tuple(info["domains"]),
            start=info["start"],
            end=info["end"],
            states=info["states"],
            runs=info["runs"],
            seed=info["seed"],
            uncertain=tuple(Uncertain(**u) for u in info["uncertain"]),
            outcomes=tuple(Outcome(**o) for o in info["outcomes"]),
            resolved=info["resolved"],
        )

    def with_set(self, set: Sets) -> "Scenario":
        """This scenario with more overrides (applied after the existing ones)."""
        return Scenario.load(self.source, list(self.sets) + set_texts(set))

    def check(self) -> str:
        """What ``blocsim check`` prints for this scenario."""
        return _native.invoke(["check", self.source, *_set_flags(self.sets)], [])["text"]

    def save(self, path: Union[str, os.PathLike]) -> "Scenario":
        """Write the scenario, overrides applied, as a TOML file (its canonical resolved form, with
        the files it names made absolute: the command line reads it as this same scenario from any
        directory, ``blocsim batch PATH``), and load it from there."""
        if not isinstance(path, (str, os.PathLike)):
            raise InputTypeError(f"Scenario.save(path={path!r}): expected a path (str or os.PathLike)")
        target = os.path.abspath(os.fspath(path))
        if not target.endswith(".toml"):
            raise InputError(f"Scenario.save({os.fspath(path)!r}): expected a .toml path")
        text = self.resolved
        if os.path.isfile(self.source):
            # Files the scenario names (a vintage, custom world, draws) are relative to its directory.
            text = _native.portable(text, os.path.dirname(self.source))
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        return Scenario.load(target)


def as_scenario(s: Union[Scenario, str, os.PathLike], command: str = "", name: str = "scenario") -> tuple[str, list[str]]:
    """(source, sets) of a Scenario, a name or a path (made absolute)."""
    if isinstance(s, Scenario):
        return s.source, list(s.sets)
    return scenario_text(command, name, s), []


def _set_flags(sets: Iterable[str]) -> list[str]:
    out: list[str] = []
    for s in sets:
        out += ["--set", s]
    return out
