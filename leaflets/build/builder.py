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
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path
from datetime import date
from typing import TYPE_CHECKING, Callable, Generator, Mapping, Sequence

from leaflets.build.cache import Fingerprint, OutputCache, cache_filename, dependency_key, entry_key, entry_key_of
from leaflets.build.guard import OutputGuard, UnsafeOutputError
from leaflets.build.shard import Shard
from leaflets.source.discover import EntrySource, clash_message, find_entries, output_clashes
from leaflets.errors import ConfigError, LeafletError, OutputError
from leaflets.files import RefusedFile, read_regular
from leaflets.project.options import STYLES_FOLDER, BuildOptions
from leaflets.build.output import atomic_write, remove_stale_temporaries
from leaflets.build.results import BuildReport, EntryResult, failed_result
from leaflets.parallel import map_unordered, stop_workers, usable_cpus
from leaflets.project.project import Project
from leaflets.source.entry import parse_entry, read_text
from leaflets.source.git import last_commit_dates
from leaflets.source.language import entry_language, linked_entry, same_language
from leaflets.source.review import review_stamps

if TYPE_CHECKING:
    from leaflets.render.leaflet import LeafletRenderer

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


RenderBackend = Callable[
    [list["BuildJob"], Project, BuildOptions, Mapping[Path, "date | None"]], Generator[tuple[int, EntryResult], None, None]
]
"""Builds jobs elsewhere (``--dask``) and yields ``(index, result)`` as they finish, outputs written,
each result carrying the key of the bytes that were rendered."""


@dataclass(frozen=True)
class BuildJob:
    """One entry to build: where it goes, and what its key is made of besides the entry's bytes."""

    source: EntrySource
    out_dir: Path
    dependencies: str = ""
    review_stamp: str | None = None


def build_one(renderer: "LeafletRenderer", job: BuildJob) -> EntryResult:
    """Render and write one entry to its place under the output folder; never raises for a bad entry.

    The entry is read once: the bytes rendered are the bytes hashed, so an
    entry edited while the build runs is recorded with the key of what was
    printed, and rebuilt next time.
    """
    source = job.source
    target = output_path(job.out_dir, source, renderer.options)
    key: str | None = None
    try:
        text, raw = read_text(source.path)
        key = entry_key_of(job.dependencies, raw, source.path, job.review_stamp, renderer.project.embed_dirs(source.path))
        styles_href = "/".join([".."] * (len(source.relative.parts) - 1) + [STYLES_FOLDER])
        rendered = renderer.render_entry(parse_entry(text, source.path, raw), styles_href, source.relative)
        atomic_write(target, rendered.data)
    except LeafletError as exc:
        return replace(failed_result(source, exc), key=key)
    except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the batch
        return failed_result(source, exc, traceback.format_exc())
    return EntryResult(source, "built", target, warnings=rendered.warnings, pages=rendered.page_count, key=key)


def copy_stylesheets(project: Project, out_dir: Path, options: BuildOptions, guard: OutputGuard | None = None) -> None:
    """HTML output links its CSS; put copies beside it so a browser shows what WeasyPrint sees.

    A file already there is replaced only when it holds one of the stylesheets
    (any version) or the guard allows it.
    """
    for path in (project.stylesheet(name) for name in options.stylesheets):
        try:
            data = read_regular(path, project.trusted_dirs)
        except RefusedFile as exc:
            raise ConfigError(f"stylesheet refused: {exc.reason}", path) from None
        target = out_dir / STYLES_FOLDER / path.name
        if guard is not None and not _same_bytes(target, data):
            guard.check(target)
        atomic_write(target, data)


def _same_bytes(target: Path, data: bytes) -> bool:
    """Whether ``target`` is a regular file holding exactly ``data`` (read bounded: it may be anything)."""
    try:
        return read_regular(target, limit=len(data)) == data
    except RefusedFile:
        return False


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
    refused: str | None = None
    """Why the output may not be written (a file leaflets did not write is in its place)."""
    review_stamp: str | None = None
    dependencies: str = ""
    edition: str = ""
    """The output name's edition suffix ("" or "-large"), for the clash message."""

    @property
    def to_build(self) -> bool:
        return not self.current and self.clashes_with is None and self.known_failure is None and self.refused is None


def plan_build(
    sources: Sequence[EntrySource], out_dir: Path, project: Project, options: BuildOptions,
    cache: OutputCache, force: bool = False, commit_dates: Mapping[Path, date | None] | None = None,
    guard: OutputGuard | None = None, shard: Shard | None = None,
) -> list[PlannedEntry]:
    """Decide, in this process and without rendering anything, which outputs need building.

    ``commit_dates`` are the entries' last commit dates if already looked up;
    ``guard`` refuses outputs whose place holds a file leaflets did not write.
    With ``shard``, only that shard's entries are planned; clashing outputs are
    still found over the whole set, so exactly one shard reports each clash.
    """
    dependencies = dependency_key(project, options, stylesheets=options.stylesheets)
    clashes = output_clashes(list(sources), options.name_suffix)
    if shard is not None:
        sources = [source for source in sources if shard.holds(source.relative)]
    stamps = review_stamps([source.path for source in sources], commit_dates)
    planned = []
    for source in sources:
        target = output_path(out_dir, source, options)
        if source in clashes:
            planned.append(PlannedEntry(source, target, None, False, clashes[source], edition=options.name_suffix))
            continue
        own_dependencies = with_companions(dependencies, bilingual_companions(source, options, project))
        key = entry_key(own_dependencies, source.path, stamps.get(source.path), project.embed_dirs(source.path))
        known = None if force else cache.known_failure(target, key)
        current = not force and cache.is_current(target, key)
        refused = None
        if guard is not None and not current and known is None:
            try:
                guard.check(target)
            except UnsafeOutputError as exc:
                refused = exc.diagnostic()
        planned.append(PlannedEntry(
            source, target, key, current, None, known, refused, stamps.get(source.path), own_dependencies,
        ))
    return planned


def with_companions(dependencies: str, companions: list[Path]) -> str:
    """``dependencies`` extended with the files an output prints besides its entry (a bilingual partner)."""
    if not companions:
        return dependencies
    fingerprint = Fingerprint().add("dependencies", dependencies)
    for path in companions:
        fingerprint.add_file(path)
    return fingerprint.hexdigest()


def bilingual_companions(source: EntrySource, options: BuildOptions, project: Project) -> list[Path]:
    """Files beside the entry that its output prints: the linked entry of a bilingual edition."""
    if not options.bilingual:
        return []
    own = entry_language({}, source.path, project.config.lang)
    partner = linked_entry(source.path, options.bilingual, own, project.config.lang)
    return [partner] if partner is not None else [source.path.with_name(f".no-{options.bilingual}-partner")]


def bilingual_sources(sources: Sequence[EntrySource], second: str | None, default_lang: str) -> list[EntrySource]:
    """The entries a bilingual edition is made of: all but those in the second language (they print beside the others).

    Languages are read from file names here (``NAME.LANG.md``; no suffix is the project's language).
    """
    if not second:
        return list(sources)
    return [s for s in sources if not same_language(entry_language({}, s.path, default_lang), second)]


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
    began = time.time()
    options = options or BuildOptions(paper=project.config.paper)
    found_warnings: list[str] = []
    sources = bilingual_sources(
        find_entries(list(paths) if paths else [project.entries_dir], found_warnings), options.bilingual, project.config.lang
    )
    cache = OutputCache.load(out_dir / cache_filename(shard.cache_suffix if shard else None), shared=True)
    guard = OutputGuard(project, [source.path for source in sources], cache.wrote)
    guard.check_folder(out_dir)
    check_writable(out_dir)
    if options.format == "html":
        copy_stylesheets(project, out_dir, options, guard)
    mine = [source for source in sources if shard is None or shard.holds(source.relative)]
    commit_dates = last_commit_dates([source.path for source in mine])
    planned = plan_build(sources, out_dir, project, options, cache, force, commit_dates, guard, shard)
    folders = {out_dir, out_dir / STYLES_FOLDER, *(entry.output.parent for entry in planned)}
    remove_stale_temporaries(folders, began)
    stale = [entry for entry in planned if entry.to_build]
    if on_start is not None:
        on_start(len(planned), len(stale))
    report = BuildReport(warnings=found_warnings, refused_outputs=sum(1 for entry in planned if entry.refused is not None))
    jobs = usable_cpus() if jobs is None else jobs
    work = [BuildJob(entry.source, out_dir, entry.dependencies, entry.review_stamp) for entry in stale]
    if renders is not None:
        built = renders(work, project, options, commit_dates)
    else:
        if stale:
            import_module("leaflets.render.leaflet")  # forked workers inherit WeasyPrint instead of each loading it
        built = map_unordered(
            build_one, work, jobs, new_renderer, (project, options, commit_dates), items_per_worker=ENTRIES_PER_WORKER,
        )
    positions = [index for index, entry in enumerate(planned) if entry.to_build]
    arrived: dict[int, EntryResult] = {}
    reported = 0

    def emit(result: EntryResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    def emit_ready() -> None:
        nonlocal reported
        while reported < len(planned):
            result = _settled_result(planned[reported]) or arrived.pop(reported, None)
            if result is None:
                return
            emit(result)
            reported += 1

    try:
        emit_ready()
        for index, result in built:
            position = positions[index]
            _remember(cache, planned[position], result)
            cache.save_now_and_then()
            arrived[position] = result
            emit_ready()
    except BaseException:
        # Interrupted (or broken): workers are stopped; say what was done, out of order if need be.
        built.close()
        stop_workers()
        for position in range(reported, len(planned)):
            done = _settled_result(planned[position]) or arrived.pop(position, None)
            if done is not None:
                emit(done)
        remove_stale_temporaries(folders, time.time())
        raise
    finally:
        built.close()
        cache.save_or_warn(report.warnings, "the next build will rebuild everything")
    report.seconds = time.perf_counter() - started
    return report


def _remember(cache: OutputCache, entry: PlannedEntry, result: EntryResult) -> None:
    """Record a finished entry in the cache: its output with the key of what was rendered, or its failure."""
    if result.status == "built":
        cache.record(entry.output, result.key)
    elif result.from_input and result.error:
        cache.record_failure(entry.output, result.key, result.error)
    elif result.status == "failed":
        cache.forget(entry.output)


def _settled_result(entry: PlannedEntry) -> EntryResult | None:
    """The result of an entry that is not built (current, clashing, known to fail, refused); None for the others."""
    if entry.clashes_with is not None:
        message = clash_message(entry.source, entry.clashes_with, entry.edition)
        return EntryResult(entry.source, "failed", error=f"{entry.source.path}: error: {message}")
    if entry.known_failure is not None:
        return EntryResult(entry.source, "failed", error=entry.known_failure, from_input=True)
    if entry.refused is not None:
        return EntryResult(entry.source, "failed", error=entry.refused)
    if entry.current:
        return EntryResult(entry.source, "up-to-date", entry.output)
    return None

