"""Laying out a booklet's pages in chunks, before anyone knows their final numbers.

Each worker keeps one :class:`BookletRenderer` (a :class:`LeafletRenderer` with
the booklet stylesheet added) and turns a chunk of entries into one PDF file,
each entry laid out exactly as ``leaflets build`` lays it out, once. What the
booklet needs later is read off the laid-out pages and sent back instead of
the pages themselves: each entry's page count, where its "Page N of M" slot
is on every page, and its section headings for the bookmarks.
"""

from __future__ import annotations

import hashlib

import traceback
from dataclasses import dataclass
from pathlib import Path
from datetime import date
from typing import Any, Mapping

import weasyprint

from leaflets.build.results import EntryResult, failed_result
from leaflets.source.discover import EntrySource
from leaflets.source.entry import load_entry
from leaflets.errors import LeafletError
from leaflets.layout.weasy import computed, content_box, page_boxes
from leaflets.render.leaflet import BuildOptions, LeafletRenderer
from leaflets.project.project import Project
from leaflets.project.template_names import PAGE_NUMBER
from leaflets.pdf.pagerefs import cached_page_references
from leaflets.pdf.tagging import TaggedPart, finish_parts

BOOKLET_STYLESHEETS = ("booklet.css",)
"""Added after the build options' own stylesheets (leaflet.css, large-print.css)."""
ENTRY_ROLE = "Part"
"""Structure type of the element holding one entry in the booklet's tree (its article, headings ... inside)."""
PX_TO_PT = 0.75
"""CSS px to PDF points (96 px and 72 pt to the inch)."""


@dataclass(frozen=True)
class Slot:
    """Where a stamped number goes on a page, in CSS px: its top, its right end measured from the page's
    right edge, and the font size it was laid out for (so options that enlarge type carry over)."""

    top: float
    right: float
    font_size: float = 0.0
    left: float = 0.0
    """Its left end from the page's left edge: right-to-left footers put the page number there."""
    rtl: bool = False
    """The slot's text runs right to left, so the stamp is set flush left (where "Page N of M" ends up)."""


@dataclass(frozen=True)
class Mark:
    """A bookmark target inside an entry: a label, the page (0-based within the entry) and its top in PDF points."""

    label: str
    page: int
    top: float


@dataclass(frozen=True)
class LaidOutEntry:
    """An entry's pages as the booklet needs to know them once they are in a chunk file."""

    position: int
    """Index in booklet order."""
    title: str
    slots: tuple[Slot, ...]
    sections: tuple[Mark, ...]
    lang: str = ""
    """The entry's language (a fallback entry's differs from the booklet's)."""
    digest: str = ""
    """SHA-256 of the entry's bytes as they were laid out, so the booklet is recorded only when
    they are the bytes its key was made from (an entry edited mid-build means a rebuild)."""

    @property
    def pages(self) -> int:
        return len(self.slots)


@dataclass(frozen=True)
class Chunk:
    """Entries laid out into one PDF file, pages in entry order; failures kept as results."""

    path: Path
    entries: tuple[LaidOutEntry, ...]
    results: tuple[EntryResult, ...]


@dataclass(frozen=True)
class ChunkJob:
    number: int
    sources: tuple[tuple[int, EntrySource], ...]
    folder: Path
    lang: str | None = None
    """The booklet's language (None: the project's); entries in another are tagged with theirs."""


class BookletRenderer(LeafletRenderer):
    """A leaflet renderer for booklet pages: same templates and options, plus booklet.css."""

    def __init__(
        self, project: Project, options: BuildOptions, commit_dates: Mapping[Path, date | None] | None = None
    ) -> None:
        super().__init__(project, options, extra_stylesheets=BOOKLET_STYLESHEETS, commit_dates=commit_dates or {})


def page_slots(document: weasyprint.Document) -> tuple[Slot, ...]:
    """The empty page-number slot of every page (booklet.css leaves it blank)."""
    slots = []
    for page in document.pages:
        box = next(page_boxes(page, PAGE_NUMBER), None)
        if box is None:
            raise LookupError("a booklet page has no footer with a page-number slot")
        slots.append(slot_of(box, page.width))
    return tuple(slots)


def slot_of(box: Any, page_width: float) -> Slot:
    """The slot a laid-out box's content area leaves for text set flush right in it."""
    x, y, width = content_box(box)
    return Slot(y, page_width - (x + width), float(computed(box, "font_size")), x, computed(box, "direction") == "rtl")


def section_marks(document: weasyprint.Document) -> tuple[Mark, ...]:
    """The headings one level below the entry title, as bookmark targets."""
    marks = []
    for _label, _target, children, _state in document.make_bookmark_tree():
        for label, (page, _x, y), _grandchildren, _child_state in children:
            height = document.pages[page].height
            marks.append(Mark(label, page, (height - y) * PX_TO_PT))
    return tuple(marks)


def render_chunk(renderer: BookletRenderer, job: ChunkJob) -> Chunk:
    """Lay out every entry of ``job`` and write them, in order, to one PDF in the job's folder.

    The pages are written together so entries in a chunk share one copy of
    each font subset; a bad entry becomes a failed result and is left out.
    """
    documents: list[weasyprint.Document] = []
    entries: list[LaidOutEntry] = []
    results: list[EntryResult] = []
    parts: list[TaggedPart] = []
    first = 0
    for position, source in job.sources:
        try:
            loaded = load_entry(source.path)
            content, context, _removed = renderer.prepare(loaded, source.relative)
            laid_out = renderer.lay_out(content, context)
            entry = LaidOutEntry(
                position, content.title, page_slots(laid_out.document), section_marks(laid_out.document),
                digest=hashlib.sha256(loaded.source_bytes).hexdigest(),
                lang=content.entry.language(renderer.config.lang),
            )
            prefix = f"entry{position}-"
            keep_anchors_apart(laid_out.document, prefix)
            part = TaggedPart(first, entry.pages, content.title, ENTRY_ROLE, context["lang"], anchor_prefix=prefix)
        except LeafletError as exc:
            results.append(failed_result(source, exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the booklet
            results.append(failed_result(source, exc, traceback.format_exc()))
            continue
        documents.append(laid_out.document)
        entries.append(entry)
        parts.append(part)
        first += entry.pages
        results.append(EntryResult(source, "built", warnings=laid_out.warnings, pages=entry.pages))
    path = job.folder / f"chunk-{job.number:05d}.pdf"
    if documents:
        pages = [page for document in documents for page in document.pages]
        finisher = finish_parts(parts, id_prefix=f"c{job.number}-", lang=job.lang or renderer.project.config.lang)
        with cached_page_references():
            data = renderer.engine.write_part_pdf(documents[0].copy(pages), finisher)
        path.write_bytes(data)
    return Chunk(path, tuple(entries), tuple(results))


def entry_destination(position: int) -> str:
    """The booklet's named destination for the first page of the entry at ``position`` (contents links lead there).

    Zero-padded so the names sort in booklet order, as a PDF name tree needs.
    """
    return f"booklet-entry-{position:07d}"


def keep_anchors_apart(document: weasyprint.Document, prefix: str) -> None:
    """Prefix the anchors of one entry's pages, and its internal links to them, before pages of several entries are joined.

    Every entry has the same section ids (``#usage`` ...), and WeasyPrint
    resolves a link to the first anchor of that name in the file: without
    this, a link in the second entry of a chunk would lead into the first.
    """
    for page in document.pages:
        page.anchors = {prefix + name: position for name, position in page.anchors.items()}
        page.links = [
            (kind, prefix + target if kind == "internal" else target, *rest) for kind, target, *rest in page.links
        ]


def scan_titles(
    default_lang: str, sources: list[EntrySource]
) -> list[tuple[EntrySource, str | None, str, EntryResult | None]]:
    """Read each entry's title and language (for choosing and ordering) or the reason it cannot be read."""
    found: list[tuple[EntrySource, str | None, str, EntryResult | None]] = []
    for source in sources:
        try:
            entry = load_entry(source.path)
            found.append((source, entry.title, entry.language(default_lang), None))
        except LeafletError as exc:
            found.append((source, None, default_lang, failed_result(source, exc)))
    return found
