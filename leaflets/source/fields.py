"""The front matter keys an entry may carry, and where each one is in the file.

:func:`key_lines` is the one reader of front-matter key lines: check's
unknown-key warnings, the review dates' and the online link's diagnostics all
name a line through it.

An unknown key is almost always a typo (``titel``, ``next-review``) whose
value is then silently ignored, so ``leaflets check`` names it and suggests
the known key it is closest to.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leaflets.source.entry import Entry

KNOWN_FIELDS: dict[str, str] = {
    "title": "the leaflet title",
    "lang": "the language of the entry (a BCP 47 tag such as en or pt-BR)",
    "reviewed": "the date the entry was last reviewed",
    "next_review": "the date the entry is due for review",
    "url": "where the entry is published online",
    "layout": "the source site's page layout; read but ignored",
    "nav_exclude": "the source site's navigation flag; read but ignored",
}

_KEY_LINE = re.compile(r"^(?P<quote>['\"]?)(?P<key>[^:#'\"\s][^:'\"]*?)(?P=quote)[ \t]*:")


_WEB_ADDRESS = re.compile(r"https?://[^\s/]+\S*")


def is_web_address(text: str) -> bool:
    """An http:// or https:// address with a host and no spaces: what ``url`` and ``base_url`` must be."""
    return _WEB_ADDRESS.fullmatch(text.strip()) is not None


@dataclass(frozen=True)
class UnknownField:
    key: str
    line: int
    suggestion: str | None


def key_line(line: str) -> tuple[str, str] | None:
    """``(key, value text)`` when ``line`` sets a top-level front-matter key (``key: value``), else None."""
    match = _KEY_LINE.match(line)
    if match is None:
        return None
    return match.group("key").strip(), line[match.end() :].strip()


def key_lines(text: str, body_line: int) -> dict[str, int]:
    """File line of each top-level key in the front matter of ``text`` (front matter ends before ``body_line``)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.split("\n")[1 : max(1, body_line - 2)], start=2):
        keyed = key_line(line)
        if keyed is not None:
            found.setdefault(keyed[0], number)
    return found


def front_matter_line(entry: Entry, key: str) -> int | None:
    """The file line where front-matter ``key`` of ``entry`` is set, for diagnostics; None when it is not."""
    text = entry.source_bytes.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return key_lines(text, entry.body_line).get(key)


def suggestion_for(key: str) -> str | None:
    """The known key ``key`` is most likely a misspelling of, if any."""
    normal = key.strip().lower().replace("-", "_").replace(" ", "_")
    if normal in KNOWN_FIELDS:
        return normal
    close = difflib.get_close_matches(normal, KNOWN_FIELDS, n=1, cutoff=0.7)
    return close[0] if close else None


def unknown_fields(metadata: dict[str, object], text: str, body_line: int) -> list[UnknownField]:
    """Keys of ``metadata`` that are not in :data:`KNOWN_FIELDS`, with their lines and suggestions."""
    lines = key_lines(text, body_line)
    return [
        UnknownField(key, lines.get(key, 2), suggestion_for(key))
        for key in metadata
        if key not in KNOWN_FIELDS
    ]
