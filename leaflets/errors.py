"""Errors that carry the file (and line) they are about.

Every problem with user input surfaces as a :class:`LeafletError`, so the CLI
can print one ``path:line: error: message`` line instead of a traceback and go
on with the other entries.
"""

from __future__ import annotations

import re
import reprlib
from pathlib import Path


class LeafletError(Exception):
    """A problem with one input file, reported as ``path:line: error: message``."""

    code = "error"
    """Stable name of the problem (``encoding``, ``bad-front-matter`` ...), as ``leaflets check`` prints it."""

    def __init__(
        self, message: str, path: Path | str | None = None, line: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        if code is not None:
            self.code = code

    def location(self) -> str:
        if self.path is None:
            return "leaflets"
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def diagnostic(self, level: str = "error") -> str:
        """One terminal-safe line: a newline or escape sequence in a file name cannot forge or hide output."""
        return printable(f"{self.location()}: {level}: {self.message}")

    def __str__(self) -> str:
        return self.diagnostic()


class EntryError(LeafletError):
    """An entry cannot be read or turned into a leaflet."""

    code = "bad-entry"


class ConfigError(LeafletError):
    """leaflets.toml or a project resource is wrong."""


class OutputError(LeafletError):
    """An output file cannot be written."""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` safe to show on a terminal, one line: control characters and stray bytes escaped.

    File names and front matter come from others: a name holding a newline
    would forge a second diagnostic, and one holding ``ESC [`` could rewrite
    the terminal. Newlines, carriage returns, escapes and other C0/C1 control
    characters become ``\\n``, ``\\x1b`` ...; bytes that were not UTF-8 (lone
    surrogates from the file system) become ``\\xNN``. Tabs are kept.
    """
    return _CONTROL.sub(_escape, text.replace("\n", "\\n").replace("\r", "\\r"))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to about ``limit`` characters, so a huge value cannot make a huge error line.

    :mod:`reprlib` stops early in long strings, lists and mappings, so even a
    value of millions of items costs no more than a few dozen to describe.
    """
    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = limit
    shortener.maxlevel = 3
    try:
        text = shortener.repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Interrupted(BaseException):
    """The run was stopped by a signal (SIGINT, SIGTERM); raised in the main process only.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    meant for a bad entry swallows it. The exit status is ``128 + signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
