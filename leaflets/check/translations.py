"""Translations that have fallen behind their source, and required languages with no translation.

A translation (``warfarin.es.md``) is outdated when its review date is older
than its source's (``warfarin.md``): the source was changed and reviewed
after the translation was made. Both dates are the ones the leaflets print:
``reviewed`` from the front matter, else the last git commit, else the file's
modification date. A project lists the languages every entry must exist in
as ``required_languages`` in leaflets.toml; a source entry lacking one of them
is reported on the source.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Mapping

from leaflets.check.findings import Finding, finding
from leaflets.errors import LeafletError
from leaflets.project.config import Config
from leaflets.source.entry import Entry, load_entry
from leaflets.source.language import base_stem, linked_entry, same_language
from leaflets.source.fields import front_matter_line
from leaflets.source.review import review_of


def source_of(entry: Entry, config: Config) -> Path | None:
    """The entry a translation was made from: the one beside it in the project's language (None for a source)."""
    lang = entry.language(config.lang)
    return linked_entry(entry.path, config.lang, lang, config.lang)


def translation_warnings(
    entry: Entry, config: Config, commit_dates: Mapping[Path, date | None] | None = None
) -> list[Finding]:
    lang = entry.language(config.lang)
    if not same_language(lang, config.lang):
        return _outdated(entry, config, commit_dates)
    return _missing(entry, config, lang)


def _outdated(entry: Entry, config: Config, commit_dates: Mapping[Path, date | None] | None) -> list[Finding]:
    source_path = source_of(entry, config)
    if source_path is None:
        return []
    try:
        source = load_entry(source_path)
        own = review_of(entry, config.review_period_years, commit_dates=commit_dates)
        theirs = review_of(source, config.review_period_years, commit_dates=commit_dates)
    except LeafletError:
        return []  # a bad date or unreadable source is reported on its own
    if own.dated >= theirs.dated:
        return []
    line = front_matter_line(entry, "reviewed") if own.source == "front matter" else None
    return [finding(
        "translation-outdated", entry.path, line or 1,
        f"translation reviewed {own.dated.isoformat()} (from the {own.source}) is older than its source "
        f"{source_path.name}, reviewed {theirs.dated.isoformat()} (from the {theirs.source}); "
        "update the translation and its 'reviewed' date",
    )]


def _missing(entry: Entry, config: Config, lang: str) -> list[Finding]:
    required = getattr(config, "required_languages", ()) or ()
    found = []
    for wanted in required:
        if same_language(wanted, lang):
            continue
        if linked_entry(entry.path, wanted, lang, config.lang) is None:
            expected = f"{base_stem(entry.path)}.{wanted}{entry.path.suffix}"
            found.append(finding(
                "missing-translation", entry.path, 1,
                f"no {wanted} translation ({expected} beside it); required_languages lists {wanted}",
            ))
    return found
