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


class Stamper:
    """Per-process state for numbering: the overlay template and its own small layout engine."""

    def __init__(self, project: Project, options: BuildOptions) -> None:
        self.project = project
        self.templates = Templates(project)
        self.engine = LayoutEngine(project, STAMP_STYLESHEETS)
        self.paper = paper(options.paper)

    def overlay(self, job: StampJob) -> bytes:
        html = self.templates.render(
            "booklet/stamp.html", lang=self.project.config.lang, paper=self.paper, total=job.total, pages=job.pages
        )
        document = self.engine.render(html, self.project.root, ProjectFetcher(self.project.trusted_dirs))
        if len(document.pages) != len(job.pages):
            raise RuntimeError(f"page-number overlay has {len(document.pages)} pages for {len(job.pages)} booklet pages")
        return self.engine.write_part_pdf(document)


def stamp_pages(stamper: Stamper, job: StampJob) -> Path:
    """Copy the job's pages, in order, into ``job.output`` with their numbers stamped on."""
    overlay = pikepdf.Pdf.open(io.BytesIO(stamper.overlay(job)))
    sources = {path: pikepdf.Pdf.open(path) for path in dict.fromkeys(page.source for page in job.pages)}
    with pikepdf.Pdf.new() as out:
        for placed, stamp in zip(job.pages, overlay.pages):
            out.pages.append(sources[placed.source].pages[placed.index])
            out.pages[-1].add_overlay(stamp, None)  # None: the whole page (pikepdf's stub wants it named)
        out.save(job.output)
    for pdf in (overlay, *sources.values()):
        pdf.close()
    return job.output
