"""Dot leaders set as one run of text instead of one text box per dot.

WeasyPrint fills a ``leader(". ")`` by copying the leader's text box once per
". " that fits, each placed on its own and later drawn and written on its own
(a text object, font and matrix for every two characters). The booklet's
contents have one leader per line: on 65 lines that was more than half of
what laying out and writing the contents cost. Here, once WeasyPrint has
placed the copies, they are replaced by one box holding the same text
repeated, laid out by WeasyPrint as one line, which draws the same glyphs at
the same places. Where the joined run would not be exactly as wide as the
copies it replaces (a font that kerns ". " against itself), the copies are
kept.
"""

from __future__ import annotations

from typing import Any

WIDTH_TOLERANCE = 1e-3
"""CSS px the joined run may differ in width from the copies it replaces."""


def set_leaders_as_one_run() -> bool:
    """Install the joining in WeasyPrint's inline layout (once); True once installed."""
    from weasyprint.layout import inline

    original = inline.handle_leader
    if getattr(original, "leaflets_one_run", False):
        return True

    def handle_leader(context: Any, line: Any, containing_block: Any) -> None:
        original(context, line, containing_block)
        _join_copies(context, line)

    handle_leader.leaflets_one_run = True  # type: ignore[attr-defined]
    inline.handle_leader = handle_leader
    return True


def _join_copies(context: Any, line: Any) -> None:
    from weasyprint.layout.inline import split_text_box
    from weasyprint.layout.leader import leader_index

    _index, leader = leader_index(line)
    if leader is None or len(leader.children) < 2:
        return
    copies = sorted(leader.children, key=lambda box: box.position_x)
    unit = copies[0]
    if any(type(box) is not type(unit) or box.text != unit.text or box.position_y != unit.position_y for box in copies):
        return
    if any(abs(right.position_x - left.position_x - unit.width) > WIDTH_TOLERANCE for left, right in zip(copies, copies[1:])):
        return
    joined, skip, _ = split_text_box(context, unit.copy_with_text(unit.text * len(copies)), float("inf"), 0, is_line_start=False)
    if joined is None or skip is not None or abs(joined.width - unit.width * len(copies)) > WIDTH_TOLERANCE:
        return
    joined.position_x = unit.position_x
    joined.position_y = unit.position_y
    joined.margin_top, joined.margin_bottom = unit.margin_top, unit.margin_bottom
    joined.baseline = unit.baseline
    leader.children = (joined,)
