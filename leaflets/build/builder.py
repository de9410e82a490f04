"""Building many leaflets: one result per entry, bad entries reported, good ones written.

This is the library API behind ``leaflets build``: tests and other programs
call :func:`build_leaflets` and get a :class:`BuildReport` back instead of
parsing command output. What a build returns is declared in
:mod:`leaflets.build.results`, so the progress display and the booklet can
speak of results without importing the builder.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

from leaflets.build.cache import OutputCache, cache_filename, dependency_key, entry_key
from leaflets.build.shard import Shard
from leaflets.source.discover import EntrySource, clash_message, find_entries, output_clashes
from leaflets.errors import EntryError, LeafletError, OutputError
from leaflets.project.options import STYLES_FOLDER, BuildOptions
from leaflets.build.output import atomic_write
from leaflets.build.results import BuildReport, EntryResult, failed_result
from leaflets.parallel import map_in_workers, usable_cpus
from leaflets.project.project import Project
from leaflets.source.git import last_commit_dates
from leaflets.source.review import review_stamps

if TYPE_CHECKING:
    from leaflets.render.leaflet import LeafletRenderer

RenderBackend = Callable[
    [list[tuple[EntrySource, Path]], Project, BuildOptions, Mapping[Path, "date | None"]], Iterator[EntryResult]
]
"""Builds ``(source, out_dir)`` jobs elsewhere and yields their results in order, outputs written."""

ENTRIES_PER_WORKER = 480
"""Entries each worker is given before fresh ones take over. A long-lived worker's memory
creeps up by some 70 kB per entry (WeasyPrint's caches), about 220 MB over the whole
corpus; replacing workers keeps that bounded for about a second of set-up each time."""


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


def new_renderer(
    project: Project, options: BuildOptions, commit_dates: Mapping[Path, date | None] | None = None
) -> "LeafletRenderer":
    """A worker's renderer; WeasyPrint is imported only once there is something to render."""
    from leaflets.render.leaflet import LeafletRenderer

    return LeafletRenderer(project, options, commit_dates=commit_dates or {})


def build_one(renderer: "LeafletRenderer", job: tuple[EntrySource, Path]) -> EntryResult:
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


def copy_stylesheets(project: Project, out_dir: Path, options: BuildOptions) -> None:
    """HTML output links its CSS; put copies beside it so a browser shows what WeasyPrint sees."""
    for path in (project.stylesheet(name) for name in options.stylesheets):
        atomic_write(out_dir / STYLES_FOLDER / path.name, path.read_bytes())


@dataclass(frozen=True)
class PlannedEntry:
    """One entry, its output, the key of its inputs, and whether that output is already current."""

    source: EntrySource
    output: Path
    key: str | None
    current: bool
    clashes_with: EntrySource | None = None
    """An earlier entry that writes the same output; this one is then refused."""
    known_failure: str | None = None
    """The error these same inputs gave last time; reported again without rendering."""


def plan_build(
    sources: Sequence[EntrySource], out_dir: Path, project: Project, options: BuildOptions,
    cache: OutputCache, force: bool = False, commit_dates: Mapping[Path, date | None] | None = None,
    shard: Shard | None = None,
) -> list[PlannedEntry]:
    """Decide, in this process and without rendering anything, which outputs need building.

    ``commit_dates`` are the entries' last commit dates if already looked up.
    With ``shard``, only that shard's entries are planned; clashing outputs are
    still found over the whole set, so every shard refuses the same ones.
    """
    dependencies = dependency_key(project, options, stylesheets=options.stylesheets)
    clashes = output_clashes(list(sources))
    if shard is not None:
        sources = [source for source in sources if shard.holds(source.relative)]
    stamps = review_stamps([source.path for source in sources], commit_dates)
    planned = []
    for source in sources:
        target = output_path(out_dir, source, options)
        if source in clashes:
            planned.append(PlannedEntry(source, target, None, False, clashes[source]))
            continue
        key = entry_key(dependencies, source.path, stamps.get(source.path))
        known = None if force else cache.known_failure(target, key)
        planned.append(PlannedEntry(source, target, key, not force and cache.is_current(target, key), None, known))
    return planned


def build_leaflets(
    paths: Sequence[Path] | None,
    out_dir: Path,
    project: Project,
    options: BuildOptions | None = None,
    on_result: Callable[[EntryResult], None] | None = None,
    jobs: int | None = None,
    force: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    shard: Shard | None = None,
    renders: "RenderBackend | None" = None,
) -> BuildReport:
    """Build a leaflet per entry under ``paths`` (default: the project's entries/) into ``out_dir``.

    Outputs whose inputs have not changed since they were written are left
    alone (``force`` rebuilds them anyway); the keys live in
    ``out_dir/.leaflets-cache.json``. ``on_start(entries, to_build)`` is called
    once the plan is known. ``jobs`` worker processes share the entries to
    build (default: every usable CPU); results arrive, and ``on_result`` is
    called, in input order. With ``shard`` only that shard's entries are built,
    and the keys go to the shard's own cache file (all are read). ``renders``
    replaces the local worker processes (``--dask``: :mod:`leaflets.cluster`).
    """
    started = time.perf_counter()
    options = options or BuildOptions(paper=project.config.paper)
    sources = find_entries(list(paths) if paths else [project.entries_dir])
    check_writable(out_dir)
    if options.format == "html":
        copy_stylesheets(project, out_dir, options)
    cache = OutputCache.load(out_dir / cache_filename(shard.cache_suffix if shard else None), shared=True)
    mine = [source for source in sources if shard is None or shard.holds(source.relative)]
    commit_dates = last_commit_dates([source.path for source in mine])
    planned = plan_build(sources, out_dir, project, options, cache, force, commit_dates, shard)
    stale = [entry for entry in planned if not entry.current and entry.clashes_with is None and entry.known_failure is None]
    if on_start is not None:
        on_start(len(planned), len(stale))
    report = BuildReport()
    jobs = usable_cpus() if jobs is None else jobs
    work = [(entry.source, out_dir) for entry in stale]
    if renders is not None:
        built = renders(work, project, options, commit_dates)
    else:
        if stale:
            import_module("leaflets.render.leaflet")  # forked workers inherit WeasyPrint instead of each loading it
        built = map_in_workers(
            build_one, work, jobs, new_renderer, (project, options, commit_dates), items_per_worker=ENTRIES_PER_WORKER,
        )
    try:
        for entry, result in _in_order(planned, built):
            if result.status == "built":
                cache.record(entry.output, entry.key)
            elif result.from_input and result.error:
                cache.record_failure(entry.output, entry.key, result.error)
            elif result.status == "failed":
                cache.forget(entry.output)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
            cache.save_if_due()
    finally:
        try:
            cache.save()
        except OutputError as exc:
            report.warnings.append(f"{exc.diagnostic('warning')} (the next build will rebuild everything)")
    report.seconds = time.perf_counter() - started
    return report


def _in_order(planned: list[PlannedEntry], built: Iterator[EntryResult]) -> Iterator[tuple[PlannedEntry, EntryResult]]:
    """Every entry's result in input order: current ones as they come, the others from the workers."""
    for entry in planned:
        if entry.clashes_with is not None:
            message = clash_message(entry.source, entry.clashes_with)
            yield entry, EntryResult(entry.source, "failed", error=f"{entry.source.path}: error: {message}")
        elif entry.known_failure is not None:
            yield entry, EntryResult(entry.source, "failed", error=entry.known_failure, from_input=True)
        elif entry.current:
            yield entry, EntryResult(entry.source, "up-to-date", entry.output)
        else:
            yield entry, next(built)
