"""Type hints of blocsim._native, the Rust extension (python/src/lib.rs)."""

from typing import Any, Callable, Optional

import pyarrow

VERSION: str

class BlocsimError(Exception):
    """A blocsim command failed (the command line's exit code 1)."""

class InputError(BlocsimError):
    """Bad input (the command line's exit code 2)."""

ProgressCallback = Optional[Callable[[int, int], object]]

def scenarios() -> str: ...
def check(scenario: str, sets: list[str]) -> str: ...
def load(scenario: str, sets: list[str]) -> dict[str, Any]: ...
def resolve_params(scenario: str, sets: list[str], params: list[str]) -> list[tuple[str, float, float, bool]]: ...
def batch(
    scenario: str,
    sets: list[str],
    runs: Optional[int],
    seed: Optional[int],
    threads: Optional[int],
    out: Optional[str],
    plots: Optional[float],
    detail: bool,
    resume: bool,
    force: bool,
    command: list[str],
    progress: ProgressCallback = None,
) -> dict[str, Any]: ...
def compare(
    baseline: str,
    alternative: str,
    sets: list[str],
    runs: Optional[int],
    seed: Optional[int],
    threads: Optional[int],
    out: Optional[str],
    force: bool,
    plots: Optional[float],
    command: list[str],
    progress: ProgressCallback = None,
) -> dict[str, Any]: ...
def sweep(
    scenario: str,
    sets: list[str],
    params: list[str],
    design: str,
    points: Optional[int],
    outcomes: list[str],
    runs: int,
    seed: Optional[int],
    threads: Optional[int],
    out: Optional[str],
    force: bool,
    plots: Optional[float],
    command: list[str],
    progress: ProgressCallback = None,
    precision: Optional[float] = None,
) -> dict[str, Any]: ...
def plot(dir: str, png_scale: float = 2.0) -> list[str]: ...
def read_table(path: str) -> pyarrow.Table: ...
def summary_table(path: str) -> pyarrow.Table: ...
def _panic_probe(thread: bool) -> None: ...
