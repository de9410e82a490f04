"""Many entries in one print-ready PDF: the library API behind ``leaflets booklet``.

The whole corpus is too big to lay out as one document, so the work runs in
stages whose memory does not grow with the number of entries:

1. read every entry's title (to order them) in worker processes;
2. lay entries out in chunks in worker processes, each chunk written to a
   temporary PDF, keeping only page counts, page-number slots and headings;
3. lay out cover and contents (in parts, in worker processes) with their
   page numbers left blank;
4. stamp "Page N of M" on every page, and the contents' page numbers, part
   by part, in worker processes;
5. join the parts (streamed with pikepdf, their structure trees merged
   into one) and add bookmarks and metadata.

Every part is laid out and written tagged, so the booklet is one tagged PDF
(see :mod:`leaflets.pdf.tagging`).

Each entry is laid out once, exactly as ``leaflets build`` lays it out.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from datetime import date
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from leaflets.booklet.front import Cover, FrontJob, FrontPart, PagePlan, contents_parts, number_digits, plan_pages
from leaflets.booklet.chunks import BOOKLET_STYLESHEETS, BookletRenderer, Chunk, ChunkJob, render_chunk, scan_titles
from leaflets.booklet.assembly import BookletInfo, BookletLayout, assemble
from leaflets.build.builder import check_writable
from leaflets.build.results import BuildReport, EntryResult
from leaflets.build.cache import CACHE_FILENAME, Fingerprint, OutputCache, dependency_key, entry_key_of
from leaflets.build.guard import OutputGuard
from leaflets.build.output import private_folder, remove_stale_temporaries
from leaflets.files import MAX_TEXT_BYTES, RefusedFile, read_regular
from leaflets.source.entry import MAX_ENTRY_BYTES
from leaflets.source.discover import EntrySource, find_entries
from leaflets.errors import LeafletError, OutputError
from leaflets.booklet.imposition import IMPOSITIONS, impose, imposed_path
from leaflets.project.options import BuildOptions
from leaflets.parallel import WorkerPool, map_in_workers, stop_workers, usable_cpus
from leaflets.project.project import Project
from leaflets.project.template_names import CONTENTS_PAGE
from leaflets.source.git import last_commit_dates
from leaflets.source.review import review_stamps
from leaflets.booklet.selection import read_list
from leaflets.booklet.collation import collation_key, groups_by_initial
from leaflets.booklet.languages import Scanned, left_out_line, nothing_in_language, select_language
from leaflets.build.builder import bilingual_sources
from leaflets.project.catalogs import gettext_for
from leaflets.project.config import DEFAULT_BOOKLET_TITLE
from leaflets.project.footer_texts import language_setting
from leaflets.source.language import same_language
from leaflets.booklet.stamping import PlacedPage, Stamp, StampJob
from leaflets.booklet.workers import BookletWorker, chunk_task, front_task, numbering_task

CHUNK_ENTRIES = 12
"""Entries laid out per chunk: enough to share font subsets, few enough to bound a worker's memory."""
CHUNKS_PER_WORKER = 40
"""Chunks each worker is given before fresh ones take over (see build.ENTRIES_PER_WORKER)."""
SCAN_BATCH = 200

ChunkBackend = Callable[[list[ChunkJob], Project, BuildOptions, Mapping[Path, "date | None"]], Iterator[Chunk]]
"""Lays out chunk jobs elsewhere and yields their chunks in order, each chunk's PDF written to its job's folder."""


@dataclass(frozen=True)
class BookletOptions:
    """What the booklet holds beyond the leaflets themselves; None means the setting from leaflets.toml."""

    title: str | None = None
    subtitle: str | None = None
    list_file: Path | None = None
    duplex: bool = False
    impose: str | None = None
    lang: str | None = None
    """Only entries in this language (``--lang``), with cover, contents and running texts in it."""
    fallback: str | None = None
    """With ``lang``: medicines with no entry in ``lang`` come in this language instead, marked in the contents."""
    named: frozenset[Path] = frozenset()
    """Entries named one by one (resolved paths): always in, in their own language; :func:`build_booklet`
    adds the files among its ``paths``."""


@dataclass
class BookletReport(BuildReport):
    """Every entry's result, and the booklet (and imposed file) written."""

    output: Path | None = None
    imposed: Path | None = None
    pages: int = 0
    left_out: str = ""
    """One line on the entries left out for their language ("" when none were)."""

    def summary(self) -> str:
        if self.count("up-to-date") and not self.count("built"):
            return (
                f"{self.output} up to date ({self.count('up-to-date')} entries, {self.pages} pages), "
                f"0 built, 0 failed in {self.seconds:.1f}s"
            )
        built = (
            f"{self.count('built')} entries in {self.output} ({self.pages} pages), "
            f"{self.count('failed')} failed in {self.seconds:.1f}s"
        )
        return f"{built}\n{self.left_out}" if self.left_out else built


BOOKLET_TEMPLATES = ("booklet/cover.html", "booklet/contents.html", "booklet/stamp.html")
STAMP_STYLESHEETS = ("booklet-stamp.css",)


def booklet_key(
    sources: Sequence[EntrySource], project: Project, options: BuildOptions, booklet: BookletOptions,
    commit_dates: Mapping[Path, date | None] | None = None, digests: dict[Path, str] | None = None,
) -> str | None:
    """The key of a whole booklet: its entries in order, templates, styles, settings and booklet options.

    None when an entry cannot be read, so such a booklet is always rebuilt (and the failure reported).
    ``digests``, when given, receives the SHA-256 of each entry's bytes as hashed into the key.
    """
    list_text = read_regular(booklet.list_file, limit=MAX_TEXT_BYTES).decode("utf-8", "replace") if booklet.list_file else ""
    extra = {
        "title": str(booklet.title), "subtitle": str(booklet.subtitle), "duplex": str(booklet.duplex),
        "impose": str(booklet.impose), "list": list_text, "lang": str(booklet.lang), "fallback": str(booklet.fallback),
        "named": "\n".join(sorted(_key_path(path, project.root) for path in booklet.named)),
    }
    stylesheets = options.stylesheets + BOOKLET_STYLESHEETS + STAMP_STYLESHEETS
    fingerprint = Fingerprint()
    for template in ("leaflet.html", *BOOKLET_TEMPLATES):
        fingerprint.add(template, dependency_key(project, options, template, stylesheets, extra))
    stamps = review_stamps([source.path for source in sources], commit_dates)
    for source in sources:
        try:
            data = read_regular(source.path, limit=MAX_ENTRY_BYTES)
        except RefusedFile:
            return None
        if digests is not None:
            digests[source.path] = hashlib.sha256(data).hexdigest()
        fingerprint.add(str(source.relative), entry_key_of(
            "booklet", data, source.path, stamps.get(source.path), project.embed_dirs(source.path)))
    return fingerprint.hexdigest()


def _key_path(path: Path, root: Path) -> str:
    """A named file as the booklet's key holds it: relative to the project when inside it, so a moved or
    copied project keeps its booklets current."""
    resolved = path.resolve()
    return resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else str(resolved)


def _no_state() -> None:
    return None


def build_booklet(
    paths: Sequence[Path] | None,
    output: Path,
    project: Project,
    options: BuildOptions | None = None,
    booklet: BookletOptions | None = None,
    on_result: Callable[[EntryResult], None] | None = None,
    jobs: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    force: bool = False,
    chunks_elsewhere: ChunkBackend | None = None,
) -> BookletReport:
    """Build one booklet PDF at ``output`` from the entries under ``paths`` (default: the project's entries/).

    ``chunks_elsewhere`` lays the entries out somewhere else (``--dask``: :mod:`leaflets.cluster`);
    cover, contents and stamping stay here.

    Bad entries are reported (through ``on_result`` and the report) and left
    out; the booklet is still written. Raises :class:`LeafletError` when
    nothing is selected or nothing could be built.
    """
    started = time.perf_counter()
    began = time.time()
    options = options or BuildOptions(paper=project.config.paper)
    booklet = booklet or BookletOptions()
    if options.format != "pdf":
        raise LeafletError("booklets are written as PDF only")
    if booklet.impose is not None and booklet.impose not in IMPOSITIONS:
        raise LeafletError(f"unknown imposition '{booklet.impose}' (known: {', '.join(IMPOSITIONS)})")
    found_warnings: list[str] = []
    if booklet.list_file is not None:
        sources = read_list(booklet.list_file)
    else:
        sources = find_entries(list(paths) if paths else [project.entries_dir], found_warnings)
        booklet = replace(booklet, named=booklet.named | named_files(paths or []))
    sources = bilingual_sources(sources, options.bilingual, project.config.lang)
    if not sources:
        where = booklet.list_file or ", ".join(str(p) for p in (paths or [project.entries_dir]))
        raise LeafletError(f"no entries selected from {where}; a booklet needs at least one")
    cache = OutputCache.load(output.parent / CACHE_FILENAME)
    imposed = imposed_path(output, booklet.impose) if booklet.impose is not None else None
    inputs = [source.path for source in sources] + ([booklet.list_file] if booklet.list_file else [])
    guard = OutputGuard(project, inputs, cache.wrote)
    for written in (output, imposed):
        if written is not None:
            guard.check(written)
    check_writable(output.parent)
    remove_stale_temporaries([output.parent], began)
    commit_dates = last_commit_dates([source.path for source in sources])
    planned: dict[Path, str] = {}
    key = booklet_key(sources, project, options, booklet, commit_dates, planned)
    if not force and cache.is_current(output, key) and (imposed is None or cache.is_current(imposed, key)):
        return _up_to_date(sources, output, imposed, started, on_start, on_result)
    cache.forget(output)
    if on_start is not None:
        on_start(len(sources), len(sources))
    jobs = usable_cpus() if jobs is None else jobs
    report = BookletReport(output=output)
    report.warnings.extend(found_warnings)

    def record(result: EntryResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    try:
        with private_folder(output.parent) as temp:
            try:
                laid_out = _write_booklet(
                    sources, output, imposed, project, options, booklet, jobs, record, commit_dates, report, temp,
                    chunks_elsewhere,
                )
            except BaseException:
                stop_workers()  # before the folder they write into is removed
                raise
    except OSError as exc:
        raise OutputError(f"cannot write booklet: {exc.strerror or exc}", output) from None
    if report.ok and all(planned.get(path) == digest for path, digest in laid_out):
        for written in (output, imposed):
            if written is not None:
                cache.record(written, key)
    cache.save_or_warn(report.warnings, "the next booklet will be built again")
    report.seconds = time.perf_counter() - started
    return report


def _write_booklet(
    sources: list[EntrySource], output: Path, imposed: Path | None, project: Project, options: BuildOptions,
    booklet: BookletOptions, jobs: int, record: Callable[[EntryResult], None],
    commit_dates: Mapping[Path, date | None], report: BookletReport, temp: Path,
    chunks_elsewhere: ChunkBackend | None = None,
) -> list[tuple[Path, str]]:
    """Lay out, number and join the booklet through files in the private folder ``temp``; write ``output`` (and ``imposed``).

    Returns each entry laid out with the digest of the bytes it was laid out from.
    """
    lang = booklet.lang or project.config.lang
    ordered = _titles(sources, booklet, lang, project.config.lang, jobs, record)
    with WorkerPool(jobs, BookletWorker, (project, options, commit_dates)) as pool:
        chunks = _lay_out_entries(ordered, temp, project, options, jobs, record, commit_dates, chunks_elsewhere, pool, lang)
        entries = [entry for chunk in chunks for entry in chunk.entries]
        if not entries:
            raise LeafletError("no entry could be built, so no booklet was written")
        report.left_out = ordered.left_out
        config = project.config
        title = booklet.title if booklet.title is not None else booklet_title(project, lang)
        subtitle = booklet.subtitle if booklet.subtitle is not None else booklet_subtitle(project, lang)
        cover = FrontJob(0, temp, title, Cover(title, subtitle, len(entries), booklet.duplex), lang=lang)
        grouped = booklet.list_file is None and groups_by_initial(lang)
        contents = [
            FrontJob(number, temp, title, groups=groups, first=number == 1, digits=number_digits(entries), lang=lang)
            for number, groups in enumerate(contents_parts(entries, grouped=grouped, lang=lang), start=1)
        ]
        front = list(pool.map(front_task, [cover, *contents]))
        plan = plan_pages(sum(part.pages for part in front), [entry.pages for entry in entries], booklet.duplex)
        starts = {entry.position: start for entry, start in zip(entries, plan.starts)}
        stamp_jobs = _stamp_jobs(plan, starts, front, chunks, temp, lang)
        # Each numbered part is joined as soon as it is written, while the workers number the next.
        parts = ((path, len(job.pages)) for path, job in zip(pool.map(numbering_task, stamp_jobs), stamp_jobs))
        layout = BookletLayout(starts=starts, entries=tuple(entries), contents_page=front[0].pages)
        info = BookletInfo(
            title, subtitle, config.author or config.organisation, lang, gettext_for(project.root, lang)("Contents")
        )
        report.pages = assemble(parts, layout, info, output, plan.total)
    if imposed is not None and booklet.impose is not None:
        report.imposed = imposed
        impose(output, imposed, booklet.impose, options.paper)
    return [(ordered[entry.position].path, entry.digest) for entry in entries]


def _up_to_date(
    sources: list[EntrySource], output: Path, imposed: Path | None, started: float,
    on_start: Callable[[int, int], None] | None, on_result: Callable[[EntryResult], None] | None,
) -> BookletReport:
    """The report of a booklet whose inputs have not changed since it was written: nothing is laid out."""
    import pikepdf

    if on_start is not None:
        on_start(len(sources), 0)
    report = BookletReport(output=output, imposed=imposed)
    for source in sources:
        result = EntryResult(source, "up-to-date")
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    with pikepdf.open(output) as pdf:
        report.pages = len(pdf.pages)
    report.seconds = time.perf_counter() - started
    return report


def _titles(
    sources: list[EntrySource], booklet: BookletOptions, lang: str, default_lang: str, jobs: int,
    record: Callable[[EntryResult], None],
) -> Ordered:
    """The readable entries in booklet order; unreadable ones are recorded as failures.

    Each medicine comes in the booklet's language (``--lang``, else the
    project's), or the fallback, and every entry named one by one in its own;
    titles sort by that language's collation. What is left out for its
    language is said in ``left_out``; none in the language is an error.
    """
    batches = [sources[i : i + SCAN_BATCH] for i in range(0, len(sources), SCAN_BATCH)]
    scanned: list[Scanned] = []
    for batch in map_in_workers(scan_titles, batches, jobs, _language_state, (default_lang,)):
        for source, title, entry_lang, failure in batch:
            if failure is not None:
                record(failure)
            else:
                scanned.append(Scanned(source, title or "", entry_lang))
    left_out = ""
    if booklet.list_file is None:  # a list names exactly the entries wanted, in any language
        selection = select_language(scanned, lang, booklet.fallback, booklet.named)
        if scanned and not selection.chosen:
            raise nothing_in_language(selection, lang, booklet.fallback, booklet.lang is not None)
        left_out = left_out_line(selection, lang, booklet.fallback, booklet.lang is not None)
        scanned = selection.chosen
        scanned.sort(key=lambda item: (collation_key(item.title, lang), item.title, str(item.source.relative), str(item.source.path)))
    ordered = Ordered(item.source for item in scanned)
    ordered.left_out = left_out
    return ordered


class Ordered(list[EntrySource]):
    """The entries a booklet holds, in booklet order, and one line on those it left out for their language."""

    left_out: str = ""


def named_files(paths: Iterable[Path]) -> frozenset[Path]:
    """The files among ``paths`` (not folders), resolved: entries named one by one."""
    return frozenset(path.resolve() for path in paths if not path.is_dir())


def _language_state(default_lang: str) -> str:
    return default_lang


def booklet_title(project: Project, lang: str) -> str:
    """The cover title: ``[languages.LANG] booklet_title``, else ``booklet_title`` (the built-in one translated)."""
    own = language_setting(project.config, lang, "booklet_title")
    if own:
        return own
    configured = project.config.booklet_title
    if configured == DEFAULT_BOOKLET_TITLE or not same_language(lang, project.config.lang):
        translated = gettext_for(project.root, lang)(DEFAULT_BOOKLET_TITLE)
        if translated != DEFAULT_BOOKLET_TITLE or configured == DEFAULT_BOOKLET_TITLE:
            return translated
    return configured


def booklet_subtitle(project: Project, lang: str) -> str:
    own = language_setting(project.config, lang, "booklet_subtitle")
    if own:
        return own
    return project.config.booklet_subtitle if same_language(lang, project.config.lang) else ""


def chunk_bounds(entries: int, jobs: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk: at most :data:`CHUNK_ENTRIES` entries, in a number of chunks of
    near-equal size that shares out evenly over ``jobs`` workers.

    65 entries on two workers make six chunks of 10 or 11 (33 and 32 entries
    a worker), not five of 12 and one of 5 (36 against 29), which would leave
    one worker idle for a few entries' time at the end.
    """
    if entries <= 0:
        return []
    jobs = max(1, jobs)
    count = min(entries, jobs * math.ceil(entries / (jobs * CHUNK_ENTRIES)))
    edges = [round(index * entries / count) for index in range(count + 1)]
    return list(zip(edges, edges[1:]))


def _lay_out_entries(
    ordered: list[EntrySource], folder: Path, project: Project, options: BuildOptions, jobs: int,
    record: Callable[[EntryResult], None], commit_dates: Mapping[Path, date | None],
    chunks_elsewhere: ChunkBackend | None = None, pool: WorkerPool[BookletWorker] | None = None, lang: str | None = None,
) -> list[Chunk]:
    """Lay the entries out in chunks: on ``pool``'s workers (kept for the later stages) when each
    is given at most :data:`CHUNKS_PER_WORKER` chunks, else on workers replaced as they reach it."""
    numbered = list(enumerate(ordered))
    work = [
        ChunkJob(number, tuple(numbered[start:end]), folder, lang)
        for number, (start, end) in enumerate(chunk_bounds(len(numbered), jobs))
    ]
    chunks = []
    renders: Iterable[Chunk]
    if chunks_elsewhere is not None:
        renders = chunks_elsewhere(work, project, options, commit_dates)
    elif pool is not None and len(work) <= max(1, jobs) * CHUNKS_PER_WORKER:
        renders = pool.map(chunk_task, work)
    else:
        renders = map_in_workers(
            render_chunk, work, jobs, BookletRenderer, (project, options, commit_dates), items_per_worker=CHUNKS_PER_WORKER
        )
    for chunk in renders:
        for result in chunk.results:
            record(result)
        if chunk.entries:
            chunks.append(chunk)
    return chunks


def _stamp_jobs(
    plan: PagePlan, starts: dict[int, int], front: list[FrontPart], chunks: list[Chunk], folder: Path, lang: str = "en",
) -> list[StampJob]:
    """One job per part, in booklet order, each page given its number (and contents lines theirs)."""
    jobs = []
    number = 1
    for part in front:
        pages = []
        for index in range(part.pages):
            stamps = tuple(
                Stamp(CONTENTS_PAGE, line.slot, str(starts[line.position])) for line in part.lines if line.page == index
            )
            pages.append(PlacedPage(part.path, index, part.slots[index], number, stamps))
            number += 1
        jobs.append(StampJob(tuple(pages), plan.total, part.path.with_name(f"numbered-{part.path.name}"), lang))
    cover = front[0]
    assert cover.blank_index is not None
    blank = PlacedPage(cover.path, cover.blank_index, cover.slots[cover.blank_index], 0)
    index = 0
    for chunk in chunks:
        pages = []
        offset = 0
        for entry in chunk.entries:
            start = plan.starts[index]
            if plan.blank_before[index]:
                pages.append(replace(blank, number=start - 1))
            pages.extend(PlacedPage(chunk.path, offset + p, entry.slots[p], start + p) for p in range(entry.pages))
            offset += entry.pages
            index += 1
        jobs.append(StampJob(tuple(pages), plan.total, chunk.path.with_name(f"numbered-{chunk.path.name}"), lang))
    return jobs
