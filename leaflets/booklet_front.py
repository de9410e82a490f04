"""The booklet's own pages: cover and table of contents, numbered to match the entries.

The contents print each entry's first page number, and those numbers depend
on how many pages the contents take. The contents are laid out with numbers
planned for a guessed length; if the guess was wrong they are laid out again
with the numbers the real length gives (the length rarely depends on the
numbers themselves, so this settles at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Sequence

import weasyprint

from .booklet_pages import PX_TO_PT, BookletRenderer, LaidOutEntry, Slot, page_slots
from .clock import build_time
from .config import CONFIG_FILENAME
from .fetcher import ProjectFetcher
from .layout import page_boxes
from .selection import initial

MAX_LAYOUTS = 5


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
class ContentsItem:
    position: int
    title: str
    page: int


@dataclass(frozen=True)
class ContentsGroup:
    letter: str
    items: tuple[ContentsItem, ...]


@dataclass(frozen=True)
class ContentsLink:
    """A clickable contents line: its page in the front matter, rectangle in PDF points, and target entry."""

    page: int
    rect: tuple[float, float, float, float]
    position: int


@dataclass(frozen=True)
class FrontMatter:
    """The cover and contents, written to ``path``, whose last page is a spare blank page."""

    path: Path
    plan: PagePlan
    slots: tuple[Slot, ...]
    links: tuple[ContentsLink, ...]
    contents_page: int
    """0-based index of the first contents page."""

    @property
    def blank_index(self) -> int:
        return self.plan.front_pages


@dataclass(frozen=True)
class Cover:
    title: str
    subtitle: str
    grouped: bool
    """Group the contents under initial letters (when the booklet is ordered by title)."""
    duplex: bool


def contents_groups(entries: Sequence[LaidOutEntry], plan: PagePlan, grouped: bool) -> list[ContentsGroup]:
    items = [ContentsItem(e.position, e.title, start) for e, start in zip(entries, plan.starts)]
    if not grouped:
        return [ContentsGroup("", tuple(items))]
    return [ContentsGroup(letter, tuple(group)) for letter, group in groupby(items, key=lambda i: initial(i.title))]


def lay_out_front(
    renderer: BookletRenderer, cover: Cover, entries: Sequence[LaidOutEntry], folder: Path
) -> FrontMatter:
    """Lay out cover and contents until the contents' length matches the numbers printed in them."""
    project = renderer.project
    disclaimer, note = renderer.default_footer()
    context = renderer.page_context(
        cover.title, project.config.lang, disclaimer, note, project.root / CONFIG_FILENAME
    )
    moment = build_time()
    context.update(
        subtitle=cover.subtitle, duplex=cover.duplex, entry_count=len(entries),
        build_date=f"{moment.day} {moment:%B %Y}", description=cover.subtitle,
    )
    pages = [entry.pages for entry in entries]
    front_pages = 3 if cover.duplex else 2
    for _attempt in range(MAX_LAYOUTS):
        plan = plan_pages(front_pages, pages, cover.duplex)
        html = renderer.templates.render(
            renderer.template, **context, groups=contents_groups(entries, plan, cover.grouped), stylesheet_hrefs=[]
        )
        document = renderer.engine.render(html, project.root, ProjectFetcher(project.trusted_dirs))
        laid_out_front = _anchor_page(document, "booklet-blank")
        if laid_out_front == front_pages:
            break
        front_pages = laid_out_front
    else:
        raise RuntimeError("the table of contents did not settle on a page count")
    path = folder / "front.pdf"
    path.write_bytes(renderer.engine.write_pdf(document, pdf_tags=False))
    return FrontMatter(path, plan, page_slots(document), _links(document), _anchor_page(document, "booklet-contents"))


def _anchor_page(document: weasyprint.Document, anchor: str) -> int:
    return next(index for index, page in enumerate(document.pages) if anchor in page.anchors)


def _links(document: weasyprint.Document) -> tuple[ContentsLink, ...]:
    links = []
    for index, page in enumerate(document.pages):
        for box in page_boxes(page, "contents-entry"):
            x, y = box.border_box_x(), box.border_box_y()
            width, height = box.border_width(), box.border_height()
            rect = (x * PX_TO_PT, (page.height - y - height) * PX_TO_PT, (x + width) * PX_TO_PT, (page.height - y) * PX_TO_PT)
            links.append(ContentsLink(index, rect, int(box.element.get("data-entry"))))
    return tuple(links)
