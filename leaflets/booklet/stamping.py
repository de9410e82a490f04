"""Putting the final page numbers on booklet pages laid out before they were known.

Entries are laid out with the footer's "Page N of M" slot empty; once every
page count is known, each finished part of the booklet is copied page by page
into a new file with a one-line overlay (WeasyPrint lays out just the
numbers, in the footer's type) placed over the slot. This is cheap next to
laying the entries out again.

A part's numbers are laid out together, one row each, on as few overlay
pages as they fit (:data:`SHEET_HEIGHT`), not one overlay page per booklet
page: a WeasyPrint page costs several times what the line of text on it
does. Each row is then cut out of the overlay (:mod:`leaflets.pdf.textrows`)
and drawn over its slot.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from leaflets.booklet.chunks import Slot
from leaflets.errors import ConfigError
from leaflets.project.template_names import CONTENTS_PAGE
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.layout.engine import LayoutEngine
from leaflets.project.options import BuildOptions
from leaflets.project.paper import paper
from leaflets.project.project import Project
from leaflets.project.templating import Templates
from leaflets.pdf.textrows import PX_TO_PT, placed, split_rows

STAMP_STYLESHEETS = ("booklet-stamp.css",)
STAMP_TEMPLATE = "booklet/stamp.html"
SHEET_HEIGHT = 14000
"""Most CSS px an overlay page is tall (10,500 pt, under the 14,400 pt a PDF page may be)."""
ROW_LINES = 2.5
"""A row's height in lines of its largest type: room for the line (1.45 at most) with its overhang."""


@dataclass(frozen=True)
class Stamp:
    """Text for a slot other than the page number, e.g. a contents line's page number."""

    kind: str
    """Names the type it is set in: ``.stamp-<kind>`` in booklet-stamp.css."""
    slot: Slot
    text: str


@dataclass(frozen=True)
class PlacedPage:
    """One page of the finished booklet: where it comes from, the number it gets, anything else to stamp."""

    source: Path
    index: int
    slot: Slot
    number: int
    stamps: tuple[Stamp, ...] = ()


@dataclass(frozen=True)
class StampJob:
    pages: tuple[PlacedPage, ...]
    total: int
    output: Path
    lang: str = ""
    """The booklet's language: "Página 3 de 40"."""


@dataclass(frozen=True)
class Geometry:
    """Where a row's text sits across the page and its size: rows sharing one share a style rule."""

    font_size: float
    right: float
    left: float
    rtl: bool


@dataclass(frozen=True)
class Row:
    """One text of the overlay: a page's number (``stamp`` None) or one of its other stamps."""

    page: PlacedPage
    index: int
    """The page's position in its job."""
    stamp: Stamp | None
    geometry: int
    """Index into the overlay's geometries."""

    @property
    def slot(self) -> Slot:
        return self.page.slot if self.stamp is None else self.stamp.slot


@dataclass(frozen=True)
class Overlay:
    """The laid-out rows of a job (PDF bytes) and where each row is on its overlay pages."""

    data: bytes
    rows: tuple[Row, ...]
    row_height: float
    """CSS px."""
    rows_per_sheet: int


def overlay_rows(job: StampJob) -> tuple[list[Row], list[Geometry]]:
    """The job's texts in booklet order (each page's number, then its other stamps) and their distinct geometries."""
    geometries: dict[Geometry, int] = {}
    rows = []
    for index, page in enumerate(job.pages):
        for stamp in (None, *page.stamps):
            slot = page.slot if stamp is None else stamp.slot
            rtl = slot.rtl and stamp is None  # other stamps are set flush right, as the contents' numbers are
            geometry = Geometry(slot.font_size, slot.right, slot.left, rtl)
            rows.append(Row(page, index, stamp, geometries.setdefault(geometry, len(geometries))))
    return rows, list(geometries)


class Stamper:
    """Per-process state for numbering: the overlay template and its own small layout engine."""

    def __init__(self, project: Project, options: BuildOptions) -> None:
        self.project = project
        self.templates = Templates(project)
        self.engine = LayoutEngine(project, STAMP_STYLESHEETS)
        self.paper = paper(options.paper)

    def overlay(self, job: StampJob, sheet_height: float = SHEET_HEIGHT) -> Overlay:
        """Lay out every text of ``job`` as a row of overlay pages at most ``sheet_height`` CSS px tall."""
        rows, geometries = overlay_rows(job)
        row_height = float(math.ceil(max(g.font_size for g in geometries) * ROW_LINES) or 1)
        per_sheet = max(1, min(len(rows), int(sheet_height // row_height)))
        html = self.templates.render(
            STAMP_TEMPLATE, lang=job.lang or self.project.config.lang, paper=self.paper, total=job.total,
            rows=rows, geometries=geometries, row_height=f"{row_height:.0f}", sheet_height=f"{per_sheet * row_height:.0f}",
        )
        document = self.engine.render(html, self.project.root, ProjectFetcher.for_project(self.project), tagged=False)
        sheets = math.ceil(len(rows) / per_sheet)
        if len(document.pages) != sheets:
            raise self.refused(f"it has {len(document.pages)} pages for {sheets} pages of rows")
        return Overlay(self.engine.write_part_pdf(document), tuple(rows), row_height, per_sheet)


    def refused(self, reason: str) -> ConfigError:
        """The error for an overlay (a project's own stamp template, say) that cannot be stamped as laid out."""
        return ConfigError(
            f"the page-number overlay cannot be stamped: {reason} (one text a row, nothing else drawn)",
            self.templates.sources(STAMP_TEMPLATE)[0],
        )


def stamp_forms(pdf: pikepdf.Pdf, overlay: Overlay, pages: list[pikepdf.Page]) -> list[pikepdf.Object]:
    """One form XObject in ``pdf`` per page of ``pages`` (the job's booklet pages), drawing that page's rows over its slots."""
    drawn: list[list[tuple[bytes, float]]] = [[] for _ in pages]
    resources: list[pikepdf.Object | None] = [None for _ in pages]
    with pikepdf.Pdf.open(io.BytesIO(overlay.data)) as sheets:
        copied: dict[tuple[int, int], pikepdf.Object] = {}
        for number, sheet in enumerate(sheets.pages):
            rows = overlay.rows[number * overlay.rows_per_sheet : (number + 1) * overlay.rows_per_sheet]
            pieces = split_rows(sheet, overlay.row_height, len(rows))
            sheet_height = float(sheet.mediabox[3]) - float(sheet.mediabox[1])
            own = sheet.obj.Resources
            key = own.objgen if own.is_indirect else (-number, 0)
            if key not in copied:
                copied[key] = pdf.copy_foreign(own if own.is_indirect else pdf.make_indirect(own))
            for offset, (row, piece) in enumerate(zip(rows, pieces)):
                if not piece and (row.stamp is None or row.stamp.text):
                    raise RuntimeError(f"page-number overlay row {number * overlay.rows_per_sheet + offset} holds no text")
                index = row.index
                known = resources[index]
                if known is not None and known.objgen != copied[key].objgen:
                    raise RuntimeError("one booklet page's stamps laid out on overlay pages with different resources")
                resources[index] = copied[key]
                height = float(pages[index].mediabox[3]) - float(pages[index].mediabox[1])
                shift = height - sheet_height + PX_TO_PT * (offset * overlay.row_height - row.slot.top)
                drawn[index].append((piece, shift))
    forms: list[pikepdf.Object] = []
    for page, page_pieces, own_resources in zip(pages, drawn, resources):
        box = page.mediabox
        form = pdf.make_stream(placed(page_pieces), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                               BBox=pikepdf.Array([box[0], box[1], box[2], box[3]]))
        if own_resources is not None:
            form.Resources = own_resources
        forms.append(form)
    return forms


def stamp_pages(stamper: Stamper, job: StampJob) -> Path:
    """Write the job's pages, in order, to ``job.output`` with their numbers stamped on, keeping the structure tree.

    The pages come from one part file (the source of the job's last page),
    edited in place so its tagging survives: pages the job leaves out (the
    cover's spare blank page) are removed, and blank pages from another file
    are copied in where --duplex needs them, as untagged pages (their content
    is all artifact). Each stamp is a form XObject drawn inside
    ``/Artifact <</Type /Pagination>> BDC ... EMC``, so page numbers are
    pagination artifacts, not text a screen reader reads in the middle of a
    paragraph.
    """
    base = job.pages[-1].source
    used = [placed.index for placed in job.pages if placed.source == base]
    if used != sorted(set(used)):
        raise RuntimeError(f"pages of {base} out of order in a numbering job")
    overlay = stamper.overlay(job)
    others: dict[Path, pikepdf.Pdf] = {}
    try:
        with pikepdf.Pdf.open(base) as pdf:
            keep = set(used)
            for index in reversed(range(len(pdf.pages))):
                if index not in keep:
                    del pdf.pages[index]
            for position, placed in enumerate(job.pages):
                if placed.source == base:
                    continue
                if placed.source not in others:
                    others[placed.source] = pikepdf.Pdf.open(placed.source)
                pdf.pages.insert(position, others[placed.source].pages[placed.index])
                copied = pdf.pages[position].obj
                for key in ("/StructParents", "/Annots"):
                    if key in copied:
                        del copied[key]
            pages = list(pdf.pages)
            try:
                forms = stamp_forms(pdf, overlay, pages)
            except RuntimeError as exc:
                raise stamper.refused(str(exc)) from None
            for index, (page, form) in enumerate(zip(pages, forms)):
                _stamp_artifact(pdf, page, form, index)
            contents_numbers = [stamp.text for placed in job.pages for stamp in placed.stamps if stamp.kind == CONTENTS_PAGE]
            if contents_numbers:
                _speak_contents_numbers(pdf, contents_numbers)
            pdf.save(job.output)
    finally:
        for other in others.values():
            other.close()
    return job.output


def _speak_contents_numbers(pdf: pikepdf.Pdf, numbers: list[str]) -> None:
    """Give each contents item's blank page-number slot the stamped number as /ActualText, in reading order.

    The printed number is a stamp (an artifact); without this a screen reader
    would read each contents line without its page number.
    """
    items: list[pikepdf.Object] = []
    stack = [pdf.Root.StructTreeRoot]
    while stack:
        element = stack.pop()
        if element.get("/S") == pikepdf.Name("/TOCI"):
            items.append(element)
            continue
        stack.extend(reversed(_struct_kids(element)))
    if len(items) != len(numbers):
        raise RuntimeError(f"{len(items)} contents items for {len(numbers)} stamped contents page numbers")
    for item, number in zip(items, numbers):
        slot = item
        while _struct_kids(slot):
            slot = _struct_kids(slot)[-1]
        slot[pikepdf.Name.ActualText] = pikepdf.String(number)


def _struct_kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    value = element.get("/K")
    kids = list(value) if isinstance(value, pikepdf.Array) else [value]
    return [kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]


STAMP_PREFIX = "/LeafletsStamp"


def _stamp_artifact(pdf: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object, index: int) -> None:
    """Draw ``form`` (of the page's size, in ``page``'s PDF) over ``page`` as a pagination artifact.

    The form goes into the page's resources as ``/LeafletsStamp<index>``:
    WeasyPrint's pages share one resource dictionary, so each page's stamp
    needs a name of its own there (copying the dictionary per page would
    copy its fonts and graphics states into every page).
    """
    if "/Resources" not in page.obj:
        page.obj[pikepdf.Name.Resources] = pikepdf.Dictionary()
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources[pikepdf.Name.XObject] = pikepdf.Dictionary()
    name = pikepdf.Name(f"{STAMP_PREFIX}{index}")
    resources.XObject[name] = form
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n/Artifact <</Type /Pagination>> BDC q %s Do Q EMC\n" % name.unparse()))
