"""``unsupported-language``: an entry in a language nothing translates the fixed texts into.

Its own text prints as written, and its date in its language's long form,
but "Disclaimer:", "Page 1 of 2" and the section labels come from the
message catalogs; with no catalog for the language (neither shipped nor in
the project's ``locale/``) they print in English, which a patient may not
read. Build prints such a leaflet anyway; check says so beforehand.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from leaflets.check.findings import Finding, finding
from leaflets.project.catalogs import has_catalog
from leaflets.source.entry import Entry
from leaflets.source.fields import front_matter_line


@lru_cache(maxsize=64)
def _translated(root: Path | None, lang: str) -> bool:
    """Once per language and process: a project of thousands of entries in one language looks once."""
    return has_catalog(root, lang)


def language_warnings(entry: Entry, lang: str, root: Path | None) -> list[Finding]:
    """One warning when no catalog (shipped or the project's) translates ``lang``, the entry's language."""
    if _translated(root, lang):
        return []
    return [finding(
        "unsupported-language", entry.path, front_matter_line(entry, "lang"),
        f"no message catalog for {lang}, built in or in the project (locale/{lang}/LC_MESSAGES/leaflets.po): "
        "the leaflet's fixed texts (\"Disclaimer:\", \"Page 1 of 2\", section labels) print in English",
    )]
