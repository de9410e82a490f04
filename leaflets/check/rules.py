"""The errors that keep a page from being printed: shared by ``check``, ``build`` and ``booklet``.

The renderer calls :func:`refuse_errors` on every entry, so no page is printed
that ``leaflets check`` calls an error. This module is on the rendering path,
so it stays light: it never imports the readability dictionary (textstat) nor
WeasyPrint; the warnings that need them live in :mod:`leaflets.check.checker`.
"""

from __future__ import annotations

from pathlib import Path

from leaflets.check.classify import not_a_leaflet
from leaflets.check.findings import CODES, Finding, finding
from leaflets.errors import EntryError
from leaflets.project.config import Config
from leaflets.source.sections import LeafletContent


def errors_in(content: LeafletContent, config: Config) -> list[Finding]:
    """Findings that make ``content`` unfit to print, beyond what loading it already refuses.

    ``config`` is part of the signature so project settings can add refusals
    without changing every caller (build, booklet).
    """
    verdict = not_a_leaflet(content)
    if verdict is None:
        return []
    return [finding("not-a-leaflet", content.entry.path, verdict.line, verdict.reason)]


def refuse_errors(content: LeafletContent, config: Config) -> None:
    """Raise the first error :func:`errors_in` finds as an :class:`EntryError`, as build reports it."""
    for error in errors_in(content, config):
        raise EntryError(error.message, error.path, error.line, code=error.code)


def finding_from_error(exc: EntryError, path: Path) -> Finding:
    """A load failure (encoding, size, front matter, title ...) as a finding under its own code."""
    code = exc.code if exc.code in CODES else "bad-entry"
    return finding(code, exc.path or path, exc.line, exc.message)
