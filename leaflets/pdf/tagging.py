"""Putting the page footer into the PDF structure tree once, and marking its repeats as artifacts.

WeasyPrint tags the page body, but text in page-margin boxes (our running
footer with the disclaimer, and the running header strings) is left as
marked content that no structure element reaches: a screen reader skips the
disclaimer, and a PDF/UA checker flags content that is neither tagged nor an
artifact. This pass links the first page's footer into the document after the
leaflet, so it is read once, and turns every other margin-box text (footers on
later pages, running headers) into pagination artifacts, as PDF/UA asks for
repeated page furniture.

WeasyPrint also tags every element without a language of its own, so the
pass gives /Lang to the elements whose HTML was in another language than
the document's (the second language of a bilingual leaflet, an entry in
the fallback language of a booklet), and only to them. And it draws the
glyphs of right-to-left text in visual order, with one Unicode value per
glyph (a parenthesis mirrored in Arabic text reads as its opposite
everywhere else), so text runs holding such text get /ActualText with the
text as written (:func:`_give_actual_text`).

It runs as a WeasyPrint *finisher*, on the PDF objects just before they are
serialised, so the file is written once rather than written, parsed and
written again.

Booklet parts (a chunk of entries, the cover, a part of the contents) use
:func:`finish_parts` instead: the same footer rule applied per entry, and the
tree regrouped so the booklet can merge the parts' trees without reading
them whole: one element per entry under /Document, contents lists turned
into /TOC items holding /Link elements, internal links made explicit (named
destinations do not survive the join), structure IDs made unique, and blank
pages left as artifacts throughout.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pydyf

from leaflets.layout.weasy import element_language, marked_texts

_BLOCK_TAGS = {"/P", "/Div", "/L", "/LI", "/Table"}
"""A margin box holding these is the running footer; generated header strings hold only spans."""

_NULL = b"null"

_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
"""Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko ... and their presentation forms)."""
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

Finisher = Callable[[Any, pydyf.PDF], None]


def finish_structure(_document: Any, pdf: pydyf.PDF) -> None:
    """Tag margin-box content once or mark it as artifact, and give elements in another language their /Lang,
    in ``pdf`` (a tagged PDF about to be written)."""
    structure = _structure(pdf)
    if structure is None:
        return
    resolve, tree, document = structure
    _tag_margins(pdf, resolve, tree, document, {0: document}, frozenset())
    _mark_languages(document, _document_language(pdf), resolve)
    _give_actual_text(pdf, resolve, tree)


@dataclass(frozen=True)
class TocLink:
    """A contents line: its page in the part file, rectangle (PDF points), the named destination it leads to, and its alternate text."""

    page: int
    rect: tuple[float, float, float, float]
    destination: str
    label: str


@dataclass(frozen=True)
class TaggedPart:
    """A run of pages in a part file that becomes one structure element of the booklet (an entry, the cover ...)."""

    first: int
    pages: int
    title: str
    role: str = "Part"
    lang: str | None = None
    """The part's language; the element gets /Lang where it differs from the file's (None: the file's)."""
    link_footer: bool = True
    """Read the footer of the run's first page once, inside the element; otherwise every footer is an artifact."""
    anchor_prefix: str = ""
    """Prefix the part's anchors were given to keep them apart from other parts' (removed from link alternate text)."""
    toc: tuple[TocLink, ...] = ()
    """Contents lines, in reading order: lists become /TOC, items /TOCI holding a /Link to the entry."""


def finish_parts(
    parts: Sequence[TaggedPart], blank_pages: frozenset[int] = frozenset(), id_prefix: str = "", lang: str | None = None,
) -> Finisher:
    """A finisher for a booklet part file: the tree regrouped into one element per :class:`TaggedPart`.

    Each part's footer is read once (linked on its first page), other margin
    text becomes pagination artifacts, and pages in ``blank_pages`` are
    artifacts throughout (they are copied wherever the booklet needs a blank
    page). Internal links point straight at their page (named destinations
    do not survive the booklet's joining), and structure IDs (table headers)
    get ``id_prefix`` so they stay unique in the joined booklet. ``lang`` is
    the language of the file the parts end up in (the booklet's; None: this
    file's own): a part, or an element inside it, in another language gets
    /Lang, as the part file's own /Lang is not kept in the join.
    """

    def finish(_document: Any, pdf: pydyf.PDF) -> None:
        structure = _structure(pdf)
        if structure is None:
            return
        resolve, tree, document = structure
        file_lang = lang or _document_language(pdf)
        pages = list(pdf.page_references)
        owners: dict[int, pydyf.Dictionary] = {}
        elements: list[pydyf.Dictionary] = []
        for part in parts:
            element = pydyf.Dictionary({"Type": "/StructElem", "S": f"/{part.role}", "P": document.reference, "K": pydyf.Array()})
            if part.title:
                element["T"] = pydyf.String(part.title)
            if part.lang and not _same_language(part.lang, file_lang):
                element["Lang"] = pydyf.String(part.lang)
            pdf.add_object(element)
            elements.append(element)
            for page in range(part.first, part.first + part.pages):
                owners[page] = element
        page_index = {reference: index for index, reference in enumerate(pages)}
        for reference in document["K"]:
            kid = resolve(reference)
            owner = owners.get(page_index.get(kid.get("Pg"), -1))
            if owner is not None:
                kid["P"] = owner.reference
                owner["K"].append(reference)
        document["K"] = pydyf.Array(element.reference for element in elements)
        footers = {part.first: element for part, element in zip(parts, elements) if part.link_footer}
        _tag_margins(pdf, resolve, tree, document, footers, blank_pages)
        for part, element in zip(parts, elements):
            if part.toc:
                _tag_contents(pdf, resolve, tree, element, part.toc)
            _mark_languages(element, part.lang or file_lang, resolve)
        _give_actual_text(pdf, resolve, tree)
        _resolve_internal_links(pdf, resolve, parts)
        if id_prefix:
            _prefix_ids(pdf, id_prefix)
        for key in ("Outlines", "Names", "PageMode"):
            pdf.catalog.pop(key, None)

    return finish


def _structure(pdf: pydyf.PDF) -> tuple[Callable[[Any], Any], Any, Any] | None:
    """``(resolve, StructTreeRoot, its /Document element)`` of a tagged ``pdf``; None for an untagged one."""
    tree_reference = pdf.catalog.get("StructTreeRoot")
    if tree_reference is None:
        return None
    resolve = _resolver(pdf)
    tree = resolve(tree_reference)
    return resolve, tree, resolve(tree["K"][0])


def _document_language(pdf: pydyf.PDF) -> str:
    """The file's /Lang (WeasyPrint's, from ``<html lang>``); empty when it has none."""
    lang = pdf.catalog.get("Lang")
    return lang.string if isinstance(lang, pydyf.String) else ""


def _same_language(one: str, other: str) -> bool:
    """Language tags compare without regard to case (BCP 47)."""
    return one.lower() == other.lower()


def _mark_languages(top: Any, lang: str, resolve: Callable[[Any], Any]) -> None:
    """Give /Lang to each element under ``top`` whose box was in another language than the one it inherits.

    ``lang`` is the language ``top`` is read in. An element keeps a /Lang it
    has (a booklet part's); otherwise it gets the language its box had in
    the HTML (:func:`~leaflets.layout.weasy.element_language`) only where
    that differs from its parent's, so /Lang marks exactly where the language
    changes (PDF 1.7 section 14.9.2) and everything in the document's own
    language inherits the document's /Lang. Elements made here (parts,
    links, contents items) have no box and inherit.
    """
    stack = [(top, lang)]
    while stack:
        element, inherited = stack.pop()
        own = element.get("Lang")
        if isinstance(own, pydyf.String):
            inherited = own.string
        else:
            noted = element_language(element)
            if noted and not _same_language(noted, inherited):
                element["Lang"] = pydyf.String(noted)
                inherited = noted
        stack.extend((kid, inherited) for kid in _kids(element, resolve))


def _give_actual_text(pdf: pydyf.PDF, resolve: Callable[[Any], Any], tree: Any) -> None:
    """In a file with right-to-left text, /ActualText with the logical text on the elements of runs whose glyphs do not read as written.

    Those are runs with right-to-left letters (drawn in visual order, so a
    reader of the tree without the bidi algorithm gets them backwards, and
    marks raised above a letter may land on a line of their own) and runs
    with mirrored characters (brackets: the glyph of ")" drawn for "(" in
    Arabic text maps to "(" everywhere, English text included). The text,
    without bidi control characters, goes on the structure element holding
    the run alone (PDF 1.7 section 14.9.4; what assistive technology and
    structure-tree extraction read). Not into the page's /Span property
    lists: poppler (pdftotext) reorders such replacement text once more by
    position and prints it backwards. Runs made artifacts are left alone.
    """
    texts = marked_texts(pdf)
    if not any(_RTL_LETTER.search(text) for text in texts.values()):
        return
    wanted: dict[int, dict[int, str]] = {}
    for (page_number, mcid), text in texts.items():
        if _RTL_LETTER.search(text) or any(unicodedata.mirrored(character) for character in text):
            wanted.setdefault(page_number, {})[mcid] = _BIDI_CONTROLS.sub("", text)
    nums = resolve(tree["ParentTree"])["Nums"]
    for index in range(0, len(nums), 2):
        page_number, marks = nums[index], nums[index + 1]
        runs = wanted.get(page_number)
        if not runs or not isinstance(marks, pydyf.Array):
            continue
        for mcid, text in runs.items():
            if mcid >= len(marks) or marks[mcid] == _NULL:
                continue
            element = resolve(marks[mcid])
            kids = element.get("K") if isinstance(element, pydyf.Dictionary) else None
            if isinstance(kids, (pydyf.Array, list)) and list(kids) == [mcid]:
                element["ActualText"] = pydyf.String(text)


def _resolver(pdf: pydyf.PDF) -> Callable[[Any], Any]:
    objects = pdf.objects

    def resolve(value: Any) -> Any:
        return objects[int(value.split(b" ", 1)[0])] if isinstance(value, bytes) and value.endswith(b" R") else value

    return resolve


def _tag_margins(
    pdf: pydyf.PDF, resolve: Callable[[Any], Any], tree: Any, document: Any,
    footers: dict[int, Any], blank_pages: frozenset[int],
) -> None:
    """Link the footer of each page in ``footers`` into its element there; make other margin text artifacts.

    Everything on ``blank_pages`` becomes an artifact too.
    """
    reachable = _reachable(document, resolve)
    nums = resolve(tree["ParentTree"])["Nums"]
    pages = [resolve(reference) for reference in pdf.page_references]
    linked: set[int] = set()
    for index in range(0, len(nums), 2):
        page_number, marks = nums[index], nums[index + 1]
        if not isinstance(marks, pydyf.Array) or page_number >= len(pages):
            continue
        artifacts: dict[int, str] = {}
        for mcid, reference in enumerate(marks):
            element = resolve(reference)
            if not isinstance(element, pydyf.Dictionary):
                continue
            if id(element) in reachable and page_number not in blank_pages:
                continue
            top = _top_element(element, document, resolve)
            is_footer = _holds_blocks(top, resolve)
            target = footers.get(page_number)
            if is_footer and target is not None and page_number not in linked and page_number not in blank_pages:
                target["K"].append(top.reference)
                top["P"] = target.reference
                reachable |= _reachable(top, resolve)
                linked.add(page_number)
                continue
            artifacts[mcid] = "/Footer" if is_footer else "/Header"
        if artifacts:
            _mark_artifacts(resolve(pages[page_number]["Contents"]), artifacts)
            for mcid in artifacts:
                marks[mcid] = _NULL


def _tag_contents(pdf: pydyf.PDF, resolve: Callable[[Any], Any], tree: Any, part: Any, links: Sequence[TocLink]) -> None:
    """Turn the part's lists into /TOC and /TOCI, each item's content into a /Link with its annotation."""
    items: list[Any] = []
    stack = [part]
    while stack:
        element = stack.pop()
        kind = str(element.get("S"))
        if kind == "/L":
            element["S"] = "/TOC"
        elif kind == "/LI":
            element["S"] = "/TOCI"
            items.append(element)
            continue
        stack.extend(reversed(_kids(element, resolve)))
    if len(items) != len(links):
        raise RuntimeError(f"contents part has {len(items)} list items for {len(links)} contents lines")
    nums = resolve(tree["ParentTree"])["Nums"]
    key = max((nums[i] for i in range(0, len(nums), 2)), default=-1) + 1
    pages = list(pdf.page_references)
    for item, line in zip(items, links):
        page_reference = pages[line.page]
        annotation = pydyf.Dictionary({
            "Type": "/Annot", "Subtype": "/Link", "Rect": pydyf.Array(line.rect), "Border": pydyf.Array((0, 0, 0)),
            "F": 4, "Dest": pydyf.String(line.destination), "Contents": pydyf.String(line.label), "StructParent": key,
        })
        pdf.add_object(annotation)
        page = resolve(page_reference)
        page.setdefault("Annots", pydyf.Array()).append(annotation.reference)
        objr = pydyf.Dictionary({"Type": "/OBJR", "Obj": annotation.reference, "Pg": page_reference})
        pdf.add_object(objr)
        kids = [kid for kid in _kids(item, resolve) if str(kid.get("S")) != "/Lbl"]
        link = pydyf.Dictionary({
            "Type": "/StructElem", "S": "/Link", "P": item.reference, "Pg": page_reference,
            "K": pydyf.Array([*(kid.reference for kid in kids), objr.reference]),
        })
        pdf.add_object(link)
        for kid in kids:
            kid["P"] = link.reference
            if str(kid.get("S")) == "/LBody":
                kid["S"] = "/Span"
        labels = [kid.reference for kid in _kids(item, resolve) if str(kid.get("S")) == "/Lbl"]
        item["K"] = pydyf.Array([*labels, link.reference])
        nums.extend((key, link.reference))
        key += 1


def _resolve_internal_links(pdf: pydyf.PDF, resolve: Callable[[Any], Any], parts: Sequence[TaggedPart]) -> None:
    """Replace named destinations of link annotations by the page and position they name."""
    names = pdf.catalog.get("Names")
    dests = resolve(names.get("Dests")) if isinstance(names, dict) else None
    table = resolve(dests.get("Names")) if isinstance(dests, dict) else None
    if not table:
        return
    targets = {table[i].string: table[i + 1] for i in range(0, len(table), 2)}
    prefixes = {}
    for part in parts:
        for page in range(part.first, part.first + part.pages):
            prefixes[page] = part.anchor_prefix
    for index, reference in enumerate(pdf.page_references):
        for annotation_reference in resolve(reference).get("Annots", ()):
            annotation = resolve(annotation_reference)
            destination = annotation.get("Dest")
            if not isinstance(destination, pydyf.String) or destination.string not in targets:
                continue
            annotation["Dest"] = targets[destination.string]
            prefix = prefixes.get(index, "")
            label = annotation.get("Contents")
            if prefix and isinstance(label, pydyf.String) and label.string.startswith(prefix):
                annotation["Contents"] = pydyf.String(label.string[len(prefix):])


def _prefix_ids(pdf: pydyf.PDF, prefix: str) -> None:
    """Give every structure element ID (and the table cells' /Headers naming them) ``prefix``."""
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("Type") != "/StructElem":
            continue
        if isinstance(obj.get("ID"), pydyf.String):
            obj["ID"] = pydyf.String(prefix + obj["ID"].string)
        attributes = obj.get("A")
        if isinstance(attributes, dict) and isinstance(attributes.get("Headers"), (list, pydyf.Array)):
            attributes["Headers"] = pydyf.Array(
                pydyf.String(prefix + header.string) if isinstance(header, pydyf.String) else header
                for header in attributes["Headers"]
            )


def _kids(element: Any, resolve: Any) -> list[Any]:
    kids = element.get("K")
    if not isinstance(kids, (pydyf.Array, list)):
        kids = [kids]
    found = []
    for kid in kids:
        kid = resolve(kid)
        if isinstance(kid, pydyf.Dictionary) and "S" in kid:
            found.append(kid)
    return found


def _reachable(element: Any, resolve: Any) -> set[int]:
    seen: set[int] = set()
    stack = [element]
    while stack:
        current = stack.pop()
        seen.add(id(current))
        stack.extend(_kids(current, resolve))
    return seen


def _top_element(element: Any, document: Any, resolve: Any) -> Any:
    while "P" in element and resolve(element["P"]) is not document:
        element = resolve(element["P"])
    return element


def _holds_blocks(element: Any, resolve: Any) -> bool:
    stack = [element]
    while stack:
        current = stack.pop()
        if str(current.get("S")) in _BLOCK_TAGS:
            return True
        stack.extend(_kids(current, resolve))
    return False


def _mark_artifacts(stream: pydyf.Stream, artifacts: dict[int, str]) -> None:
    """Turn ``/Tag <</MCID n>> BDC`` into ``/Artifact <</Type /Pagination /Subtype ...>> BDC`` for the given MCIDs.

    WeasyPrint appends marked content to the stream as three items: the tag
    name, the property list and ``BDC``.
    """
    items = stream.stream
    for position, item in enumerate(items):
        if not isinstance(item, pydyf.Dictionary) or "MCID" not in item or position == 0:
            continue
        if position + 1 >= len(items) or items[position + 1] != b"BDC":
            continue
        subtype = artifacts.get(item["MCID"])
        if subtype is None:
            continue
        items[position - 1] = "/Artifact"
        items[position] = pydyf.Dictionary({"Type": "/Pagination", "Subtype": subtype})
