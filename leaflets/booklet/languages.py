"""Which entries a booklet in one language holds: ``--lang``, ``--fallback``, files named one by one.

Entries are grouped as a medicine and its translations (``NAME.md``,
``NAME.es.md``, ``NAME.fr.md`` in one folder). A booklet in Spanish takes each
medicine's Spanish entry; with a fallback language, a medicine with no
Spanish entry comes in that language instead, and its contents line says so.
Medicines in neither are left out. An entry named on its own (a file in
PATHS, a pick in the counter's basket) is always taken, in its own language:
whoever named it wants it, and leaving it out would lose it silently.
Whatever is left out for its language is counted, so the booklet's report can
say so in one line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from leaflets.errors import LeafletError
from leaflets.project.cldr import language_name
from leaflets.source.discover import EntrySource
from leaflets.source.language import base_stem, same_language


@dataclass(frozen=True)
class Scanned:
    """An entry as the booklet's first pass read it: its title and language."""

    source: EntrySource
    title: str
    lang: str


@dataclass(frozen=True)
class Selection:
    """The entries a booklet takes, and what it leaves out for their language."""

    chosen: list[Scanned]
    left_out: list[Scanned] = field(default_factory=list)
    """Entries in another language than the one taken for their medicine."""
    missing: int = 0
    """Medicines with no entry taken at all (none in the booklet's language, nor the fallback's)."""


def select_language(
    scanned: list[Scanned], lang: str, fallback: str | None, named: frozenset[Path] = frozenset()
) -> Selection:
    """Each medicine's entry in ``lang`` (else in ``fallback``), and every entry in ``named``, in input order."""
    groups: dict[tuple[Path, str], list[Scanned]] = {}
    for item in scanned:
        groups.setdefault((item.source.path.resolve().parent, base_stem(item.source.path)), []).append(item)
    taken: set[int] = set()
    missing = 0
    for members in groups.values():
        found = [m for m in members if m.source.path.resolve() in named]
        pick = next((m for m in members if m.lang.lower() == lang.lower()), None)
        pick = pick or next((m for m in members if same_language(m.lang, lang)), None)
        if pick is None and fallback is not None:
            pick = next((m for m in members if same_language(m.lang, fallback)), None)
        if pick is not None:
            found.append(pick)
        elif not found:
            missing += 1
        taken.update(id(m) for m in found)
    return Selection(
        [item for item in scanned if id(item) in taken], [item for item in scanned if id(item) not in taken], missing
    )


def _named(lang: str) -> str:
    """A language as the command line names it: "Spanish (es)"."""
    name = language_name(lang, "en")
    return f"{name} ({lang})" if name != lang else lang


def _either(lang: str, fallback: str | None, joiner: str) -> str:
    """The booklet's language and its fallback: "Spanish (es) or English (en)"."""
    return _named(lang) + (f"{joiner}{_named(fallback)}" if fallback else "")


def _by_language(items: list[Scanned]) -> str:
    counts = Counter(item.lang for item in items)
    return ", ".join(f"{code} {count}" for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _fallback_hint(lang: str, given_lang: bool) -> str:
    return "--fallback LANG" if given_lang else f"--lang {lang} --fallback LANG"


def left_out_line(selection: Selection, lang: str, fallback: str | None, given_lang: bool) -> str:
    """One line saying what a booklet left out for its language, or "" when it left nothing out."""
    if not selection.left_out:
        return ""
    line = (
        f"{_entries(len(selection.left_out))} in other languages left out ({_by_language(selection.left_out)}): "
        f"the booklet takes each medicine in {_either(lang, fallback, ', else ')}"
    )
    if selection.missing:
        medicines = "medicine has" if selection.missing == 1 else "medicines have"
        line += f"; {selection.missing} {medicines} none in {_either(lang, fallback, ' or ')}"
        if fallback is None:
            line += f" ({_fallback_hint(lang, given_lang)} adds them)"
    return line + "; a file named in PATHS is always included"


def nothing_in_language(selection: Selection, lang: str, fallback: str | None, given_lang: bool) -> LeafletError:
    """The error for a booklet that read entries but found none in its language (nor the fallback's)."""
    message = (
        f"no entry in {_either(lang, fallback, ' or ')} among {_entries(len(selection.left_out))} "
        f"({_by_language(selection.left_out)}), so no booklet was written"
    )
    if fallback is None:
        message += f"; {_fallback_hint(lang, given_lang)} includes other languages"
    if not given_lang:
        message += ", --lang LANG makes a booklet in another"
    return LeafletError(message)
