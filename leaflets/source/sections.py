"""Normalising an entry body into labelled sections and footer texts.

Entries come in two styles: ``### Usage`` headings (any level, with a trailing
colon or a suffix such as ``(Individual Components)``) and bold-label
paragraphs (``**Usage:** ...``). Both become the same list of
:class:`Section` objects with canonical keys, so templates, checks and
booklets never care which style the author used. The ``**Disclaimer:**``
paragraph and the trailing ``**Note:**`` move to the footer.

Every section keeps the file line of its first Markdown line, and its Markdown
keeps a line-for-line correspondence with the file (dropped lines become
blank), so later stages can report ``path:line`` for anything inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from leaflets.source.entry import Entry
from leaflets.source.markdown import anchor_key
from leaflets.source.vocabulary import (
    CANONICAL_LABELS, COLONS, NO_PROJECT_WORDS, ProjectWords, bold_label, canonical_key, footer_kind, heading,
)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    """One labelled part of a leaflet, in Markdown."""

    key: str
    """Canonical key (``usage``, ``side_effects`` ...), a slug for unknown headings, ``intro`` for text before the first one."""
    label: str
    qualifier: str
    markdown: str
    line: int
    """File line of the section's first Markdown line."""
    heading_line: int
    """File line of the heading or bold label that opened the section (0 for the intro)."""
    known: bool
    heading_level: int = 0
    """Level of the source heading, so nested headings can be shifted under the section's own."""
    heading: str = ""
    """The heading or bold label as written ("Dosificación"), which ``#name`` links may use."""

    @property
    def is_empty(self) -> bool:
        return not self.markdown.strip()


@dataclass(frozen=True)
class FooterText:
    """A disclaimer or accuracy note: from the entry (with its line) or from settings."""

    kind: Literal["disclaimer", "note"]
    markdown: str
    line: int
    from_entry: bool


@dataclass(frozen=True)
class LeafletContent:
    """An entry with its body split into sections and its footer texts taken out."""

    entry: Entry
    sections: tuple[Section, ...]
    disclaimer: FooterText | None
    note: FooterText | None
    style: Literal["headings", "bold-labels", "plain"]

    @property
    def title(self) -> str:
        return self.entry.title

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def heading_key(heading: str, words: ProjectWords = NO_PROJECT_WORDS) -> tuple[str | None, str, str, str]:
    """Like :func:`canonical_key`, also for ``Generic Name: Abacavir`` headings.

    Returns ``(key, name, qualifier, rest)`` where ``rest`` is text that followed
    a known label on the heading line and belongs to the section body.
    """
    key, name, qualifier = canonical_key(heading, words.sections)
    colon = next((mark for mark in COLONS if mark in heading), None)
    if key is None and colon is not None:
        label, rest = heading.split(colon, 1)
        label_key, label_name, label_qualifier = canonical_key(label, words.sections)
        if label_key is not None and rest.strip():
            return label_key, label_name, label_qualifier, rest.strip()
    return key, name, qualifier, ""


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


@dataclass
class _Chunk:
    start: int
    end: int
    kind: Literal["heading", "text"]
    level: int = 0
    heading: str = ""


def _chunks(lines: list[str]) -> list[_Chunk]:
    """Group lines into headings and blank-separated runs, ignoring fenced code."""
    chunks: list[_Chunk] = []
    fence: str | None = None
    current: _Chunk | None = None
    for index, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            if current is not None:
                current.end = index + 1
            continue
        if fence_match:
            fence = fence_match.group(1)
        found = None if fence_match else heading(line)
        if found:
            current = None
            chunks.append(_Chunk(index, index + 1, "heading", found[0], found[1]))
            continue
        if not line.strip():
            current = None
            continue
        if current is None:
            current = _Chunk(index, index + 1, "text")
            chunks.append(current)
        else:
            current.end = index + 1
    return chunks


def normalise(entry: Entry, words: ProjectWords = NO_PROJECT_WORDS) -> LeafletContent:
    """Split ``entry`` into sections and footer texts; ``words`` are the project's own label words."""
    lines = entry.body.split("\n")
    base = entry.body_line
    chunks = _chunks(lines)
    dropped: set[int] = set()

    if chunks and chunks[0].kind == "heading" and chunks[0].level == 1:
        dropped.add(chunks[0].start)
        chunks = chunks[1:]

    footer: dict[str, list[_Chunk]] = {"disclaimer": [], "note": []}
    trailing = True
    for chunk in reversed(chunks):
        kind = footer_kind(lines[chunk.start], words.footer) if chunk.kind == "text" else None
        if kind and (trailing or kind == "disclaimer"):
            footer[kind].insert(0, chunk)
            dropped.update(range(chunk.start, chunk.end))
        else:
            trailing = False
    chunks = [c for c in chunks if c.start not in dropped]

    known_heading_levels = [c.level for c in chunks if c.kind == "heading" and heading_key(c.heading, words)[0]]
    if known_heading_levels:
        style: Literal["headings", "bold-labels", "plain"] = "headings"
        section_level = min(known_heading_levels)
    else:
        section_level = 0
        has_bold = any(
            c.kind == "text" and (m := bold_label(lines[c.start])) and canonical_key(m.group("label"), words.sections)[0]
            for c in chunks
        )
        style = "bold-labels" if has_bold else "plain"

    starts: list[tuple[int, Section]] = []
    replacements: dict[int, str] = {}
    for chunk in chunks:
        if chunk.kind == "heading":
            key, name, qualifier, rest = heading_key(chunk.heading, words)
            if key is None and (section_level == 0 or chunk.level > section_level):
                continue
            if rest:
                replacements[chunk.start] = rest
            else:
                dropped.add(chunk.start)
            starts.append((chunk.start, _section_stub(key, name, qualifier, base + chunk.start, chunk.level)))
        elif style == "bold-labels":
            match = bold_label(lines[chunk.start])
            key = canonical_key(match.group("label"), words.sections)[0] if match else None
            if match and key:
                _, name, qualifier = canonical_key(match.group("label"), words.sections)
                replacements[chunk.start] = match.group("rest")
                starts.append((chunk.start, _section_stub(key, name, qualifier, base + chunk.start, 0)))

    sections: list[Section] = []
    boundaries = [s for s, _ in starts] + [len(lines)]
    first = boundaries[0]
    intro_lines = _body_lines(lines, 0, first, dropped, replacements)
    if "".join(intro_lines).strip():
        first_line = next(i for i, text in enumerate(intro_lines) if text.strip())
        sections.append(
            Section("intro", "", "", "\n".join(intro_lines[first_line:]), base + first_line, 0, False)
        )
    for (start, stub), end in zip(starts, boundaries[1:]):
        body = _body_lines(lines, start, end, dropped, replacements)
        sections.append(_with_body(stub, body, base + start))

    return LeafletContent(
        entry=entry,
        sections=tuple(sections),
        disclaimer=_footer_text("disclaimer", footer["disclaimer"], lines, base),
        note=_footer_text("note", footer["note"], lines, base),
        style=style,
    )


def _section_stub(key: str | None, name: str, qualifier: str, line: int, level: int) -> Section:
    if key is None:
        return Section(slugify(name), name, qualifier, "", line, line, False, level, name)
    return Section(key, CANONICAL_LABELS[key], qualifier, "", line, line, True, level, name)


def _with_body(stub: Section, body: list[str], line: int) -> Section:
    return Section(
        stub.key, stub.label, stub.qualifier, "\n".join(body), line, stub.heading_line, stub.known, stub.heading_level, stub.heading,
    )


def _body_lines(lines: list[str], start: int, end: int, dropped: set[int], replacements: dict[int, str]) -> list[str]:
    return [
        replacements.get(i, "" if i in dropped else lines[i])
        for i in range(start, end)
    ]


def _footer_text(kind: Literal["disclaimer", "note"], chunks: list[_Chunk], lines: list[str], base: int) -> FooterText | None:
    if not chunks:
        return None
    paragraphs = []
    for chunk in chunks:
        first = bold_label(lines[chunk.start])
        text_lines = [first.group("rest") if first else lines[chunk.start], *lines[chunk.start + 1 : chunk.end]]
        paragraphs.append("\n".join(text_lines).strip())
    return FooterText(kind, "\n\n".join(p for p in paragraphs if p), base + chunks[0].start, True)


def section_id(index: int, section: Section) -> str:
    """The HTML id of the ``index``-th section (``section-3-dosage``): unique in a leaflet, and the name bookmarks use."""
    return f"section-{index + 1}-{section.key}"


def section_anchors(pairs: list[tuple[Section | None, Section | None]]) -> dict[str, str]:
    """Every name an entry's ``#name`` links may give a section, to that section's id.

    A section is named by its id, its canonical key (``#dosage`` in any
    language), its printed label, and its heading as written in either
    language of the edition (``#dosificación``, ``#how-to-take-it``), matched without accents or case
    (:func:`~leaflets.source.markdown.anchor_key`). Authors link to a heading
    by its name, not by its position, so adding a section breaks no link. When
    two sections share a name the first keeps it.
    """
    anchors: dict[str, str] = {}
    for index, (section, other) in enumerate(pairs):
        named = section if section is not None else other
        assert named is not None
        target = section_id(index, named)
        for part in (section, other):
            if part is None:
                continue
            for name in (target, part.key, part.label, part.heading):
                key = anchor_key(name)
                if key:
                    anchors.setdefault(key, target)
    return anchors
