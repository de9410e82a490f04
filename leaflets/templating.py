"""Jinja2 environment over the project's templates, falling back to the built-in ones.

Autoescape and StrictUndefined are on: entry text is data, so ``{{ 7*7 }}``
in an entry prints as written, and a template that names a missing value
fails loudly instead of printing a blank where a dose should be.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from .errors import ConfigError
from .project import Project


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
            where = getattr(exc, "filename", None) or name
            raise ConfigError(f"template error: {exc.message or exc}", where, getattr(exc, "lineno", None)) from None
