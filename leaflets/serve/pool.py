"""Rendering for the counter in worker processes, each keeping the build's renderer warm.

Laying out a leaflet takes a CPU for a fraction of a second; doing it in the
server's own process would stall every search meanwhile. Each worker holds
one :class:`~leaflets.render.leaflet.LeafletRenderer` per set of options
(fonts, parsed stylesheets, measured footers), as ``leaflets build`` workers
do, and is warmed up with one leaflet when it starts, so the first patient's
copy after start-up is not the one that pays for loading fonts.

Patient data travels to a worker through the pool's pipe and the PDF comes
back as bytes: nothing is written to disk, and an error names the entry, not
what was typed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import signal
import tempfile
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from leaflets.build.builder import new_renderer
from leaflets.errors import LeafletError
from leaflets.parallel import die_with_parent
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project
from leaflets.serve.patient import PatientBox, patient_context
from leaflets.source.git import last_commit_dates


@dataclass(frozen=True)
class RenderJob:
    """One leaflet to render; ``patient`` set makes it a patient's copy."""

    path: Path
    relative: PurePath
    paper: str
    large_print: bool = False
    patient: PatientBox | None = None
    bilingual: str | None = None
    """Second language of a bilingual edition (each section followed by the linked entry's), as ``build --bilingual``."""


@dataclass(frozen=True)
class BookletJob:
    """A plain booklet of several entries (the basket); no patient data."""

    paths: tuple[Path, ...]
    paper: str
    large_print: bool
    scratch: Path
    """A folder for the booklet's parts (under the serve cache), removed when done."""


@dataclass(frozen=True)
class Rendered:
    """PDF bytes, or the diagnostic naming the entry that failed."""

    data: bytes | None
    pages: int | None = None
    error: str | None = None


_project: Project | None = None
_renderers: dict[BuildOptions, Any] = {}
_commit_dates: dict[Path, date | None] = {}
"""Last commit dates of the entries this worker has rendered: git is asked once per entry, not per copy."""


def _initialise(project: Project, warm: RenderJob | None, parent: int) -> None:
    """Set up a worker: its project, and one leaflet laid out so fonts and styles are loaded.

    Ctrl-C reaches the whole process group; the server shuts its workers down itself,
    and a server killed outright takes them with it.
    """
    global _project
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _project = project
    _renderers.clear()
    _commit_dates.clear()
    if warm is not None:
        render_in_worker(warm)


def _renderer(options: BuildOptions) -> Any:
    """The worker's renderer for ``options``, made the way ``leaflets build`` workers make theirs."""
    if options not in _renderers:
        assert _project is not None
        renderer = new_renderer(_project, options)
        renderer.commit_dates = _commit_dates
        _renderers[options] = renderer
    return _renderers[options]


def render_in_worker(job: RenderJob) -> Rendered:
    """Render one leaflet in memory; never raises for a bad entry, and never echoes patient data."""
    options = BuildOptions(paper=job.paper, large_print=job.large_print, bilingual=job.bilingual)
    try:
        if job.path not in _commit_dates:
            _commit_dates.update(last_commit_dates([job.path]))
        rendered = _renderer(options).render_file(job.path, relative=job.relative, extra=patient_context(job.patient))
    except LeafletError as exc:
        return Rendered(None, error=exc.diagnostic())
    except Exception as exc:  # noqa: BLE001 - one broken entry must not take the worker down
        detail = "" if job.patient is not None else "\n" + traceback.format_exc()
        return Rendered(None, error=f"{job.path}: error: internal error while rendering: {type(exc).__name__}{detail}")
    return Rendered(rendered.data, rendered.page_count)


def booklet_in_worker(job: BookletJob) -> Rendered:
    """Build a booklet of the basket's entries with the booklet stage; parts go to ``job.scratch``."""
    from leaflets.booklet.make import BookletOptions, build_booklet

    assert _project is not None
    options = BuildOptions(paper=job.paper, large_print=job.large_print)
    try:
        with tempfile.TemporaryDirectory(prefix="booklet-", dir=job.scratch) as folder:
            output = Path(folder) / "booklet.pdf"
            report = build_booklet(list(job.paths), output, _project, options, BookletOptions(), jobs=1)
            errors = [result.error for result in report.results if result.error]
            if not output.is_file():
                return Rendered(None, error="\n".join(errors) or "no booklet was written")
            return Rendered(output.read_bytes(), report.pages, "\n".join(errors) or None)
    except LeafletError as exc:
        return Rendered(None, error=exc.diagnostic())
    except Exception as exc:  # noqa: BLE001
        return Rendered(None, error=f"internal error while making the booklet: {type(exc).__name__}: {exc}")


class RenderPool:
    """A pool of render workers the web app awaits; replaced whole when templates or settings change."""

    def __init__(self, project: Project, jobs: int, warm: RenderJob | None = None) -> None:
        self.jobs = max(1, jobs)
        self.warm = warm
        self._executor = self._start(project)

    def _start(self, project: Project) -> ProcessPoolExecutor:
        import leaflets.render.leaflet  # noqa: F401 - forked workers inherit WeasyPrint instead of each loading it

        self._project = project
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        executor = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_initialise,
                                       initargs=(project, self.warm, os.getpid()))
        # Start (and so warm) every worker now, not on the first request.
        self._started = [executor.submit(_noop) for _ in range(self.jobs)]
        return executor

    def wait_ready(self, timeout: float = 120) -> None:
        """Block until every worker has laid out its warm-up leaflet (the server opens after that)."""
        concurrent.futures.wait(self._started, timeout=timeout)

    async def render(self, job: RenderJob) -> Rendered:
        return await self._run(render_in_worker, job)

    async def booklet(self, job: BookletJob) -> Rendered:
        return await self._run(booklet_in_worker, job)

    async def _run(self, function: Callable[[Any], Rendered], job: Any) -> Rendered:
        loop = asyncio.get_running_loop()
        executor = self._executor
        try:
            return await loop.run_in_executor(executor, function, job)
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in a C library): start fresh ones, report this job.
            if executor is self._executor:
                self._executor = self._start(self._project)
            where = getattr(job, "path", None) or "booklet"
            return Rendered(None, error=f"{where}: error: the render worker stopped unexpectedly")

    def restart(self, project: Project) -> None:
        """New workers for a changed project (templates, styles, leaflets.toml); old ones finish their jobs."""
        old, self._executor = self._executor, self._start(project)
        old.shutdown(wait=False, cancel_futures=False)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _noop() -> None:
    return None
