"""Markdown to safe HTML: CommonMark plus tables, raw HTML cut to an inline allowlist.

Entries are written by others, so raw HTML in them is untrusted: only a few
inline tags that carry meaning in medicine text (``<sub>``, ``<sup>``,
emphasis, ``<br>``) survive, without attributes. Everything else is dropped,
and each removal is recorded with its line so ``leaflets check`` can name it.
nh3 (the Ammonia sanitizer) then cleans the whole result once more, so a bug
here cannot let markup through that the allowlist does not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

INLINE_HTML_ALLOWED = frozenset({"sub", "sup", "em", "i", "strong", "b", "br"})

_MARKDOWN_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "hr", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "strong", "em", "br", "s",
})
_ALLOWED_TAGS = _MARKDOWN_TAGS | INLINE_HTML_ALLOWED | {"span"}
_ALLOWED_ATTRIBUTES = {
    "p": {"class"},
    "span": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
_TAG = re.compile(r"^<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:\s[^>]*)?/?>$", re.S)
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")

_COMPOUND = re.compile(r"\w+(?:-\w+)+")
"""Hyphenated words and ranges ("β-lactamase", "1-2 tablets"): kept on one line."""
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]")
"""Chinese, Japanese and Korean characters: text in them breaks between characters, so a run of them is never
held on one line (it would have no place to break)."""
_MAX_UNBROKEN = 30

_LATIN_RUN = re.compile(
    r"(?:\d+(?:[.,]\d+)*[ \u00a0]?)?[A-Za-z][A-Za-z0-9.%/+\-]*(?:[ \u00a0]+[A-Za-z0-9][A-Za-z0-9.%/+\-]*)*[A-Za-z0-9%]?"
    r"|\d+(?:[.,]\d+)*[ \u00a0]?(?:%|[-–]\d+(?:[.,]\d+)*)",
)
"""Latin words, doses and ranges inside right-to-left text ("500 mg", "Paracetamol", "1-2", "5%")."""
FSI, PDI = "\u2068", "\u2069"
"""Unicode's first-strong isolate and its closing mark: the run between them is laid out in its own
direction, so "500 mg" or "vitamin B12" reads the same inside Arabic text as alone (Pango/FriBidi
apply the isolates within a line; they print nothing)."""

_parser = MarkdownIt("commonmark", {"html": True}).enable("table")


@dataclass(frozen=True)
class RemovedHtml:
    """Raw HTML that the sanitizer took out of an entry."""

    tag: str
    line: int


@dataclass(frozen=True)
class RenderedMarkdown:
    html: Markup
    removed: tuple[RemovedHtml, ...] = field(default_factory=tuple)
    text: str = ""
    """Plain text of the rendered Markdown, for readability and coverage checks."""


def render_markdown(source: str, first_line: int = 1, heading_level: int = 2, rtl: bool = False) -> RenderedMarkdown:
    """Render ``source`` (whose first line is file line ``first_line``).

    ``heading_level`` is the level of the heading that opened the section; nested
    headings are shifted so they sit below the section's own ``<h2>``. ``rtl``
    (text in a right-to-left language) isolates Latin runs, numbers and doses.
    """
    tokens = _parser.parse(source)
    removed: list[RemovedHtml] = []
    tokens = _sanitise_tokens(tokens, first_line, removed)
    _shift_headings(tokens, heading_level)
    _mark_lead_in_paragraphs(tokens)
    _keep_compounds_whole(tokens)
    if rtl:
        _isolate_latin_runs(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(html, tags=set(_ALLOWED_TAGS), attributes=_ALLOWED_ATTRIBUTES, link_rel=None)
    return RenderedMarkdown(Markup(clean), tuple(removed), _plain_text(tokens))


def _line_of(token: Token, first_line: int) -> int:
    return first_line + (token.map[0] if token.map else 0)


def _sanitise_tokens(tokens: list[Token], first_line: int, removed: list[RemovedHtml]) -> list[Token]:
    result: list[Token] = []
    for token in tokens:
        line = _line_of(token, first_line)
        if token.type == "html_block":
            result.extend(_html_block_as_paragraph(token, line, removed))
            continue
        if token.type == "inline" and token.children:
            token.children = [_sanitise_inline(child, line, removed) for child in token.children]
        result.append(token)
    return result


def _sanitise_inline(token: Token, line: int, removed: list[RemovedHtml]) -> Token:
    if token.type != "html_inline":
        return token
    match = _TAG.match(token.content.strip())
    if match and match.group("name").lower() in INLINE_HTML_ALLOWED:
        name = match.group("name").lower()
        token.content = f"<{match.group('close')}{name}>"
        return token
    name = match.group("name").lower() if match else "comment" if token.content.startswith("<!--") else "html"
    if not (match and match.group("close")):
        removed.append(RemovedHtml(name, line))
    token.content = ""
    return token


def _html_block_as_paragraph(token: Token, line: int, removed: list[RemovedHtml]) -> list[Token]:
    """Keep the text of a raw HTML block (with allowed inline tags) as a paragraph."""
    for close, name in _ANY_TAG.findall(token.content):
        if not close and name.lower() not in INLINE_HTML_ALLOWED:
            removed.append(RemovedHtml(name.lower(), line))
    if "<!--" in token.content:
        removed.append(RemovedHtml("comment", line))
    text = nh3.clean(token.content, tags=set(INLINE_HTML_ALLOWED), attributes={}).strip()
    if not text:
        return []
    inline = Token("inline", "", 0, map=token.map, content=text)
    inline.children = [Token("html_inline", "", 0, content=text)]
    return [
        Token("paragraph_open", "p", 1, map=token.map, block=True),
        inline,
        Token("paragraph_close", "p", -1, block=True),
    ]


def _keep_compounds_whole(tokens: list[Token]) -> None:
    """Wrap hyphenated words in ``<span class="nowrap">``.

    A line break after the hyphen of "1-2 tablets" misleads a reader, and text
    extraction (pdftotext, viewers' search) joins "β-" + "lactamase" into
    "βlactamase", so a search for the word fails.
    """
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        for child in token.children:
            if child.type != "text" or "-" not in child.content:
                children.append(child)
                continue
            position = 0
            for match in _COMPOUND.finditer(child.content):
                if len(match.group()) > _MAX_UNBROKEN or _WIDE.search(match.group()):
                    continue
                between = child.content[position:match.start()]
                if position and not between.strip():
                    # A space alone between two spans is laid out but never drawn, so
                    # text extraction would run the words together: keep it in the span.
                    children.insert(-1, Token("text", "", 0, content=between))
                else:
                    children.append(Token("text", "", 0, content=between))
                children.append(Token("html_inline", "", 0, content='<span class="nowrap">'))
                children.append(Token("text", "", 0, content=match.group()))
                children.append(Token("html_inline", "", 0, content="</span>"))
                position = match.end()
            children.append(Token("text", "", 0, content=child.content[position:]))
        token.children = [c for c in children if c.type != "text" or c.content]


def _isolate_latin_runs(tokens: list[Token]) -> None:
    """Put each Latin run of right-to-left text between FSI and PDI (see :data:`FSI`)."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            if child.type == "text" and child.content:
                child.content = _LATIN_RUN.sub(lambda match: f"{FSI}{match.group()}{PDI}", child.content)


def isolate_latin(text: str) -> str:
    """``text`` with its Latin runs isolated, for right-to-left text outside Markdown (titles)."""
    return _LATIN_RUN.sub(lambda match: f"{FSI}{match.group()}{PDI}", text)


def _shift_headings(tokens: list[Token], heading_level: int) -> None:
    base = heading_level or 2
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1])
            token.tag = f"h{min(6, max(3, level - base + 2))}"


def _mark_lead_in_paragraphs(tokens: list[Token]) -> None:
    """Class paragraphs that are only bold text (``**Common side effects:**``).

    Entries use them as headings, so the stylesheet keeps them with what follows.
    """
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type != "paragraph_open" or inline.type != "inline" or not inline.children:
            continue
        kinds = [c.type for c in inline.children if not (c.type == "text" and not c.content.strip(" :"))]
        if len(kinds) >= 3 and kinds[0] == "strong_open" and kinds[-1] == "strong_close" and kinds.count("strong_open") == 1:
            opening.attrSet("class", "lead-in")


def _plain_text(tokens: list[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            parts.append("".join(
                " " if c.type in ("softbreak", "hardbreak") else c.content.replace(FSI, "").replace(PDI, "")
                for c in token.children
                if c.type in ("text", "code_inline", "softbreak", "hardbreak")
            ))
        elif token.type in ("paragraph_close", "heading_close", "list_item_close", "th_close", "td_close"):
            parts.append("\n")
    return re.sub(r"\n{2,}", "\n", "".join(parts)).strip()
