"""Writing many-page tagged PDFs without WeasyPrint rebuilding the page list for every structure element.

WeasyPrint's tagging asks pydyf for ``pdf.page_references`` once per
structure element, and pydyf builds that tuple afresh from the page tree each
time: harmless for a four-page leaflet, but a booklet chunk of twelve entries
(about fifty pages, five thousand elements) spends a tenth of its writing
time there. While :func:`cached_page_references` is active, the tuple is
kept until the page count changes (pages are only ever appended).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pydyf

_CACHE = "_leaflets_page_references"


@contextmanager
def cached_page_references() -> Iterator[None]:
    """Within the block, ``pydyf.PDF.page_references`` is computed once per page count of each PDF."""
    original = pydyf.PDF.__dict__["page_references"]
    if not isinstance(original, property) or original.fget is None:
        raise RuntimeError("pydyf.PDF.page_references is no longer a property: leaflets/pdf/pagerefs.py needs updating")
    compute = original.fget

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        count = len(pdf.pages["Kids"])
        cached = pdf.__dict__.get(_CACHE)
        if cached is None or cached[0] != count:
            cached = (count, compute(pdf))
            pdf.__dict__[_CACHE] = cached
        return cached[1]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original
