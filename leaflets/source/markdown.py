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
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from leaflets.source.scripts import UNSPACED, extends_cluster

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
_UNSPACED_CHAR = re.compile(f"[{UNSPACED}]")
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
_MAX_NESTING = int(_parser.options["maxNesting"])
"""Block nesting markdown-it follows (a list item is two levels: list and item); deeper text is left out."""
_probe = MarkdownIt("commonmark", {"html": True, "maxNesting": _MAX_NESTING + 4}).enable("table")

MAX_INLINE_DEPTH = 10
"""Emphasis, links and inline tags nested deeper than this print plain: a thousand nested ``*`` would
otherwise exhaust the layout engine's recursion."""
MAX_TABLE_COLUMNS = 10
"""Columns a table can have and still fit across the page at body size."""
KEPT_TABLE_COLUMNS = 2 * MAX_TABLE_COLUMNS
"""Columns kept of a wider table (the rest are cut off the page anyway): a table of thousands of
columns would otherwise keep the layout engine busy for minutes."""
MAX_WORD = 60
"""Characters in one word beyond which it cannot fit on a line and is broken across lines."""

_NESTING_HINTS = ("\n" + " " * 12, "\n\t\t\t", ">>>", "> > >", "* * *", "- - -", "+ + +", ". 1.", ") 1)", "* 1.", "> *", "> -")
"""Text that deep lists or quotes cannot do without (three markers in a row, or deep indentation)."""
_RUN_HINTS = ("****", "____", "~~~~", "[[[[", "<<<<", "|")
_TAG_START = re.compile(r"<\w")

ImagePolicy = Callable[[str], "str | None"]
"""Given an image's address as written, the reason it may not be embedded, or None."""
ImageAddress = Callable[[str], str]
"""Given the address of an image the policy let through, as written, the address to print it from."""


@dataclass(frozen=True)
class RemovedHtml:
    """Raw HTML that the sanitizer took out of an entry."""

    tag: str
    line: int


@dataclass(frozen=True)
class Dropped:
    """Something in the Markdown that does not print as written (left out, flattened, cut or refused)."""

    line: int
    message: str
    broken_link: bool = False
    """A ``#name`` link that names no section (``check`` reports these as ``broken-link``)."""


@dataclass(frozen=True)
class RenderedMarkdown:
    html: Markup
    removed: tuple[RemovedHtml, ...] = field(default_factory=tuple)
    dropped: tuple[Dropped, ...] = field(default_factory=tuple)
    text: str = ""
    """Plain text of the rendered Markdown, for readability and coverage checks."""


def might_drop(source: str) -> bool:
    """A cheap test: could :func:`render_markdown` report anything as dropped for ``source``?

    ``leaflets check`` renders a section only when this says yes.
    """
    text = "\n" + source
    if any(hint in text for hint in _NESTING_HINTS) or any(hint in text for hint in _RUN_HINTS):
        return True
    if "<" in source and _TAG_START.search(source):
        return True
    markers = 2 * MAX_INLINE_DEPTH
    if sum(source.count(marker) for marker in "*_~") > markers and any(
        sum(line.count(marker) for marker in "*_~") > markers for line in source.split("\n")
    ):
        return True
    return _LONG_WORD.search(source) is not None


def render_markdown(
    source: str, first_line: int = 1, heading_level: int = 2, image_policy: ImagePolicy | None = None, rtl: bool = False,
    anchors: Mapping[str, str] | None = None, image_address: ImageAddress | None = None,
) -> RenderedMarkdown:
    """Render ``source`` (whose first line is file line ``first_line``).

    ``heading_level`` is the level of the heading that opened the section; nested
    headings are shifted so they sit below the section's own ``<h2>``.
    ``image_policy`` refuses images (remote, outside the project, not a
    regular file); a refused image is replaced by its alternative text.
    ``image_address`` rewrites the address of every image let through (the
    renderer's location-independent ``leaflets://`` addresses); it needs a policy.
    ``rtl`` (text in a right-to-left language) isolates Latin runs, numbers and doses.
    ``anchors`` maps the names a link may use for a section of this entry (see
    :func:`anchor_key`) to that section's id: ``[the dose](#dosage)`` or
    ``(#dosis)`` lead to the section, whatever its position; a ``#name`` link
    that matches none is reported.
    What does not print as written is listed in ``dropped``.
    """
    tokens = _parser.parse(source)
    removed: list[RemovedHtml] = []
    dropped: list[Dropped] = []
    _report_deep_nesting(source, tokens, first_line, dropped)
    tokens = _sanitise_tokens(tokens, first_line, removed)
    _limit_inline_depth(tokens, first_line, dropped)
    _report_wide_tables(tokens, first_line, dropped)
    tokens = _cut_wide_tables(tokens)
    _break_long_words(tokens, first_line, dropped)
    schemes: set[str] = set()
    if image_policy is not None:
        schemes = _refuse_images(tokens, first_line, image_policy, dropped, image_address)
    if anchors is not None:
        _resolve_internal_links(tokens, first_line, anchors, dropped)
    _shift_headings(tokens, heading_level)
    _mark_lead_in_paragraphs(tokens)
    _keep_compounds_whole(tokens)
    if rtl:
        _isolate_latin_runs(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(
        html, tags=set(_ALLOWED_TAGS), attributes=_ALLOWED_ATTRIBUTES, link_rel=None,
        url_schemes=set(nh3.ALLOWED_URL_SCHEMES) | schemes,
    )
    return RenderedMarkdown(Markup(clean), tuple(removed), tuple(dropped), _plain_text(tokens))


def _report_deep_nesting(source: str, tokens: list[Token], first_line: int, dropped: list[Dropped]) -> None:
    """markdown-it stops reading a block nested past its limit, and leaves the rest out without a word."""
    if not tokens or max(token.level for token in tokens) < _MAX_NESTING - 1:
        return
    deeper = _probe.parse(source)
    if max(token.level for token in deeper) < _MAX_NESTING:
        return
    token = next(token for token in deeper if token.level >= _MAX_NESTING - 1)
    dropped.append(Dropped(
        _line_of(token, first_line),
        f"lists or quotes nested more than {_MAX_NESTING // 2} levels deep: the text from here on is left out",
    ))


_INLINE_PAIRS = {"strong_open": 1, "em_open": 1, "s_open": 1, "link_open": 1,
                 "strong_close": -1, "em_close": -1, "s_close": -1, "link_close": -1}


def _limit_inline_depth(tokens: list[Token], first_line: int, dropped: list[Dropped]) -> None:
    """Print emphasis, links and inline tags nested past :data:`MAX_INLINE_DEPTH` as plain text."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        depth = 0
        flattened: list[int] = []  # depths at which an opening was flattened, innermost last
        reported = False
        kept: list[Token] = []
        for child in token.children:
            step = _INLINE_PAIRS.get(child.type, child.nesting if child.tag in INLINE_HTML_ALLOWED else 0)
            if step > 0:
                depth += 1
                if depth > MAX_INLINE_DEPTH:
                    flattened.append(depth)
                    if not reported:
                        dropped.append(Dropped(
                            _line_of(token, first_line),
                            f"emphasis, links or tags nested more than {MAX_INLINE_DEPTH} deep print as plain text",
                        ))
                        reported = True
                    continue
            elif step < 0:
                closing = depth
                depth = max(0, depth - 1)
                if flattened and flattened[-1] == closing:
                    flattened.pop()
                    continue
            kept.append(child)
        token.children = kept


def _report_wide_tables(tokens: list[Token], first_line: int, dropped: list[Dropped]) -> None:
    columns = 0
    table: Token | None = None
    for token in tokens:
        if token.type == "table_open":
            table, columns = token, 0
        elif token.type == "th_open" and table is not None:
            columns += 1
        elif token.type == "thead_close" and table is not None:
            if columns > MAX_TABLE_COLUMNS:
                dropped.append(Dropped(
                    _line_of(table, first_line),
                    f"a table of {columns} columns is wider than the page: columns past about "
                    f"{MAX_TABLE_COLUMNS} are cut off",
                ))
            table = None


def _cut_wide_tables(tokens: list[Token]) -> list[Token]:
    """Leave out every cell past :data:`KEPT_TABLE_COLUMNS` in its row (with its contents)."""
    kept: list[Token] = []
    column = 0
    skipping = False
    for token in tokens:
        if token.type == "tr_open":
            column = 0
        elif token.type in ("th_open", "td_open"):
            column += 1
            skipping = column > KEPT_TABLE_COLUMNS
        if not skipping:
            kept.append(token)
        if token.type in ("th_close", "td_close"):
            skipping = False
    return kept


_BREAKS = re.compile(f"[\\s\u200b{UNSPACED}]")
_LONG_WORD = re.compile(f"[^\\s{UNSPACED}]{{{MAX_WORD + 1},}}")
"""A run of more than MAX_WORD characters with no break opportunity. Text in scripts written without
spaces (Chinese, Japanese, Korean, Thai...) breaks between its characters or by dictionary, so each of
its characters ends a run as a space does."""


def _break_long_words(tokens: list[Token], first_line: int, dropped: list[Dropped]) -> None:
    """Give a word longer than :data:`MAX_WORD` a break opportunity (a zero-width space) every half that.

    Without one, the part past the margin is cut off; letting the layout
    engine break the word anywhere instead (``overflow-wrap``) costs it time
    that grows with the square of the word's length.
    """
    for token in tokens:
        if token.type in ("fence", "code_block") and _LONG_WORD.search(token.content):
            # Code blocks wrap (pre-wrap) but only at spaces: the same break opportunities let them.
            longest = max(len(word) for word in _LONG_WORD.findall(token.content))
            token.content = _LONG_WORD.sub(_with_breaks, token.content)
            dropped.append(Dropped(
                _line_of(token, first_line),
                f"a word of {longest:,} characters is longer than a line: it is broken across lines",
            ))
            continue
        if token.type != "inline" or not token.children:
            continue
        longest = 0
        run = 0  # characters since the last break opportunity, across emphasis and links
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                run = 0
            if child.type not in ("text", "code_inline"):
                continue
            for word in _LONG_WORD.findall(child.content):
                longest = max(longest, len(word))
            child.content = _LONG_WORD.sub(_with_breaks, child.content)
            # A word made of many short pieces (``*_*_`` nested or alternating thousands of
            # times) has no long text token, yet costs the engine just as much: break it too.
            parts = _BREAKS.split(child.content)
            if run + len(parts[0]) > MAX_WORD and not extends_cluster(" " + child.content, 1):
                longest = max(longest, run + len(parts[0]))
                child.content = "\u200b" + child.content
                run = 0
            run = len(parts[-1]) if len(parts) > 1 else run + len(parts[0])
        if longest:
            dropped.append(Dropped(
                _line_of(token, first_line),
                f"a word of {longest:,} characters is longer than a line: it is broken across lines",
            ))


def _with_breaks(match: re.Match[str]) -> str:
    """The word with a zero-width space about every half :data:`MAX_WORD`, never inside a character's cluster."""
    word = match.group()
    step = MAX_WORD // 2  # even 30 of the widest letters fit on a line at 18 pt
    pieces: list[str] = []
    start = 0
    while len(word) - start > step:
        cut = start + step
        while cut < len(word) and extends_cluster(word, cut):
            cut += 1  # an accent, vowel sign or joiner stays with its letter
        pieces.append(word[start:cut])
        start = cut
    pieces.append(word[start:])
    return "\u200b".join(piece for piece in pieces if piece)


def _refuse_images(
    tokens: list[Token], first_line: int, policy: ImagePolicy, dropped: list[Dropped], address: ImageAddress | None = None,
) -> set[str]:
    """Replace every image the policy refuses by its alternative text, naming it and the reason; give the
    others the ``address`` they print from. The URL schemes of those addresses, for the sanitiser to keep."""
    schemes: set[str] = set()
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        for index, child in enumerate(token.children):
            if child.type != "image":
                continue
            src = str(child.attrGet("src") or "")
            reason = policy(src)
            if reason is not None:
                dropped.append(Dropped(_line_of(token, first_line), reason))
                token.children[index] = Token("text", "", 0, content=child.content)
            elif address is not None:
                located = address(src)
                child.attrSet("src", located)
                schemes.add(urlsplit(located).scheme.lower())
    return schemes


def anchor_key(name: str) -> str:
    """The form section names and ``#name`` links are matched in: no accents or case, words joined by ``-``.

    "Dosificación", "#dosificacion" and "#Dosificación" all give ``dosificacion``;
    letters of every script are kept (``#الجرعة``), as in the heading ids
    Markdown hosts generate. Only accents that compose with their letter
    (é, ñ, ü) are folded: vowel signs and tone marks of Devanagari or Thai are
    letters of the word ("काम" and "किम", "ข้าว" and "ขาว" stay apart).
    """
    folded = []
    for char in unicodedata.normalize("NFC", unquote(name)).casefold():
        parts = unicodedata.normalize("NFKD", char)
        folded.append("".join(c for c in parts if not unicodedata.combining(c)) if parts != char else char)
    words = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in "".join(folded))
    return "-".join(words.split())


def _resolve_internal_links(tokens: list[Token], first_line: int, anchors: Mapping[str, str], dropped: list[Dropped]) -> None:
    """Point each ``#name`` link at the section it names; report one that names no section of the entry."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if not href.startswith("#"):
                continue
            target = anchors.get(anchor_key(href[1:]))
            if target is not None:
                child.attrSet("href", f"#{target}")
            else:
                dropped.append(Dropped(_line_of(token, first_line), f"the link to {href} leads nowhere: "
                                       "no section of this entry has that name", broken_link=True))


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
        # Rebuilt as markdown-it tokens of the tag alone (its attributes gone); the renderer writes the markup.
        name = match.group("name").lower()
        if name == "br":
            return Token("hardbreak", "br", 0)
        closing = bool(match.group("close"))
        return Token(f"{name}_close" if closing else f"{name}_open", name, -1 if closing else 1)
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
                if (len(match.group()) > _MAX_UNBROKEN or _UNSPACED_CHAR.search(match.group())
                        or extends_cluster(child.content, match.start()) or extends_cluster(child.content, match.end())):
                    continue  # text without spaces breaks anywhere; a span must not cut a letter from its marks
                between = child.content[position:match.start()]
                if position and not between.strip():
                    # A space alone between two spans is laid out but never drawn, so
                    # text extraction would run the words together: keep it in the span.
                    children.insert(-1, Token("text", "", 0, content=between))
                else:
                    children.append(Token("text", "", 0, content=between))
                children.append(Token("span_open", "span", 1, attrs={"class": "nowrap"}))
                children.append(Token("text", "", 0, content=match.group()))
                children.append(Token("span_close", "span", -1))
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
