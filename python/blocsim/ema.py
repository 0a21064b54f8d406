"""blocsim as an EMA Workbench model (https://emaworkbench.readthedocs.io).

:func:`model` returns an ``ema_workbench.Model`` whose

- **uncertainties** are the scenario's drawn parameters (its ``dist = ...`` keys) with their ranges
  (:class:`blocsim.Uncertain`: the support, or mean +- 2 sd for a normal),
- **levers** are the keys you choose, with their ranges (integer keys become integer levers),
- **outcomes** are the outcomes ``compare`` pairs (:attr:`blocsim.Scenario.outcomes` with
  ``compared``: the final count and GDP shares of every domain and framework, fragmentation by
  domain and overall, hedging), each the mean over ``replications`` runs of a blocsim batch in which
  the experiment's values are fixed with ``--set``; ``variable_name`` is the outcome's canonical
  name and the EMA name its :func:`identifier`.

Every experiment uses the same seed, so experiments differ by their parameters only (common random
numbers). ``perform_experiments``, PRIM and feature scoring then work as with any EMA model:

>>> from ema_workbench import perform_experiments
>>> m = blocsim.ema.model("baseline", levers={"framework.EU.sponsor.budget": (0, 20000)})
>>> experiments, outcomes = perform_experiments(m, scenarios=50, policies=4)
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from ._errors import InputError, InputTypeError
from ._scenario import Scenario, Sets, as_scenario, set_texts, toml_value

__all__ = ["model", "identifier", "outcome_keys"]


def identifier(key: str) -> str:
    """An EMA name (a Python identifier) for a blocsim key path: ``choice.lambda`` -> ``choice_lambda``."""
    name = re.sub(r"\W", "_", key)
    return name if name[:1].isalpha() or name[:1] == "_" else "_" + name


def outcome_keys(s: Scenario) -> list[str]:
    """The canonical names of the outcomes the model reports (those ``compare`` pairs), which are
    also their keys in ``summary.json``."""
    return [o.name for o in s.outcomes if o.compared]


class _Run:
    """The model's function: one experiment as a small blocsim batch; picklable for EMA's pools."""

    def __init__(self, source: str, sets: list[str], keys: list[str], runs: int, seed: Optional[int], threads: Optional[int]):
        self.source, self.sets, self.keys = source, sets, keys
        self.runs, self.seed, self.threads = runs, seed, threads

    def __call__(self, **values: Any) -> dict[str, float]:
        sets = self.sets + [f"{k}={toml_value(_plain(v))}" for k, v in values.items()]
        with tempfile.TemporaryDirectory(prefix="blocsim-ema-") as tmp:
            out = os.path.join(tmp, "batch")
            args = ["batch", self.source, "--out", out, "--no-plots", "--no-detail"]
            for text in sets:
                args += ["--set", text]
            for flag, value in (("--runs", self.runs), ("--seed", self.seed), ("--threads", self.threads)):
                if value is not None:
                    args += [flag, str(value)]
            _native.invoke(args, ["blocsim-python", "ema", *args[1:]])
            table = _native.summary_table(os.path.join(out, "summary.json")).to_pydict()
        means = dict(zip(table["key"], table["mean"]))
        return {k: means[k] for k in self.keys}


def _plain(v: Any) -> Any:
    """numpy scalars (what EMA passes) as Python numbers."""
    return v.item() if hasattr(v, "item") else v


def model(
    scenario: Union[Scenario, str, os.PathLike],
    levers: Optional[Mapping[str, Tuple[float, float]]] = None,
    *,
    set: Sets = None,
    replications: int = 10,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    uncertainties: Optional[Sequence[str]] = None,
) -> "ema_workbench.Model":  # noqa: F821
    """An EMA Workbench model of a blocsim scenario (see the module's docstring).

    ``levers`` maps key paths to ``(low, high)``; ``uncertainties`` restricts the drawn parameters
    used (default: all of them); ``replications`` is the number of runs per experiment; ``seed``
    (default: the scenario's) is shared by every experiment. Unknown keys raise
    :class:`blocsim.InputError` with the command line's message.
    """
    from ema_workbench import IntegerParameter, Model, RealParameter, ScalarOutcome

    source, sets = as_scenario(scenario, "ema.model")
    sets += set_texts(set)
    s = Scenario.load(source, sets)
    drawn = {u.key: u for u in s.uncertain}
    chosen = list(drawn) if uncertainties is None else list(uncertainties)
    for key in chosen:
        if key not in drawn:
            raise InputError(
                f"uncertainties: {key!r} is not drawn per run in {s.name}; expected one of: {', '.join(drawn) or 'none'}"
            )
    lever_ranges = _native.resolve_params(source, sets, [f"{k}={lo}:{hi}" for k, (lo, hi) in (levers or {}).items()])
    for key, *_ in lever_ranges:
        if key in drawn:
            raise InputError(f"levers: {key!r} is drawn per run in {s.name}: it is an uncertainty, not a lever")
    if not isinstance(replications, int) or isinstance(replications, bool):
        raise InputTypeError(f"ema.model(replications={replications!r}): expected an int")
    if replications < 1:
        raise InputError(f"ema.model(replications={replications}): expected at least 1")
    keys = outcome_keys(s)
    m = Model(identifier(s.name), function=_Run(source, sets, keys, replications, seed, threads))
    m.uncertainties = [
        RealParameter(identifier(k), drawn[k].low, drawn[k].high, variable_name=k) for k in chosen
    ]
    m.levers = [
        (IntegerParameter(identifier(k), round(lo), round(hi), variable_name=k) if integer
         else RealParameter(identifier(k), lo, hi, variable_name=k))
        for k, lo, hi, integer in lever_ranges
    ]
    m.outcomes = [ScalarOutcome(identifier(k), variable_name=k) for k in keys]
    return m
