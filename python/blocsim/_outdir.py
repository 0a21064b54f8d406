"""Where a command writes when no ``out=`` is given: a fresh temporary directory, so two calls
never write into the same place (the command line's default, ``output/<scenario>/``, would make a
second batch of the same scenario overwrite the first). The temporary directories this process
made are removed when it exits; ``result.save(path)`` keeps a copy, and ``out=`` writes where
you say.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_MADE: list[tuple[int, str]] = []


def fresh(command: str, name: str) -> str:
    """A new directory path ``<tmp>/blocsim-<command>-XXXX/<name>`` (the last part not created)."""
    root = tempfile.mkdtemp(prefix=f"blocsim-{command}-")
    _MADE.append((os.getpid(), root))
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name) or command
    return os.path.join(root, safe)


def is_temporary(path: str) -> bool:
    """Whether ``path`` lies in a temporary directory this process made."""
    path = os.path.abspath(path)
    return any(path.startswith(root + os.sep) for _, root in _MADE)


@atexit.register
def _remove() -> None:
    # Only the process that made a directory removes it (a forked worker inherits the list).
    for pid, root in _MADE:
        if pid == os.getpid():
            shutil.rmtree(root, ignore_errors=True)
