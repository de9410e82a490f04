"""Putting the page footer into the PDF structure tree once, and marking its repeats as artifacts.

WeasyPrint tags the page body, but text in page-margin boxes (our running
footer with the disclaimer, and the running header strings) is left as
marked content that no structure element reaches: a screen reader skips the
disclaimer, and a PDF/UA checker flags content that is neither tagged nor an
artifact. This pass links the first page's footer into the document after the
leaflet, so it is read once, and turns every other margin-box text (footers on
later pages, running headers) into pagination artifacts, as PDF/UA asks for
repeated page furniture.

It runs as a WeasyPrint *finisher*, on the PDF objects just before they are
serialised, so the file is written once rather than written, parsed and
written again.
"""

from __future__ import annotations

from typing import Any

import pydyf

_BLOCK_TAGS = {"/P", "/Div", "/L", "/LI", "/Table"}
"""A margin box holding these is the running footer; generated header strings hold only spans."""

_NULL = b"null"


def finish_structure(_document: Any, pdf: pydyf.PDF) -> None:
    """Tag margin-box content once or mark it as artifact, in ``pdf`` (a tagged PDF about to be written)."""
    tree_reference = pdf.catalog.get("StructTreeRoot")
    if tree_reference is None:
        return
    objects = pdf.objects

    def resolve(value: Any) -> Any:
        return objects[int(value.split(b" ", 1)[0])] if isinstance(value, bytes) and value.endswith(b" R") else value

    tree = resolve(tree_reference)
    document = resolve(tree["K"][0])
    reachable = _reachable(document, resolve)
    nums = resolve(tree["ParentTree"])["Nums"]
    pages = [resolve(reference) for reference in pdf.page_references]
    footer_linked = False
    for index in range(0, len(nums), 2):
        page_number, marks = nums[index], nums[index + 1]
        if not isinstance(marks, pydyf.Array) or page_number >= len(pages):
            continue
        artifacts: dict[int, str] = {}
        for mcid, reference in enumerate(marks):
            element = resolve(reference)
            if not isinstance(element, pydyf.Dictionary) or id(element) in reachable:
                continue
            top = _top_element(element, document, resolve)
            is_footer = _holds_blocks(top, resolve)
            if is_footer and not footer_linked:
                document["K"].append(top.reference)
                top["P"] = document.reference
                reachable |= _reachable(top, resolve)
                footer_linked = True
                continue
            artifacts[mcid] = "/Footer" if is_footer else "/Header"
        if artifacts:
            _mark_artifacts(resolve(pages[page_number]["Contents"]), artifacts)
            for mcid in artifacts:
                marks[mcid] = _NULL


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
