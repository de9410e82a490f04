"""Writing a PDF one object at a time, copying pages from other PDF files as it goes.

Joining thousands of pages with a PDF library keeps every copied object in
memory until the file is saved. This writer instead streams each part's
objects straight to the output with renumbered references (small objects
through compressed object streams of a few hundred), keeping only where
every object lies (eight bytes each) for the cross-reference stream, so
memory stays flat however many pages the parts add up to. Page objects get
numbers reserved up front, so anything may point at any page before it is
written. A tagged part's structure tree comes along and is merged into the
booklet's one tree (:class:`StructureMerge`).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from decimal import Decimal
from pathlib import Path
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable, Iterator

import pikepdf
from pikepdf import ObjectType

Reference = Callable[[pikepdf.Object], int]


OBJECT_STREAM_SIZE = 200
"""Objects gathered into one compressed object stream before it is written: bounds the memory it takes."""
_PENDING = -1


class PdfStreamWriter:
    """An append-only PDF: reserve object numbers, write objects in any order, finish with xref and trailer.

    Objects other than streams are gathered into compressed object streams
    (a tagged booklet has tens of structure elements per page, each a few
    dozen bytes, which would otherwise triple the file), and the
    cross-reference table is a compressed xref stream. Where each object
    lies is kept in one signed 64-bit slot per object: a file offset, or,
    negative, its object stream and index.
    """

    def __init__(self, handle: IO[bytes], compress: bool = True) -> None:
        self.handle = handle
        self.offsets = array("q", [0])
        self.position = 0
        self.digest = hashlib.md5()
        self.compress = compress
        self.pending: list[tuple[int, bytes]] = []
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.position += len(data)

    def reserve(self, count: int = 1) -> int:
        """Reserve ``count`` consecutive object numbers; returns the first."""
        first = len(self.offsets)
        if count == 1:
            self.offsets.append(0)
        else:
            self.offsets.extend(array("q", [0]) * count)
        return first

    def write(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        """Write object ``number``; with ``stream``, ``body`` is its dictionary (without /Length)."""
        if stream is None and self.compress:
            self.offsets[number] = _PENDING
            self.pending.append((number, body))
            if len(self.pending) >= OBJECT_STREAM_SIZE:
                self._flush()
            return
        self.offsets[number] = self.position
        if stream is None:
            self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
            return
        self._write(b"%d 0 obj\n%s/Length %d>>\nstream\n" % (number, body[:-2], len(stream)))
        self._write(stream)
        self._write(b"\nendstream\nendobj\n")

    def _flush(self) -> None:
        """Write the gathered objects as one compressed object stream."""
        if not self.pending:
            return
        container = self.reserve()
        header, at = [], 0
        for index, (number, body) in enumerate(self.pending):
            header.append(b"%d %d" % (number, at))
            at += len(body) + 1
            self.offsets[number] = -((container << 16) | index) - 2
        head = b" ".join(header) + b"\n"
        data = zlib.compress(head + b"\n".join(body for _number, body in self.pending) + b"\n")
        count = len(self.pending)
        self.pending = []
        self.write(container, b"<</Type/ObjStm/N %d/First %d/Filter/FlateDecode>>" % (count, len(head)), data)

    def finish(self, root: int, info: int) -> None:
        self._flush()
        missing = [n for n in range(1, len(self.offsets)) if self.offsets[n] == 0]
        if missing:
            raise RuntimeError(f"objects reserved but never written: {missing[:5]}")
        identifier = self.digest.hexdigest().encode("ascii")
        number = self.reserve() if self.compress else 0  # the xref stream's own object
        trailer = b"/Size %d/Root %d 0 R/Info %d 0 R/ID[<%s><%s>]" % (len(self.offsets), root, info, identifier, identifier)
        if not self.compress:
            xref = self.position
            lines = [b"xref\n0 %d\n" % len(self.offsets), b"0000000000 65535 f \n"]
            lines.extend(b"%010d 00000 n \n" % offset for offset in self.offsets[1:])
            self._write(b"".join(lines))
            self._write(b"trailer\n<<%s>>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref))
            return
        xref = self.position
        self.offsets[number] = xref
        rows = bytearray(b"\x00\x00\x00\x00\x00\x00\xff\xff")
        for location in self.offsets[1:]:
            if location >= 0:
                rows += b"\x01" + location.to_bytes(5, "big") + b"\x00\x00"
            else:
                packed = -location - 2
                rows += b"\x02" + (packed >> 16).to_bytes(5, "big") + (packed & 0xFFFF).to_bytes(2, "big")
        data = zlib.compress(bytes(rows))
        self._write(b"%d 0 obj\n<</Type/XRef/W[1 5 2]%s/Filter/FlateDecode/Length %d>>\nstream\n" % (number, trailer, len(data)))
        self._write(data)
        self._write(b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref)


def serialise(value: Any, reference: Reference, body: bool = False) -> bytes:
    """PDF syntax for ``value``; indirect objects inside it become references through ``reference``.

    With ``body``, ``value`` itself is written out even if it is an indirect object.
    """
    if isinstance(value, pikepdf.Object):
        if value.is_indirect and not body:
            return b"%d 0 R" % reference(value)
        kind = value._type_code
        if kind in (ObjectType.dictionary, ObjectType.stream):
            return serialise_dictionary(value.items(), reference)
        if kind == ObjectType.array:
            return b"[" + b" ".join(serialise(item, reference) for item in value) + b"]"
        return value.unparse()
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if value is None:
        return b"null"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, (Decimal, float)):
        return format(Decimal(value).normalize(), "f").encode("ascii")
    if isinstance(value, str):
        return pikepdf.String(value).unparse()
    raise TypeError(f"cannot write {type(value).__name__} into a PDF")


def serialise_dictionary(items: Iterable[tuple[str, Any]], reference: Reference, skip: tuple[str, ...] = ()) -> bytes:
    parts = [b"<<"]
    for key, item in items:
        if key in skip:
            continue
        parts.append(pikepdf.Name(key).unparse())
        parts.append(b" ")
        parts.append(serialise(item, reference))
    parts.append(b">>")
    return b"".join(parts)


@dataclass
class StructureMerge:
    """The booklet's one structure tree, gathered while parts stream through :func:`copy_pages`.

    Each tagged part keeps its own elements; its /Document's kids become kids
    of the booklet's /Document (object ``document``), its parent tree entries
    join the booklet's with keys moved past the parts before it (and the
    pages' /StructParents and annotations' /StructParent moved with them).
    Only object numbers and keys are kept, not the elements themselves.
    """

    root: int
    """Object number reserved for the booklet's /StructTreeRoot."""
    document: int
    """Object number reserved for the booklet's /Document element."""
    destinations: dict[str, int] = field(default_factory=dict)
    """Named destinations that link annotations may use, by name: the page object they lead to (shown whole)."""
    next_key: int = 0
    kids: list[int] = field(default_factory=list)
    parent_tree: list[tuple[int, int]] = field(default_factory=list)
    """(key, object number of the element or array of elements) in key order."""
    role_map: dict[str, bytes] = field(default_factory=dict)


def copy_pages(
    writer: PdfStreamWriter,
    path: Path,
    page_numbers: list[int],
    parent: int,
    extra_annotations: dict[int, list[int]],
    structure: StructureMerge | None = None,
) -> None:
    """Copy every page of the PDF at ``path``, and what they use, as objects ``page_numbers``.

    Each page's /Parent becomes ``parent``; ``extra_annotations`` maps a page's
    index in this file to annotation objects to add to its /Annots. With
    ``structure``, the file's structure tree is copied too and merged into it.
    """
    with pikepdf.Pdf.open(path) as pdf:
        if len(pdf.pages) != len(page_numbers):
            raise RuntimeError(f"{path} has {len(pdf.pages)} pages, expected {len(page_numbers)}")
        numbers: dict[tuple[int, int], int] = {}
        queue: list[pikepdf.Object] = []

        def reference(obj: pikepdf.Object) -> int:
            key = obj.objgen
            if key not in numbers:
                numbers[key] = writer.reserve()
                queue.append(obj)
            return numbers[key]

        renamed: dict[bytes, bytes] = {}
        """``N G R`` as QPDF writes it -> the reference written instead (most are met many times)."""

        def by_objgen(match: re.Match[bytes]) -> bytes:
            text = match[0]
            known = renamed.get(text)
            if known is None:
                key = (int(match[1]), int(match[2]))
                number = numbers.get(key)
                known = renamed[text] = b"%d 0 R" % (number if number is not None else reference(pdf.get_object(key)))
            return known

        tree = pdf.Root.get("/StructTreeRoot") if structure is not None else None
        offset = structure.next_key if structure is not None else 0
        document: pikepdf.Object | None = None
        if structure is not None and tree is not None:
            kids = tree.get("/K")
            document = kids[0] if isinstance(kids, pikepdf.Array) else kids
            if not isinstance(document, pikepdf.Dictionary):
                raise RuntimeError(f"{path}: its structure tree has no /Document element")
            numbers[tree.objgen] = structure.root
            numbers[document.objgen] = structure.document
        destinations = structure.destinations if structure is not None else {}

        def drain() -> None:
            while queue:
                obj = queue.pop()
                number = numbers[obj.objgen]
                kind = obj._type_code
                if kind == ObjectType.stream:
                    body = serialise_dictionary(obj.stream_dict.items(), reference, skip=("/Length",))
                    writer.write(number, body, obj.read_raw_bytes())
                    continue
                data = obj.unparse(resolved=True)
                if kind == ObjectType.dictionary and _SPECIAL.search(data) is not None:
                    if obj.get("/Type") == pikepdf.Name.Page:
                        raise RuntimeError(f"{path}: a page refers to a page outside the part (not supported)")
                    if "/StructParent" in obj or "/Dest" in obj:
                        writer.write(number, _annotation(obj, reference, offset, destinations))
                        continue
                writer.write(number, _renumbered(obj, data, reference, by_objgen))

        for page, number in zip(pdf.pages, page_numbers):
            numbers[page.obj.objgen] = number
        for index, (page, number) in enumerate(zip(pdf.pages, page_numbers)):
            body = serialise_dictionary(page.obj.items(), reference, skip=("/Parent", "/Annots", "/StructParents"))
            annotations = [serialise(a, reference) for a in page.obj.get("/Annots", [])]
            annotations.extend(b"%d 0 R" % n for n in extra_annotations.get(index, ()))
            extra = b"/Parent %d 0 R" % parent
            if annotations:
                extra += b"/Annots[" + b" ".join(annotations) + b"]"
            if "/StructParents" in page.obj and document is not None:
                extra += b"/StructParents %d" % (int(page.obj.StructParents) + offset)
            writer.write(number, body[:-2] + extra + b">>")
        drain()
        if structure is None or tree is None or document is None:
            return
        kids = document.get("/K", pikepdf.Array())
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary):
                structure.kids.append(reference(kid))
        last = -1
        for key, value in _number_tree(tree.get("/ParentTree")):
            if not isinstance(value, pikepdf.Object):
                continue
            if value.is_indirect:
                number = reference(value)
            elif isinstance(value, pikepdf.Array):
                if all(not isinstance(item, pikepdf.Object) or item._type_code == ObjectType.null for item in value):
                    continue
                number = writer.reserve()
                writer.write(number, serialise(value, reference, body=True))
            else:
                continue
            structure.parent_tree.append((key + offset, number))
            last = max(last, key)
        for name, role in tree.get("/RoleMap", pikepdf.Dictionary()).items():
            structure.role_map[name] = role.unparse()
        drain()
        structure.next_key = offset + last + 1


_REFERENCE = re.compile(rb"(?<![\d.])(\d+) (\d+) R\b")


_SPECIAL_KEYS = (b"/Type /Page", b"/StructParent ", b"/Dest ")
"""Text in an unparsed dictionary that may make it a page or an annotation to rewrite (checked exactly then)."""
_SPECIAL = re.compile(b"|".join(re.escape(key) for key in _SPECIAL_KEYS))


def _renumbered(
    obj: pikepdf.Object, data: bytes, reference: Reference, renumber: Callable[[re.Match[bytes]], bytes]
) -> bytes:
    """``obj`` written out with its references renumbered.

    The fast way, for the thousands of small structure elements a tagged
    part holds: QPDF writes the object and its ``N G R`` references are
    replaced in the bytes. That is only safe where no string could contain
    text looking like a reference, so objects with a literal or hex string
    take the slow way through :func:`serialise`. ``data`` is QPDF's text of ``obj``.
    """
    if b"(" in data or b"<" in data.replace(b"<<", b""):
        return serialise(obj, reference, body=True)
    return _REFERENCE.sub(renumber, data)


def _annotation(obj: pikepdf.Object, reference: Reference, offset: int, destinations: dict[str, int]) -> bytes:
    """An annotation's dictionary with its /StructParent moved by ``offset`` and a named /Dest made explicit."""
    extra = b""
    skip = []
    if "/StructParent" in obj:
        skip.append("/StructParent")
        extra += b"/StructParent %d" % (int(obj.StructParent) + offset)
    destination = obj.get("/Dest")
    if isinstance(destination, pikepdf.String) and str(destination) in destinations:
        skip.append("/Dest")
        extra += b"/Dest[%d 0 R/Fit]" % destinations[str(destination)]
    return serialise_dictionary(obj.items(), reference, skip=tuple(skip))[:-2] + extra + b">>"


def _number_tree(node: pikepdf.Object | None) -> Iterator[tuple[int, pikepdf.Object]]:
    """The (key, value) pairs of a number tree, in order."""
    if node is None:
        return
    nums = node.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums) - 1, 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", ()):
        yield from _number_tree(kid)


def write_number_tree(writer: PdfStreamWriter, pairs: list[tuple[int, int]], leaf_size: int = 256) -> int:
    """Write a number tree mapping each key to its object (pairs sorted by key); returns its root object.

    Leaves of ``leaf_size`` pairs under one root, so no single array holds a
    whole booklet's worth of pages.
    """
    root = writer.reserve()
    if len(pairs) <= leaf_size:
        writer.write(root, b"<</Nums[%s]>>" % b" ".join(b"%d %d 0 R" % pair for pair in pairs))
        return root
    leaves = []
    for start in range(0, len(pairs), leaf_size):
        leaf = pairs[start : start + leaf_size]
        number = writer.reserve()
        writer.write(number, b"<</Limits[%d %d]/Nums[%s]>>" % (
            leaf[0][0], leaf[-1][0], b" ".join(b"%d %d 0 R" % pair for pair in leaf)))
        leaves.append(number)
    writer.write(root, b"<</Kids[%s]>>" % b" ".join(b"%d 0 R" % n for n in leaves))
    return root
