"""Jinja2 environment over the project's templates, falling back to the built-in ones.

Autoescape and StrictUndefined are on: entry text is data, so ``{{ 7*7 }}``
in an entry prints as written, and a template that names a missing value
fails loudly instead of printing a blank where a dose should be (autoescape
is off only for ``.css`` templates, the per-language stylesheet, whose
strings go through :func:`css_string`).

Every text a template prints goes through Jinja's i18n extension (``_()``),
translated with the catalog of the language being rendered
(:mod:`leaflets.project.catalogs`); dates through :func:`long_date`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, meta

from leaflets.errors import ConfigError
from leaflets.project.catalogs import translations
from leaflets.project.dates import long_date
from leaflets.project.project import Project
from leaflets.source.language import direction, text_direction

_PLACEHOLDER = re.compile(r"%\((?P<name>page|pages)\)s")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for ``content:``), whatever quotes or backslashes it holds."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\\n' or ord(ch) < 32 else ch for ch in str(text))
    return f'"{escaped}"'


def css_counters(message: str) -> str:
    """A translated "Page %(page)s of %(pages)s" as CSS ``content``: strings around ``counter(page)`` and ``counter(pages)``.

    The translation decides the order of words and numbers ("第 %(page)s 页，共 %(pages)s 页").
    """
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(str(message)):
        if match.start() > position:
            parts.append(css_string(str(message)[position:match.start()]))
        parts.append(f"counter({match['name']})")
        position = match.end()
    if position < len(str(message)):
        parts.append(css_string(str(message)[position:]))
    return " ".join(parts) or '""'


class Templates:
    """The Jinja environment for one project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.environment = Environment(
            loader=FileSystemLoader([str(d) for d in project.template_dirs]),
            autoescape=lambda name: not (name or "").endswith(".css"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        self.environment.filters["long_date"] = long_date
        self.environment.filters["text_direction"] = direction
        self.environment.filters["auto_dir"] = text_direction
        self.environment.filters["css_string"] = css_string
        self.environment.filters["css_counters"] = css_counters
        self._installed: str | None = None

    def use_language(self, lang: str) -> None:
        """Translate what the templates print into ``lang`` (the project's catalog first, then the built-in one)."""
        if self._installed != lang:
            self.environment.install_gettext_translations(translations(self.project.root, lang), newstyle=True)  # type: ignore[attr-defined]
            self._installed = lang

    def render(self, name: str, **context: Any) -> str:
        """Render ``name`` in the language ``context["lang"]`` (English when it names none)."""
        try:
            self.use_language(str(context.get("lang") or "en"))
            return self.environment.get_template(name).render(**context)
        except TemplateError as exc:
            raise _config_error(exc, name) from None

    def sources(self, name: str) -> list[Path]:
        """The files ``name`` is made of: itself and every template it extends, includes or imports.

        Each name resolves as rendering would (the project's file first), so a
        cache key over these files changes exactly when the output could. A
        reference computed at render time cannot be followed; then every
        template the project can see counts.
        """
        found: dict[str, Path] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            try:
                source, filename, _ = self.environment.loader.get_source(self.environment, current)  # type: ignore[union-attr]
                references = list(meta.find_referenced_templates(self.environment.parse(source)))
            except TemplateError as exc:
                raise _config_error(exc, current) from None
            found[current] = Path(filename or current)
            if None in references:
                pending.extend(self.environment.list_templates())
            pending.extend(reference for reference in references if reference is not None)
        return [found[key] for key in sorted(found)]


def _config_error(exc: TemplateError, name: str) -> ConfigError:
    where = getattr(exc, "filename", None) or name
    return ConfigError(f"template error: {exc.message or exc}", where, getattr(exc, "lineno", None))
