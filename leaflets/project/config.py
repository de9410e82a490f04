"""Project settings from ``leaflets.toml``: every key declared once, in :class:`Config`.

Settings are validated strictly: an unknown key or a value of the wrong type is
an error naming the file and key, because a silently ignored typo in
``disclaimer`` would print leaflets without the text the pharmacy asked for.
Each field of :class:`Config` is the one declaration of its key (type,
default, help, extra check); :mod:`leaflets.project.settings` derives the
validation from it and says how to add a setting.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from leaflets.errors import ConfigError
from leaflets.files import MAX_TEXT_BYTES, RefusedFile, read_regular
from leaflets.project.paper import DEFAULT_PAPER, PAGE_SIZES
from leaflets.project.settings import read_settings, setting
from leaflets.source.entry import DEFAULT_LANG
from leaflets.source.fields import is_web_address
from leaflets.source.vocabulary import CANONICAL_LABELS, section_key

CONFIG_FILENAME = "leaflets.toml"

DEFAULT_DISCLAIMER = (
    "This leaflet is for general information only and is not medical advice. "
    "Do not start, stop or change any medicine without talking to a doctor or pharmacist "
    "who knows your health and the other medicines you take."
)
DEFAULT_NOTE = (
    "This information may not be accurate or complete and may be out of date. "
    "Always consult a qualified healthcare professional before acting on it."
)


def _not_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _paper(value: str) -> str:
    if value.lower() not in PAGE_SIZES:
        raise ValueError(f"must be one of {', '.join(PAGE_SIZES)}, not '{value.lower()}'")
    return value.lower()


def _section_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    """Required sections as canonical keys; 'side effects' and 'side_effects' both work."""
    keys = []
    for name in names:
        key = section_key(name)
        if key is None:
            raise ValueError(f"names an unknown section '{name}' (known: {', '.join(CANONICAL_LABELS)})")
        keys.append(key)
    return tuple(keys)


def _web_address(value: str) -> str:
    if not is_web_address(value):
        raise ValueError(f"must be an http:// or https:// address, not '{value}'")
    return value


def _printer_name(value: str) -> str:
    """A CUPS queue name (no spaces, '/' or '#'), never starting with '-' so ``lp`` cannot take it for an option."""
    if value and not re.fullmatch(r"[^\s/#\-][^\s/#]*", value):
        raise ValueError(f"must be a CUPS printer name (no spaces, '/' or '#'), not '{value}'")
    return value


def _review_period(value: float) -> float:
    if not 0 < value <= 50:
        raise ValueError(f"must be between 0 and 50, not {value:g}")
    return value


@dataclass(frozen=True)
class Config:
    """Settings for a build; each field declared with ``setting`` is a key of leaflets.toml."""

    organisation: str = setting("", "printed in the header and footer; the PDF author")
    author: str = setting("", "PDF author when it differs from the organisation")
    disclaimer: str = setting(DEFAULT_DISCLAIMER, "default disclaimer for entries that have none", check=_not_empty)
    note: str = setting(DEFAULT_NOTE, "default accuracy note", check=_not_empty)
    paper: str = setting(DEFAULT_PAPER, f"paper size: {', '.join(PAGE_SIZES)}", check=_paper)
    lang: str = setting(DEFAULT_LANG, "default language of entries")
    booklet_title: str = setting("Medicine information leaflets", "booklet cover title")
    booklet_subtitle: str = setting("", "booklet cover subtitle")
    required_sections: tuple[str, ...] = setting(
        ("usage", "side_effects", "precautions"), "sections `leaflets check` requires", check=_section_keys,
    )
    max_reading_grade: float = setting(8.0, "Flesch-Kincaid grade above which `check` warns")
    logo: str = setting("", "first-page logo: a file inside the project folder")
    contact: str = setting("", "address and phone, printed under the organisation on the first page")
    base_url: str = setting("", "where the leaflets are published online; each gets a QR code to its page",
                            check=_web_address)
    review_period_years: float = setting(3.0, "a review older than this (in years) is overdue", check=_review_period)
    require_review: bool = setting(False, "`check` warns about an entry without `reviewed` (publishers who must review every leaflet)")
    printer: str = setting("", "CUPS printer `leaflets serve` prints patients' copies on with lp", check=_printer_name)
    source: Path | None = field(default=None, compare=False)
    """The leaflets.toml these settings came from (None for the defaults); not itself a setting."""

    def with_overrides(self, **overrides: Any) -> Config:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Config(**values)


def load_config(path: Path) -> Config:
    """Read ``path`` (a leaflets.toml); a missing file gives the defaults."""
    if not os.path.lexists(path):
        return Config()
    try:
        raw = read_regular(path, limit=MAX_TEXT_BYTES)
    except RefusedFile as exc:
        raise ConfigError(f"cannot read settings: {exc.reason}", path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason})", path) from None
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", path) from None
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"invalid TOML: {exc.msg if hasattr(exc, 'msg') else exc}", path, line) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from None
    return config_from_mapping(data, path)


def config_from_mapping(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML mapping and turn it into a :class:`Config`."""
    return Config(source=path, **read_settings(Config, data, path))
