"""One chart of an output directory: its SVG, shown inline by Jupyter, and its PNG beside it."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Union

from ._errors import InputError


class Chart:
    """``plots/<name>.svg`` of an output directory (and ``<name>.png`` beside it)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.stem

    @cached_property
    def svg(self) -> str:
        """The SVG text (the same bytes as the command line's ``plots/<name>.svg``)."""
        return self.path.read_text(encoding="utf-8")

    @property
    def png_path(self) -> Path:
        return self.path.with_suffix(".png")

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: Union[str, "os.PathLike[str]"]) -> Path:
        """Copy the chart to ``path``: ``.svg`` copies the SVG, ``.png`` the PNG (the formats drawn)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".svg", ".png"):
            raise InputError(
                f"save({str(path)!r}): expected a .svg or .png path (the formats blocsim draws); "
                f"for PDF, convert the SVG (e.g. with cairosvg or Inkscape)"
            )
        source = self.png_path if suffix == ".png" else self.path
        if not source.is_file():
            raise InputError(f"save({str(path)!r}): {source} was not drawn")
        path.write_bytes(source.read_bytes())
        return path

    def __repr__(self) -> str:
        return f"Chart({str(self.path)!r})"
