"""Putting the page footer into the PDF structure tree once, and marking its repeats as artifacts.

WeasyPrint tags the page body, but text in page-margin boxes (our running
footer with the disclaimer, and the running header strings) is left as
marked content that no structure element reaches: a screen reader skips the
disclaimer, and a PDF/UA checker flags content that is neither tagged nor an
artifact. This pass links the first page's footer into the document after the
leaflet, so it is read once, and turns every other margin-box text (footers on
later pages, running headers) into pagination artifacts, as PDF/UA asks for
repeated page furniture.
"""

from __future__ import annotations

import io
import re

import pikepdf

_MARKED_CONTENT = re.compile(rb"/\w+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")

_BLOCK_TAGS = {"/P", "/Div", "/L", "/LI", "/Table"}
"""A margin box holding these is the running footer; generated header strings hold only spans."""


def finish_structure(data: bytes) -> bytes:
    """``data`` (a tagged PDF) with margin-box content tagged once or marked as artifact."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        tree = pdf.Root.get("/StructTreeRoot")
        if tree is None:
            return data
        document = tree.K[0]
        reachable = _reachable(document)
        nums = tree.ParentTree.Nums
        footer_linked = False
        for index in range(0, len(nums), 2):
            page_number, marks = int(nums[index]), nums[index + 1]
            if not isinstance(marks, pikepdf.Array) or page_number >= len(pdf.pages):
                continue
            artifacts: dict[int, str] = {}
            for mcid, element in enumerate(marks):
                if not isinstance(element, pikepdf.Dictionary) or element.objgen in reachable:
                    continue
                top = _top_element(element, document)
                is_footer = _holds_blocks(top)
                if is_footer and not footer_linked:
                    document.K.append(top)
                    reachable |= _reachable(top)
                    footer_linked = True
                    continue
                artifacts[mcid] = "/Footer" if is_footer else "/Header"
            if artifacts:
                _mark_artifacts(pdf, pdf.pages[page_number], artifacts)
                for mcid in artifacts:
                    marks[mcid] = None
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True)
        return out.getvalue()


def _reachable(element: pikepdf.Object) -> set[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    stack = [element]
    while stack:
        current = stack.pop()
        seen.add(current.objgen)
        kids = current.get("/K")
        if isinstance(kids, pikepdf.Dictionary):
            kids = [kids]
        if isinstance(kids, (pikepdf.Array, list)):
            stack.extend(kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
    return seen


def _top_element(element: pikepdf.Object, document: pikepdf.Object) -> pikepdf.Object:
    while "/P" in element and element.P.objgen != document.objgen:
        element = element.P
    return element


def _holds_blocks(element: pikepdf.Object) -> bool:
    stack = [element]
    while stack:
        current = stack.pop()
        if str(current.get("/S")) in _BLOCK_TAGS:
            return True
        kids = current.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
    return False


def _mark_artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, artifacts: dict[int, str]) -> None:
    """Rewrite ``/Span <</MCID n>> BDC`` as ``/Artifact <</Type /Pagination ...>> BDC`` for the given MCIDs.

    A pattern over the content bytes, not a full parse: WeasyPrint writes marked
    content as ``/Tag <</MCID n>> BDC``, and this runs for every page of every leaflet.
    """
    def replace(match: re.Match[bytes]) -> bytes:
        subtype = artifacts.get(int(match.group(1)))
        if subtype is None:
            return match.group(0)
        return b"/Artifact <</Type /Pagination /Subtype " + subtype.encode("ascii") + b">> BDC"

    data = page.Contents.read_bytes() if not isinstance(page.Contents, pikepdf.Array) else b"\n".join(
        stream.read_bytes() for stream in page.Contents
    )
    page.Contents = pdf.make_stream(_MARKED_CONTENT.sub(replace, data))
