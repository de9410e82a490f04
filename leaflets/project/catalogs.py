"""Message catalogs: every text the templates and styles print, in the reader's language.

The built-in catalogs are gettext files in ``leaflets/locale/<lang>/LC_MESSAGES/leaflets.po``,
compiled to ``leaflets.mo`` beside them (``python -m leaflets.project.catalogs compile``;
tests/test_i18n.py fails when a ``.mo`` no longer matches its ``.po``). A project
overrides any message in its own ``locale/<lang>/LC_MESSAGES/leaflets.po`` (or ``.mo``);
messages it leaves out fall back to the built-in catalog, then to the English text.
"""

from __future__ import annotations

import gettext
import io
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from leaflets.errors import ConfigError
from leaflets.source.language import SHIPPED_LANGUAGES, primary, same_language, script, shipped_language

DOMAIN = "leaflets"
_PLACEHOLDER = re.compile(r"%\(\w+\)s")
BUILTIN_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
PROJECT_LOCALE_FOLDER = "locale"


def catalog_names(lang: str) -> list[str]:
    """Folder names under ``locale/`` that may hold ``lang``'s catalog, most specific first.

    ``zh-HK`` -> ``zh-HK``, ``zh_HK``, ``zh-Hant``, ``zh_Hant``: the script a region
    implies names a catalog too, and a catalog in another script never serves it.
    """
    names = [lang, lang.replace("-", "_")]
    written_in = script(lang)
    if written_in:
        names += [f"{primary(lang)}-{written_in}", f"{primary(lang)}_{written_in}"]
    if ("-" in lang or "_" in lang) and same_language(primary(lang), lang):
        names.append(primary(lang))  # locale/zh/ is Simplified Chinese: it serves zh-CN, never zh-TW
    return list(dict.fromkeys(names))


def builtin_po(lang: str) -> Path:
    return BUILTIN_LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def project_catalog_files(root: Path, lang: str | None = None) -> list[Path]:
    """The project's own catalogs (all languages, or those that may serve ``lang``), for overrides and cache keys."""
    folder = root / PROJECT_LOCALE_FOLDER
    if not folder.is_dir():
        return []
    if lang is None:
        return sorted(p for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.[mp]o") if p.is_file())
    found = []
    for name in catalog_names(lang):
        for suffix in (".mo", ".po"):
            path = folder / name / "LC_MESSAGES" / f"{DOMAIN}{suffix}"
            if path.is_file() and path.resolve().is_relative_to(root.resolve()):
                found.append(path)
    return found


def builtin_catalog_files() -> list[Path]:
    return sorted(BUILTIN_LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


@lru_cache(maxsize=32)
def _builtin(lang: str) -> gettext.NullTranslations:
    shipped = shipped_language(lang)
    if shipped is None:
        return gettext.NullTranslations()
    path = BUILTIN_LOCALE_DIR / shipped / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)


def _read_catalog(path: Path) -> gettext.GNUTranslations:
    """A project catalog, ``.mo`` as is, ``.po`` compiled in memory; a broken file is a ConfigError naming it."""
    try:
        if path.suffix == ".mo":
            return gettext.GNUTranslations(io.BytesIO(path.read_bytes()))
        try:
            from babel.messages.mofile import write_mo
            from babel.messages.pofile import PoFileError, read_po
        except ImportError:
            raise ConfigError(
                "a .po catalog is compiled with Babel, which is not installed: "
                "pip install 'leaflets[locales]', or compile it to leaflets.mo (pybabel compile)",
                path,
            ) from None

        with open(path, "rb") as handle:
            try:
                catalog = read_po(handle, abort_invalid=True)
            except PoFileError as exc:
                raise ConfigError(f"invalid message catalog: {exc}", path) from None
        for message in catalog:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                extra = set(_PLACEHOLDER.findall(message.string)) - set(_PLACEHOLDER.findall(message.id))
                if extra:
                    raise ConfigError(
                        f"translation of {message.id!r} uses {', '.join(sorted(extra))}, which the message does not have",
                        path, message.lineno,
                    )
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read message catalog: {exc}", path) from None
    except Exception as exc:  # noqa: BLE001 - gettext raises bare OSError/struct errors for corrupt .mo files
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"invalid message catalog: {exc}", path) from None


def translations(root: Path | None, lang: str) -> gettext.NullTranslations:
    """The catalog for ``lang``: the project's own messages first, then the built-in ones.

    Read once per process and catalog file version (path, size, modification time).
    """
    files = project_catalog_files(root, lang) if root is not None else []
    if not files:
        return _builtin(lang)
    stat = files[0].stat()
    return _with_project_catalog(files[0], stat.st_size, stat.st_mtime_ns, lang)


@lru_cache(maxsize=64)
def _with_project_catalog(path: Path, _size: int, _mtime: int, lang: str) -> gettext.NullTranslations:
    own = _read_catalog(path)
    own.add_fallback(_builtin(lang))
    return own


def has_catalog(root: Path | None, lang: str) -> bool:
    """Whether anything translates ``lang``'s fixed texts: a shipped catalog, or one in the project's ``locale/``.

    Without either, a leaflet in ``lang`` prints them in English.
    """
    return shipped_language(lang) is not None or (root is not None and bool(project_catalog_files(root, lang)))


def gettext_for(root: Path | None, lang: str) -> Callable[..., str]:
    """A ``gettext`` for ``lang`` that formats ``%(name)s`` placeholders from keyword arguments, as the templates' ``_``."""
    catalog = translations(root, lang)

    def translate(message: str, **variables: Any) -> str:
        text = catalog.gettext(message)
        return text % variables if variables else text

    return translate


def compile_builtin(check_only: bool = False) -> list[Path]:
    """Compile every built-in ``.po`` to its ``.mo``; with ``check_only``, return those whose ``.mo`` is stale."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    stale = []
    for lang in SHIPPED_LANGUAGES:
        po = builtin_po(lang)
        if not po.is_file():
            continue
        with open(po, "rb") as handle:
            catalog = read_po(handle, locale=lang.replace("-", "_"))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        mo = po.with_suffix(".mo")
        if not mo.is_file() or mo.read_bytes() != buffer.getvalue():
            stale.append(mo)
            if not check_only:
                mo.write_bytes(buffer.getvalue())
    return stale


if __name__ == "__main__":  # python -m leaflets.project.catalogs compile
    if sys.argv[1:] == ["compile"]:
        for written in compile_builtin():
            print(f"wrote {written}")
    else:
        print("usage: python -m leaflets.project.catalogs compile", file=sys.stderr)
        sys.exit(2)
