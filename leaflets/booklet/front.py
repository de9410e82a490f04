"""The booklet's own pages: the cover and the table of contents, and where every page lands.

Contents are laid out in parts of at most :data:`CONTENTS_PART_LINES` lines
(a part starts a new page), in worker processes, so no single layout grows
with the booklet. Their page numbers are blank fixed-width slots, stamped
later like the footer's "Page N of M", so nothing is laid out twice whatever
length the contents turn out to have.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Sequence

import weasyprint

from leaflets.booklet.chunks import PX_TO_PT, BookletRenderer, LaidOutEntry, Slot, entry_destination, page_slots, slot_of
from leaflets.pdf.tagging import TaggedPart, TocLink, finish_parts
from leaflets.clock import build_time
from leaflets.project.cldr import language_name
from leaflets.project.dates import long_date
from leaflets.project.config import CONFIG_FILENAME
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.layout.weasy import border_box, element_attribute, page_boxes
from leaflets.booklet.collation import initial_letter
from leaflets.project.template_names import BLANK_PAGE_ID, CONTENTS_ENTRY, CONTENTS_PAGE, ENTRY_ATTRIBUTE
from leaflets.source.language import same_language

CONTENTS_PART_LINES = 400
"""Contents lines per layout: one part for most booklets, about sixteen for the whole corpus."""


@dataclass(frozen=True)
class PagePlan:
    """Where everything lands in the finished booklet (page numbers start at 1)."""

    front_pages: int
    starts: tuple[int, ...]
    """First page of each entry, in booklet order."""
    blank_before: tuple[bool, ...]
    """Whether a blank page precedes each entry (duplex: entries start on odd pages)."""
    total: int


def plan_pages(front_pages: int, entry_pages: Sequence[int], duplex: bool) -> PagePlan:
    starts, blanks = [], []
    page = front_pages + 1
    for count in entry_pages:
        blank = duplex and page % 2 == 0
        page += blank
        starts.append(page)
        blanks.append(blank)
        page += count
    return PagePlan(front_pages, tuple(starts), tuple(blanks), page - 1)


@dataclass(frozen=True)
class Cover:
    title: str
    subtitle: str
    entry_count: int
    duplex: bool


@dataclass(frozen=True)
class ContentsLine:
    position: int
    """The entry's index in booklet order."""
    title: str
    lang: str = ""
    """The entry's language, when it is not the booklet's (its title is tagged with it)."""
    note: str = ""
    """The name of that language in the booklet's, printed after the title: "(en inglés)"."""


@dataclass(frozen=True)
class ContentsGroup:
    letter: str
    """The initial the lines file under; empty when the booklet follows a --list order."""
    continued: bool
    lines: tuple[ContentsLine, ...]


@dataclass(frozen=True)
class FrontJob:
    """One document of the booklet's own pages: the cover, or one part of the contents."""

    number: int
    folder: Path
    title: str
    cover: Cover | None = None
    lang: str = ""
    """The booklet's language (cover, contents and footer texts); empty: the project's."""
    groups: tuple[ContentsGroup, ...] = ()
    first: bool = False
    digits: int = 1
    """Width of the contents' page-number slots: digits in the largest page number the booklet could reach."""


@dataclass(frozen=True)
class PlacedLine:
    """A contents line as laid out: its page in the part, link rectangle (PDF points), number slot and entry."""

    page: int
    rect: tuple[float, float, float, float]
    slot: Slot
    position: int


@dataclass(frozen=True)
class FrontPart:
    path: Path
    pages: int
    """Pages that go into the booklet (the cover's spare blank page is not one of them)."""
    slots: tuple[Slot, ...]
    lines: tuple[PlacedLine, ...] = ()
    blank_index: int | None = None
    """The spare blank page, copied wherever --duplex leaves a page empty."""


def contents_parts(
    entries: Sequence[LaidOutEntry], grouped: bool, part_lines: int | None = None, lang: str | None = None,
) -> list[tuple[ContentsGroup, ...]]:
    """Split the contents into parts of at most ``part_lines`` lines, grouped under initials when ``grouped``.

    ``lang`` is the booklet's language when it has one (``--lang``): entries in
    another language are marked with its name, and initials follow its alphabet.
    """
    part_lines = part_lines or CONTENTS_PART_LINES
    lines = [_contents_line(entry, lang) for entry in entries]
    if grouped:
        runs = [(letter, list(run)) for letter, run in groupby(lines, key=lambda line: initial_letter(line.title, lang or "en"))]
    else:
        runs = [("", lines)]
    parts: list[list[ContentsGroup]] = [[]]
    room = part_lines
    for letter, run in runs:
        continued = False
        while run:
            if room == 0:
                parts.append([])
                room = part_lines
            taken, run = run[:room], run[room:]
            parts[-1].append(ContentsGroup(letter, continued, tuple(taken)))
            room -= len(taken)
            continued = True
    return [tuple(part) for part in parts if part]


def _contents_line(entry: LaidOutEntry, lang: str | None) -> ContentsLine:
    if lang is None or not entry.lang or same_language(entry.lang, lang):
        return ContentsLine(entry.position, entry.title)
    return ContentsLine(entry.position, entry.title, entry.lang, language_name(entry.lang, lang))


def number_digits(entries: Sequence[LaidOutEntry]) -> int:
    """Digits in a bound on the last page number, known before the contents are laid out.

    Every entry may need a blank page before it and the contents take less
    than one page per line, so the booklet has fewer than
    ``2 * (entry pages + entries) + 10`` pages.
    """
    return len(str(2 * (sum(entry.pages for entry in entries) + len(entries)) + 10))


def lay_out_front_part(renderer: BookletRenderer, job: FrontJob) -> FrontPart:
    """Lay out the cover or one contents part and write it to the job's folder."""
    project = renderer.project
    lang = job.lang or project.config.lang
    disclaimer, note = renderer.default_footer(lang)
    context = renderer.page_context(job.title, lang, disclaimer, note, project.root / CONFIG_FILENAME)
    if job.cover is not None:
        moment = build_time()
        template = "booklet/cover.html"
        context.update(
            subtitle=job.cover.subtitle, duplex=job.cover.duplex, entry_count=job.cover.entry_count,
            build_date=long_date(moment.date(), lang), description=job.cover.subtitle,
        )
    else:
        template = "booklet/contents.html"
        context.update(groups=job.groups, first=job.first, digits=job.digits)
    source = project.root / CONFIG_FILENAME
    document, _html = renderer.lay_out_page(template, context, source, ProjectFetcher(project.trusted_dirs))
    path = job.folder / f"front-{job.number:05d}.pdf"
    slots = page_slots(document)
    prefix = f"f{job.number}-"
    if job.cover is not None:
        blank = next(i for i, page in enumerate(document.pages) if BLANK_PAGE_ID in page.anchors)
        finisher = finish_parts([TaggedPart(0, blank, job.title)], frozenset({blank}), prefix)
        path.write_bytes(renderer.engine.write_part_pdf(document, finisher))
        return FrontPart(path, blank, slots, blank_index=blank)
    lines = _placed_lines(document)
    titles = {line.position: line.title for group in job.groups for line in group.lines}
    toc = tuple(TocLink(line.page, line.rect, entry_destination(line.position), titles[line.position]) for line in lines)
    part = TaggedPart(0, len(document.pages), "", link_footer=False, toc=toc)
    path.write_bytes(renderer.engine.write_part_pdf(document, finish_parts([part], id_prefix=prefix)))
    return FrontPart(path, len(document.pages), slots, lines)


def _placed_lines(document: weasyprint.Document) -> tuple[PlacedLine, ...]:
    placed = []
    for index, page in enumerate(document.pages):
        for box in page_boxes(page, CONTENTS_ENTRY):
            x, y, width, height = border_box(box)
            rect = (x * PX_TO_PT, (page.height - y - height) * PX_TO_PT, (x + width) * PX_TO_PT, (page.height - y) * PX_TO_PT)
            number = next(page_boxes(box, CONTENTS_PAGE), None)
            position = element_attribute(box, ENTRY_ATTRIBUTE)
            if number is None or position is None:
                raise LookupError(
                    f"a {CONTENTS_ENTRY} line needs a {CONTENTS_PAGE} slot and a {ENTRY_ATTRIBUTE} attribute "
                    "(see templates/README.md)"
                )
            placed.append(PlacedLine(index, rect, slot_of(number, page.width), int(position)))
    return tuple(placed)
