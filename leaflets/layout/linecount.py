"""How many lines a paragraph of footer text takes, asked of Pango directly.

Laying out a footer with WeasyPrint to learn its height costs as much as a
tenth of a whole leaflet. Pango, which WeasyPrint uses to break lines, answers
the same question for one paragraph in well under a millisecond. The answer
is only a prediction (WeasyPrint assembles lines from boxes, Pango from one
string with attributes); :mod:`leaflets.layout.footer` checks every prediction
against the laid-out page and lays out again when it was wrong, so a
prediction that misses costs time, never correctness.

It reaches below WeasyPrint's public API, through
:func:`leaflets.layout.weasy.pango_bindings`. If those internals change,
:func:`line_counter` returns ``None`` and footers are measured by layout as
before (and tests/test_weasy_internals.py fails, saying which one moved).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leaflets.layout.weasy import pango_bindings, set_attribute_range

Run = tuple[int, int, bool, bool]
"""A styled stretch of a paragraph: start and end (character offsets), bold, italic."""


@dataclass(frozen=True)
class StyledText:
    """A paragraph's text with whitespace collapsed as CSS does, and its bold and italic runs."""

    text: str
    runs: tuple[Run, ...] = ()


class LineCounter:
    """Counts the lines of paragraphs set in one computed WeasyPrint text style."""

    def __init__(self, style: Any, bindings: Any) -> None:
        self._style = style
        self._ffi, self._pango, self._attributes, self._layout_class, self._to_units = bindings

    def count(self, paragraph: StyledText, width: float) -> int:
        """Lines ``paragraph`` breaks into at ``width`` CSS pixels."""
        if not paragraph.text:
            return 0
        ffi, pango = self._ffi, self._pango
        layout = self._layout_class(self._style)
        pango.pango_layout_set_width(layout.layout, int(width * self._to_units))
        layout.set_text(paragraph.text)
        if paragraph.runs:
            attributes = pango.pango_layout_get_attributes(layout.layout)
            if attributes == ffi.NULL:
                attributes = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
            encoded = paragraph.text.encode("utf-8")
            for start, end, bold, italic in paragraph.runs:
                first = len(paragraph.text[:start].encode("utf-8"))
                last = min(len(encoded), len(paragraph.text[:end].encode("utf-8")))
                for attribute in _run_attributes(self._attributes, bold, italic):
                    set_attribute_range(attribute, first, last)
                    pango.pango_attr_list_change(attributes, attribute)
            pango.pango_layout_set_attributes(layout.layout, attributes)
        lines = 0
        while pango.pango_layout_get_line_readonly(layout.layout, lines) != ffi.NULL:
            lines += 1
        return lines


def _run_attributes(library: Any, bold: bool, italic: bool) -> list[Any]:
    attributes = []
    if bold:
        attributes.append(library.pango_attr_weight_new(700))
    if italic:
        attributes.append(library.pango_attr_style_new(2))  # PANGO_STYLE_ITALIC
    return attributes


_bindings: Any = None


def line_counter(style: Any) -> LineCounter | None:
    """A counter for text in ``style`` (a laid-out TextBox's style), or None when Pango can't be reached."""
    global _bindings
    try:
        if _bindings is None:
            _bindings = pango_bindings()
        return LineCounter(style, _bindings)
    except Exception:  # noqa: BLE001 - any failure here means: measure by layout instead
        return None
