"""Many entries in one print-ready PDF: the library API behind ``leaflets booklet``.

The whole corpus is too big to lay out as one document, so the work runs in
stages whose memory does not grow with the number of entries:

1. read every entry's title (to order them) in worker processes;
2. lay entries out in chunks in worker processes, each chunk written to a
   temporary PDF, keeping only page counts, page-number slots and headings;
3. lay out cover and contents, now that every entry's first page is known;
4. stamp "Page N of M" on every page, part by part, in worker processes;
5. join the parts with pikepdf and add bookmarks, contents links and metadata.

Each entry is laid out once, exactly as ``leaflets build`` lays it out.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .booklet_front import Cover, FrontMatter, lay_out_front
from .booklet_pages import BookletRenderer, Chunk, ChunkJob, render_chunk, scan_titles
from .booklet_pdf import BookletInfo, assemble
from .build import BuildReport, EntryResult, check_writable
from .discover import EntrySource, find_entries
from .errors import LeafletError, OutputError
from .imposition import impose_saddle, imposed_path
from .leaflet import BuildOptions
from .parallel import map_in_workers, usable_cpus
from .project import Project
from .selection import read_list, title_key
from .stamping import PlacedPage, Stamper, StampJob, stamp_pages

CHUNK_ENTRIES = 12
"""Entries laid out per chunk: enough to share font subsets, few enough to bound a worker's memory."""
SCAN_BATCH = 200


@dataclass(frozen=True)
class BookletOptions:
    """What the booklet holds beyond the leaflets themselves; None means the setting from leaflets.toml."""

    title: str | None = None
    subtitle: str | None = None
    list_file: Path | None = None
    duplex: bool = False
    impose: str | None = None


@dataclass
class BookletReport(BuildReport):
    """Every entry's result, and the booklet (and imposed file) written."""

    output: Path | None = None
    imposed: Path | None = None
    pages: int = 0

    def summary(self) -> str:
        return (
            f"{self.count('built')} entries in {self.output} ({self.pages} pages), "
            f"{self.count('failed')} failed in {self.seconds:.1f}s"
        )


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
) -> BookletReport:
    """Build one booklet PDF at ``output`` from the entries under ``paths`` (default: the project's entries/).

    Bad entries are reported (through ``on_result`` and the report) and left
    out; the booklet is still written. Raises :class:`LeafletError` when
    nothing is selected or nothing could be built.
    """
    started = time.perf_counter()
    options = options or BuildOptions(paper=project.config.paper)
    booklet = booklet or BookletOptions()
    if options.format != "pdf":
        raise LeafletError("booklets are written as PDF only")
    if booklet.impose not in (None, "saddle"):
        raise LeafletError(f"unknown imposition '{booklet.impose}' (known: saddle)")
    if booklet.list_file is not None:
        sources = read_list(booklet.list_file)
    else:
        sources = find_entries(list(paths) if paths else [project.entries_dir])
    if not sources:
        where = booklet.list_file or ", ".join(str(p) for p in (paths or [project.entries_dir]))
        raise LeafletError(f"no entries selected from {where}; a booklet needs at least one")
    check_writable(output.parent)
    jobs = usable_cpus() if jobs is None else jobs
    report = BookletReport(output=output)

    def record(result: EntryResult) -> None:
        report.results.append(result)
        if on_result is not None:
            on_result(result)

    ordered = _titles(sources, booklet.list_file is None, jobs, record)
    with tempfile.TemporaryDirectory(prefix=".leaflets-booklet-", dir=output.parent) as folder:
        temp = Path(folder)
        chunks = _lay_out_entries(ordered, temp, project, options, jobs, record)
        entries = [entry for chunk in chunks for entry in chunk.entries]
        if not entries:
            raise LeafletError("no entry could be built, so no booklet was written")
        config = project.config
        cover = Cover(
            title=booklet.title if booklet.title is not None else config.booklet_title,
            subtitle=booklet.subtitle if booklet.subtitle is not None else config.booklet_subtitle,
            grouped=booklet.list_file is None,
            duplex=booklet.duplex,
        )
        front = lay_out_front(BookletRenderer(project, options, "booklet/front.html"), cover, entries, temp)
        stamp_jobs = _stamp_jobs(front, chunks, temp)
        parts = list(map_in_workers(stamp_pages, stamp_jobs, jobs, Stamper, (project, options)))
        info = BookletInfo(cover.title, cover.subtitle, config.author or config.organisation, config.lang)
        try:
            report.pages = assemble(parts, front, entries, info, output)
        except OSError as exc:
            raise OutputError(f"cannot write booklet: {exc.strerror or exc}", output) from None
    if booklet.impose == "saddle":
        report.imposed = imposed_path(output)
        impose_saddle(output, report.imposed)
    report.seconds = time.perf_counter() - started
    return report


def _titles(
    sources: list[EntrySource], by_title: bool, jobs: int, record: Callable[[EntryResult], None]
) -> list[EntrySource]:
    """The readable entries in booklet order; unreadable ones are recorded as failures."""
    batches = [sources[i : i + SCAN_BATCH] for i in range(0, len(sources), SCAN_BATCH)]
    titled: list[tuple[EntrySource, str]] = []
    for batch in map_in_workers(scan_titles, batches, jobs, _no_state):
        for source, title, failure in batch:
            if failure is not None:
                record(failure)
            else:
                titled.append((source, title or ""))
    if by_title:
        titled.sort(key=lambda pair: (title_key(pair[1]), pair[1], str(pair[0].relative), str(pair[0].path)))
    return [source for source, _title in titled]


def _lay_out_entries(
    ordered: list[EntrySource], folder: Path, project: Project, options: BuildOptions, jobs: int,
    record: Callable[[EntryResult], None],
) -> list[Chunk]:
    size = max(1, min(CHUNK_ENTRIES, math.ceil(len(ordered) / max(1, jobs))))
    numbered = list(enumerate(ordered))
    work = [
        ChunkJob(number, tuple(numbered[start : start + size]), folder)
        for number, start in enumerate(range(0, len(numbered), size))
    ]
    chunks = []
    for chunk in map_in_workers(render_chunk, work, jobs, BookletRenderer, (project, options)):
        for result in chunk.results:
            record(result)
        if chunk.entries:
            chunks.append(chunk)
    return chunks


def _stamp_jobs(front: FrontMatter, chunks: list[Chunk], folder: Path) -> list[StampJob]:
    plan = front.plan
    jobs = [StampJob(
        tuple(PlacedPage(front.path, i, front.slots[i], i + 1) for i in range(plan.front_pages)),
        plan.total, folder / "numbered-front.pdf",
    )]
    blank = front.blank_index
    index = 0
    for chunk in chunks:
        pages: list[PlacedPage] = []
        offset = 0
        for entry in chunk.entries:
            start = plan.starts[index]
            if plan.blank_before[index]:
                pages.append(PlacedPage(front.path, blank, front.slots[blank], start - 1))
            pages.extend(PlacedPage(chunk.path, offset + p, entry.slots[p], start + p) for p in range(entry.pages))
            offset += entry.pages
            index += 1
        jobs.append(StampJob(tuple(pages), plan.total, chunk.path.with_name(f"numbered-{chunk.path.name}")))
    return jobs

