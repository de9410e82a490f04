"""Building many leaflets: one result per entry, bad entries reported, good ones written.

This is the library API behind ``leaflets build``: tests and other programs
call :func:`build_leaflets` and get a :class:`BuildReport` back instead of
parsing command output.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Sequence

from .check import clash_message
from .discover import EntrySource, find_entries, output_clashes
from .errors import LeafletError, OutputError
from .leaflet import STYLES_FOLDER, BuildOptions, LeafletRenderer
from .output import atomic_write
from .parallel import map_in_workers, usable_cpus
from .project import Project

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


@dataclass
class BuildReport:
    """Every entry's result, in input order, and the wall time."""

    results: list[EntryResult] = field(default_factory=list)
    seconds: float = 0.0

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


def check_writable(folder: Path) -> None:
    """Fail early, with one message, when the output folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".leaflets-write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"output folder cannot be written: {exc.strerror}", folder) from None


def output_path(out_dir: Path, source: EntrySource, options: BuildOptions) -> Path:
    return out_dir / source.output_name(options.name_suffix, f".{options.format}")


def build_one(renderer: LeafletRenderer, job: tuple[EntrySource, Path]) -> EntryResult:
    """Render and write one entry to its place under the output folder; never raises for a bad entry."""
    source, out_dir = job
    target = output_path(out_dir, source, renderer.options)
    try:
        styles_href = "/".join([".."] * (len(source.relative.parts) - 1) + [STYLES_FOLDER])
        rendered = renderer.render_file(source.path, styles_href, source.relative)
        atomic_write(target, rendered.data)
    except LeafletError as exc:
        return failed_result(source, exc)
    except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the batch
        return failed_result(source, exc, traceback.format_exc())
    return EntryResult(source, "built", target, warnings=rendered.warnings, pages=rendered.page_count)


def failed_result(source: EntrySource, exc: Exception, detail: str | None = None) -> EntryResult:
    """The result for an entry that could not be built: its diagnostic, or an internal error with a traceback."""
    if isinstance(exc, LeafletError):
        return EntryResult(source, "failed", error=exc.diagnostic())
    return EntryResult(
        source, "failed",
        error=f"{source.path}: error: internal error while building: {type(exc).__name__}: {exc}",
        detail=detail,
    )


def copy_stylesheets(project: Project, out_dir: Path, options: BuildOptions) -> None:
    """HTML output links its CSS; put copies beside it so a browser shows what WeasyPrint sees."""
    for path in (project.stylesheet(name) for name in options.stylesheets):
        atomic_write(out_dir / STYLES_FOLDER / path.name, path.read_bytes())


def build_leaflets(
    paths: Sequence[Path] | None,
    out_dir: Path,
    project: Project,
    options: BuildOptions | None = None,
    on_result: Callable[[EntryResult], None] | None = None,
    jobs: int | None = None,
) -> BuildReport:
    """Build a leaflet per entry under ``paths`` (default: the project's entries/) into ``out_dir``.

    ``jobs`` worker processes share the entries (default: every usable CPU);
    results arrive, and ``on_result`` is called, in input order.
    """
    started = time.perf_counter()
    options = options or BuildOptions(paper=project.config.paper)
    sources = find_entries(list(paths) if paths else [project.entries_dir])
    check_writable(out_dir)
    if options.format == "html":
        copy_stylesheets(project, out_dir, options)
    report = BuildReport()
    jobs = usable_cpus() if jobs is None else jobs
    clashes = output_clashes(sources)
    work = [(source, out_dir) for source in sources if source not in clashes]
    built = map_in_workers(build_one, work, jobs, LeafletRenderer, (project, options))
    for source in sources:
        if source in clashes:
            result = EntryResult(source, "failed", error=f"{source.path}: error: {clash_message(source, clashes[source])}")
        else:
            result = next(built)
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    report.seconds = time.perf_counter() - started
    return report
