"""What a booklet's worker process keeps from one stage to the next, and the tasks it runs.

The same workers lay out the entries, then the cover and contents, then
number the pages (:class:`leaflets.parallel.WorkerPool`), so fonts,
stylesheets and templates are loaded once per worker, not once per stage.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Mapping

from leaflets.booklet.chunks import BookletRenderer, Chunk, ChunkJob, render_chunk
from leaflets.booklet.front import FrontJob, FrontPart, lay_out_front_part
from leaflets.booklet.stamping import Stamper, StampJob, stamp_pages
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project


class BookletWorker:
    """A worker's renderer (entries, cover, contents) and, once numbering starts, its stamper."""

    def __init__(self, project: Project, options: BuildOptions, commit_dates: Mapping[Path, date | None]) -> None:
        self.project = project
        self.options = options
        self.renderer = BookletRenderer(project, options, commit_dates)
        self._stamper: Stamper | None = None

    @property
    def stamper(self) -> Stamper:
        if self._stamper is None:
            self._stamper = Stamper(self.project, self.options)
        return self._stamper


def chunk_task(worker: BookletWorker, job: ChunkJob) -> Chunk:
    return render_chunk(worker.renderer, job)


def front_task(worker: BookletWorker, job: FrontJob) -> FrontPart:
    return lay_out_front_part(worker.renderer, job)


def numbering_task(worker: BookletWorker, job: StampJob) -> Path:
    return stamp_pages(worker.stamper, job)
