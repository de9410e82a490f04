"""What the counter's web app works with: the entries by id, the search index, the render pool.

One :class:`Counter` lives for the life of the server. Entries are known by
id (their path below the folder given, without ``.md``) and looked up in a
dictionary: a URL is never joined to a path on disk, so ``..``, encoded
slashes or absolute paths in a URL find nothing and read nothing.

Plain leaflets (no patient data) go through the build cache exactly as
``leaflets build`` would write them, so a PDF built before is served as is
and one rendered here is there for the next build. Patients' copies never
touch it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from leaflets.build.cache import CACHE_FILENAME, OutputCache, dependency_key, entry_key
from leaflets.build.output import atomic_write
from leaflets.build.builder import bilingual_companions, check_writable, with_companions
from leaflets.errors import LeafletError, OutputError
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project
from leaflets.serve.index import INDEX_FILENAME, Hit, SearchIndex, SyncStats, entry_id
from leaflets.serve.patient import PatientBox
from leaflets.serve.pool import BookletJob, Rendered, RenderJob, RenderPool
from leaflets.serve.preview import page_png
from leaflets.serve.translations import Sibling, family_key, group_families, siblings
from leaflets.source.discover import ENTRY_SUFFIXES, EntrySource, find_entries
from leaflets.source.git import last_commit_dates
from leaflets.source.review import review_stamps

log = logging.getLogger("leaflets.serve")

WARM_UP = PatientBox("Warm-up", "Warm-up", "", "", None)
"""A placeholder patient box each worker lays out once at start, so a real patient's copy finds everything loaded."""

PREVIEW_CACHE_ITEMS = 64
"""Plain PDFs and page images kept in memory for the preview (never patients' copies)."""


@dataclass
class Counter:
    """The server's state: project, entries, index, render pool and the watchers listening for changes."""

    project: Project
    roots: list[Path]
    cache_dir: Path
    pool: RenderPool
    index: SearchIndex
    watching: bool = False
    sources: dict[str, EntrySource] = field(default_factory=dict)
    entries: dict[str, Hit] = field(default_factory=dict)
    """Title and language of every entry by id, from the index."""
    families: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """Ids of each entry and its translations (same folder, same NAME), grouped by :func:`group_families`."""
    _keys: dict[BuildOptions, str] = field(default_factory=dict)
    _commit_dates: dict[Path, date | None] = field(default_factory=dict)
    """Entries' last commit dates, asked of git once per entry (as a build asks once per build)."""
    _memory: OrderedDict[tuple[object, ...], bytes] = field(default_factory=OrderedDict)
    _listeners: set[asyncio.Queue[list[str]]] = field(default_factory=set)

    @classmethod
    def start(cls, project: Project, roots: list[Path], cache_dir: Path, jobs: int, watching: bool = False) -> tuple[Counter, SyncStats]:
        """Find the entries, bring the index up to date and start the (warmed-up) render workers."""
        check_writable(cache_dir)
        try:
            index = SearchIndex(cache_dir / INDEX_FILENAME)
        except sqlite3.Error as exc:
            raise OutputError(f"cannot open the search index: {exc}", cache_dir / INDEX_FILENAME) from None
        sources = unique_sources(find_entries(roots))
        stats = index.sync(list(sources.values()), jobs=jobs)
        first = next(iter(sources.values()), None)
        warm = RenderJob(first.path, first.relative, project.config.paper, patient=WARM_UP) if first else None
        counter = cls(project, roots, cache_dir, RenderPool(project, jobs, warm), index, watching, sources)
        counter.entries = index.catalogue()
        counter.families = group_families(sources)
        return counter, stats

    def title(self, identifier: str) -> str:
        """The entry's title from the index; its file name if the index could not read it."""
        hit = self.entries.get(identifier)
        return hit.title if hit else self.sources[identifier].path.stem

    def language(self, identifier: str) -> str:
        """The language the entry prints in: what its front matter or file name declares, else the project's."""
        hit = self.entries.get(identifier)
        return hit.lang if hit and hit.lang else self.project.config.lang

    def family(self, identifier: str) -> list[Sibling]:
        """The entry and its translations, each with its language (just the entry when it has none)."""
        ids = self.families.get(family_key(self.sources[identifier]), [identifier])
        return siblings([i for i in ids if i in self.sources], self.language, identifier)

    def close(self) -> None:
        """Stop the render workers and close the search index (at shutdown)."""
        self.pool.close()
        self.index.close()

    # -- plain leaflets: the build cache --------------------------------------------------------

    def options(self, paper: str, large_print: bool, bilingual: str | None = None) -> BuildOptions:
        """The build options of a plain leaflet with these choices, so its cache entry is the one `leaflets build` writes."""
        return BuildOptions(paper=paper, large_print=large_print, bilingual=bilingual)

    def output_path(self, source: EntrySource, options: BuildOptions) -> Path:
        """Where `leaflets build` with these options writes the entry's PDF in the cache folder."""
        return self.cache_dir / source.output_name(options.name_suffix, ".pdf")

    def _key(self, source: EntrySource, options: BuildOptions) -> str | None:
        if options not in self._keys:
            self._keys[options] = dependency_key(self.project, options, stylesheets=options.stylesheets)
        if source.path not in self._commit_dates:
            self._commit_dates.update(last_commit_dates([source.path]))
        stamp = review_stamps([source.path], self._commit_dates).get(source.path)
        dependencies = with_companions(self._keys[options], bilingual_companions(source, options, self.project))
        return entry_key(dependencies, source.path, stamp, self.project.embed_dirs(source.path))

    async def plain_pdf(self, source: EntrySource, options: BuildOptions) -> Rendered:
        """The plain leaflet: from memory or the build cache when current, else rendered, cached and recorded.

        Both are keyed by the build cache's key of the entry's inputs, so an
        entry, template or setting changed on disk is never served stale.
        """
        target = self.output_path(source, options)
        key = await run_in_threadpool(self._key, source, options)
        memory_key = ("pdf", str(target), key)
        if key is not None and memory_key in self._memory:
            return Rendered(self._remember(memory_key))
        cache = OutputCache.load(self.cache_dir / CACHE_FILENAME)
        if cache.is_current(target, key):
            data = await run_in_threadpool(target.read_bytes)
            return Rendered(self._remember(memory_key, data))
        rendered = await self.pool.render(
            RenderJob(source.path, source.relative, options.paper, options.large_print, bilingual=options.bilingual))
        if rendered.data is not None:
            await run_in_threadpool(self._record, cache, target, key, rendered.data)
            if key is not None:
                self._remember(memory_key, rendered.data)
        return rendered

    def _record(self, cache: OutputCache, target: Path, key: str | None, data: bytes) -> None:
        try:
            atomic_write(target, data)
            fresh = OutputCache.load(cache.path)  # another request may have recorded meanwhile
            fresh.record(target, key)
            fresh.save()
        except LeafletError as exc:
            log.warning("%s", exc.diagnostic("warning"))

    async def page_image(self, source: EntrySource, options: BuildOptions, page: int) -> bytes | None:
        """Page ``page`` of the plain leaflet as PNG, or None when there is no such page."""
        rendered = await self.plain_pdf(source, options)
        if rendered.data is None:
            return None
        memory_key = ("png", hashlib.sha256(rendered.data).hexdigest(), page)
        if memory_key in self._memory:
            return self._remember(memory_key)
        try:
            image = await run_in_threadpool(page_png, rendered.data, page)
        except Exception:  # noqa: BLE001 - a page past the end, or pdftocairo missing: no image
            return None
        return self._remember(memory_key, image)

    def _remember(self, key: tuple[object, ...], data: bytes | None = None) -> bytes:
        if data is not None:
            self._memory[key] = data
            while len(self._memory) > PREVIEW_CACHE_ITEMS:
                self._memory.popitem(last=False)
        self._memory.move_to_end(key)
        return self._memory[key]

    # -- patients' copies and booklets: memory only ---------------------------------------------

    async def patient_pdf(self, job: RenderJob) -> Rendered:
        """A patient's copy, rendered in a worker and returned in memory: never cached, never written."""
        return await self.pool.render(job)

    async def booklet(self, ids: list[str], options: BuildOptions) -> Rendered:
        """The basket's entries as one booklet (no patient data in it), laid out in a worker."""
        paths = tuple(self.sources[i].path for i in ids if i in self.sources)
        scratch = self.cache_dir / ".booklets"
        scratch.mkdir(parents=True, exist_ok=True)
        return await self.pool.booklet(BookletJob(paths, options.paper, options.large_print, scratch))

    # -- --watch --------------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[list[str]]:
        """A queue that receives the ids of changed entries (--watch), for one open /events stream."""
        queue: asyncio.Queue[list[str]] = asyncio.Queue()
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[list[str]]) -> None:
        """Forget an /events stream's queue when its page closes."""
        self._listeners.discard(queue)

    def _publish(self, ids: list[str]) -> None:
        for queue in list(self._listeners):
            queue.put_nowait(ids)

    def project_changed(self) -> None:
        """Templates, styles or leaflets.toml changed: reload the project and start fresh workers."""
        try:
            project = Project.load(self.project.root)
        except LeafletError as exc:
            log.error("%s (still serving with the previous settings)", exc.diagnostic())
            return
        self.project = project
        self._keys.clear()
        self._memory.clear()
        self.pool.restart(project)
        self._publish(["*"])

    def entries_changed(self, paths: Iterable[Path]) -> None:
        """Entries changed, appeared or disappeared: update the index and the ids, tell open previews."""
        changed: list[EntrySource] = []
        removed: list[Path] = []
        for path in paths:
            source = self.source_for(path)
            if source is None:
                continue
            owner = self.sources.get(entry_id(source.relative))
            if owner is not None and owner.path.resolve() != path.resolve():
                log.warning("%s: warning: same id '%s' as %s; not served", path, entry_id(source.relative), owner.path)
                continue
            if path.is_file():
                changed.append(source)
            else:
                removed.append(path)
        if not changed and not removed:
            return
        self.index.apply(changed, removed)
        ids = []
        for source in changed:
            identifier = entry_id(source.relative)
            self.sources.setdefault(identifier, source)
            ids.append(identifier)
        for path in removed:
            gone = self.source_for(path)
            name = entry_id(gone.relative) if gone else None
            if name and name in self.sources and self.sources[name].path.resolve() == path.resolve():
                del self.sources[name]
                ids.append(name)
        self.entries = self.index.catalogue()
        self.families = group_families(self.sources)
        self._publish(ids)

    def source_for(self, path: Path) -> EntrySource | None:
        """The entry ``path`` is under one of the roots, with the same rules as discovery; else None."""
        if path.suffix.lower() not in ENTRY_SUFFIXES or path.name.lower() == "readme.md":
            return None
        for root in self.roots:
            if root.is_file():
                if root.resolve() == path.resolve():
                    return EntrySource(Path(root.name), root)
                continue
            try:
                relative = path.resolve().relative_to(root.resolve())
            except ValueError:
                continue
            if any(part.startswith(".") for part in relative.parts):
                return None
            return EntrySource(relative, root / relative)
        return None


def unique_sources(sources: Iterable[EntrySource]) -> dict[str, EntrySource]:
    """Entries by id; when two folders give the same id, the first keeps it (and the other is logged)."""
    found: dict[str, EntrySource] = {}
    for source in sources:
        identifier = entry_id(source.relative)
        if identifier in found:
            log.warning("%s: warning: same id '%s' as %s; not served", source.path, identifier, found[identifier].path)
            continue
        found[identifier] = source
    return found
