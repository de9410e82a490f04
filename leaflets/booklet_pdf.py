"""Joining the numbered parts into the booklet file, with bookmarks, contents links and metadata.

The parts are concatenated with pikepdf; the outline (one bookmark per entry,
its sections below) and the contents links are written here because each
part was laid out alone and only this step knows where every entry landed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem, PageLocation

from . import __version__
from .booklet_pages import LaidOutEntry
from .clock import build_time


@dataclass(frozen=True)
class ContentsLink:
    """A contents line to make clickable: its page and rectangle (PDF points), and the page it leads to (0-based)."""

    page: int
    rect: tuple[float, float, float, float]
    target: int


@dataclass(frozen=True)
class BookletLayout:
    """Where things landed: each entry's first page (1-based, by position), the contents links, the first contents page (0-based)."""

    starts: dict[int, int]
    entries: tuple[LaidOutEntry, ...]
    links: tuple[ContentsLink, ...]
    contents_page: int


@dataclass(frozen=True)
class BookletInfo:
    title: str
    subtitle: str
    author: str
    lang: str


def assemble(parts: Sequence[Path], layout: BookletLayout, info: BookletInfo, output: Path) -> int:
    """Write the booklet to ``output`` (atomically) and return its page count."""
    sources = [pikepdf.Pdf.open(path) for path in parts]
    try:
        with pikepdf.Pdf.new() as pdf:
            for source in sources:
                pdf.pages.extend(source.pages)
            _outline(pdf, layout)
            _contents_links(pdf, layout.links)
            _metadata(pdf, info)
            temporary = output.with_name(f".{output.name}.tmp")
            pdf.save(temporary, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
            os.replace(temporary, output)
            return len(pdf.pages)
    finally:
        for source in sources:
            source.close()


def _outline(pdf: pikepdf.Pdf, layout: BookletLayout) -> None:
    with pdf.open_outline() as outline:
        outline.root.append(OutlineItem("Contents", layout.contents_page))
        for entry in layout.entries:
            start = layout.starts[entry.position] - 1
            item = OutlineItem(entry.title, start)
            item.children.extend(
                OutlineItem(mark.label, start + mark.page, PageLocation.XYZ, top=mark.top) for mark in entry.sections
            )
            outline.root.append(item)


def _contents_links(pdf: pikepdf.Pdf, links: Sequence[ContentsLink]) -> None:
    for link in links:
        target = pdf.pages[link.target]
        top = float(target.mediabox[3])
        annotation = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array(link.rect), Border=Array([0, 0, 0]),
            Dest=Array([target.obj, Name.XYZ, None, top, None]),
        ))
        page = pdf.pages[link.page]
        if Name.Annots not in page.obj:
            page.obj.Annots = Array()
        page.obj.Annots.append(annotation)


def _metadata(pdf: pikepdf.Pdf, info: BookletInfo) -> None:
    created = build_time()
    pdf_date = created.strftime("D:%Y%m%d%H%M%SZ")
    pdf.Root.Lang = pikepdf.String(info.lang)
    pdf.Root.PageMode = Name.UseOutlines
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = info.title
        if info.subtitle:
            meta["dc:description"] = info.subtitle
        if info.author:
            meta["dc:creator"] = [info.author]
        meta["dc:language"] = [info.lang]
        meta["xmp:CreatorTool"] = f"leaflets {__version__}"
        meta["xmp:CreateDate"] = created.isoformat()
        meta["xmp:ModifyDate"] = created.isoformat()
    pdf.docinfo[Name.Title] = info.title
    if info.author:
        pdf.docinfo[Name.Author] = info.author
    if info.subtitle:
        pdf.docinfo[Name.Subject] = info.subtitle
    pdf.docinfo[Name.Creator] = f"leaflets {__version__}"
    pdf.docinfo[Name.Producer] = f"leaflets {__version__} (WeasyPrint, pikepdf)"
    pdf.docinfo[Name.CreationDate] = pdf_date
    pdf.docinfo[Name.ModDate] = pdf_date
