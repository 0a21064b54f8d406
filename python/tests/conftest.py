"""Shared helpers of the Python tests: the blocsim binary of this clone, run like a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def blocsim_binary() -> Path:
    """The command line built from this clone (``BLOCSIM_BIN``, else ``target/release/blocsim``)."""
    given = os.environ.get("BLOCSIM_BIN")
    path = Path(given) if given else ROOT / "target" / "release" / "blocsim"
    if not path.is_file():
        # Fail, never skip: the byte-identity tests are the point of this suite.
        raise RuntimeError(f"{path}: no blocsim binary; run `cargo build --release` first or set BLOCSIM_BIN")
    return path


@pytest.fixture(scope="session")
def cli():
    """Run the blocsim binary; returns the CompletedProcess (text)."""
    exe = blocsim_binary()

    def run(*args: object, cwd: "Path | None" = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)

    return run


def cli_error(proc: subprocess.CompletedProcess) -> str:
    """The command line's message: its stderr line after ``error: ``."""
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0][len("error: "):]


def same_bytes(a: Path, b: Path) -> bool:
    """``cmp a b`` (the byte-identity check users run)."""
    if shutil.which("cmp"):
        return subprocess.run(["cmp", str(a), str(b)], capture_output=True).returncode == 0
    return a.read_bytes() == b.read_bytes()
