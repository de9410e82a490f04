"""Saddle-stitch imposition of a finished booklet, for printing on sheets folded once.

pdfimpose does the page arithmetic: two booklet pages side by side on each
side of a sheet twice their width (A5 pages on A4, A4 on A3), sheets nested
for folding, blank pages added to make a multiple of four.
"""

from __future__ import annotations

import os
from pathlib import Path

IMPOSITIONS = ("saddle",)


def imposed_path(booklet: Path) -> Path:
    return booklet.with_name(f"{booklet.stem}-impose{booklet.suffix}")


def impose_saddle(booklet: Path, output: Path) -> None:
    """Write the saddle-stitch imposition of ``booklet`` to ``output`` (atomically)."""
    from pdfimpose.schema import saddle

    temporary = output.with_name(f".{output.name}.tmp")
    saddle.impose([str(booklet)], str(temporary), folds="h")
    os.replace(temporary, output)
