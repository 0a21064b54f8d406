"""Progress of long commands: a tqdm bar (a widget in notebooks, text in a terminal), a callback,
or nothing."""

from __future__ import annotations

from typing import Callable, Optional, Union

#: ``True`` (a bar), ``False``/``None`` (nothing), or ``callback(done, total)``.
ProgressArg = Union[bool, None, Callable[[int, int], object]]


class _Bar:
    def __init__(self, what: str) -> None:
        self.what = what
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if total == 0:
                return
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.what, unit="run", leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Reporter:
    """The callback handed to the native command, closed when the command ends."""

    def __init__(self, progress: ProgressArg, what: str) -> None:
        self._bar: Optional[_Bar] = None
        self.callback: Optional[Callable[[int, int], object]] = None
        if progress is True:
            self._bar = _Bar(what)
            self.callback = self._bar
        elif callable(progress):
            self.callback = progress
        elif progress not in (False, None):
            raise TypeError("progress: expected True, False or a callable(done, total)")

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
