"""What runs on a Dask worker: a plugin that keeps renderers warm, and the batch tasks.

:class:`LeafletsPlugin` is registered once by the client
(``client.register_plugin``); on each worker it loads WeasyPrint when the
worker starts and then keeps, per project digest and build options, one
unpacked project and one renderer, so fonts and parsed stylesheets are set up
once per worker, not once per task. The tasks take parcels of entry bytes and
return PDF bytes (or a diagnostic), never touching the client's disk.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from leaflets.cluster.bundle import EntryParcel, Materialised, ProjectBundle, materialise, remove
from leaflets.errors import LeafletError
from leaflets.project.options import BuildOptions

PLUGIN_NAME = "leaflets"


@dataclass(frozen=True)
class RenderedParcel:
    """One entry's outcome on a worker: the output bytes, or the error a local build would print."""

    data: bytes | None
    warnings: tuple[str, ...] = ()
    pages: int | None = None
    error: str | None = None
    detail: str | None = None
    from_input: bool = False


class LeafletsPlugin(WorkerPlugin):
    """Per worker: unpacked projects by digest and renderers by (digest, options, kind)."""

    name = PLUGIN_NAME

    def __init__(self) -> None:
        self.projects: dict[str, Materialised] = {}
        self.renderers: dict[tuple[Any, ...], Any] = {}
        self.folder: Path | None = None

    def setup(self, worker: Any) -> None:
        import leaflets.render.leaflet  # noqa: F401 - WeasyPrint loaded once, before the first task

        self.folder = Path(tempfile.mkdtemp(prefix="leaflets-worker-"))

    def teardown(self, worker: Any) -> None:
        for materialised in self.projects.values():
            remove(materialised)
        if self.folder is not None:
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)

    def project(self, bundle: ProjectBundle) -> Materialised:
        """The bundle unpacked on this worker (once per digest)."""
        found = self.projects.get(bundle.digest)
        if found is None:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="leaflets-worker-"))
            found = self.projects[bundle.digest] = materialise(bundle, self.folder)
        return found

    def renderer(self, bundle: ProjectBundle, options: BuildOptions, kind: str = "leaflet") -> Any:
        """One warm renderer per project, options and kind ("leaflet" or "booklet")."""
        key = (bundle.digest, options, kind)
        renderer = self.renderers.get(key)
        if renderer is None:
            project = self.project(bundle).project
            if kind == "booklet":
                from leaflets.booklet.chunks import BookletRenderer

                renderer = BookletRenderer(project, options)
            else:
                from leaflets.render.leaflet import LeafletRenderer

                renderer = LeafletRenderer(project, options)
            self.renderers[key] = renderer
        return renderer


def plugin() -> LeafletsPlugin:
    found = get_worker().plugins.get(PLUGIN_NAME)
    if not isinstance(found, LeafletsPlugin):
        raise RuntimeError("the leaflets worker plugin is not registered on this worker")
    return found


@contextmanager
def build_time_of(epoch: str) -> Iterator[None]:
    """The client's build time (its SOURCE_DATE_EPOCH, or the moment its build started) for this task,
    so dates printed and written into the PDF are the client's, not the worker's clock."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


@contextmanager
def companions_placed(materialised: Materialised, parcels: Iterable[EntryParcel]) -> Iterator[dict[Path, Any]]:
    """The parcels' language siblings written beside them for the time of a batch; their commit dates by worker path.

    A bilingual edition prints the linked entry (found beside the entry, as
    locally), and the checks compare a translation with its source: either
    may be in another batch, or not be built at all, so it travels with the entry.
    """
    companions = {c.real_path: c for parcel in parcels for c in parcel.companions}
    beside = [(materialised.place(c), c) for c in companions.values()]
    try:
        yield {path: c.committed for path, c in beside}
    finally:
        for path, _c in beside:
            materialised.release(path)


def render_batch(
    bundle: ProjectBundle, options: BuildOptions, epoch: str, parcels: list[tuple[EntryParcel, str]]
) -> list[RenderedParcel]:
    """Render each ``(parcel, styles_href)`` as ``leaflets build`` would."""
    with build_time_of(epoch):
        return _render_batch(bundle, options, parcels)


def _render_batch(
    bundle: ProjectBundle, options: BuildOptions, parcels: list[tuple[EntryParcel, str]]
) -> list[RenderedParcel]:
    state = plugin()
    materialised = state.project(bundle)
    renderer = state.renderer(bundle, options)
    with companions_placed(materialised, (parcel for parcel, _href in parcels)) as beside:
        placed = [materialised.place(parcel) for parcel, _href in parcels]
        try:
            renderer.commit_dates = {**beside, **{path: parcel.committed for path, (parcel, _href) in zip(placed, parcels)}}
            return [_render_one(renderer, materialised, path, parcel, href) for path, (parcel, href) in zip(placed, parcels)]
        finally:
            for path in placed:
                materialised.release(path)


def _render_one(renderer: Any, materialised: Materialised, path: Path, parcel: EntryParcel, href: str) -> RenderedParcel:
    def back(text: str) -> str:
        return materialised.client_text(text, path, parcel)

    from pathlib import PurePosixPath

    try:
        rendered = renderer.render_file(path, href, PurePosixPath(parcel.relative))
    except LeafletError as exc:
        from leaflets.errors import EntryError

        return RenderedParcel(None, error=back(exc.diagnostic()), from_input=isinstance(exc, EntryError))
    except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the batch
        return RenderedParcel(
            None,
            error=f"{parcel.client_path}: error: internal error while building: {type(exc).__name__}: {back(str(exc))}",
            detail=back(traceback.format_exc()),
        )
    data = materialised.client_html(rendered.data) if renderer.options.format == "html" else rendered.data
    return RenderedParcel(data, tuple(back(w) for w in rendered.warnings), rendered.page_count)


def check_batch(bundle: ProjectBundle, epoch: str, parcels: list[EntryParcel]) -> list[Any]:
    """Check entries as ``leaflets check`` would (images against the project's folders); findings name the client's paths."""
    with build_time_of(epoch):
        return _check_batch(bundle, parcels)


def _check_batch(bundle: ProjectBundle, parcels: list[EntryParcel]) -> list[Any]:
    materialised = plugin().project(bundle)
    with companions_placed(materialised, parcels) as beside:
        placed = [materialised.place(parcel) for parcel in parcels]
        try:
            return _check_placed(materialised, beside, placed, parcels)
        finally:
            for path in placed:
                materialised.release(path)


def _check_placed(
    materialised: Materialised, beside: dict[Path, Any], placed: list[Path], parcels: list[EntryParcel],
) -> list[Any]:
    """Check the placed entries as a local check would, findings naming the client's files."""
    from leaflets.check.checker import Checker
    from leaflets.check.glyphs import configured_coverage
    from leaflets.source.discover import EntrySource

    project = materialised.project
    committed = {**beside, **{path: parcel.committed for path, parcel in zip(placed, parcels)}}
    # The worker's own fonts answer missing-glyph: a cluster is expected to carry the fonts it prints with.
    checker = Checker(project.config, committed, project, configured_coverage(project))
    checks = []
    for path, parcel in zip(placed, parcels):
        client = EntrySource(Path(parcel.relative), Path(parcel.client_path))
        check = checker.check(EntrySource(Path(parcel.relative), path))
        findings = tuple(
            replace(f, path=client.path, message=materialised.client_text(f.message, path, parcel))
            if f.path == path else f
            for f in check.findings
        )
        checks.append(replace(check, source=client, findings=findings))
    return checks


@dataclass(frozen=True)
class RenderedChunk:
    """A chunk laid out on a worker: its PDF bytes (None when every entry failed), what the booklet
    needs of its entries, and their results (sources as the client names them)."""

    data: bytes | None
    entries: tuple[Any, ...]
    results: tuple[Any, ...]


def chunk_batch(
    bundle: ProjectBundle, options: BuildOptions, epoch: str, job: tuple[int, list[tuple[int, EntryParcel]], str | None]
) -> RenderedChunk:
    """Lay out one booklet chunk as :func:`leaflets.booklet.chunks.render_chunk` does locally; bytes back."""
    with build_time_of(epoch):
        return _chunk_batch(bundle, options, job)


def _chunk_batch(
    bundle: ProjectBundle, options: BuildOptions, job: tuple[int, list[tuple[int, EntryParcel]], str | None]
) -> RenderedChunk:
    number, numbered, lang = job
    state = plugin()
    materialised = state.project(bundle)
    renderer = state.renderer(bundle, options, "booklet")
    with companions_placed(materialised, (parcel for _position, parcel in numbered)) as beside:
        placed = [materialised.place(parcel) for _position, parcel in numbered]
        renderer.commit_dates = {**beside, **{path: parcel.committed for path, (_p, parcel) in zip(placed, numbered)}}
        return _lay_out_chunk(renderer, materialised, number, numbered, lang, placed)


def _lay_out_chunk(
    renderer: Any, materialised: Materialised, number: int, numbered: list[tuple[int, EntryParcel]], lang: str | None,
    placed: list[Path],
) -> RenderedChunk:
    """Lay out the placed entries of one chunk; the chunk's PDF bytes and its results as the client names them."""
    from leaflets.booklet.chunks import ChunkJob, render_chunk
    from leaflets.source.discover import EntrySource

    folder = Path(tempfile.mkdtemp(prefix="chunk-", dir=materialised.mirror))
    try:
        sources = tuple(
            (position, EntrySource(Path(parcel.relative), path)) for path, (position, parcel) in zip(placed, numbered)
        )
        chunk = render_chunk(renderer, ChunkJob(number, sources, folder, lang))
        data = chunk.path.read_bytes() if chunk.entries else None
        by_path = {path: (parcel, EntrySource(Path(parcel.relative), Path(parcel.client_path))) for path, (_p, parcel) in zip(placed, numbered)}
        results = []
        for result in chunk.results:
            parcel, client = by_path[result.source.path]

            def back(text: str | None, worker_path: Path = result.source.path, parcel: EntryParcel = parcel) -> str | None:
                return None if text is None else materialised.client_text(text, worker_path, parcel)

            results.append(replace(
                result, source=client, error=back(result.error), detail=back(result.detail),
                warnings=tuple(materialised.client_text(w, result.source.path, parcel) for w in result.warnings),
            ))
        return RenderedChunk(data, chunk.entries, tuple(results))
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        for path in placed:
            materialised.release(path)


def render_editions_batch(
    bundle: ProjectBundle, epoch: str, items: list[tuple[EntryParcel, str, list[BuildOptions]]]
) -> list[list[RenderedParcel]]:
    """``--editions`` on the cluster: each entry parsed once, then rendered in each of its editions."""
    with build_time_of(epoch):
        return _render_editions_batch(bundle, items)


def _render_editions_batch(
    bundle: ProjectBundle, items: list[tuple[EntryParcel, str, list[BuildOptions]]]
) -> list[list[RenderedParcel]]:
    state = plugin()
    materialised = state.project(bundle)
    with companions_placed(materialised, (parcel for parcel, _href, _options in items)) as beside:
        placed = [materialised.place(parcel) for parcel, _href, _options in items]
        try:
            dates = {**beside, **{path: parcel.committed for path, (parcel, _h, _o) in zip(placed, items)}}
            return _render_editions_placed(state, bundle, materialised, items, placed, dates)
        finally:
            for path in placed:
                materialised.release(path)


def _render_editions_placed(
    state: LeafletsPlugin, bundle: ProjectBundle, materialised: Materialised,
    items: list[tuple[EntryParcel, str, list[BuildOptions]]], placed: list[Path], dates: dict[Path, Any],
) -> list[list[RenderedParcel]]:
    """Each placed entry parsed once and rendered in each of its editions."""
    from pathlib import PurePosixPath

    from leaflets.errors import EntryError
    from leaflets.source.entry import load_entry

    out = []
    for path, (parcel, href, editions) in zip(placed, items):
        def back(text: str, path: Path = path, parcel: EntryParcel = parcel) -> str:
            return materialised.client_text(text, path, parcel)

        try:
            entry = load_entry(path)
        except LeafletError as exc:
            failed = RenderedParcel(None, error=back(exc.diagnostic()), from_input=isinstance(exc, EntryError))
            out.append([failed] * len(editions))
            continue
        results = []
        for options in editions:
            renderer = state.renderer(bundle, options)
            renderer.commit_dates = dates
            try:
                rendered = renderer.render_entry(entry, href, PurePosixPath(parcel.relative))
            except LeafletError as exc:
                results.append(RenderedParcel(None, error=back(exc.diagnostic()), from_input=isinstance(exc, EntryError)))
                continue
            except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the batch
                results.append(RenderedParcel(
                    None,
                    error=f"{parcel.client_path}: error: internal error while building: {type(exc).__name__}: {back(str(exc))}",
                    detail=back(traceback.format_exc()),
                ))
                continue
            data = materialised.client_html(rendered.data) if options.format == "html" else rendered.data
            results.append(RenderedParcel(data, tuple(back(w) for w in rendered.warnings), rendered.page_count))
        out.append(results)
    return out
