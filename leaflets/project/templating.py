"""Jinja2 environment over the project's templates, falling back to the built-in ones.

Autoescape and StrictUndefined are on: entry text is data, so ``{{ 7*7 }}``
in an entry prints as written, and a template that names a missing value
fails loudly instead of printing a blank where a dose should be.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, meta

from leaflets.errors import ConfigError
from leaflets.project.project import Project


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def long_date(day: date) -> str:
    """``15 September 2025``: no numeric form a reader could take as month/day, independent of locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


class Templates:
    """The Jinja environment for one project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.environment = Environment(
            loader=FileSystemLoader([str(d) for d in project.template_dirs]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["long_date"] = long_date

    def render(self, name: str, **context: Any) -> str:
        try:
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
