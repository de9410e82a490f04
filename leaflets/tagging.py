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

import pikepdf

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
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
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
    """Rewrite ``/Span <</MCID n>> BDC`` as ``/Artifact <</Type /Pagination ...>> BDC`` for the given MCIDs."""
    instructions = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary):
            mcid = operands[1].get("/MCID")
            if mcid is not None and int(mcid) in artifacts:
                properties = pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name(artifacts[int(mcid)]))
                operands = [pikepdf.Name.Artifact, properties]
        instructions.append(pikepdf.ContentStreamInstruction(operands, operator))
    page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
