"""The disclaimer and accuracy note printed for an entry that has none of its own, in the entry's language.

In order: the project's ``[languages.LANG]`` table in leaflets.toml; the
project's top-level ``disclaimer``/``note`` for entries in the project's own
language (or when no translation of the built-in text exists); else the
built-in text, translated by the message catalogs (which a project may
override in its ``locale/`` folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from leaflets.project.catalogs import gettext_for
from leaflets.project.config import DEFAULT_DISCLAIMER, DEFAULT_NOTE, Config
from leaflets.source.language import same_language

FooterKind = Literal["disclaimer", "note"]
_BUILT_IN = {"disclaimer": DEFAULT_DISCLAIMER, "note": DEFAULT_NOTE}


def language_setting(config: Config, lang: str, key: str) -> str | None:
    """A value from ``[languages.LANG]`` for ``lang`` (``es-MX`` falls back to ``es``), if the project sets it."""
    tables = getattr(config, "languages", None) or {}
    for name in (lang, lang.split("-")[0]):
        table = tables.get(name)
        if table is not None and getattr(table, key, None):
            return str(getattr(table, key))
    return None


def default_footer_text(config: Config, root: Path | None, kind: FooterKind, lang: str) -> str:
    """The ``kind`` text (Markdown) printed for an entry in ``lang`` that has none of its own."""
    own = language_setting(config, lang, kind)
    if own:
        return own
    configured = config.disclaimer if kind == "disclaimer" else config.note
    built_in = _BUILT_IN[kind]
    if configured != built_in and same_language(lang, config.lang):
        return configured
    translated = gettext_for(root, lang)(built_in)
    if translated == built_in and configured != built_in:
        return configured
    return translated
