"""Comparing titles the way a reader looks them up: without case, accents or extra spaces.

One rule for both places titles are matched: the booklet sorts and groups its
entries by it ("Éfavirenz" files under E beside "efavirenz"), and ``check``
calls two entries whose titles match by it duplicates, since a reader could
not tell them apart in the contents. :func:`read_title` reads no more of an
entry than its title, for a shard of ``check`` to learn the titles of the
entries other shards check.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import EntryError
from leaflets.source.entry import Entry, effective_lang, parse_entry, read_text
from leaflets.source.fields import key_lines


def title_key(title: str) -> str:
    """Sort and match key for a title: accents stripped, case folded, spacing normalised."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class EntryTitle:
    """An entry's title, the line it is written on and its language: all that duplicate titles are judged by."""

    path: Path
    title: str
    line: int
    lang: str


def title_line(entry: Entry, text: str) -> int:
    """The line of the entry's title: its ``title:`` key, else its first body line (the ``# Title`` heading)."""
    if not entry.title_from_heading:
        return key_lines(text, entry.body_line).get("title", 2)
    return entry.body_line + next(i for i, line in enumerate(entry.body.split("\n")) if line.strip())


def read_title(path: Path, default_lang: str | None) -> EntryTitle | None:
    """The title of the entry at ``path`` as ``check`` sees it, reading nothing but the file itself
    (front matter and title; no sections, no rules), or None for an entry that cannot be read.

    A sharded ``check`` reads the titles of the entries outside its shard this way, to find
    duplicates across shards.
    """
    try:
        text, raw = read_text(path)
        entry = parse_entry(text, path, raw)
    except EntryError:
        return None
    return EntryTitle(path, entry.title, title_line(entry, text), effective_lang(entry, default_lang))
