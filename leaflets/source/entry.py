"""Loading one entry file: bytes, encoding, front matter, title.

Everything that makes a file unusable is raised here as an :class:`EntryError`
with the file and, where there is one, the line, so a bad entry is reported
and skipped rather than aborting a batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from leaflets.errors import EntryError, short_repr
from leaflets.files import RefusedFile, read_regular
from leaflets.source.language import entry_language, is_language_tag, same_language, suffix_language
from leaflets.source.fields import key_line
from leaflets.source.frontyaml import FrontMatterTooLarge, load_front_matter
from leaflets.source.vocabulary import heading

MAX_ENTRY_BYTES = 1_000_000
DEFAULT_LANG = "en"
"""The language of an entry when neither its front matter nor the project names one."""

_YAML_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b")


@dataclass(frozen=True)
class Entry:
    """One medicine entry as read from disk, before its sections are split."""

    path: Path
    title: str
    lang: str
    """The front matter's ``lang``, else :data:`DEFAULT_LANG`; what to print in is :func:`effective_lang`."""
    metadata: dict[str, Any]
    body: str
    body_line: int
    """Line number (1-based) in the file of the first line of ``body``."""
    source_bytes: bytes = field(repr=False, default=b"")
    title_from_heading: bool = False

    def language(self, default: str | None = None) -> str:
        """Shorthand for :func:`effective_lang`."""
        return effective_lang(self, default)


def effective_lang(entry: Entry, project_lang: str | None = None) -> str:
    """The language ``entry`` is printed and checked in: its front matter's ``lang``, else its file
    name's language suffix (``warfarin.es.md``), else the project's (``lang`` in leaflets.toml), else
    :data:`DEFAULT_LANG`. Build, check, booklets and bilingual editions all ask this one function."""
    return entry_language(entry.metadata, entry.path, project_lang or DEFAULT_LANG)


def file_lang(path: Path, project_lang: str | None = None) -> str:
    """:func:`effective_lang` of the entry at ``path``, for deciding what to build before rendering.

    The YAML is parsed only when its text could hold a ``lang`` key (the word, or an escape that
    could spell it): most entries have none, and ``build --editions`` asks this of every entry on
    every run. An entry that cannot be read or parsed gets the language of its file name, else the
    project's; it fails with its own message where it is rendered.
    """
    fallback = entry_language({}, path, project_lang or DEFAULT_LANG)
    try:
        text, raw = read_text(path)
    except EntryError:
        return fallback
    handler = frontmatter.detect_format(text, frontmatter.handlers)
    if not isinstance(handler, frontmatter.YAMLHandler):
        return fallback
    try:
        front, _body = handler.split(text)
    except ValueError:
        return fallback
    if "lang" not in front and "\\" not in front:
        return fallback
    try:
        return effective_lang(parse_entry(text, path, raw), project_lang)
    except EntryError:
        return fallback


def read_text(path: Path) -> tuple[str, bytes]:
    """Read a UTF-8 entry (BOM and CRLF accepted) with size and encoding checks."""
    try:
        raw = read_regular(path, limit=MAX_ENTRY_BYTES)
    except RefusedFile as exc:
        if exc.too_large:
            size = f"{exc.size:,}" if exc.size is not None else "over"
            raise EntryError(
                f"file is {size} bytes; entries over {MAX_ENTRY_BYTES:,} bytes are refused", path, code="too-large"
            ) from None
        raise EntryError(f"cannot read file: {exc.reason.removeprefix('cannot read: ')}", path, code="unreadable") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise EntryError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", path, line, code="encoding") from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), raw


def parse_entry(text: str, path: Path, source_bytes: bytes = b"") -> Entry:
    """Split front matter from body and find the title and language."""
    metadata: dict[str, Any] = {}
    body_line = 1
    body = text
    handler = frontmatter.detect_format(text, frontmatter.handlers)
    if isinstance(handler, frontmatter.YAMLHandler):
        try:
            raw_front, _ = handler.split(text)
        except ValueError:
            raise EntryError("front matter is not closed by a '---' line", path, 1, code="bad-front-matter") from None
        closing = raw_front.count("\n")
        body = "\n".join(text.split("\n")[closing + 1 :])
        body_line = closing + 2
        try:
            loaded = load_front_matter(raw_front)
        except FrontMatterTooLarge as exc:
            where = exc.line + 2 if exc.line is not None else 2
            raise EntryError(f"front matter refused: {exc.problem}", path, where, code="bad-front-matter") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 2
            problem = (getattr(exc, "problem", None) or str(exc).splitlines()[0])[:200]
            context = getattr(exc, "context", None)
            detail = f"{problem} ({context})" if context else problem
            raise EntryError(f"malformed front matter: {detail}", path, line, code="bad-front-matter") from None
        except ValueError as exc:
            # PyYAML reads 2024-13-01 as a timestamp and fails building the date.
            line, key = _invalid_date(raw_front)
            raise EntryError(f"front matter '{key}' is not a valid date ({exc})", path, line, code="bad-front-matter") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise EntryError(
                f"front matter must be a mapping of keys to values, not {type(loaded).__name__}", path, 2, code="bad-front-matter"
            )
        metadata = {str(k): v for k, v in loaded.items()}

    if not body.strip():
        raise EntryError("entry has no body text", path, body_line, code="empty-body")

    title, from_heading = _find_title(metadata, body, path)
    lang = metadata.get("lang", DEFAULT_LANG)
    if not is_language_tag(lang):
        raise EntryError(
            f"front matter 'lang' must be a language tag such as 'en' or 'pt-BR', not {short_repr(lang)}",
            path, 2, code="bad-front-matter",
        )
    suffix = suffix_language(path)
    if suffix is not None and "lang" in metadata and not same_language(lang, suffix):
        raise EntryError(
            f"front matter 'lang' is {lang!r} but the file name says {suffix!r} (NAME.{suffix}.md)",
            path, 2, code="bad-front-matter",
        )
    lang = entry_language(metadata, path, DEFAULT_LANG)
    return Entry(
        path=path,
        title=title,
        lang=lang,
        metadata=metadata,
        body=body,
        body_line=body_line,
        source_bytes=source_bytes,
        title_from_heading=from_heading,
    )


def load_entry(path: Path | str) -> Entry:
    """Read and parse the entry at ``path``."""
    path = Path(path)
    text, raw = read_text(path)
    return parse_entry(text, path, raw)


def _invalid_date(front: str) -> tuple[int | None, str]:
    """File line and key of the first YAML date-like value that is not a real date."""
    for number, line in enumerate(front.split("\n"), start=1):
        keyed = key_line(line)
        match = _YAML_DATE.match(keyed[1]) if keyed else None
        if keyed and match:
            try:
                date(int(match["year"]), int(match["month"]), int(match["day"]))
            except ValueError:
                return number, keyed[0]
    return None, "?"


def _find_title(metadata: dict[str, Any], body: str, path: Path) -> tuple[str, bool]:
    title = metadata.get("title")
    if title is not None and not isinstance(title, (str, int, float)):
        raise EntryError(f"front matter 'title' must be text, not {type(title).__name__}", path, 2, code="bad-front-matter")
    if title is not None and str(title).strip():
        return str(title).strip(), False
    for line in body.splitlines():
        if not line.strip():
            continue
        found = heading(line)
        if found and found[0] == 1 and found[1]:
            return found[1], True
        break
    raise EntryError("entry has no title: set 'title' in the front matter or start the body with '# Title'", path, code="no-title")
