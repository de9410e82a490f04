"""The client side of ``--dask ADDRESS``: connect, send batches, write what comes back.

Only imported when ``--dask`` is given, so a local build never loads Dask.
Entries go in batches of :data:`BATCH_SIZE` (one task per entry would cost
the scheduler more than a small leaflet costs to render); at most
:data:`BATCHES_PER_THREAD` batches per worker thread are out at once, so the
client's memory stays bounded however many entries there are. Results come
back in input order and the client writes them atomically, so the cache,
progress bar, messages and exit status are those of a local build. A worker
that dies mid-batch is Dask's business: the scheduler runs its tasks again
elsewhere (``retries`` covers a task that raised).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from leaflets.build.builder import BuildJob, output_path
from leaflets.build.cache import entry_key_of
from leaflets.build.output import atomic_write
from leaflets.build.results import EntryResult, failed_result
from leaflets.errors import LeafletError
from leaflets.project.options import LEAFLET_TEMPLATE, STYLES_FOLDER, BuildOptions
from leaflets.project.project import Project
from leaflets.source.discover import EntrySource

BATCH_SIZE = 20
"""Entries per task at most: ~20 x 0.2 s of rendering per task against ~1 ms of scheduler work per task."""
BATCHES_PER_THREAD_AT_LEAST = 4
"""A small build is cut finer (down to one entry per task) so every worker thread gets about this many
batches: with 64 entries on two workers, batches of 20 would leave one worker idle for a quarter of the build."""
BATCHES_PER_THREAD = 3
"""Batches in flight per worker thread: enough to keep every worker busy, few enough to bound memory."""
CONNECT_SECONDS = 5
RETRIES = 2
"""Dask re-runs a task that raised this many times (an internal error, not a bad entry: those are results)."""

Item = TypeVar("Item")
Out = TypeVar("Out")


def connect(address: str) -> "Any":
    """A context manager yielding a :class:`Remote` for the scheduler at ``address``; LeafletError when none answers."""
    return _connected(address)


@contextmanager
def _connected(address: str) -> Iterator["Remote"]:
    try:
        from distributed import Client
    except ImportError:
        raise LeafletError("--dask needs Dask's distributed package: pip install 'leaflets[dask]'") from None
    from leaflets.cluster.worker import LeafletsPlugin

    _check_address(address)
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - whatever the reason, one line: nothing to connect to
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LeafletError(f"no Dask scheduler answered at {address} within {CONNECT_SECONDS}s ({reason})") from None
    try:
        client.register_plugin(LeafletsPlugin(), name="leaflets")
        yield Remote(client)
    finally:
        client.close()


SCHEMES = ("tcp", "tls", "ws", "wss")


def _check_address(address: str) -> None:
    """Refuse, in one line, an address Dask could not connect to at all (no port, an unknown protocol),
    before a half-made Client spends seconds closing itself."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise LeafletError(f"--dask {address}: not a scheduler address such as tcp://10.0.0.5:8786 ({exc})") from None
    if scheme not in SCHEMES:
        raise LeafletError(f"--dask {address}: protocol '{scheme}' is not supported (use {', '.join(SCHEMES)})")


@dataclass
class Remote:
    """A connected Dask client and the three kinds of work leaflets sends it."""

    client: Any

    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def batch_size(self, entries: int) -> int:
        """:data:`BATCH_SIZE`, or fewer when there are too few entries to keep every thread busy."""
        return max(1, min(BATCH_SIZE, math.ceil(entries / (BATCHES_PER_THREAD_AT_LEAST * self.threads()))))

    def in_order(
        self, function: Callable[..., Out], batches: list[Item], *shared: Any
    ) -> Iterator[tuple[Item, Out | Exception]]:
        """``function(*shared, batch)`` for every batch on the cluster, yielded in input order.

        A batch whose task failed for good (it raised more than RETRIES times, or killed more
        workers than the scheduler allows) yields the exception instead of its result.
        """
        window = BATCHES_PER_THREAD * self.threads()
        pending: deque[tuple[Item, Any]] = deque()
        shared_futures = [self.client.scatter(value, broadcast=True, hash=True) if _big(value) else value for value in shared]
        upcoming = iter(batches)
        try:
            while True:
                while len(pending) < window:
                    batch = next(upcoming, None)
                    if batch is None:
                        break
                    future = self.client.submit(function, *shared_futures, batch, pure=False, retries=RETRIES)
                    pending.append((batch, future))
                if not pending:
                    return
                batch, future = pending.popleft()
                try:
                    outcome: Out | Exception = future.result()
                except Exception as exc:  # noqa: BLE001 - reported per entry by the caller
                    outcome = exc
                yield batch, outcome
        finally:
            for _batch, future in pending:
                future.cancel()

    def render_builds(
        self, work: list[BuildJob], project: Project, options: BuildOptions,
        commit_dates: Mapping[Path, date | None],
    ) -> Generator[tuple[int, EntryResult], None, None]:
        """The builder's backend: render ``work`` on the cluster, write the outputs here, yield
        ``(index, result)`` in order, each result with the key of the bytes that were sent and rendered."""
        from leaflets.cluster.bundle import EntryParcel, bundle_project, parcel_for
        from leaflets.cluster.worker import render_batch

        if not work:
            return
        bundle = bundle_project(project, options.stylesheets, (LEAFLET_TEMPLATE,))
        size = self.batch_size(len(work))
        batches = [work[i : i + size] for i in range(0, len(work), size)]

        def parcels(batch: list[BuildJob]) -> list[tuple[EntryParcel, str]]:
            return [
                (parcel_for(job.source, project.root, commit_dates, options.bilingual), _styles_href(job.source))
                for job in batch
            ]

        packed = (parcels(batch) for batch in batches)
        index = 0
        for (parcel_batch, rendered), batch in zip(self.in_order(render_batch, _Lazy(packed, len(batches)), bundle, options,
                                                                  client_epoch()), batches):
            for number, (job, (parcel, _href)) in enumerate(zip(batch, parcel_batch)):
                key = None if parcel.mtime_ns < 0 else entry_key_of(
                    job.dependencies, parcel.data, job.source.path, job.review_stamp, project.embed_dirs(job.source.path)
                )
                if isinstance(rendered, Exception):
                    result = _cluster_failure(job.source, rendered)
                else:
                    result = _written(job.source, output_path(job.out_dir, job.source, options), rendered[number])
                yield index, replace(result, key=key)
                index += 1

    def render_chunks(
        self, work: list[Any], project: Project, options: BuildOptions, commit_dates: Mapping[Path, date | None],
    ) -> Iterator[Any]:
        """The booklet's backend: chunks laid out on the cluster, their PDFs written to the jobs' folders here."""
        from leaflets.booklet.chunks import BOOKLET_STYLESHEETS, Chunk
        from leaflets.cluster.bundle import bundle_project, parcel_for
        from leaflets.cluster.worker import chunk_batch

        bundle = bundle_project(project, options.stylesheets + BOOKLET_STYLESHEETS, (LEAFLET_TEMPLATE,))
        packed = (
            (job.number, [(position, parcel_for(source, project.root, commit_dates, options.bilingual))
                          for position, source in job.sources], job.lang)
            for job in work
        )
        jobs = iter(work)
        for _packed, rendered in self.in_order(chunk_batch, _Lazy(packed, len(work)), bundle, options, client_epoch()):
            job = next(jobs)
            path = job.folder / f"chunk-{job.number:05d}.pdf"
            if isinstance(rendered, Exception):
                yield Chunk(path, (), tuple(_cluster_failure(source, rendered) for _position, source in job.sources))
                continue
            if rendered.data is not None:
                atomic_write(path, rendered.data)
            yield Chunk(path, rendered.entries, rendered.results)

    def render_editions(
        self, work: list[Any], project: Project, commit_dates: Mapping[Path, date | None],
    ) -> Iterator[list[EntryResult]]:
        """``--editions`` backend: each entry sent once with its editions; outputs written here, in order."""
        from leaflets.build.editions import EditionJob
        from leaflets.cluster.bundle import bundle_project, parcel_for
        from leaflets.cluster.worker import render_editions_batch

        if not work:
            return
        stylesheets = tuple(dict.fromkeys(s for job in work for options, _t in job.outputs for s in options.stylesheets))
        bundle = bundle_project(project, stylesheets, (LEAFLET_TEMPLATE,))
        size = self.batch_size(sum(len(job.outputs) for job in work))
        size = max(1, size * len(work) // max(1, sum(len(job.outputs) for job in work)))
        batches: list[list[EditionJob]] = [work[i : i + size] for i in range(0, len(work), size)]
        packed = (
            [(parcel_for(job.source, project.root, commit_dates, next((o.bilingual for o, _t in job.outputs if o.bilingual), None)),
              _styles_href(job.source), [options for options, _target in job.outputs]) for job in batch]
            for batch in batches
        )
        jobs = iter(work)
        for items, rendered in self.in_order(render_editions_batch, _Lazy(packed, len(batches)), bundle, client_epoch()):
            if isinstance(rendered, Exception):
                for _item, job in zip(items, jobs):
                    yield [_cluster_failure(job.source, rendered)] * len(job.outputs)
                continue
            for outcomes, job in zip(rendered, jobs):
                yield [
                    _written(job.source, target, outcome) for (_options, target), outcome in zip(job.outputs, outcomes)
                ]

    def check_batches(
        self, batches: list[list[EntrySource]], project: Project, commit_dates: Mapping[Path, date | None],
    ) -> Iterator[list[Any]]:
        """The checker's backend: each batch of entries checked on the cluster, in order."""
        from leaflets.cluster.bundle import bundle_project, parcel_with_companions
        from leaflets.cluster.worker import check_batch

        bundle = bundle_project(project, (), (LEAFLET_TEMPLATE,))
        packed = ([parcel_with_companions(source, project.root, commit_dates) for source in batch] for batch in batches)
        for _parcels, checks in self.in_order(check_batch, _Lazy(packed, len(batches)), bundle, client_epoch()):
            if isinstance(checks, Exception):
                raise LeafletError(f"the Dask cluster could not check a batch of entries: {type(checks).__name__}: {checks}")
            yield checks


class _Lazy(list):
    """Batches packed only as they are sent, so entry bytes are read a window ahead, not all at once."""

    def __init__(self, produce: Iterator[Any], length: int) -> None:
        super().__init__()
        self._produce = produce
        self._length = length

    def __iter__(self) -> Iterator[Any]:
        return iter(self._produce)

    def __len__(self) -> int:
        return self._length


def client_epoch() -> str:
    """The build time the workers print: this machine's SOURCE_DATE_EPOCH, else now (one moment for the whole build)."""
    from leaflets.clock import build_time

    return str(int(build_time().timestamp()))


def _styles_href(source: EntrySource) -> str:
    return "/".join([".."] * (len(source.relative.parts) - 1) + [STYLES_FOLDER])


def _big(value: Any) -> bool:
    from leaflets.cluster.bundle import ProjectBundle

    return isinstance(value, ProjectBundle)


def _cluster_failure(source: EntrySource, exc: Exception) -> EntryResult:
    """An entry whose task failed on the cluster for good: one line, the whole story with --verbose."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return EntryResult(
        source, "failed",
        error=f"{source.path}: error: the Dask cluster could not build it: {type(exc).__name__}: {first_line}",
        detail=f"{type(exc).__name__}: {exc}",
    )


def _written(source: EntrySource, target: Path, outcome: Any) -> EntryResult:
    """Write a worker's output here, atomically, and say what happened as a local build would."""
    if outcome.data is None:
        return EntryResult(source, "failed", error=outcome.error, detail=outcome.detail, from_input=outcome.from_input)
    try:
        atomic_write(target, outcome.data)
    except LeafletError as exc:
        return failed_result(source, exc)
    return EntryResult(source, "built", target, warnings=outcome.warnings, pages=outcome.pages)
