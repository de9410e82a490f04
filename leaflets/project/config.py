"""Project settings from ``leaflets.toml``.

Settings are validated strictly: an unknown key or a value of the wrong type is
an error naming the file and key, because a silently ignored typo in
``disclaimer`` would print leaflets without the text the pharmacy asked for.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from leaflets.errors import ConfigError
from leaflets.source.sections import CANONICAL_LABELS, canonical_key

CONFIG_FILENAME = "leaflets.toml"

PAPER_SIZES: dict[str, tuple[str, str]] = {
    "a4": ("210mm", "297mm"),
    "letter": ("8.5in", "11in"),
    "a5": ("148mm", "210mm"),
}

def N_(message: str) -> str:
    """Marks a text for the message catalogs (pybabel extract) without translating it here."""
    return message


DEFAULT_DISCLAIMER = N_(
    "This leaflet is for general information only and is not medical advice. "
    "Do not start, stop or change any medicine without talking to a doctor or pharmacist "
    "who knows your health and the other medicines you take."
)
DEFAULT_NOTE = N_(
    "This information may not be accurate or complete and may be out of date. "
    "Always consult a qualified healthcare professional before acting on it."
)

DEFAULT_BOOKLET_TITLE = N_("Medicine information leaflets")


@dataclass(frozen=True)
class Config:
    """Settings for a build; every field may be set in leaflets.toml."""

    organisation: str = ""
    author: str = ""
    disclaimer: str = DEFAULT_DISCLAIMER
    note: str = DEFAULT_NOTE
    paper: str = "a4"
    lang: str = "en"
    booklet_title: str = DEFAULT_BOOKLET_TITLE
    booklet_subtitle: str = ""
    required_sections: tuple[str, ...] = ("usage", "side_effects", "precautions")
    max_reading_grade: float = 8.0
    logo: str = ""
    """A logo image for the first page's header: a path inside the project folder."""
    contact: str = ""
    """Address and phone, printed under the organisation on the first page."""
    base_url: str = ""
    """Where the leaflets are published online; each gets ``base_url`` + its path as a QR code."""
    review_period_years: float = 3
    """A leaflet whose last review is older than this is due for review."""
    source: Path | None = field(default=None, compare=False)

    def with_overrides(self, **overrides: Any) -> "Config":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Config(**values)


_TYPES: dict[str, type | tuple[type, ...]] = {
    "organisation": str,
    "author": str,
    "disclaimer": str,
    "note": str,
    "paper": str,
    "lang": str,
    "booklet_title": str,
    "booklet_subtitle": str,
    "required_sections": list,
    "max_reading_grade": (int, float),
    "logo": str,
    "contact": str,
    "base_url": str,
    "review_period_years": (int, float),
}

KNOWN_KEYS = tuple(_TYPES)


def _type_name(expected: type | tuple[type, ...]) -> str:
    if expected == (int, float):
        return "a number"
    return {str: "a string", list: "a list of strings"}[expected]  # type: ignore[index]


def _section_key(name: str, path: Path | None) -> str:
    """A required section as its canonical key; 'side effects' and 'side_effects' both work."""
    key = name if name in CANONICAL_LABELS else canonical_key(name)[0]
    if key is None:
        known = ", ".join(CANONICAL_LABELS)
        raise ConfigError(f"key 'required_sections' names an unknown section '{name}' (known: {known})", path)
    return key


def load_config(path: Path) -> Config:
    """Read ``path`` (a leaflets.toml); a missing file gives the defaults."""
    if not path.is_file():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason})", path) from None
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"invalid TOML: {exc.msg if hasattr(exc, 'msg') else exc}", path, line) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from None
    return config_from_mapping(data, path)


def config_from_mapping(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML mapping and turn it into a :class:`Config`."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _TYPES:
            known = ", ".join(KNOWN_KEYS)
            raise ConfigError(f"unknown key '{key}' (known keys: {known})", path)
        expected = _TYPES[key]
        if isinstance(value, bool) or not isinstance(value, expected):
            raise ConfigError(f"key '{key}' must be {_type_name(expected)}, not {type(value).__name__}", path)
        if key == "required_sections":
            if not all(isinstance(item, str) for item in value):
                raise ConfigError(f"key '{key}' must be a list of strings", path)
            value = tuple(_section_key(item, path) for item in value)
        if key == "paper":
            value = value.lower()
            if value not in PAPER_SIZES:
                raise ConfigError(f"key 'paper' must be one of {', '.join(PAPER_SIZES)}, not '{value}'", path)
        if key in ("disclaimer", "note") and not value.strip():
            raise ConfigError(f"key '{key}' must not be empty", path)
        if key == "base_url" and not re.match(r"https?://[^/\s]+", value):
            raise ConfigError(f"key 'base_url' must be an http:// or https:// address, not '{value}'", path)
        if key == "review_period_years" and not 0 < value <= 50:
            raise ConfigError(f"key 'review_period_years' must be between 0 and 50, not {value}", path)
        values[key] = value
    return Config(source=path, **values)
