"""One leaflet through the pipeline: entry -> sections -> HTML -> laid-out pages -> PDF bytes.

:class:`LeafletRenderer` holds what is shared between entries in a process
(templates, the layout engine and a cache of measured footer heights); each
call turns one entry file into HTML or PDF bytes without touching the disk
beyond reading the entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import weasyprint
from markupsafe import Markup

from . import __version__
from .clock import build_time, w3c_datetime
from .config import PAPER_SIZES, Config
from .entry import Entry, load_entry
from .errors import EntryError
from .fetcher import ProjectFetcher
from .layout import STYLESHEETS, LayoutEngine
from .markdown import RemovedHtml, render_markdown
from .project import Project
from .sections import FooterText, LeafletContent, normalise
from .templating import Templates

OutputFormat = Literal["pdf", "html"]

STYLES_FOLDER = "_styles"
"""Where HTML output finds copies of the stylesheets, relative to the output folder."""

MAX_FOOTER_SHARE = 0.4
"""The footer may take at most this share of the page height, or the body has no room."""

_CSS_PX_PER_UNIT = {"mm": 96 / 25.4, "in": 96.0}


@dataclass(frozen=True)
class BuildOptions:
    """Choices that change what a leaflet looks like (and so belong in cache keys)."""

    paper: str = "a4"
    format: OutputFormat = "pdf"


@dataclass(frozen=True)
class Paper:
    name: str
    width: str
    height: str

    @property
    def height_px(self) -> float:
        number, unit = float(self.height[:-2]), self.height[-2:]
        return number * _CSS_PX_PER_UNIT[unit]


def paper(name: str) -> Paper:
    width, height = PAPER_SIZES[name]
    return Paper(name, width, height)


@dataclass(frozen=True)
class RenderedLeaflet:
    """The output bytes of one leaflet and what was noticed while making them."""

    data: bytes
    content: LeafletContent
    page_count: int | None
    warnings: tuple[str, ...] = ()
    removed_html: tuple[RemovedHtml, ...] = ()


@dataclass(frozen=True)
class LaidOutLeaflet:
    """A leaflet's pages as WeasyPrint laid them out, and the HTML they came from."""

    document: weasyprint.Document
    html: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SectionView:
    key: str
    id: str
    label: str
    qualifier: str
    known: bool
    html: Markup


@dataclass
class LeafletRenderer:
    """Turns entries into leaflet HTML and PDF; one per process, reused across entries."""

    project: Project
    options: BuildOptions = field(default_factory=BuildOptions)
    template: str = "leaflet.html"
    stylesheets: tuple[str, ...] = STYLESHEETS
    _footer_heights: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.config: Config = self.project.config
        self.templates = Templates(self.project)
        self.paper = paper(self.options.paper)
        self.engine = LayoutEngine(self.project, self.stylesheets)

    def render_file(self, path: Path, styles_href: str = STYLES_FOLDER) -> RenderedLeaflet:
        """Build the leaflet for the entry at ``path`` in the configured format."""
        return self.render_entry(load_entry(path), styles_href)

    def render_entry(self, entry: Entry, styles_href: str = STYLES_FOLDER) -> RenderedLeaflet:
        """Render ``entry``; HTML output links its stylesheets from ``styles_href``."""
        content = normalise(entry)
        context, removed = self.context(content)
        if self.options.format == "html":
            hrefs = [f"{styles_href}/{path.name}" for path in self.engine.stylesheet_paths]
            html = self.templates.render(self.template, **context, stylesheet_hrefs=hrefs)
            return RenderedLeaflet(html.encode("utf-8"), content, None, (), removed)
        laid_out = self.lay_out(content, context, removed)
        identifier = hashlib.md5(laid_out.html.encode("utf-8")).hexdigest().encode("ascii")
        data = self.engine.write_pdf(laid_out.document, pdf_identifier=identifier)
        return RenderedLeaflet(data, content, len(laid_out.document.pages), laid_out.warnings, removed)

    def lay_out(
        self, content: LeafletContent, context: dict[str, Any], removed: tuple[RemovedHtml, ...] = ()
    ) -> "LaidOutLeaflet":
        """Pages of ``content`` before they become PDF bytes (booklets read positions off them)."""
        entry = content.entry
        html = self.templates.render(self.template, **context, stylesheet_hrefs=[])
        fetcher = ProjectFetcher(self.project.trusted_dirs, entry.path)
        document = self.engine.render(html, entry.path.resolve().parent, fetcher)
        warnings = tuple(f"{entry.path}: warning: {reason}" for reason in fetcher.refused)
        return LaidOutLeaflet(document, html, warnings)

    def context(self, content: LeafletContent) -> tuple[dict[str, Any], tuple[RemovedHtml, ...]]:
        """Template variables for ``content``, with the footer sized to fit its text."""
        entry = content.entry
        removed: list[RemovedHtml] = []
        sections = []
        for index, section in enumerate(content.sections):
            rendered = render_markdown(section.markdown, section.line, section.heading_level)
            removed.extend(rendered.removed)
            sections.append(SectionView(
                section.key, f"section-{index + 1}-{section.key}", section.label,
                section.qualifier, section.known, rendered.html,
            ))
        disclaimer = self._footer_html(content.disclaimer, self.config.disclaimer, removed)
        note = self._footer_html(content.note, self.config.note, removed)
        lang = entry.lang if "lang" in entry.metadata else self.config.lang
        context = self.page_context(
            entry.title, lang, disclaimer, note, entry.path,
            error_line=entry.body_line if content.disclaimer else None,
        )
        context["description"] = f"Patient information leaflet: {entry.title}"
        context["sections"] = sections
        return context, tuple(removed)

    def page_context(
        self, title: str, lang: str, disclaimer: Markup, note: Markup, source: Path, error_line: int | None = None
    ) -> dict[str, Any]:
        """Variables every page template needs (base.html and the footer), the footer sized to fit.

        ``source`` is the file the page is made from: relative URLs resolve
        beside it and a footer too tall to fit is reported against it.
        """
        context: dict[str, Any] = {
            "title": title,
            "lang": lang,
            "author": self.config.author or self.config.organisation,
            "organisation": self.config.organisation,
            "description": "",
            "version": __version__,
            "created": w3c_datetime(build_time()),
            "paper": self.paper,
            "disclaimer": disclaimer,
            "note": note,
        }
        context["footer_height"] = self._footer_height(context, source, error_line)
        context["measure"] = False
        return context

    def default_footer(self) -> tuple[Markup, Markup]:
        """The disclaimer and note from settings, as HTML, for pages that belong to no entry."""
        return render_markdown(self.config.disclaimer).html, render_markdown(self.config.note).html

    def _footer_html(self, text: FooterText | None, default: str, removed: list[RemovedHtml]) -> Markup:
        if text is None:
            return render_markdown(default).html
        rendered = render_markdown(text.markdown, text.line)
        removed.extend(rendered.removed)
        return rendered.html

    def _footer_height(self, context: dict[str, Any], source: Path, error_line: int | None) -> float:
        """Lay out the footer alone, once per distinct footer, to size the bottom margin."""
        key = "\x00".join([str(context["disclaimer"]), str(context["note"]), context["organisation"], context["lang"]])
        if key not in self._footer_heights:
            html = self.templates.render(
                self.template, **{**context, "measure": True, "footer_height": 0, "stylesheet_hrefs": []}
            )
            self._footer_heights[key] = self.engine.measure_height(html, source.resolve().parent, "page-footer")
        height = self._footer_heights[key]
        if height > self.paper.height_px * MAX_FOOTER_SHARE:
            raise EntryError(
                f"disclaimer and note are too long to fit in the page footer "
                f"({height * 25.4 / 96:.0f} mm of {self.paper.height_px * 25.4 / 96:.0f} mm page height)",
                source,
                error_line,
            )
        return height
