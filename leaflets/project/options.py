"""What a build is asked to make, importable without loading WeasyPrint.

The up-to-date check runs before any rendering and must stay fast, so the
choices that go into cache keys live here rather than beside the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from leaflets.project.paper import DEFAULT_PAPER

OutputFormat = Literal["pdf", "html"]

LEAFLET_TEMPLATE = "leaflet.html"
LANGUAGE_STYLESHEET = "language.css"
"""The template each language's generated stylesheet is rendered from (templates/, the project's own first)."""
STYLESHEETS = ("leaflet.css",)
"""The stylesheets every leaflet is laid out with, looked up in the project's styles/ first."""
LARGE_PRINT_STYLESHEETS = ("large-print.css",)
"""Layered on top of STYLESHEETS for the large-print edition."""

STYLES_FOLDER = "_styles"
"""Where HTML output finds copies of the stylesheets, relative to the output folder."""


@dataclass(frozen=True)
class BuildOptions:
    """Choices that change what a leaflet looks like (and so belong in cache keys)."""

    paper: str = DEFAULT_PAPER
    format: OutputFormat = "pdf"
    large_print: bool = False
    """Large-print edition: styles/large-print.css on top of leaflet.css, files named ``*-large``."""
    bilingual: str | None = None
    """Bilingual edition with this language: each section followed by the same section of the linked
    entry in that language; files named ``NAME.LANG+en``."""

    @property
    def stylesheets(self) -> tuple[str, ...]:
        """The stylesheets a leaflet built with these options is laid out with."""
        return STYLESHEETS + (LARGE_PRINT_STYLESHEETS if self.large_print else ())

    @property
    def name_suffix(self) -> str:
        """Added to output file names so both editions can share one folder."""
        return ("-large" if self.large_print else "") + (f"+{self.bilingual}" if self.bilingual else "")
