"""Which language an entry is written in, and what follows from it (direction, catalog, linked entries).

A translation sits beside its source as ``NAME.LANG.md`` (``warfarin.es.md``
beside ``warfarin.md``), as in Hugo and mkdocs-static-i18n; ``lang`` in its
front matter may say the same or more (``zh-Hans``, ``pt-BR``). A file without
a language suffix is in the project's ``lang``. :func:`entry_language` is the
one place that decides, so build, check, booklets and the templates agree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Mapping

SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "ar", "hi", "zh-Hans")
"""Languages whose catalogs, label words, default footer texts and fonts come with leaflets."""

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"})
"""Primary subtags of languages written right to left."""

_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)$")
_KNOWN_PRIMARY = frozenset({
    "af", "am", "ar", "az", "be", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu",
    "fa", "fi", "fil", "fr", "ga", "gl", "gu", "ha", "he", "hi", "hr", "hu", "hy", "id", "ig", "is", "it", "ja",
    "ka", "kk", "km", "kn", "ko", "ku", "ky", "lo", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne",
    "nl", "no", "nb", "nn", "pa", "pl", "ps", "pt", "ro", "ru", "si", "sk", "sl", "so", "sq", "sr", "sv", "sw",
    "ta", "te", "th", "ti", "tl", "tr", "uk", "ur", "uz", "vi", "yo", "yue", "zh", "zu", "ckb", "sd", "ug", "dv", "yi",
})
"""Language subtags accepted as a file-name suffix, so ``vitamin.b12.md`` is not taken for a language."""


def is_language_tag(value: Any) -> bool:
    return isinstance(value, str) and _TAG.fullmatch(value) is not None


def normal_tag(tag: str) -> str:
    """``tag`` in the case BCP 47 recommends (``EN`` -> ``en``, ``zh-hans`` -> ``zh-Hans``,
    ``pt_br`` -> ``pt-BR``), so one language gets one spelling in file names, ``lang`` and caches."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    private = False
    for part in parts[1:]:
        private = private or len(part) == 1  # after a singleton (x-..., u-...) case carries no meaning
        if not private and len(part) == 2:
            out.append(part.upper())
        elif not private and len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


def primary(lang: str) -> str:
    """``zh-Hans`` -> ``zh``; ``pt-BR`` -> ``pt``."""
    return lang.replace("_", "-").split("-")[0].lower()


def suffix_language(path: Path) -> str | None:
    """The language a file name declares: ``warfarin.es.md`` -> ``es``; None without a suffix."""
    match = _SUFFIX.match(Path(path).stem)
    if match is None or primary(match["lang"]) not in _KNOWN_PRIMARY:
        return None
    return normal_tag(match["lang"])


def base_stem(path: Path) -> str:
    """The file name shared by an entry and its translations: ``warfarin.es.md`` -> ``warfarin``."""
    stem = Path(path).stem
    return _SUFFIX.match(stem)["stem"] if suffix_language(path) else stem  # type: ignore[index]


def entry_language(metadata: Mapping[str, Any], path: Path, default: str = "en") -> str:
    """The entry's effective language: front matter ``lang``, else the file-name suffix, else ``default``
    (each in :func:`normal_tag` case)."""
    declared = metadata.get("lang")
    if is_language_tag(declared):
        return normal_tag(str(declared))
    return suffix_language(path) or (normal_tag(default) if default else default)


_REGION_SCRIPTS: dict[str, dict[str, str]] = {
    "zh": {"TW": "Hant", "HK": "Hant", "MO": "Hant", "CN": "Hans", "SG": "Hans", "MY": "Hans"},
    "pa": {"PK": "Arab", "IN": "Guru"},
    "sd": {"PK": "Arab", "IN": "Deva"},
    "uz": {"AF": "Arab", "UZ": "Latn"},
}
"""Scripts a region implies for languages written in more than one (CLDR likely subtags): Chinese in
Taiwan, Hong Kong and Macau is written in Traditional characters, in mainland China and Singapore in
Simplified ones."""
_LIKELY_SCRIPTS = {"zh": "Hans", "pa": "Guru", "sd": "Arab", "uz": "Latn", "sr": "Cyrl"}
"""The script such a language is written in when its tag names neither script nor region (CLDR):
``zh`` is Simplified Chinese, as the shipped catalog for it is."""


def script(lang: str) -> str | None:
    """The script ``lang`` is written in when it says, or its region or language implies it: ``zh-Hant``
    and ``zh-TW`` -> ``Hant``, ``zh`` -> ``Hans``, ``sr-Latn-RS`` -> ``Latn``; None for a language
    written in one script (``es-MX``)."""
    subtags = lang.replace("_", "-").split("-")
    for subtag in subtags[1:]:
        if len(subtag) == 4 and subtag.isalpha():
            return subtag.title()
    regions = [subtag.upper() for subtag in subtags[1:] if len(subtag) == 2 and subtag.isalpha()]
    implied = _REGION_SCRIPTS.get(primary(lang), {})
    return next((implied[region] for region in regions if region in implied), _LIKELY_SCRIPTS.get(primary(lang)))


def same_language(a: str, b: str) -> bool:
    """``es`` and ``es-MX`` name the same language for finding a translation; ``zh-Hans`` and ``zh`` too.

    Tags whose scripts differ do not: a reader of Traditional Chinese
    (``zh-Hant``, ``zh-TW``, ``zh-HK``) is not served by Simplified text
    (``zh-Hans``, ``zh-CN``, or plain ``zh``), nor a reader of Serbian in Latin
    letters by Cyrillic. See :func:`script`.
    """
    if primary(a) != primary(b):
        return False
    scripts = script(a), script(b)
    return None in scripts or scripts[0] == scripts[1]


def direction(lang: str) -> Literal["ltr", "rtl"]:
    return "rtl" if primary(lang) in RTL_LANGUAGES else "ltr"


def text_direction(text: str) -> Literal["ltr", "rtl"]:
    """The direction of ``text`` by its first strong character (what ``dir="auto"`` means; WeasyPrint lacks it)."""
    import unicodedata

    for char in str(text):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def shipped_language(lang: str) -> str | None:
    """The shipped language that serves ``lang`` (``es-MX`` -> ``es``, ``zh`` -> ``zh-Hans``), or None.

    None for a script the shipped language is not written in: ``zh-Hant`` and
    ``zh-TW`` get no Simplified Chinese texts (see :func:`same_language`).
    """
    lowered = lang.lower()
    for shipped in SHIPPED_LANGUAGES:
        if shipped.lower() == lowered:
            return shipped
    return next((shipped for shipped in SHIPPED_LANGUAGES if same_language(shipped, lang)), None)


def babel_locale(lang: str) -> str:
    """A Babel locale identifier for ``lang``: ``zh-Hans`` -> ``zh_Hans``; ``en`` -> ``en_GB`` (day month year)."""
    if lang.lower() == "en":
        return "en_GB"
    return lang.replace("-", "_")


def linked_entry(path: Path, lang: str, own_lang: str, default: str) -> Path | None:
    """The entry beside ``path`` in language ``lang``: ``NAME.LANG.md``, or ``NAME.md`` when that is in ``lang``.

    ``own_lang`` is the language of ``path`` itself (None is returned for it);
    ``default`` is the project language, which files without a suffix are in
    (their front matter is not read here: a translation names its source by file name).
    """
    if same_language(lang, own_lang):
        return None
    folder, stem, suffix = path.parent, base_stem(path), path.suffix
    candidates = [folder / f"{stem}.{lang}{suffix}"]
    candidates += sorted(
        p for p in folder.glob(f"{glob_escape(stem)}.*{suffix}") if same_language(suffix_language(p) or "", lang)
    )
    if same_language(default, lang):
        candidates.append(folder / f"{stem}{suffix}")
    return next((candidate for candidate in candidates if candidate.is_file() and candidate != path), None)


def language_siblings(path: Path) -> list[Path]:
    """The other language versions of the entry at ``path`` that lie beside it (``NAME.md``, ``NAME.LANG.md``):
    every file :func:`linked_entry` may pick, whatever the languages asked for."""
    folder, stem, suffix = path.parent, base_stem(path), path.suffix
    found = [p for p in folder.glob(f"{glob_escape(stem)}.*{suffix}") if suffix_language(p) and base_stem(p) == stem]
    found.append(folder / f"{stem}{suffix}")
    return sorted({p for p in found if p != path and p.is_file()})


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)
