"""An entry's translations at the counter: which siblings it can be printed as, and what languages are called.

A translation sits beside its source as ``NAME.LANG.md``
(:mod:`leaflets.source.language`), and the counter knows every file as an
entry of its own (``paracetamol``, ``paracetamol.es``). Staff open one of
them and pick the patient's language, so the leaflet page needs the whole
family: the served entries in the same folder with the same ``NAME``, each
with its language. A bilingual edition is offered with a sibling only when
:func:`~leaflets.source.language.linked_entry` (what ``leaflets build
--bilingual`` and the renderer use) finds it, so what is offered is what
renders.

Families are grouped once from the ids and file names (no file is read) and
grouped again when ``--watch`` sees entries come and go.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from leaflets.project.cldr import language_name
from leaflets.source.discover import EntrySource
from leaflets.source.language import base_stem, linked_entry, same_language


@dataclass(frozen=True)
class Sibling:
    """One entry of a family: its id and the language it is printed in."""

    id: str
    lang: str


def family_key(source: EntrySource) -> tuple[str, str]:
    """Folder and shared file name: ``entries/paracetamol.es.md`` -> ``(".../entries", "paracetamol")``."""
    return os.path.dirname(os.path.abspath(source.path)), base_stem(source.path)


def group_families(sources: Mapping[str, EntrySource]) -> dict[tuple[str, str], list[str]]:
    """Ids by family, each family's ids in order: the source without a language suffix first, then by id."""
    families: dict[tuple[str, str], list[str]] = {}
    for identifier, source in sources.items():
        families.setdefault(family_key(source), []).append(identifier)
    for key, ids in families.items():
        ids.sort(key=lambda i: (sources[i].path.stem != key[1], i))
    return families


def siblings(ids: list[str], language_of: Callable[[str], str], keep: str) -> list[Sibling]:
    """The family's entries with their languages, in family order.

    Of two in the same language tag (``x.md`` saying ``lang: es`` beside
    ``x.es.md``) only one can be picked by language: ``keep`` (the page's own
    entry) if it is one of them, else the first.
    """
    found: dict[str, Sibling] = {}
    for identifier in [keep, *ids] if keep in ids else ids:
        lang = language_of(identifier)
        found.setdefault(lang.lower(), Sibling(identifier, lang))
    return sorted(found.values(), key=lambda sibling: ids.index(sibling.id))


def bilingual_partners(shown: EntrySource, shown_lang: str, family: list[Sibling], project_lang: str) -> list[str]:
    """Languages of the family a bilingual edition of ``shown`` can be made with: those the renderer finds a linked entry in."""
    partners: list[str] = []
    for sibling in family:
        if same_language(sibling.lang, shown_lang) or any(same_language(sibling.lang, lang) for lang in partners):
            continue
        if linked_entry(shown.path, sibling.lang, shown_lang, project_lang) is not None:
            partners.append(sibling.lang)
    return partners


def own_name(tag: str) -> str:
    """The language's name in itself, first letter capitalised for a menu (``es`` -> ``Español``); the tag if unknown."""
    name = language_name(tag, tag)
    return name[:1].upper() + name[1:] if name != tag else tag


def name_in(tag: str, reader: str) -> str:
    """The language's name in the reader's language (``es`` for an English reader -> ``Spanish``); the tag if unknown."""
    return language_name(tag, reader)
