"""What the commands return: an output directory and its tables as pyarrow Tables.

Every result has the same shape: ``summary`` (its headline table), ``json`` (its main JSON file as
written), ``table(name)`` for any ``.csv`` or ``.parquet`` file, ``to_pandas()``/``to_polars()``,
``charts()``/``chart(name)``, ``save(path)``, and an HTML view in notebooks (the headline table and
the key chart). :func:`open_dir` (``blocsim.open``) reopens any saved output directory.

Tables are read when first asked for, in Rust, and handed to pyarrow without copying the column
buffers. A result remembers its directory's manifest: if another command (or process) writes into
the directory afterwards, reading from the result raises :class:`StaleResultError` instead of
mixing the two.
"""

from __future__ import annotations

import hashlib
import os
import html
import json
import shutil
from pathlib import Path
from typing import Any, Optional, Union

import pyarrow as pa

from . import _native
from ._charts import Chart
from ._errors import InputError, MissingFileError, StaleResultError

PathArg = Union[str, "os.PathLike[str]"]


class Result:
    """An output directory written by a blocsim command (see the module's docstring)."""

    #: The file whose presence marks this kind of directory.
    marker = "manifest.json"
    #: The headline table's file (``summary``), and the main JSON file (``json``).
    headline = ""
    json_file = ""

    def __init__(self, dir: PathArg, info: Optional[dict[str, Any]] = None) -> None:
        self.dir = Path(dir).resolve()
        self.info = dict(info or {})
        self._stamp = self._manifest_digest()
        self._tables: dict[str, pa.Table] = {}

    # -- freshness -------------------------------------------------------------------------------
    def _manifest_digest(self) -> str:
        path = self.dir / "manifest.json"
        if not path.is_file():
            raise MissingFileError(f"{self.dir}: no manifest.json: not a blocsim output directory (or it was removed)", str(path))
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def _check(self) -> None:
        try:
            now = self._manifest_digest()
        except MissingFileError as e:
            raise StaleResultError(f"{self.dir}: the output directory is gone: {e}") from None
        if now != self._stamp:
            raise StaleResultError(
                f"{self.dir}: the directory was written again after this result was made "
                f"(its manifest changed), so its files are no longer this result's; "
                f"reopen it with blocsim.open({str(self.dir)!r}) to read what is there now"
            )

    def _refresh(self) -> None:
        """After this object's own redraw (``plot``): accept the new manifest."""
        self._stamp = self._manifest_digest()

    # -- files -----------------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        self._check()
        path = self.dir / name
        if not path.is_file():
            known = ", ".join(self.tables()) or "none"
            raise MissingFileError(f"{path}: not written by this command; its tables are: {known}", str(path))
        return path

    def table(self, name: str) -> pa.Table:
        """A ``.csv`` or ``.parquet`` file of the directory (``"runs.csv"``) as a pyarrow Table."""
        if not isinstance(name, str):
            raise InputError(f"table({name!r}): expected a file name such as {self.headline!r}")
        if name not in self._tables:
            self._tables[name] = _native.read_table(str(self._path(name)))
        return self._tables[name]

    def tables(self) -> list[str]:
        """The table files of the directory."""
        return sorted(p.name for p in self.dir.iterdir() if p.suffix in (".csv", ".parquet"))

    def _json(self, name: str) -> Any:
        return json.loads(self._path(name).read_text(encoding="utf-8"))

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: version, scenario hash, seed, runs, threads, command, files."""
        return self._json("manifest.json")

    @property
    def json(self) -> Any:
        """The main JSON file as written (``summary.json``, ``comparison.json``, ``sweep.json``, ...)."""
        return self._json(self.json_file or "manifest.json")

    @property
    def summary(self) -> pa.Table:
        """The headline table (see each class)."""
        return self.table(self.headline)

    def to_pandas(self, name: Optional[str] = None) -> "pandas.DataFrame":  # noqa: F821
        """The headline table (or the table ``name``) as a pandas DataFrame (needs pandas)."""
        return (self.summary if name is None else self.table(name)).to_pandas()

    def to_polars(self, name: Optional[str] = None) -> "polars.DataFrame":  # noqa: F821
        """The headline table (or the table ``name``) as a polars DataFrame (needs polars)."""
        import polars

        return polars.from_arrow(self.summary if name is None else self.table(name))

    # -- charts ----------------------------------------------------------------------------------
    def charts(self) -> list[str]:
        """The names of the charts drawn (``plots/<name>.svg``)."""
        return sorted(p.stem for p in (self.dir / "plots").glob("*.svg"))

    def chart(self, name: str) -> Chart:
        """The chart ``plots/<name>.svg``."""
        self._check()
        path = self.dir / "plots" / f"{name}.svg"
        if not path.is_file():
            known = ", ".join(self.charts()) or "none (run with plots=True)"
            raise InputError(f"chart {name!r}: not in {self.dir / 'plots'}; the charts are: {known}")
        return Chart(path)

    def key_chart(self) -> Optional[str]:
        """The chart the HTML view shows (None: none drawn)."""
        names = self.charts()
        return names[0] if names else None

    # -- keeping and showing ---------------------------------------------------------------------
    def save(self, path: PathArg) -> "Result":
        """Copy the directory to ``path`` (which must not exist) and return the copy as a result."""
        self._check()
        target = Path(path).resolve()
        if target.exists():
            raise InputError(f"save({str(path)!r}): {target} exists; expected a new path")
        shutil.copytree(self.dir, target)
        return type(self)(target, self.info)

    def _title(self) -> str:
        m = self.manifest
        return f"{type(self).__name__} of {m.get('scenario', '?')}: {m.get('runs', '?')} runs, seed {m.get('seed', '?')}"

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(self._title())}</h4>"]
        try:
            parts.append(html_table(self.summary, rows=12))
        except MissingFileError:
            pass  # e.g. a shard's view before its runs are written
        name = self.key_chart()
        if name:
            parts.append(f"<div>{self.chart(name).svg}</div>")
        parts.append(f"<p><code>{html.escape(str(self.dir))}</code></p>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.dir)!r})"


def html_table(t: pa.Table, rows: int) -> str:
    """The first ``rows`` rows of a table as HTML (numbers to 4 significant digits)."""
    cols = t.column_names
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for row in t.slice(0, rows).to_pylist():
        cells = "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in cols)
        body.append(f"<tr>{cells}</tr>")
    more = f"<p>{t.num_rows - rows} more rows</p>" if t.num_rows > rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


_KINDS: list[type[Result]] = []


def register(cls: type[Result]) -> type[Result]:
    """Register a result class for :func:`open_dir` (the most specific marker first)."""
    _KINDS.append(cls)
    return cls


def open_dir(dir: PathArg) -> Result:
    """Reopen a saved output directory of any command as its result object."""
    from ._args import path_text

    path = Path(path_text("open", "dir", dir, kind="output directory"))
    if not path.is_dir():
        raise InputError(f"open({str(dir)!r}): {path} is a file; expected an output directory")
    for cls in _KINDS:
        if (path / cls.marker).is_file() and (path / "manifest.json").is_file():
            return cls(path)
    raise InputError(
        f"open({str(dir)!r}): {path} is not a blocsim output directory "
        f"(expected manifest.json and one of: {', '.join(c.marker for c in _KINDS)})"
    )

