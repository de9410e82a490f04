"""One leaflet through the pipeline: entry -> sections -> HTML -> laid-out pages -> PDF bytes.

:class:`LeafletRenderer` holds what is shared between entries in a process
(templates, the layout engine and a cache of measured footer heights); each
call turns one entry file into HTML or PDF bytes without touching the disk
beyond reading the entry.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from datetime import date
from typing import Any, Literal, Mapping

import weasyprint
from markupsafe import Markup

from leaflets import __version__
from leaflets.check.rules import refuse_errors
from leaflets.clock import build_time, w3c_datetime
from leaflets.project.config import project_words
from leaflets.project.config import Config
from leaflets.project.paper import paper
from leaflets.project.template_names import PAGE_FOOTER
from leaflets.source.entry import Entry, effective_lang, load_entry
from leaflets.errors import EntryError
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.project.locations import Locations
from leaflets.layout.footer import TOLERANCE_PX, FooterShape, FooterSizer, footer_key, footer_shape, laid_out_height
from leaflets.layout.engine import LayoutEngine
from leaflets.pdf.tagging import finish_structure
from leaflets.source.markdown import ImageAddress, ImagePolicy, RemovedHtml, render_markdown
from leaflets.html.online import QrCodeTooLong, online_link, online_url
from leaflets.project.options import LANGUAGE_STYLESHEET, LEAFLET_TEMPLATE, STYLES_FOLDER, BuildOptions, OutputFormat  # noqa: F401 - re-exported
from leaflets.project.project import Project
from leaflets.source.fields import front_matter_line
from leaflets.source.review import review_of
from leaflets.source.sections import FooterText, LeafletContent, Section, normalise, section_anchors, section_id
from leaflets.source.vocabulary import CANONICAL_LABELS
from leaflets.project.templating import Templates
from leaflets.source.language import base_stem, direction, linked_entry
from leaflets.source.pairing import pair_sections
from leaflets.project.catalogs import gettext_for
from leaflets.project.footer_texts import default_footer_text

MAX_FOOTER_SHARE = 0.4
"""The footer may take at most this share of the page height, or the body has no room."""

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
    parallel: "SectionView | None" = None
    """The same section of the linked entry in a bilingual edition."""


@dataclass
class LeafletRenderer:
    """Turns entries into leaflet HTML and PDF; one per process, reused across entries.

    ``footers`` holds the footer heights this process has laid out, from which
    it predicts the next ones (see :mod:`leaflets.layout.footer`).
    """

    project: Project
    options: BuildOptions = field(default_factory=BuildOptions)
    template: str = LEAFLET_TEMPLATE
    extra_stylesheets: tuple[str, ...] = ()
    """Stylesheets after the options' own (booklets add booklet.css)."""
    commit_dates: Mapping[Path, date | None] = field(default_factory=dict, repr=False)
    """Last commit dates of the entries to build, looked up once for the whole build
    (:func:`leaflets.source.review.last_commit_dates`); others are asked of git one by one."""
    footers: FooterSizer = field(default_factory=FooterSizer, repr=False)

    def __post_init__(self) -> None:
        self.config: Config = self.project.config
        self.templates = Templates(self.project)
        self.paper = paper(self.options.paper)
        self.engine = LayoutEngine(
            self.project, self.options.stylesheets + self.extra_stylesheets, language_position=len(self.options.stylesheets)
        )
        self._language_css: dict[str, str] = {}
        logo = self.project.logo_path
        self.logo_uri = None if logo is None else (
            logo.as_uri() if self.options.format == "html" else Locations.of(self.project).url_or_file(logo)
        )
        """The logo's address: a leaflets:// one in what WeasyPrint lays out (the PDF's bytes must not
        depend on where the project lies), the file itself in HTML output, for a browser to show."""
        self._shapes: dict[str, FooterShape | None] = {}

    def render_file(
        self, path: Path, styles_href: str = STYLES_FOLDER, relative: PurePath | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> RenderedLeaflet:
        """Build the leaflet for the entry at ``path`` in the configured format.

        ``relative`` is the entry's path below the folder it was found in, which
        names its online version when the project sets ``base_url``.
        """
        return self.render_entry(load_entry(path), styles_href, relative, extra)

    def render_entry(
        self, entry: Entry, styles_href: str = STYLES_FOLDER, relative: PurePath | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> RenderedLeaflet:
        """Render ``entry``; HTML output links its stylesheets from ``styles_href``.

        ``extra`` adds template variables for this copy only (the counter's
        patient box); the bytes come back in memory and nothing is written.
        """
        content, context, removed = self.prepare(entry, relative)
        context.update(extra or {})
        if self.options.format == "html":
            hrefs = [f"{styles_href}/{path.name}" for path in self.engine.stylesheet_paths]
            html = self.templates.render(
                self.template, **context, stylesheet_hrefs=hrefs, language_css=self.language_css(context["lang"])
            )
            return RenderedLeaflet(html.encode("utf-8"), content, None, tuple(context["notices"]), removed)
        laid_out = self.lay_out(content, context, removed)
        identifier = hashlib.md5(laid_out.html.encode("utf-8")).digest()
        data = self.engine.write_pdf(laid_out.document, identifier, finisher=finish_structure)
        return RenderedLeaflet(data, content, len(laid_out.document.pages), laid_out.warnings, removed)

    def prepare(
        self, entry: Entry, relative: PurePath | None = None
    ) -> tuple[LeafletContent, dict[str, Any], tuple[RemovedHtml, ...]]:
        """Sections and template variables for ``entry``; raises for errors that must not print."""
        content = normalise(entry, project_words(self.config))
        refuse_errors(content, self.config)
        context, removed = self.context(content, relative)
        return content, context, removed

    def lay_out(
        self, content: LeafletContent, context: dict[str, Any], removed: tuple[RemovedHtml, ...] = ()
    ) -> "LaidOutLeaflet":
        """Pages of ``content`` before they become PDF bytes (booklets read positions off them)."""
        entry = content.entry
        fetcher = ProjectFetcher.for_project(self.project, entry.path)
        document, html = self.lay_out_page(self.template, context, entry.path, fetcher, _footer_line(content))
        warnings = tuple(self.engine.take_refusals()) + tuple(context.get("notices", ())) + tuple(
            f"{entry.path}: warning: {reason}" for reason in dict.fromkeys(fetcher.refused)
        )
        return LaidOutLeaflet(document, html, warnings)

    def lay_out_page(
        self, template: str, context: dict[str, Any], source: Path, fetcher: ProjectFetcher,
        error_line: int | None = None,
    ) -> tuple[weasyprint.Document, str]:
        """Lay out ``template``, and again if the footer came out another height than the margin left for it.

        ``context`` comes from :meth:`page_context`, whose footer height may
        be a prediction; the laid-out pages have the last word. A footer whose
        height depends on the page count is given the tallest height seen.
        """
        key = footer_key(context)
        for attempt in range(3):
            html = self.templates.render(template, **context, stylesheet_hrefs=[], language_css="")
            document = self.engine.render(html, source.resolve().parent, fetcher, language_css=self.language_css(context["lang"]))
            planned, actual = context["footer_height"], laid_out_height(document)
            if actual is None or abs(actual - planned) <= TOLERANCE_PX or (attempt and actual < planned):
                break
            self._check_footer_fits(actual, source, error_line)
            self.footers.stats.relaid += 1
            context = {**context, "footer_height": actual if attempt == 0 else max(actual, planned)}
        else:
            raise RuntimeError(f"the footer grew each time the page was laid out again ({actual:.1f} px)")
        if actual is not None:
            self.footers.learn(key, actual, self._shapes.pop(key, None), document)
        return document, html

    def context(
        self, content: LeafletContent, relative: PurePath | None = None
    ) -> tuple[dict[str, Any], tuple[RemovedHtml, ...]]:
        """Template variables for ``content``, with the footer sized to fit its text."""
        entry = content.entry
        removed: list[RemovedHtml] = []
        notices: list[str] = []
        policy = functools.partial(_image_policy, self.project, entry.path)
        address = None if self.options.format == "html" else functools.partial(
            _image_address, self.project, Locations.of(self.project, entry.path), entry.path
        )
        lang = effective_lang(entry, self.config.lang)
        rtl = direction(lang) == "rtl"
        partner = self._partner(content, lang)
        sections = []
        pairs: list[tuple[Section | None, Section | None]] = (
            [(section, None) for section in content.sections] if partner is None else pair_sections(content, partner)
        )
        partner_rtl = partner is not None and direction(effective_lang(partner.entry, self.config.lang)) == "rtl"
        anchors = section_anchors(pairs)
        for index, (section, other) in enumerate(pairs):
            parallel = None
            if other is not None and partner is not None:
                parallel = self._section_view(
                    other, index, partner_rtl, removed, notices, policy, partner.entry.path, anchors, address,
                )
            if section is None:
                assert other is not None
                view = SectionView(other.key, section_id(index, other), "", "", other.known, Markup(""), parallel)
            else:
                view = self._section_view(section, index, rtl, removed, notices, policy, entry.path, anchors, address)
                view = SectionView(view.key, view.id, view.label, view.qualifier, view.known, view.html, parallel)
            sections.append(view)
        disclaimer = self._footer_html(
            content.disclaimer, self.default_text("disclaimer", lang), removed, notices, policy, entry.path, rtl, address,
        )
        note = self._footer_html(
            content.note, self.default_text("note", lang), removed, notices, policy, entry.path, rtl, address,
        )
        review = review_of(entry, self.config.review_period_years, build_time().date(), self.commit_dates)
        context = self.page_context(
            entry.title, lang, disclaimer, note, entry.path, error_line=_footer_line(content), review=review,
        )
        try:
            context["online"] = online_link(online_url(entry, self.config.base_url, self._url_path(entry, relative)))
        except QrCodeTooLong as exc:
            line = front_matter_line(entry, "url") if "url" in entry.metadata else None
            notices.append(f"{entry.path}:{line or 1}: warning: {exc}")
        context["sections"] = sections
        context["notices"] = notices
        context["parallel"] = self._parallel_context(partner) if partner is not None else None
        return context, tuple(removed)

    def _section_view(
        self, section: Section, index: int, rtl: bool, removed: list[RemovedHtml], notices: list[str],
        policy: ImagePolicy, path: Path, anchors: Mapping[str, str], address: ImageAddress | None = None,
    ) -> SectionView:
        rendered = render_markdown(
            section.markdown, section.line, section.heading_level, policy, rtl, anchors, image_address=address,
        )
        removed.extend(rendered.removed)
        notices.extend(f"{path}:{dropped.line}: warning: {dropped.message}" for dropped in rendered.dropped)
        return SectionView(
            section.key, section_id(index, section), section.label, section.qualifier, section.known, rendered.html,
        )

    def _partner(self, content: LeafletContent, lang: str) -> LeafletContent | None:
        """In a bilingual edition, the linked entry in the second language, checked as strictly as the first."""
        second = self.options.bilingual
        if not second:
            return None
        path = linked_entry(content.entry.path, second, lang, self.config.lang)
        if path is None:
            raise EntryError(
                f"no {second} entry to pair with for the bilingual edition "
                f"(expected {base_stem(content.entry.path)}.{second}{content.entry.path.suffix} beside it)",
                content.entry.path, code="bad-entry",
            )
        partner = normalise(load_entry(path), project_words(self.config))
        refuse_errors(partner, self.config)
        return partner

    def _parallel_context(self, partner: LeafletContent) -> dict[str, Any]:
        """What the template needs of the second language: its tag, direction, title and section labels."""
        lang = effective_lang(partner.entry, self.config.lang)
        translate = gettext_for(self.project.root, lang)
        return {
            "lang": lang,
            "dir": direction(lang),
            "title": partner.entry.title,
            "labels": {key: translate(label) for key, label in CANONICAL_LABELS.items()},
        }

    def page_context(
        self, title: str, lang: str, disclaimer: Markup, note: Markup, source: Path,
        error_line: int | None = None, review: Any = None,
    ) -> dict[str, Any]:
        """Variables every page template needs (base.html and the footer), the footer's height planned.

        ``source`` is the file the page is made from: relative URLs resolve
        beside it and a footer too tall to fit is reported against it.
        ``review`` is the entry's review dates; pages of no entry have none.
        """
        built = build_time()
        context: dict[str, Any] = {
            "title": title,
            "lang": lang,
            "author": self.config.author or self.config.organisation,
            "organisation": self.config.organisation,
            "description": "",
            "version": __version__,
            "created": w3c_datetime(built),
            "printed": built.date(),
            "review": review,
            "online": None,
            "logo": self.logo_uri,
            "contact": self.config.contact,
            "paper": self.paper,
            "disclaimer": disclaimer,
            "note": note,
            "patient": None,
        }
        context["footer_height"] = self._footer_height(context, source, error_line)
        context["measure"] = False
        return context

    def language_css(self, lang: str) -> str:
        """The generated stylesheet of ``lang`` (templates/language.css rendered with its catalog), once per process."""
        css = self._language_css.get(lang)
        if css is None:
            css = self.templates.render(LANGUAGE_STYLESHEET, lang=lang, direction=direction(lang))
            self._language_css[lang] = css
        return css

    def default_text(self, kind: Literal["disclaimer", "note"], lang: str) -> str:
        """The disclaimer or note (Markdown) an entry in ``lang`` without its own gets."""
        return default_footer_text(self.config, self.project.root, kind, lang)

    def default_footer(self, lang: str | None = None) -> tuple[Markup, Markup]:
        """The disclaimer and note from settings, as HTML, for pages that belong to no entry."""
        lang = lang or self.config.lang
        return (
            render_markdown(self.default_text("disclaimer", lang)).html,
            render_markdown(self.default_text("note", lang)).html,
        )

    def _url_path(self, entry: Entry, relative: PurePath | None) -> PurePath | None:
        """Entries under the project's entries/ keep that path online however the build was started."""
        try:
            return entry.path.resolve().relative_to(self.project.entries_dir.resolve())
        except ValueError:
            return relative

    def _footer_html(
        self, text: FooterText | None, default: str, removed: list[RemovedHtml],
        notices: list[str] | None = None, policy: ImagePolicy | None = None, path: Path | None = None, rtl: bool = False,
        address: ImageAddress | None = None,
    ) -> Markup:
        """The footer text as HTML; what does not print as written is added to ``notices`` against ``path``."""
        if text is None:
            return render_markdown(default, rtl=rtl).html
        rendered = render_markdown(text.markdown, text.line, image_policy=policy, rtl=rtl, image_address=address)
        removed.extend(rendered.removed)
        if notices is not None and path is not None:
            notices.extend(f"{path}:{dropped.line}: warning: {dropped.message}" for dropped in rendered.dropped)
        return rendered.html

    def _footer_height(self, context: dict[str, Any], source: Path, error_line: int | None) -> float:
        """The height to leave for the footer: known, predicted, or else laid out alone and measured.

        :meth:`lay_out_page` checks it against the laid-out pages.
        """
        key = footer_key(context)
        known = self.footers.known(key)
        if known is not None:
            self.footers.stats.known += 1
            return known
        measuring = self.templates.render(
            self.template, **{**context, "measure": True, "footer_height": 0, "stylesheet_hrefs": [], "language_css": ""}
        )
        shape = footer_shape(measuring)
        self._shapes = {key: shape}  # for lay_out_page to learn from; one entry at a time
        predicted = self.footers.predict(shape)
        if predicted is not None and predicted <= self._footer_limit():
            self.footers.stats.predicted += 1
            return predicted
        self.footers.stats.measured += 1
        height = self.engine.measure_height(
            measuring, source.resolve().parent, PAGE_FOOTER, self.language_css(context["lang"])
        )
        self._check_footer_fits(height, source, error_line)
        return height

    def _footer_limit(self) -> float:
        return self.paper.height_px * MAX_FOOTER_SHARE

    def _check_footer_fits(self, height: float, source: Path, error_line: int | None) -> None:
        if height > self._footer_limit():
            raise EntryError(
                f"disclaimer and note are too long to fit in the page footer "
                f"({height * 25.4 / 96:.0f} mm of {self.paper.height_px * 25.4 / 96:.0f} mm page height)",
                source,
                error_line,
                code="footer-too-long",
            )


def _image_policy(project: Project, entry: Path, src: str) -> str | None:
    return project.image_refusal(src, entry)


def _image_address(project: Project, locations: Locations, entry: Path, src: str) -> str:
    """Where an image the policy let through prints from: its leaflets:// address (``data:`` as written)."""
    path = project.image_file(src, entry)
    return src if path is None else locations.url_or_file(path)


def _footer_line(content: LeafletContent) -> int | None:
    """The line an error about the footer points at: the entry's own disclaimer, if it has one."""
    return content.entry.body_line if content.disclaimer else None
