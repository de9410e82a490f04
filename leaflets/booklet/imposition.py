"""Saddle-stitch imposition of a finished booklet, for printing on sheets folded once.

pdfimpose does the imposition: two booklet pages side by side on each side of
a sheet, sheets nested for folding, blank pages added to make a multiple of
four. Its sheets are exactly two pages wide (296 mm for A5), so each sheet is
then centred on the standard paper it is printed on (A5 pages on A4: the
``sheet`` of each size in :mod:`leaflets.project.paper`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf

from leaflets.errors import LeafletError
from leaflets.project.paper import sheet_for

IMPOSITIONS = ("saddle",)



def imposed_path(booklet: Path) -> Path:
    return booklet.with_name(f"{booklet.stem}-impose{booklet.suffix}")


def impose_saddle(booklet: Path, output: Path, paper: str) -> None:
    """Write the saddle-stitch imposition of ``booklet`` (pages of ``paper``) to ``output``, atomically."""
    try:
        from pdfimpose.schema import saddle
    except ImportError:
        raise LeafletError("--impose needs pdfimpose: pip install 'leaflets[impose]'") from None

    temporary = output.with_name(f".{output.name}.tmp")
    saddle.impose([str(booklet)], str(temporary), folds="h")
    width, height = sheet_for(paper).landscape_pt
    with pikepdf.Pdf.open(temporary, allow_overwriting_input=True) as pdf:
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            dx, dy = max(0.0, width - (x1 - x0)) / 2, max(0.0, height - (y1 - y0)) / 2
            page.mediabox = pikepdf.Array([x0 - dx, y0 - dy, x1 + dx, y1 + dy])
        pdf.save(temporary)
    os.replace(temporary, output)
