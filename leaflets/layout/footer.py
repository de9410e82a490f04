"""Sizing the page's bottom margin to the footer it holds: the disclaimer must never overlap the text.

CSS gives a page-margin box the height of the page margin, not of its content,
so the margin has to be set to the footer's height before the leaflet is laid
out. Corpus entries carry their own disclaimers, so almost every footer is
new; laying each one out alone first cost about a tenth of the build. Instead,
:class:`FooterSizer` predicts the height from the last laid-out footer of the
same shape (same paragraphs, same wording outside the disclaimer and note),
counting the lines of the new text with :mod:`leaflets.layout.linecount`. The caller
lays the leaflet out with that height, reads the real footer height off every
laid-out page (:func:`laid_out_height`) and lays it out again when they differ:
the prediction decides the speed, the laid-out pages decide the result.

A footer with no laid-out footer of its shape to go by (the first one in a
process, or one holding lists, images or mixed type sizes) is laid out alone
and measured, as before.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Iterator

from leaflets.layout.linecount import LineCounter, StyledText, line_counter
from leaflets.layout.weasy import (
    box_height, box_text, children, computed, computed_style, content_box, element_tag, is_box, iter_boxes, margin_boxes,
    margin_height,
)
from leaflets.project.template_names import PAGE_FOOTER

FOOTER_CLASS = PAGE_FOOTER
TOLERANCE_PX = 0.01
"""Heights closer than this are the same: a hundredth of a CSS pixel is far below a printer dot."""

FOOTER_KEY_FIELDS = ("disclaimer", "note", "organisation", "lang", "review", "printed")
"""Template variables that decide what the footer says; equal values give an equal height."""


def footer_key(context: dict[str, Any]) -> str:
    """What makes two footers the same, read from the template variables (a digest: a worker sees thousands)."""
    text = "\x00".join(str(context[name]) for name in FOOTER_KEY_FIELDS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def laid_out_height(document: Any) -> float | None:
    """The tallest footer on any laid-out page (page numbers can make a later footer taller)."""
    heights = [margin_height(box) for page in document.pages for box in _footer_boxes(page)]
    return max(heights) if heights else None


@dataclass(frozen=True)
class FooterShape:
    """A footer as the HTML gives it: its block structure and the text of each paragraph."""

    signature: tuple[str, ...]
    paragraphs: tuple[StyledText, ...]


_BOLD = {"strong", "b"}
_ITALIC = {"em", "i"}
_PLAIN_INLINE = {"span", "time", "a", "abbr"}
_CONTAINERS = {"div", "footer"}
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_HTML_LANG = re.compile(r"<html[^>]*\slang=\"([^\"]*)\"")
_VOID = {"br", "img", "hr", "wbr", "input", "meta", "link"}


class _FooterParser(HTMLParser):
    """Reads the footer element into a :class:`FooterShape`, or notes that it cannot be predicted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.signature: list[str] = []
        self.paragraphs: list[StyledText] = []
        self.unpredictable = False
        self._text: list[str] | None = None
        self._runs: list[tuple[int, int, bool, bool]] = []
        self._styles: list[tuple[bool, bool]] = []
        self._run_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if not self.depth:
            if FOOTER_CLASS in classes:
                self.depth = 1
                self.signature.append(f"{tag}.{'.'.join(classes)}")
            return
        if tag in _VOID:
            self.unpredictable = True
            return
        self.depth += 1
        if self._text is not None:
            if tag in _BOLD or tag in _ITALIC:
                self._close_run()
                bold, italic = self._styles[-1] if self._styles else (False, False)
                self._styles.append((bold or tag in _BOLD, italic or tag in _ITALIC))
            elif tag in _PLAIN_INLINE:
                self._styles.append(self._styles[-1] if self._styles else (False, False))
            else:
                self.unpredictable = True
                self._styles.append((False, False))
            return
        if tag == "p":
            self.signature.append(f"p.{'.'.join(classes)}")
            self._text, self._runs, self._styles, self._run_start = [], [], [], 0
        elif tag in _CONTAINERS:
            self.signature.append(f"{tag}.{'.'.join(classes)}(")
        else:
            self.unpredictable = True

    def handle_endtag(self, tag: str) -> None:
        if not self.depth or tag in _VOID:
            return
        self.depth -= 1
        if self._text is not None:
            if tag == "p":
                self._close_run()
                text = "".join(self._text)
                stripped = text.lstrip(" ")
                offset = len(text) - len(stripped)
                stripped = stripped.rstrip(" ")
                runs = tuple(
                    (max(0, start - offset), min(len(stripped), end - offset), bold, italic)
                    for start, end, bold, italic in self._runs
                    if min(len(stripped), end - offset) > max(0, start - offset)
                )
                self.paragraphs.append(StyledText(stripped, runs))
                self._text = None
            elif self._styles:
                if tag in _BOLD or tag in _ITALIC:
                    self._close_run()
                self._styles.pop()
            return
        if tag in _CONTAINERS and self.depth:
            self.signature.append(")")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            return
        collapsed = _WHITESPACE.sub(" ", data)
        if self._text is None:
            if collapsed.strip():
                self.unpredictable = True
            return
        if collapsed.startswith(" ") and self._text and self._text[-1].endswith(" "):
            collapsed = collapsed[1:]
        if not self._text and collapsed.startswith(" "):
            collapsed = collapsed[1:]
        self._text.append(collapsed)

    def _close_run(self) -> None:
        assert self._text is not None
        end = sum(len(part) for part in self._text)
        bold, italic = self._styles[-1] if self._styles else (False, False)
        if end > self._run_start and (bold or italic):
            self._runs.append((self._run_start, end, bold, italic))
        self._run_start = end


def footer_shape(html: str) -> FooterShape | None:
    """The footer in ``html`` as paragraphs of styled text, or None when lines can't be predicted from it.

    The document's language is part of the shape: another language sets the footer in other
    fonts (and labels), so its lines are only predicted from a footer in the same language.
    """
    parser = _FooterParser()
    parser.feed(html)
    parser.close()
    if parser.unpredictable or not parser.signature:
        return None
    lang = _HTML_LANG.search(html)
    return FooterShape((f"lang={lang.group(1) if lang else ''}", *parser.signature), tuple(parser.paragraphs))


@dataclass(frozen=True)
class _LaidOutParagraph:
    """One footer paragraph as laid out: its lines, or None for a paragraph not made of plain lines."""

    text: str
    lines: int | None
    line_height: float
    width: float
    prefix: StyledText
    counter: LineCounter | None


@dataclass(frozen=True)
class _Reference:
    height: float
    paragraphs: tuple[_LaidOutParagraph, ...]


@dataclass
class FooterStats:
    """How footer heights were found, for benchmarks: predicted right, predicted wrong, measured."""

    predicted: int = 0
    relaid: int = 0
    measured: int = 0
    known: int = 0


@dataclass
class FooterSizer:
    """Footer heights for one process: exact ones seen before, and predictions for new footers."""

    heights: dict[str, float] = field(default_factory=dict)
    stats: FooterStats = field(default_factory=FooterStats)
    _references: dict[tuple[str, ...], _Reference] = field(default_factory=dict)
    _learning: bool = True
    """False once counting lines has failed: every new footer is then measured by layout."""

    def known(self, key: str) -> float | None:
        """The laid-out height of a footer seen before."""
        return self.heights.get(key)

    def predict(self, shape: FooterShape | None) -> float | None:
        """The height of a new footer from the last laid-out footer of its shape, or None."""
        if shape is None:
            return None
        reference = self._references.get(shape.signature)
        if reference is None or len(reference.paragraphs) != len(shape.paragraphs):
            return None
        height = reference.height
        for laid_out, paragraph in zip(reference.paragraphs, shape.paragraphs):
            if laid_out.lines is None or laid_out.counter is None:
                if paragraph.text != laid_out.text:
                    return None
                continue
            try:
                lines = laid_out.counter.count(_joined(laid_out.prefix, paragraph), laid_out.width)
            except Exception:  # noqa: BLE001 - Pango below WeasyPrint's API: measure by layout instead
                self._references.clear()
                self._learning = False
                return None
            height += (lines - laid_out.lines) * laid_out.line_height
        return height

    def learn(self, key: str, height: float, shape: FooterShape | None, document: Any) -> None:
        """Remember a footer's laid-out height and, the first time, its shape as the reference to predict from."""
        self.heights[key] = height
        if not self._learning or shape is None or shape.signature in self._references:
            return
        footer = next((box for page in document.pages[:1] for box in _footer_boxes(page)), None)
        if footer is None:
            return
        boxes = list(_paragraph_boxes(footer))
        if len(boxes) != len(shape.paragraphs) or abs(margin_height(footer) - height) > TOLERANCE_PX:
            return
        paragraphs = []
        for box, paragraph in zip(boxes, shape.paragraphs):
            laid_out = _laid_out_paragraph(box, paragraph)
            if laid_out is None:
                return
            paragraphs.append(laid_out)
        self._references[shape.signature] = _Reference(height, tuple(paragraphs))


def _joined(prefix: StyledText, paragraph: StyledText) -> StyledText:
    if not prefix.text:
        return paragraph
    shift = len(prefix.text)
    runs = prefix.runs + tuple((start + shift, end + shift, bold, italic) for start, end, bold, italic in paragraph.runs)
    return StyledText(prefix.text + paragraph.text, runs)


def _footer_boxes(page: Any) -> Iterator[Any]:
    """The running footer on a laid-out page: it lives in a margin box, so the body is not searched."""
    for box in margin_boxes(page):
        yield from iter_boxes(box, FOOTER_CLASS)


def _paragraph_boxes(box: Any) -> Iterator[Any]:
    """The boxes of ``p`` elements in the footer, in document order."""
    for child in children(box):
        if element_tag(child) == "p":
            yield child
        elif not is_box(child, "LineBox") and not is_box(child, "TextBox"):
            yield from _paragraph_boxes(child)


def _laid_out_paragraph(box: Any, paragraph: StyledText) -> _LaidOutParagraph | None:
    """What a laid-out paragraph box tells about predicting its siblings-to-be; None if it can't be read."""
    lines = children(box)
    if not is_box(box, "BlockBox") or not lines or any(not is_box(line, "LineBox") for line in lines):
        return _LaidOutParagraph(paragraph.text, None, 0.0, 0.0, StyledText(""), None)
    heights = {round(box_height(line), 3) for line in lines}
    text_box = next(_text_boxes(box, pseudo=False), None)
    if len(heights) != 1 or text_box is None:
        return None
    counter = line_counter(computed_style(text_box))
    if counter is None:
        return None
    prefix = StyledText("")
    generated = next(_text_boxes(lines[0], pseudo=True), None)
    if generated is not None:
        text = box_text(generated)
        bold = int(computed(generated, "font_weight")) >= 600
        italic = computed(generated, "font_style") != "normal"
        prefix = StyledText(text, ((0, len(text), bold, italic),) if bold or italic else ())
    return _LaidOutParagraph(paragraph.text, len(lines), heights.pop(), content_box(box)[2], prefix, counter)


def _text_boxes(box: Any, pseudo: bool, inside_pseudo: bool = False) -> Iterator[Any]:
    """Text boxes inside generated content (``pseudo``) or inside the element's own content."""
    inside_pseudo = inside_pseudo or element_tag(box).endswith("::before")
    if is_box(box, "TextBox"):
        if inside_pseudo == pseudo:
            yield box
        return
    for child in children(box):
        yield from _text_boxes(child, pseudo, inside_pseudo)
