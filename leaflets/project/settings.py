"""How a leaflets.toml setting is declared once and read strictly.

Each setting is one field of :class:`leaflets.project.config.Config`, written
with :func:`setting`; that line is the whole declaration:

- the **name** is the field name (the key in leaflets.toml);
- the **type** is the field's annotation, and decides what the file may hold:
  ``str`` (a string), ``bool`` (true/false), ``int`` / ``float`` (a number;
  ``float`` also takes integers), ``tuple[str, ...]`` (a list of strings), a
  frozen dataclass of settings (a TOML table such as ``[printer]``), or
  ``Mapping[str, X]`` (a table of such tables, such as ``[languages.fr]``);
- the **default** and the **help** (one line, shown by error messages and
  tests against the README) are the arguments of :func:`setting`;
- ``check`` normalises or refuses a value of the right type: it returns the
  value to keep, or raises :class:`ValueError` with the rest of the sentence
  "key 'NAME' ..." (``"must not be empty"``).

:func:`read_settings` derives the validation from those fields: an unknown key
is an error that suggests the closest known one ("did you mean"), a value of
the wrong type names the key and the type expected. Nothing else lists the
keys, so adding a setting is one line in ``Config`` (and a README line); for
example::

    require_review: bool = setting(False, "warn (no-review-date) when an entry has no 'reviewed' date")

    printer: PrinterSettings = setting(PrinterSettings(), "the [printer] table: ...")

    languages: Mapping[str, LanguageSettings] = setting(
        MappingProxyType({}), "per-language [languages.xx] tables", check=check_language_tags)

where ``PrinterSettings`` / ``LanguageSettings`` are frozen dataclasses whose
fields are themselves declared with :func:`setting`. A field declared without
:func:`setting` (``Config.source``) is not a key of the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from leaflets.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Setting:
    """What :func:`setting` attaches to a field: its help and its extra check."""

    help: str
    check: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Declared:
    """One declared setting as the reader sees it: name, type, default, help, check."""

    name: str
    type: Any
    default: Any
    help: str
    check: Callable[[Any], Any] | None


def setting(default: Any, help: str, *, check: Callable[[Any], Any] | None = None) -> Any:
    """A dataclass field that is a leaflets.toml key (see the module docstring).

    A mapping default (an empty table) is handed out as a fresh read-only
    copy per instance, since dataclasses refuse shared mutable defaults.
    """
    metadata = {"setting": Setting(help, check)}
    if isinstance(default, Mapping):
        frozen = dict(default)
        return dataclasses.field(default_factory=lambda: types.MappingProxyType(dict(frozen)), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def declared(cls: type) -> dict[str, Declared]:
    """The settings declared on the dataclass ``cls``, by name, in declaration order."""
    hints = typing.get_type_hints(cls)
    found: dict[str, Declared] = {}
    for field in dataclasses.fields(cls):
        if "setting" not in field.metadata:
            continue
        default = field.default if field.default_factory is dataclasses.MISSING else field.default_factory()
        declaration: Setting = field.metadata["setting"]
        found[field.name] = Declared(field.name, hints[field.name], default, declaration.help, declaration.check)
    return found


def read_settings(cls: type[T], data: Mapping[str, Any], path: Path | None, prefix: str = "") -> dict[str, Any]:
    """The values of ``data`` (a parsed TOML table) for the settings of ``cls``, checked and converted.

    Raises :class:`ConfigError` naming ``path`` and the key (``prefix`` + key
    for nested tables) for an unknown key or a value that does not fit.
    """
    known = declared(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(unknown_key_message(name, key, known), path)
        values[key] = _read_value(name, known[key].type, value, path)
        check = known[key].check
        if check is not None:
            try:
                values[key] = check(values[key])
            except ValueError as exc:
                raise ConfigError(f"key '{name}' {exc}", path) from None
    return values


def unknown_key_message(name: str, key: str, known: Mapping[str, Declared]) -> str:
    """``unknown key 'X'; did you mean 'Y'? (known keys: ...)``."""
    normal = key.strip().lower().replace("-", "_").replace(" ", "_")
    close = [normal] if normal in known else difflib.get_close_matches(normal, list(known), n=1, cutoff=0.7)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key '{name}'{hint} (known keys: {', '.join(known)})"


def type_name(kind: Any) -> str:
    """How an error message names what a setting of type ``kind`` must be."""
    origin = typing.get_origin(kind)
    if kind is str:
        return "a string"
    if kind is bool:
        return "true or false"
    if kind in (int, float):
        return "a number" if kind is float else "a whole number"
    if origin is tuple:
        return f"a list of {type_name(typing.get_args(kind)[0])[2:]}s"
    if origin in (dict, Mapping, types.MappingProxyType) or dataclasses.is_dataclass(kind):
        return "a table"
    raise TypeError(f"settings of type {kind!r} are not supported; see leaflets/project/settings.py")


def _read_value(name: str, kind: Any, value: Any, path: Path | None) -> Any:
    """``value`` checked against the declared type ``kind`` and converted to it."""
    wrong = ConfigError(f"key '{name}' must be {type_name(kind)}, not {type(value).__name__}", path)
    origin = typing.get_origin(kind)
    if kind is bool:
        if not isinstance(value, bool):
            raise wrong
        return value
    if kind in (str, int):
        if isinstance(value, bool) or not isinstance(value, kind):
            raise wrong
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
        return float(value)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        if not isinstance(value, list):
            raise wrong
        if not all(isinstance(v, item) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"key '{name}' must be {type_name(kind)}", path)
        return tuple(value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise wrong
        return kind(**read_settings(kind, value, path, f"{name}."))
    if origin in (dict, Mapping, types.MappingProxyType):
        _, item = typing.get_args(kind)
        if not isinstance(value, dict):
            raise wrong
        return types.MappingProxyType({str(k): _read_value(f"{name}.{k}", item, v, path) for k, v in value.items()})
    raise TypeError(f"settings of type {kind!r} are not supported; see leaflets/project/settings.py")
