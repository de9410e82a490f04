"""Joining the numbered parts into the booklet file, with one structure tree, bookmarks and metadata.

The parts are streamed into the output one object at a time
(:mod:`leaflets.pdf.stream`), so joining 15,000 pages takes no more memory
than joining fifteen; their structure trees come along and are merged into
one (:class:`~leaflets.pdf.stream.StructureMerge`). The outline (one
bookmark per entry, its sections below) and the contents links' targets
are settled here because each part was laid out alone and only this step
knows where every entry landed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pikepdf

from leaflets import __version__
from leaflets.booklet.chunks import LaidOutEntry, entry_destination
from leaflets.build.output import replacing
from leaflets.clock import build_time
from leaflets.pdf.stream import PdfStreamWriter, StructureMerge, copy_pages, serialise, write_number_tree


@dataclass(frozen=True)
class BookletLayout:
    """Where things landed: each entry's first page (1-based, by position) and the first contents page (0-based)."""

    starts: dict[int, int]
    entries: tuple[LaidOutEntry, ...]
    contents_page: int


@dataclass(frozen=True)
class BookletInfo:
    title: str
    subtitle: str
    author: str
    lang: str
    contents_label: str = "Contents"
    """The contents' bookmark, in the booklet's language."""


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int
    """0-based page index."""
    top: float | None = None
    """Top of the view in PDF points; None shows the whole page."""
    children: tuple["Bookmark", ...] = ()


def assemble(
    parts: Iterable[tuple[Path, int]], layout: BookletLayout, info: BookletInfo, output: Path, total: int | None = None,
) -> int:
    """Write the booklet from ``parts`` (file, page count), in order, to ``output`` atomically; return its page count.

    With ``total`` (the booklet's page count, known from the plan) ``parts``
    may be an iterator whose parts are still being written: each is joined as
    it arrives.

    The parts are tagged; their structure trees are merged into one as they
    stream (:class:`StructureMerge`): a /Document holding the cover, the
    contents and one element per entry. The file is written through an
    exclusively created temporary file (:func:`leaflets.build.output.replacing`):
    a link planted beside the output cannot redirect it, and two booklets into
    one file each rename a complete one.
    """
    if total is None:
        parts = list(parts)
        total = sum(count for _path, count in parts)
    with replacing(output, "booklet") as handle:
        writer = PdfStreamWriter(handle)
        catalog, pages_root = writer.reserve(), writer.reserve()
        first_page = writer.reserve(total)
        page_numbers = list(range(first_page, first_page + total))
        structure = StructureMerge(root=writer.reserve(), document=writer.reserve())
        structure.destinations = {
            entry_destination(position): page_numbers[start - 1] for position, start in layout.starts.items()
        }
        offset = 0
        for path, count in parts:
            if offset + count > total:
                raise RuntimeError(f"the booklet's parts have more than the {total} pages planned")
            copy_pages(writer, path, page_numbers[offset : offset + count], pages_root, {}, structure)
            offset += count
        if offset != total:
            raise RuntimeError(f"the booklet's parts have {offset} pages, {total} planned")
        kids = b" ".join(b"%d 0 R" % number for number in page_numbers)
        writer.write(pages_root, b"<</Type/Pages/Kids[%s]/Count %d>>" % (kids, total))
        _structure_tree(writer, structure, info)
        outline = _outline(writer, _bookmarks(layout, info.contents_label), page_numbers)
        metadata = writer.reserve()
        writer.write(metadata, b"<</Type/Metadata/Subtype/XML>>", _xmp(info))
        info_number = writer.reserve()
        writer.write(info_number, _info(info))
        writer.write(catalog, (
            b"<</Type/Catalog/Pages %d 0 R/Outlines %d 0 R/PageMode/UseOutlines/Metadata %d 0 R"
            b"/StructTreeRoot %d 0 R/MarkInfo<</Marked true>>"
            b"/Lang %s/ViewerPreferences<</DisplayDocTitle true>>>>"
        ) % (pages_root, outline, metadata, structure.root, _text(info.lang)))
        writer.finish(catalog, info_number)
    return total


def _structure_tree(writer: PdfStreamWriter, structure: StructureMerge, info: BookletInfo) -> None:
    """Write the booklet's /StructTreeRoot and /Document (numbers reserved before the parts) and its parent tree."""
    parent_tree = write_number_tree(writer, structure.parent_tree)
    kids = b" ".join(b"%d 0 R" % number for number in structure.kids)
    writer.write(structure.document, b"<</Type/StructElem/S/Document/P %d 0 R/T %s/K[%s]>>" % (
        structure.root, _text(info.title), kids))
    role_map = b"".join(pikepdf.Name(name).unparse() + role for name, role in structure.role_map.items())
    writer.write(structure.root, b"<</Type/StructTreeRoot/K %d 0 R/ParentTree %d 0 R/ParentTreeNextKey %d%s>>" % (
        structure.document, parent_tree, structure.next_key, b"/RoleMap<<" + role_map + b">>" if role_map else b""))


def _text(value: str) -> bytes:
    return serialise(value, _no_references)


def _no_references(_obj: pikepdf.Object) -> int:
    raise AssertionError("booklet metadata holds no indirect objects")


def _bookmarks(layout: BookletLayout, contents_label: str = "Contents") -> list[Bookmark]:
    marks = [Bookmark(contents_label, layout.contents_page)]
    for entry in layout.entries:
        start = layout.starts[entry.position] - 1
        sections = tuple(Bookmark(mark.label, start + mark.page, mark.top) for mark in entry.sections)
        marks.append(Bookmark(entry.title, start, None, sections))
    return marks


def _outline(writer: PdfStreamWriter, bookmarks: list[Bookmark], pages: list[int]) -> int:
    """Write the outline tree (entries closed, so a reader sees titles first); returns its root object."""
    root = writer.reserve()
    first, last = _outline_level(writer, bookmarks, root, pages)
    writer.write(root, b"<</Type/Outlines/First %d 0 R/Last %d 0 R/Count %d>>" % (first, last, len(bookmarks)))
    return root


def _outline_level(writer: PdfStreamWriter, items: Sequence[Bookmark], parent: int, pages: list[int]) -> tuple[int, int]:
    first = writer.reserve(len(items))
    numbers = list(range(first, first + len(items)))
    for index, (item, number) in enumerate(zip(items, numbers)):
        if item.top is None:
            destination = b"[%d 0 R/Fit]" % pages[item.page]
        else:
            destination = b"[%d 0 R/XYZ null %.2f null]" % (pages[item.page], item.top)
        fields = [b"/Title %s/Parent %d 0 R/Dest %s" % (_text(item.title), parent, destination)]
        if index:
            fields.append(b"/Prev %d 0 R" % numbers[index - 1])
        if index + 1 < len(items):
            fields.append(b"/Next %d 0 R" % numbers[index + 1])
        if item.children:
            child_first, child_last = _outline_level(writer, item.children, number, pages)
            fields.append(b"/First %d 0 R/Last %d 0 R/Count %d" % (child_first, child_last, -len(item.children)))
        writer.write(number, b"<<" + b"".join(fields) + b">>")
    return numbers[0], numbers[-1]


def _info(info: BookletInfo) -> bytes:
    date = build_time().strftime("D:%Y%m%d%H%M%SZ")
    fields = {
        "/Title": info.title, "/Author": info.author, "/Subject": info.subtitle,
        "/Creator": f"leaflets {__version__}", "/Producer": f"leaflets {__version__} (WeasyPrint, pikepdf)",
        "/CreationDate": date, "/ModDate": date,
    }
    return b"<<" + b"".join(pikepdf.Name(key).unparse() + b" " + _text(value) for key, value in fields.items() if value) + b">>"


def _xmp(info: BookletInfo) -> bytes:
    """The XMP packet for the document metadata, made by pikepdf's XMP support."""
    created = build_time().isoformat()
    with pikepdf.Pdf.new() as scratch:
        with scratch.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:title"] = info.title
            if info.subtitle:
                meta["dc:description"] = info.subtitle
            if info.author:
                meta["dc:creator"] = [info.author]
            meta["dc:language"] = [info.lang]
            meta["pdfuaid:part"] = "1"
            meta["xmp:CreatorTool"] = f"leaflets {__version__}"
            meta["xmp:CreateDate"] = created
            meta["xmp:ModifyDate"] = created
        return scratch.Root.Metadata.read_bytes()
