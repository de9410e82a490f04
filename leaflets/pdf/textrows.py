"""Cutting a page of text laid out in equal rows into one piece of content per row.

Laying out one WeasyPrint page costs a few milliseconds before any text is set
on it (page styles, sixteen margin boxes, painting), more than a short line of
text costs. The booklet stamps a few short lines on every page, so it lays
them all out as rows of one tall overlay page and cuts that page's content
stream apart here, row by row, to draw each row wherever it belongs.

Only text is cut: a page that paints anything else (a rule, an image) is
refused, since it could not be told which row that belongs to.
"""

from __future__ import annotations

import math
from typing import Sequence

import pikepdf

Matrix = tuple[float, float, float, float, float, float]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
PX_TO_PT = 0.75
"""CSS px to PDF points."""
_TEXT_STATE = frozenset({"Tc", "Tw", "Tz", "TL", "Tf", "Tr", "Ts"})
_STATE_OPERATORS = frozenset({
    "cm", "gs", "w", "J", "j", "M", "d", "ri", "i",
    "g", "G", "rg", "RG", "k", "K", "cs", "CS", "sc", "SC", "scn", "SCN",
    "BDC", "BMC", "EMC", "MP", "DP", *_TEXT_STATE,
})
"""Operators that change how text is drawn but draw nothing themselves (allowed outside text objects)."""
_MARKED = frozenset({"BDC", "BMC", "EMC", "MP", "DP"})
_IN_TEXT = frozenset({"Td", "TD", "T*", "Tj", "TJ", "'", '"'})
"""Positioning and showing operators, which belong to the text placed by the last text matrix."""


def _times(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF's row-vector order: a ``cm`` with ``m`` under a CTM ``n`` makes ``m × n``)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def split_rows(page: pikepdf.Page, row_height: float, rows: int) -> list[bytes]:
    """The content drawing each of the first ``rows`` rows of ``page``, rows ``row_height`` CSS px tall from its top.

    WeasyPrint sets the lines of a page in one text object, each run of text
    placed by a text matrix (``Tm``); each such run goes to the row its text
    matrix puts it in. Each piece stands alone: the graphics and text state
    it was drawn in (transformations, colours, opacity, font) is repeated
    before it, inside ``q ... Q``, so pieces may be drawn in any order,
    anywhere, with the page's resources. Raises :class:`RuntimeError` on
    anything that is not text, or text outside the rows.
    """
    height = float(page.mediabox[3]) - float(page.mediabox[1])
    pieces: list[list[bytes]] = [[] for _ in range(rows)]
    levels: list[list[pikepdf.ContentStreamInstruction]] = [[]]
    transforms: list[Matrix] = [IDENTITY]
    in_text = False
    run: list[pikepdf.ContentStreamInstruction] = []
    state: list[pikepdf.ContentStreamInstruction] = []
    row = -1
    begin = pikepdf.ContentStreamInstruction([], pikepdf.Operator("BT"))
    end = pikepdf.ContentStreamInstruction([], pikepdf.Operator("ET"))

    def close_run() -> None:
        nonlocal run
        if run:
            pieces[row].append(b"q\n" + pikepdf.unparse_content_stream([*state, begin, *run, end]) + b"\nQ\n")
        run = []

    for instruction in pikepdf.parse_content_stream(page):
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):  # an inline image: not text
            raise RuntimeError("unexpected inline image in overlay text")
        operator = str(instruction.operator)
        if in_text:
            if operator == "Tm":
                close_run()
                _a, _b, _c, _d, x, y = (float(value) for value in instruction.operands)
                a, b, c, d, e, f = transforms[-1]
                row = math.floor((height - (b * x + d * y + f)) / PX_TO_PT / row_height)
                if not 0 <= row < rows:
                    raise RuntimeError(f"overlay text outside its {rows} rows (row {row})")
                state = [item for level in levels for item in level if str(item.operator) not in _MARKED]
                run = [instruction]
            elif operator == "ET":
                close_run()
                in_text = False
            elif operator in _IN_TEXT:
                if not run:
                    raise RuntimeError(f"overlay text ({operator}) placed without a text matrix")
                run.append(instruction)
            elif operator in _STATE_OPERATORS and operator != "cm":
                levels[-1].append(instruction)
                if run:
                    run.append(instruction)
            else:
                raise RuntimeError(f"unexpected operator {operator} in overlay text")
            continue
        if operator == "BT":
            in_text = True
        elif operator == "q":
            levels.append([])
            transforms.append(transforms[-1])
        elif operator == "Q":
            if len(levels) > 1:
                levels.pop()
                transforms.pop()
        elif operator in _STATE_OPERATORS:
            levels[-1].append(instruction)
            if operator == "cm":
                transforms[-1] = _times(tuple(float(value) for value in instruction.operands), transforms[-1])  # type: ignore[arg-type]
        else:
            raise RuntimeError(f"overlay draws more than text ({operator})")
    return [b"".join(piece) for piece in pieces]


def placed(pieces: Sequence[tuple[bytes, float]]) -> bytes:
    """Content drawing each piece moved up the page by its shift in PDF points (negative: down)."""
    return b"".join(b"q 1 0 0 1 0 %.4f cm\n%sQ\n" % (shift, piece) for piece, shift in pieces)
