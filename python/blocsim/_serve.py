"""``blocsim serve`` from Python: the what-if explorer on a background thread."""

from __future__ import annotations

import html
import ipaddress
from typing import Optional

from . import _native
from ._args import Args
from ._commands import ScenarioArg, _invoke_error
from ._errors import InputError
from ._scenario import as_scenario


class Explorer:
    """A running explorer: ``url``, ``baseline``, ``stop()``; a context manager that stops it on
    exit; in a notebook, a link to the page."""

    def __init__(self, native: "_native.Explorer") -> None:
        self._native = native

    @property
    def url(self) -> str:
        return self._native.url

    @property
    def baseline(self) -> str:
        return self._native.baseline

    @property
    def running(self) -> bool:
        return self._native.running

    def stop(self) -> None:
        """Stop answering requests (idempotent)."""
        self._native.stop()

    def __enter__(self) -> "Explorer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _repr_html_(self) -> str:
        state = "running" if self.running else "stopped"
        return f'<p>blocsim explorer of {html.escape(self.baseline)} ({state}): <a href="{self.url}" target="_blank">{self.url}</a></p>'

    def __repr__(self) -> str:
        return f"Explorer({self.url!r}, baseline={self.baseline!r}, running={self.running})"


def serve(scenario: ScenarioArg = "baseline", port: int = 0, bind: str = "127.0.0.1", threads: Optional[int] = None) -> Explorer:
    """Serve the what-if explorer of ``scenario`` (``blocsim serve``) on a background thread and
    return at once. ``port=0`` (the default here, unlike the command line's 8000) takes any free
    port, so several explorers can run; ``bind`` other than a loopback address opens the page to
    the network."""
    a = Args("serve")
    source, sets = as_scenario(scenario, "serve")
    if sets:
        raise InputError("serve(scenario=...): the baseline takes no overrides; save it with Scenario.save(path) and pass the path")
    a.positional(source)
    a.whole("port", port, 0, 65535, what="a port")
    try:
        ipaddress.ip_address(bind)
    except (ValueError, TypeError):
        raise a.value_error("bind", bind, "an IP address such as '127.0.0.1'") from None
    a.text("bind", bind)
    a.whole("threads", threads, 1, _native.MAX_THREADS, what="a number of worker threads")
    try:
        return Explorer(_native.serve(a.args))
    except InputError as e:
        raise _invoke_error(e, a.command) from None
