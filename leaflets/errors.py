"""Errors that carry the file (and line) they are about.

Every problem with user input surfaces as a :class:`LeafletError`, so the CLI
can print one ``path:line: error: message`` line instead of a traceback and go
on with the other entries.
"""

from __future__ import annotations

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
        return f"{self.location()}: {level}: {self.message}"

    def __str__(self) -> str:
        return self.diagnostic()


class EntryError(LeafletError):
    """An entry cannot be read or turned into a leaflet."""

    code = "bad-entry"


class ConfigError(LeafletError):
    """leaflets.toml or a project resource is wrong."""


class OutputError(LeafletError):
    """An output file cannot be written."""


class Interrupted(BaseException):
    """The run was stopped by a signal (SIGINT, SIGTERM); raised in the main process only.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    meant for a bad entry swallows it. The exit status is ``128 + signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
