"""Which entries a booklet in one language holds: ``--lang``, ``--fallback``.

Entries are grouped as a medicine and its translations (``NAME.md``,
``NAME.es.md``, ``NAME.fr.md`` in one folder). A booklet in Spanish takes each
medicine's Spanish entry; with a fallback language, a medicine with no
Spanish entry comes in that language instead, and its contents line says so.
Medicines in neither are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leaflets.source.discover import EntrySource
from leaflets.source.language import base_stem, same_language


@dataclass(frozen=True)
class Scanned:
    """An entry as the booklet's first pass read it: its title and language."""

    source: EntrySource
    title: str
    lang: str


def select_language(scanned: list[Scanned], lang: str, fallback: str | None) -> list[Scanned]:
    """Each medicine's entry in ``lang`` (else in ``fallback``), in input order."""
    groups: dict[tuple[Path, str], list[Scanned]] = {}
    for item in scanned:
        groups.setdefault((item.source.path.resolve().parent, base_stem(item.source.path)), []).append(item)
    chosen: list[Scanned] = []
    for members in groups.values():
        pick = next((m for m in members if m.lang.lower() == lang.lower()), None)
        pick = pick or next((m for m in members if same_language(m.lang, lang)), None)
        if pick is None and fallback is not None:
            pick = next((m for m in members if same_language(m.lang, fallback)), None)
        if pick is not None:
            chosen.append(pick)
    return chosen
