"""What ``leaflets check`` reports: one finding per problem, with a stable code.

Codes are part of the interface (scripts filter on them, the README lists
them), so each one is declared here once with its default level and what it
means; nothing else invents codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from leaflets.errors import printable

Level = Literal["error", "warning"]

CODES: dict[str, tuple[Level, str]] = {
    # What build refuses (raised as EntryError while loading an entry).
    "unreadable": ("error", "the file cannot be read"),
    "too-large": ("error", "the file is over the size limit (1 MB)"),
    "encoding": ("error", "the file is not valid UTF-8"),
    "bad-front-matter": ("error", "front matter is malformed, unclosed, not a mapping, or has a bad title or lang"),
    "no-title": ("error", "no 'title' in the front matter and no '# Title' heading"),
    "empty-body": ("error", "nothing after the front matter"),
    "footer-too-long": ("error", "the disclaimer and note do not fit in the page footer (found by build, which lays pages out)"),
    "bad-entry": ("error", "any other reason build refuses an entry"),
    # What only check sees.
    "not-a-leaflet": ("error", "the text is not a patient leaflet (a request for a fuller name, a refusal, no leaflet sections)"),
    "duplicate-output": ("error", "two entries would be written to the same leaflet file"),
    "duplicate-title": ("warning", "two entries have the same title"),
    "missing-section": ("warning", "a section listed in required_sections is absent"),
    "empty-section": ("warning", "a section heading with no text under it"),
    "no-disclaimer": ("warning", "the entry has no disclaimer of its own; the default is printed"),
    "unknown-field": ("warning", "a front matter key leaflets does not know (with a suggestion for near misses)"),
    "html-removed": ("warning", "raw HTML the sanitizer drops from the printed leaflet"),
    "broken-link": ("warning", "a #name link that names no section of the entry, so it leads nowhere"),
    "reading-level": ("warning", "the text reads above max_reading_grade"),
    "review-overdue": ("warning", "the entry's next review date (or its review or update date plus review_period_years) has passed"),
    "no-review-date": ("warning", "no 'reviewed' date in the front matter (only reported when leaflets.toml sets require_review)"),
    "dropped-content": ("warning", "what does not print as written: text nested past 10 levels, emphasis nested past 10, "
                                   "a table wider than the page, a word longer than a line, an address too long for a QR code, "
                                   "an image build refuses to embed"),
    "missing-glyph": ("warning", "the entry uses a character none of the configured fonts has (it would print from another font, or as a box)"),
    "translation-outdated": ("warning", "a translation was last reviewed before its source entry"),
    "missing-translation": ("warning", "a language listed in required_languages has no translation of the entry"),
    "unsupported-language": ("warning", "the entry's language has no message catalog, shipped or the project's: its fixed texts print in English"),
    "requester-text": ("warning", "text addressed to whoever asked for the entry ('I cannot provide ...'), not to a patient"),
}


@dataclass(frozen=True)
class Finding:
    """One problem in one entry, printed as ``path:line: level: code: message``."""

    path: Path
    line: int
    level: Level
    code: str
    message: str

    def format(self) -> str:
        """The finding as one terminal-safe line (control characters in names and text escaped)."""
        return printable(f"{self.path}:{self.line}: {self.level}: {self.code}: {self.message}")

    def as_error(self) -> "Finding":
        return replace(self, level="error")

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "line": self.line, "level": self.level, "code": self.code, "message": self.message}


def finding(code: str, path: Path, line: int | None, message: str) -> Finding:
    """A finding at the level its code declares (line 1 when the problem has no better place)."""
    level, _ = CODES[code]
    return Finding(path, line or 1, level, code, message)
