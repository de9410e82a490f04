"""WeasyPrint, held once per process: fonts, parsed stylesheets, layout, PDF bytes.

Parsing the print CSS and loading fonts costs more than laying out a short
leaflet, so one :class:`LayoutEngine` keeps its ``FontConfiguration`` and
``CSS`` objects and is reused for every entry a process builds.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Callable

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from leaflets.errors import ConfigError
from leaflets.files import RefusedFile, read_regular
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.layout.leaders import set_leaders_as_one_run
from leaflets.project.locations import SCHEME, Locations
from leaflets.layout.weasy import (
    drop_links, lay_out_rtl_lines_once, margin_height, page_boxes, read_font_files_when_needed, record_element_languages,
    subset_large_fonts_in_one_pass,
)
from leaflets.project.options import STYLESHEETS
from leaflets.project.project import Project

PDF_VARIANT = "pdf/ua-1"
"""Tagged PDF 1.7 with the PDF/UA identification, DisplayDocTitle and MarkInfo WeasyPrint adds for it."""

logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


class LayoutEngine:
    """Lays out leaflet HTML into pages and writes PDF bytes."""

    def __init__(
        self, project: Project, stylesheets: tuple[str, ...] = STYLESHEETS, language_position: int | None = None
    ) -> None:
        self.project = project
        subset_large_fonts_in_one_pass()  # CJK fonts: half the time of writing a Chinese leaflet
        read_font_files_when_needed()  # CJK fonts: a 19.5 MB copy per font and leaflet, unused
        lay_out_rtl_lines_once()  # Arabic: each line was laid out twice
        record_element_languages()  # for /Lang on elements in another language (leaflets.pdf.tagging)
        set_leaders_as_one_run()  # the booklet contents' dot leaders: one text run a line, not one box a dot
        self.font_config = FontConfiguration()
        self.stylesheet_paths = [project.stylesheet(name) for name in stylesheets]
        self.stylesheets: list[weasyprint.CSS] = []
        self._refused: list[str] = []
        locations = Locations.of(project)
        for path in self.stylesheet_paths:
            fetcher = ProjectFetcher(project.trusted_dirs, path, locations)
            self.stylesheets.append(weasyprint.CSS(
                string=read_stylesheet(project, path), base_url=locations.url_or_file(path),
                font_config=self.font_config, url_fetcher=fetcher,
            ))
            self._refused += [f"{path}: warning: {reason}" for reason in dict.fromkeys(fetcher.refused)]
        self._fetcher = ProjectFetcher.for_project(project)
        self.language_position = len(self.stylesheets) if language_position is None else language_position
        """Where a language's generated stylesheet goes: after leaflet.css (and large-print.css), before booklet.css."""
        self._language_sheets: dict[str, weasyprint.CSS] = {}

    def take_refusals(self) -> list[str]:
        """Warnings for what the stylesheets asked for and were refused (``@import``, ``@font-face``), once."""
        refused, self._refused = self._refused, []
        return refused

    def sheets_for(self, language_css: str | None) -> list[weasyprint.CSS]:
        """The stylesheets with a language's generated one in its place, parsed once per process and language."""
        if not language_css:
            return self.stylesheets
        sheet = self._language_sheets.get(language_css)
        if sheet is None:
            sheet = weasyprint.CSS(string=language_css, font_config=self.font_config, url_fetcher=self._fetcher)
            self._language_sheets[language_css] = sheet
        position = self.language_position
        return [*self.stylesheets[:position], sheet, *self.stylesheets[position:]]

    def render(
        self, html: str, base_url: Path, fetcher: ProjectFetcher, tagged: bool = True, language_css: str | None = None
    ) -> weasyprint.Document:
        """Lay out ``html``; relative URLs resolve against the folder ``base_url``, addressed as the
        ``fetcher`` addresses it (``leaflets://...``, so no absolute path reaches the PDF).

        ``tagged`` keeps the structure WeasyPrint needs for a tagged PDF; a
        layout that is only measured does without it. ``language_css`` is the
        generated stylesheet of the document's language (templates/language.css).
        """
        document = weasyprint.HTML(string=html, base_url=fetcher.base_url(base_url), url_fetcher=fetcher)
        stylesheets = self.sheets_for(language_css)
        if not tagged:
            laid_out = document.render(font_config=self.font_config, stylesheets=stylesheets)
        else:
            laid_out = document.render(
                font_config=self.font_config,
                stylesheets=stylesheets,
                pdf_tags=True,
                pdf_variant=PDF_VARIANT,
            )
        drop_links(laid_out, SCHEME)  # links to project files: nothing a reader can open, and no paths in the bytes
        return laid_out

    def write_pdf(
        self, document: weasyprint.Document, identifier: bytes | None = None,
        finisher: Callable[[Any, Any], None] | None = None,
    ) -> bytes:
        """PDF/UA-1 bytes: tagged, language and title set.

        ``finisher(document, pdf)`` edits the pydyf document before it is
        written (the renderer passes :func:`leaflets.pdf.tagging.finish_structure`,
        which puts the footer in the structure tree once); it is a parameter
        because PDF post-processing is a later stage than layout.
        ``identifier`` becomes the first half of the file's ``/ID``; the same
        input gives the same identifier, so rebuilt files compare equal.
        """
        data = document.write_pdf(pdf_variant=PDF_VARIANT, finisher=finisher)
        return with_file_identifier(data, identifier) if identifier else data

    def write_part_pdf(
        self, document: weasyprint.Document, finisher: Callable[[Any, Any], None] | None = None
    ) -> bytes:
        """PDF bytes for a part that is joined into a larger file.

        With ``finisher`` (booklet chunks, cover and contents) the part is
        tagged, its structure tree shaped by the finisher for the booklet to
        merge; without, untagged (the page-number overlays, which are artifacts).
        """
        if finisher is None:
            return document.write_pdf(pdf_tags=False)
        return document.write_pdf(pdf_variant=PDF_VARIANT, finisher=finisher)

    def measure_height(self, html: str, base_url: Path, selector_class: str, language_css: str | None = None) -> float:
        """Height in CSS px of the first box whose element has ``selector_class``.

        The HTML is laid out on a very tall page so nothing splits; used to size
        the page's bottom margin to the footer it must hold.
        """
        document = self.render(html, base_url, ProjectFetcher.for_project(self.project), tagged=False, language_css=language_css)
        box = next(page_boxes(document.pages[0], selector_class), None)
        if box is None:
            raise LookupError(f"no element with class {selector_class!r} in the measured HTML")
        return margin_height(box)


def read_stylesheet(project: Project, path: Path) -> str:
    """A stylesheet's text, read as a bounded regular file inside the project's folders."""
    try:
        return read_regular(path, project.trusted_dirs).decode("utf-8", errors="replace")
    except RefusedFile as exc:
        raise ConfigError(f"stylesheet refused: {exc.reason}", path) from None


def with_file_identifier(data: bytes, identifier: bytes) -> bytes:
    """``data`` (a PDF as WeasyPrint writes it) with ``/ID [identifier, digest of the file]`` in its trailer.

    pydyf can write the ``/ID`` itself, but to hash the file it serialises and
    compresses every object a second time: a sixth of the time it takes to
    write a leaflet. The entry goes into the dictionary of the cross-reference
    stream (or the classic trailer), which comes after every offset the file
    records, so nothing else moves. A file without either is returned as is.
    """
    entry = b"/ID [<" + identifier.hex().encode("ascii") + b"> <" + hashlib.md5(data).hexdigest().encode("ascii") + b">]"
    for marker in (b"/Type /XRef", b"trailer\n<<"):
        at = data.rfind(marker)
        if at != -1:
            end = at + len(marker)
            return data[:end] + entry + data[end:]
    return data
