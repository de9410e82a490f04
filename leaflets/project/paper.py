"""Paper sizes, declared once: what ``paper`` in leaflets.toml and ``--paper`` accept, and what each means.

Every stage that needs a size asks here: the settings and the command line
(the choices), the templates (``paper.width`` / ``paper.height`` in the CSS
``@page`` rule, and the ``paper-NAME`` class on ``<html>``), the renderer (the
page height, to cap the footer's share of it) and imposition (the sheet two
pages are printed side by side on).

The look that depends on the paper stays in CSS, keyed by that class: side
margins (``html.paper-a5 body { page: narrow }`` in styles/leaflet.css),
cover spacing (styles/booklet.css), footer type size (styles/large-print.css).

To add a size, add a :class:`Paper` to :data:`SIZES` and, if leaflets may be
printed on it, its name to :data:`PAGE_SIZES`.
"""

from __future__ import annotations

from dataclasses import dataclass

PT_PER_UNIT: dict[str, float] = {"mm": 72 / 25.4, "in": 72.0}
"""PDF points per CSS unit used below."""
PX_PER_PT = 96 / 72
"""CSS pixels per PDF point."""


def length_pt(css: str) -> float:
    """A CSS length in mm or in (``"210mm"``, ``"8.5in"``) in PDF points."""
    number, unit = css[:-2], css[-2:]
    return float(number) * PT_PER_UNIT[unit]


@dataclass(frozen=True)
class Paper:
    """A paper size in portrait, as CSS lengths, and the sheet it is imposed on."""

    name: str
    width: str
    height: str
    sheet: str | None = None
    """The size whose sheet, turned landscape, holds two of these pages side by side (None: not imposed)."""

    @property
    def width_pt(self) -> float:
        return length_pt(self.width)

    @property
    def height_pt(self) -> float:
        return length_pt(self.height)

    @property
    def height_px(self) -> float:
        """Page height in CSS pixels, the unit WeasyPrint lays out in."""
        return self.height_pt * PX_PER_PT

    @property
    def landscape_pt(self) -> tuple[float, float]:
        """``(width, height)`` in points with the long edge across, as an imposition sheet is used."""
        return max(self.width_pt, self.height_pt), min(self.width_pt, self.height_pt)


SIZES: dict[str, Paper] = {
    paper.name: paper
    for paper in (
        Paper("a3", "297mm", "420mm"),
        Paper("a4", "210mm", "297mm", sheet="a3"),
        Paper("a5", "148mm", "210mm", sheet="a4"),
        Paper("letter", "8.5in", "11in", sheet="tabloid"),
        Paper("tabloid", "11in", "17in"),
    )
}
"""Every size the tool knows, by lower-case name."""

PAGE_SIZES: tuple[str, ...] = ("a4", "letter", "a5")
"""The sizes leaflets and booklets are laid out on: the choices of ``paper`` and ``--paper``."""

DEFAULT_PAPER = "a4"


def paper(name: str) -> Paper:
    """The page size called ``name`` (any case); KeyError for a size leaflets are not printed on."""
    key = name.lower()
    if key not in PAGE_SIZES:
        raise KeyError(name)
    return SIZES[key]


def sheet_for(name: str) -> Paper:
    """The paper two pages of size ``name`` are imposed on, side by side."""
    sheet = paper(name).sheet
    if sheet is None:
        raise KeyError(name)
    return SIZES[sheet]
