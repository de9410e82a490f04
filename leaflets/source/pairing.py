"""Pairing the sections of an entry with those of its translation, for bilingual editions.

Known sections pair by their canonical key (``usage`` with ``usage``), other
sections by their order among the unpaired ones, so a Spanish "Uso" is
followed by the English "Usage" whatever order the two files use. A section
only the second entry has comes last, on its own, so nothing of either text
is lost.
"""

from __future__ import annotations

from leaflets.source.sections import LeafletContent, Section


def pair_sections(first: LeafletContent, second: LeafletContent) -> list[tuple[Section | None, Section | None]]:
    """``(section of first, same section of second)`` in the first entry's order, then the second's leftovers."""
    remaining = list(second.sections)
    pairs: list[tuple[Section | None, Section | None]] = []
    for section in first.sections:
        match = None
        if section.known or section.key == "intro":
            match = next((other for other in remaining if other.key == section.key), None)
        else:
            match = next((other for other in remaining if not other.known and other.key != "intro"), None)
        if match is not None:
            remaining.remove(match)
        pairs.append((section, match))
    pairs.extend((None, other) for other in remaining)
    return pairs
