"""CLDR data for the shipped languages, frozen from Babel so a plain install needs no Babel.

Babel carries the whole of CLDR (about 36 MB, 1,000 locales); a leaflet needs
three things from it for each language it ships: the long date pattern, the
month names, and the names of the other shipped languages ("inglés" on a
Spanish contents line). Those sit in ``leaflets/locale/cldr.json``, written by

    python -m leaflets.project.cldr refresh     (needs Babel: ``pip install '.[locales]'``)

and checked against Babel by tests/test_cldr.py, so the frozen copy cannot
drift from what Babel prints. With Babel installed (the ``locales`` extra),
:mod:`leaflets.project.dates` and :func:`language_name` ask Babel directly and
so serve any CLDR locale a project uses; without it they read this copy, which
covers every shipped language (and its regional variants, in the shipped form).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from leaflets.source.language import SHIPPED_LANGUAGES, babel_locale, primary, shipped_language

CLDR_FILE = Path(__file__).resolve().parent.parent / "locale" / "cldr.json"

_FIELD = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*")
SUPPORTED_FIELDS = {"d", "dd", "M", "MM", "MMMM", "y", "yyyy"}
"""Pattern fields :func:`format_long_date` prints; ``refresh`` refuses a pattern with any other."""


@lru_cache(maxsize=1)
def babel_available() -> bool:
    """Whether Babel (the ``locales`` extra) is installed: then every CLDR locale is served.

    Asked once per process: every printed date asks, and a failed import searches ``sys.path`` each time.
    """
    try:
        import babel  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def frozen() -> dict[str, Any]:
    """The frozen CLDR data, by shipped language."""
    with open(CLDR_FILE, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def frozen_language(lang: str) -> str:
    """The shipped language whose frozen data serves ``lang``; English for any other."""
    return shipped_language(lang) or "en"


def format_long_date(day: date, lang: str) -> str:
    """``day`` in the frozen long form of ``lang``'s shipped language ("10 de febrero de 2026")."""
    data = frozen()[frozen_language(lang)]
    months: list[str] = data["months"]
    pattern: str = data["long_date"]

    def field(text: str) -> str:
        if text == "''":
            return "'"
        if text.startswith("'"):
            return text[1:-1].replace("''", "'")
        if text in ("d", "dd"):
            return f"{day.day:0{len(text)}d}"
        if text in ("M", "MM"):
            return f"{day.month:0{len(text)}d}"
        if text == "MMMM":
            return months[day.month - 1]
        if text == "y":
            return str(day.year)
        if text == "yyyy":
            return f"{day.year:04d}"
        raise ValueError(f"unsupported date field {text!r} in the frozen pattern for {lang}")

    out, position = [], 0
    for match in _FIELD.finditer(pattern):
        out += [pattern[position:match.start()], field(match.group(0))]
        position = match.end()
    return "".join(out) + pattern[position:]


def frozen_language_name(lang: str, in_language: str) -> str | None:
    """``lang`` named in ``in_language`` from the frozen data, or None when it is not there."""
    names: dict[str, str] = frozen().get(frozen_language(in_language), {}).get("languages", {})
    return names.get(lang) or names.get(primary(lang))


def language_name(lang: str, in_language: str) -> str:
    """``en`` named in ``in_language``: "inglés" in Spanish, "anglais" in French, "English" in English."""
    if babel_available():
        from babel import Locale, UnknownLocaleError

        for candidate in (babel_locale(in_language), primary(in_language)):
            try:
                locale = Locale.parse(candidate)
            except (UnknownLocaleError, ValueError):
                continue
            name = locale.languages.get(lang.replace("-", "_")) or locale.languages.get(primary(lang))
            if name:
                return str(name)
    return frozen_language_name(lang, in_language) or lang


def extract() -> dict[str, Any]:
    """The data :data:`CLDR_FILE` holds, read from Babel now."""
    from babel import Locale
    from babel.dates import get_date_format, get_month_names

    data: dict[str, Any] = {}
    for lang in SHIPPED_LANGUAGES:
        locale = Locale.parse(babel_locale(lang))
        pattern = get_date_format("long", locale=locale).pattern
        unsupported = {m.group(0) for m in _FIELD.finditer(pattern) if m.group(1)} - SUPPORTED_FIELDS
        if unsupported:
            raise ValueError(f"{lang}: long date pattern {pattern!r} uses {sorted(unsupported)}; teach format_long_date")
        months = get_month_names("wide", context="format", locale=locale)
        names = {}
        for other in SHIPPED_LANGUAGES:
            for code in dict.fromkeys((other, primary(other))):
                name = locale.languages.get(code.replace("-", "_")) or locale.languages.get(primary(code))
                if name:
                    names[code] = str(name)
        data[lang] = {"long_date": pattern, "months": [str(months[m]) for m in range(1, 13)], "languages": names}
    return data


def refresh(check_only: bool = False) -> bool:
    """Write :data:`CLDR_FILE` from Babel; with ``check_only``, only say whether it is current."""
    text = json.dumps(extract(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    current = CLDR_FILE.is_file() and CLDR_FILE.read_text(encoding="utf-8") == text
    if not check_only and not current:
        CLDR_FILE.write_text(text, encoding="utf-8")
    return current


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    if sys.argv[1:] not in (["refresh"], ["check"]):
        sys.exit("usage: python -m leaflets.project.cldr refresh|check")
    up_to_date = refresh(check_only=sys.argv[1] == "check")
    print(f"{CLDR_FILE}: {'up to date' if up_to_date else ('stale' if sys.argv[1] == 'check' else 'written')}")
    sys.exit(0 if up_to_date or sys.argv[1] == "refresh" else 1)
