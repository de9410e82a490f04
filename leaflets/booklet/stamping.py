"""Putting the final page numbers on booklet pages laid out before they were known.

Entries are laid out with the footer's "Page N of M" slot empty; once every
page count is known, each finished part of the booklet is copied page by page
into a new file with a one-line overlay (WeasyPrint lays out just the
numbers, in the footer's type) placed over the slot. This is cheap next to
laying the entries out again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from leaflets.booklet.chunks import Slot
from leaflets.project.template_names import CONTENTS_PAGE
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.layout.engine import LayoutEngine
from leaflets.project.options import BuildOptions
from leaflets.project.paper import paper
from leaflets.project.project import Project
from leaflets.project.templating import Templates

STAMP_STYLESHEETS = ("booklet-stamp.css",)


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


class Stamper:
    """Per-process state for numbering: the overlay template and its own small layout engine."""

    def __init__(self, project: Project, options: BuildOptions) -> None:
        self.project = project
        self.templates = Templates(project)
        self.engine = LayoutEngine(project, STAMP_STYLESHEETS)
        self.paper = paper(options.paper)

    def overlay(self, job: StampJob) -> bytes:
        html = self.templates.render(
            "booklet/stamp.html", lang=job.lang or self.project.config.lang, paper=self.paper, total=job.total, pages=job.pages
        )
        document = self.engine.render(html, self.project.root, ProjectFetcher.for_project(self.project))
        if len(document.pages) != len(job.pages):
            raise RuntimeError(f"page-number overlay has {len(document.pages)} pages for {len(job.pages)} booklet pages")
        return self.engine.write_part_pdf(document)


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
    overlay = pikepdf.Pdf.open(io.BytesIO(stamper.overlay(job)))
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
            for index, (page, stamp) in enumerate(zip(pdf.pages, overlay.pages)):
                _stamp_artifact(pdf, page, stamp, index)
            contents_numbers = [stamp.text for placed in job.pages for stamp in placed.stamps if stamp.kind == CONTENTS_PAGE]
            if contents_numbers:
                _speak_contents_numbers(pdf, contents_numbers)
            pdf.save(job.output)
    finally:
        for other in (overlay, *others.values()):
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


def _stamp_artifact(pdf: pikepdf.Pdf, page: pikepdf.Page, stamp: pikepdf.Page, index: int) -> None:
    """Draw ``stamp`` (a page of the same size) over ``page`` as a pagination artifact.

    The form goes into the page's resources as ``/LeafletsStamp<index>``:
    WeasyPrint's pages share one resource dictionary, so each page's stamp
    needs a name of its own there (copying the dictionary per page would
    copy its fonts and graphics states into every page).
    """
    form = pdf.copy_foreign(stamp.as_form_xobject())
    if "/Resources" not in page.obj:
        page.obj[pikepdf.Name.Resources] = pikepdf.Dictionary()
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources[pikepdf.Name.XObject] = pikepdf.Dictionary()
    name = pikepdf.Name(f"{STAMP_PREFIX}{index}")
    resources.XObject[name] = form
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n/Artifact <</Type /Pagination>> BDC q %s Do Q EMC\n" % name.unparse()))
