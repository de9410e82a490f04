"""What a build returns: one :class:`EntryResult` per entry and the :class:`BuildReport` of them all.

Kept apart from the builder so that whoever shows or collects results (the
command line's progress bar, the booklet's chunks) needs nothing that builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from leaflets.errors import EntryError, LeafletError
from leaflets.source.discover import EntrySource

Status = Literal["built", "failed", "up-to-date"]


@dataclass(frozen=True)
class EntryResult:
    """What happened to one entry."""

    source: EntrySource
    status: Status
    output: Path | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    pages: int | None = None
    detail: str | None = None
    """A traceback for unexpected failures, shown with --verbose."""
    from_input: bool = False
    """The failure follows from the entry and its settings alone (not the disk or a bug), so
    the same inputs fail the same way and the build cache may remember it."""
    key: str | None = None
    """The key of the bytes that were rendered (read once by the worker), recorded in the cache."""


@dataclass
class BuildReport:
    """Every entry's result, in input order, and the wall time."""

    results: list[EntryResult] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    """Problems with the build itself that did not stop it, e.g. a cache that could not be saved."""
    refused_outputs: int = 0
    """Outputs not written because a file leaflets did not write is in their place (exit status 2)."""

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def summary(self) -> str:
        return (
            f"{self.count('built')} built, {self.count('up-to-date')} up to date, "
            f"{self.count('failed')} failed in {self.seconds:.1f}s"
        )


def failed_result(source: EntrySource, exc: Exception, detail: str | None = None) -> EntryResult:
    """The result for an entry that could not be built: its diagnostic, or an internal error with a traceback."""
    if isinstance(exc, LeafletError):
        return EntryResult(source, "failed", error=exc.diagnostic(), from_input=isinstance(exc, EntryError))
    return EntryResult(
        source, "failed",
        error=f"{source.path}: error: internal error while building: {type(exc).__name__}: {exc}",
        detail=detail,
    )
