"""Imposition of a finished booklet: its pages placed two to a sheet side, for a printer.

Two impositions, both on sheets twice the page size (A5 pages on A4 landscape,
A4 on A3, letter on 11 x 17 in: each paper's ``sheet`` in :mod:`leaflets.project.paper`):

``saddle``
    Saddle stitch. The page count is padded to a multiple of four with blank
    pages at the end; sheet *i* of *m* (with *n* = 4 *m* pages) carries
    [n - 2i + 2, 2i - 1] on its front and [2i, n - 2i + 1] on its back
    (left, right), so the sheets nest for folding: the first sheet's front is
    [n, 1], its back [2, n - 1]. The two pages of a side meet at the fold line.
    Print double-sided flipping on the short edge, fold the stack once, staple
    on the fold.

``2up``
    Cut and stack, for cutting A5 pages from A4 (or A4 from A3) with one cut
    through the whole stack. With *n* pages on *s* = ceil(n / 2) sheet sides,
    side *k* carries page *k* on the left and page *s + k* on the right
    (blank where that passes *n*). Print one-sided, cut the stack down the
    middle and lay the right-hand pile under the left-hand one: the pages come
    out 1, 2, ..., n, in order. Each page is centred on its half.

Pages are placed as form XObjects (``q a 0 0 d e f cm /Pn Do Q``), shrunk to fit
their half of the sheet when they are larger, never enlarged. Only pikepdf is
used: the imposed file keeps the booklet's text and fonts but not its links,
bookmarks or tags, which mean nothing on a printer's sheet.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from leaflets import __version__
from leaflets.build.output import replacing
from leaflets.errors import LeafletError
from leaflets.project.paper import sheet_for

if TYPE_CHECKING:
    import pikepdf

Imposition = Literal["saddle", "2up"]
IMPOSITIONS: tuple[Imposition, ...] = ("saddle", "2up")

SUFFIXES: dict[str, str] = {"saddle": "impose", "2up": "2up"}
"""The imposed file is written next to the booklet as ``FILE-<suffix>.pdf``."""

Side = tuple[int | None, int | None]
"""The booklet pages (numbered from 1) on the left and right half of one sheet side; None is a blank half."""


def imposed_path(booklet: Path, imposition: str) -> Path:
    """Where the imposition of ``booklet`` is written: ``FILE-impose.pdf`` (saddle) or ``FILE-2up.pdf``."""
    return booklet.with_name(f"{booklet.stem}-{SUFFIXES[imposition]}{booklet.suffix}")


def sheet_sides(pages: int, imposition: str) -> list[Side]:
    """The sheet sides, in print order, that impose ``pages`` booklet pages."""
    if imposition == "saddle":
        return saddle_sides(pages)
    if imposition == "2up":
        return two_up_sides(pages)
    raise ValueError(f"unknown imposition {imposition!r}")


def saddle_sides(pages: int) -> list[Side]:
    """Front and back of each sheet for saddle stitching (padded to a multiple of four; see the module docstring)."""
    padded = 4 * max(1, math.ceil(pages / 4))
    sides: list[Side] = []
    for sheet in range(1, padded // 4 + 1):
        sides.append((_real(padded - 2 * sheet + 2, pages), _real(2 * sheet - 1, pages)))  # front
        sides.append((_real(2 * sheet, pages), _real(padded - 2 * sheet + 1, pages)))  # back
    return sides


def two_up_sides(pages: int) -> list[Side]:
    """Cut-and-stack sides: side k holds pages k and s + k (see the module docstring)."""
    count = max(1, math.ceil(pages / 2))
    return [(_real(k, pages), _real(count + k, pages)) for k in range(1, count + 1)]


def _real(page: int, pages: int) -> int | None:
    return page if page <= pages else None


def sheet_size(paper: str, page_width: float, page_height: float) -> tuple[float, float]:
    """The sheet (width, height in points, landscape) for pages of ``paper``.

    It is the standard sheet declared for that paper in :mod:`leaflets.project.paper`
    (A4 for A5 pages: 297 mm, not the 296 mm two pages make, as a printer is loaded);
    a paper without one gets a sheet exactly two of its pages wide.
    """
    try:
        return sheet_for(paper).landscape_pt
    except KeyError:
        return 2 * page_width, page_height


def impose(booklet: Path, output: Path, imposition: str, paper: str) -> None:
    """Write the ``imposition`` of ``booklet`` (pages of ``paper``) to ``output``, atomically.

    The file appears whole or not at all: it is written to an exclusively created
    temporary file next to ``output`` and renamed over it
    (:func:`leaflets.build.output.replacing`), so an interrupted run never leaves
    a truncated PDF and a link planted beside it redirects nothing.
    """
    import pikepdf

    try:
        source = pikepdf.open(booklet)
    except (OSError, pikepdf.PdfError) as exc:
        raise LeafletError(f"cannot read the booklet to impose: {exc}", booklet) from None
    with source, pikepdf.new() as sheets:
        _impose_into(source, sheets, imposition, paper)
        sheets.docinfo["/Creator"] = f"leaflets {__version__}"
        with replacing(output, "imposed booklet", create_folder=False) as handle:
            sheets.save(handle, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _impose_into(source: pikepdf.Pdf, sheets: pikepdf.Pdf, imposition: str, paper: str) -> None:
    """Add to ``sheets`` one page per sheet side, each booklet page drawn as a form XObject on its half."""
    import pikepdf

    if not source.pages:
        raise LeafletError("has no pages to impose", source.filename)
    first = pikepdf.Rectangle(source.pages[0].trimbox)
    width, height = sheet_size(paper, first.width, first.height)
    half = width / 2
    at_fold = imposition == "saddle"
    for left, right in sheet_sides(len(source.pages), imposition):
        xobjects = pikepdf.Dictionary()
        content: list[bytes] = []
        for number, x0, anchor in ((left, 0.0, "right"), (right, half, "left")):
            if number is None:
                continue
            form = sheets.copy_foreign(source.pages[number - 1].as_form_xobject())
            name = f"/P{number}"
            xobjects[name] = form
            slot = (x0, 0.0, x0 + half, height)
            matrix = placement(form, slot, anchor if at_fold else "centre")
            content.append(b"q %s cm %s Do Q" % (" ".join(_number(v) for v in matrix).encode(), name.encode()))
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, _rounded(width), _rounded(height)]),
            Resources=pikepdf.Dictionary(XObject=xobjects),
            Contents=sheets.make_stream(b"\n".join(content)),
        )
        sheets.pages.append(pikepdf.Page(page))
    title = source.docinfo.get("/Title")
    if title is not None:
        sheets.docinfo["/Title"] = title


def placement(
    form: pikepdf.Object, slot: tuple[float, float, float, float], anchor: str
) -> tuple[float, float, float, float, float, float]:
    """The ``cm`` matrix that draws ``form`` in ``slot`` (x0, y0, x1, y1).

    The page keeps its proportions and is shrunk only if it does not fit; it is
    centred vertically and, horizontally, centred (``anchor="centre"``) or set
    against the slot's ``"left"`` or ``"right"`` edge (the fold of a saddle sheet).
    """
    fx0, fy0, fx1, fy1 = _form_bounds(form)
    width, height = fx1 - fx0, fy1 - fy0
    x0, y0, x1, y1 = slot
    scale = min(1.0, (x1 - x0) / width, (y1 - y0) / height)
    drawn_width, drawn_height = scale * width, scale * height
    if anchor == "left":
        left = x0
    elif anchor == "right":
        left = x1 - drawn_width
    else:
        left = x0 + ((x1 - x0) - drawn_width) / 2
    bottom = y0 + ((y1 - y0) - drawn_height) / 2
    return (scale, 0.0, 0.0, scale, left - scale * fx0, bottom - scale * fy0)


def _form_bounds(form: pikepdf.Object) -> tuple[float, float, float, float]:
    """The form's /BBox after its /Matrix (which carries a page's /Rotate): where its drawing lands."""
    bx0, by0, bx1, by1 = (float(v) for v in form.BBox)
    a, b, c, d, e, f = (float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0]))
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (bx0, bx1) for y in (by0, by1)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _rounded(value: float) -> float:
    return round(value, 3)


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
