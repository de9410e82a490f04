"""What a Dask worker is sent, so it needs no shared filesystem: the project's files and each entry's bytes.

The client packs the project (leaflets.toml, its templates and styles and the
files they or the settings name: everything the build cache key covers) into
a :class:`ProjectBundle` named by a digest of its content; a worker unpacks it
once per digest into a private temporary folder. Each entry travels as an
:class:`EntryParcel`: its bytes, modification time, last commit date and the
project files it embeds, placed on the worker where they lie in the project,
so the worker renders exactly what a local build renders. Paths in messages
are mapped back to the client's (:meth:`Materialised.client_text`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from leaflets.build.cache import _files_named_by, _linked_files, stylesheet_files
from leaflets.build.output import atomic_write
from leaflets.project.config import CONFIG_FILENAME
from leaflets.project.project import Project
from leaflets.project.templating import Templates
from leaflets.source.discover import EntrySource
from leaflets.source.git import last_commit_date
from leaflets.source.language import language_siblings

MAX_BUNDLE_FILE = 64 * 1024 * 1024
"""A project file larger than this is not sent (no template, stylesheet or logo is near it)."""


@dataclass(frozen=True)
class ProjectBundle:
    """A project's files by path relative to its root, and a digest of them all."""

    digest: str
    files: tuple[tuple[str, bytes], ...]
    root: str
    """The client's project folder (resolved), to map paths in messages back."""
    contained: bool = True
    """Whether the client's project folder is one (:attr:`Project.contained`): it decides what may be
    embedded and how files are addressed in the PDF, so the worker must agree."""


@dataclass(frozen=True)
class EntryParcel:
    """One entry as the worker needs it. ``real_path`` is the client's resolved path: the worker
    mirrors it below a private folder, so relative links resolve as they do on the client."""

    client_path: str
    relative: str
    data: bytes
    mtime_ns: int
    committed: date | None
    real_path: str
    linked: tuple[tuple[str, bytes], ...] = ()
    """Files the entry embeds from the folders a build may embed from (the project's, the entry's own),
    by their resolved path on the client, mirrored on the worker."""
    companions: tuple["EntryParcel", ...] = ()
    """The entry's other language versions beside it (:func:`leaflets.source.language.language_siblings`),
    for the checks that compare a translation with its source, whichever batch or shard those are in."""


def bundle_project(project: Project, stylesheets: tuple[str, ...], templates: tuple[str, ...]) -> ProjectBundle:
    """Pack every project file a build with ``stylesheets`` and ``templates`` can read."""
    root = project.root.resolve()
    candidates: list[Path] = [root / CONFIG_FILENAME]
    for folder in (root / "templates", root / "styles"):
        if folder.is_dir():
            candidates.extend(sorted(path for path in folder.rglob("*") if path.is_file()))
    for template in templates:
        candidates.extend(Templates(project).sources(template))
    candidates.extend(stylesheet_files(project, stylesheets))
    settings = {f.name: getattr(project.config, f.name) for f in dataclasses.fields(project.config) if f.compare}
    candidates.extend(_files_named_by(settings, root))
    files: dict[str, bytes] = {}
    for path in candidates:
        relative = _inside(path, root)
        if relative is None or relative in files:
            continue
        try:
            if path.stat().st_size <= MAX_BUNDLE_FILE:
                files[relative] = path.read_bytes()
        except OSError:
            continue
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(b"%d:%s%d:" % (len(name.encode()), name.encode(), len(data)) + data)
    digest.update(b"contained" if project.contained else b"loose")
    return ProjectBundle(digest.hexdigest(), tuple(sorted(files.items())), str(root), project.contained)


def parcel_for(
    source: EntrySource, project_root: Path, commit_dates: Mapping[Path, date | None], bilingual: str | None,
) -> EntryParcel:
    """The entry as a build sends it: with its language siblings when a bilingual edition prints one of them
    (the worker finds the linked entry beside it, as a local build does), else alone (fewer bytes to send).
    A sibling's date is never looked up here: the renderer dates only the entry itself."""
    if bilingual:
        return parcel_with_companions(source, project_root, commit_dates, look_up=False)
    return parcel_entry(source, project_root, commit_dates.get(source.path))


def parcel_with_companions(
    source: EntrySource, project_root: Path, commit_dates: Mapping[Path, date | None], look_up: bool = True,
) -> EntryParcel:
    """:func:`parcel_entry` with the entry's language siblings, each with its own dates (with ``look_up``, a
    sibling's last commit is looked up here when the run did not, as a local check would look it up:
    one ``git log`` a sibling, which a bilingual build, whose renderer never reads them, is spared)."""
    companions = tuple(
        parcel_entry(
            EntrySource(Path(sibling.name), sibling), project_root,
            commit_dates.get(sibling) if sibling in commit_dates or not look_up else last_commit_date(sibling),
        )
        for sibling in language_siblings(source.path)
    )
    return dataclasses.replace(parcel_entry(source, project_root, commit_dates.get(source.path)), companions=companions)


def parcel_entry(source: EntrySource, project_root: Path, committed: date | None) -> EntryParcel:
    """Pack one entry; an unreadable one travels empty with mtime -1 and fails on the worker as it would here."""
    try:
        data = source.path.read_bytes()
        mtime_ns = source.path.stat().st_mtime_ns
    except OSError:
        data, mtime_ns = b"", -1
    folders = [project_root.resolve(), Path(os.path.realpath(source.path)).parent]
    linked: list[tuple[str, bytes]] = []
    for target in _linked_files(data, source.path.parent):
        real = os.path.realpath(target)
        if any(_inside(Path(real), folder) is not None for folder in folders) and os.path.isfile(real):
            try:
                if os.path.getsize(real) <= MAX_BUNDLE_FILE:
                    linked.append((real, Path(real).read_bytes()))
            except OSError:
                continue
    return EntryParcel(
        str(source.path), source.relative.as_posix(), data, mtime_ns, committed,
        os.path.realpath(source.path), tuple(linked),
    )


@dataclass
class Materialised:
    """A project unpacked on a worker below ``mirror``, at the path it has on the client."""

    bundle_root: str
    mirror: Path
    project: Project
    _placed: Counter[Path] = dataclasses.field(default_factory=Counter)
    """How many running tasks placed each entry: a worker with several threads runs batches at once, and
    one batch's entry may be another's language sibling, so a file goes when the last task is done with it."""
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @property
    def folder(self) -> Path:
        return self.project.root

    def place(self, parcel: EntryParcel) -> Path:
        """Write the entry (and the project files it embeds) where the renderer will read it; its path.

        Every place is matched by one :meth:`release`. Two tasks placing one entry write the same bytes.
        """
        path = self.mirror / _safe(parcel.real_path.lstrip("/"))
        with self._lock:
            for real, data in parcel.linked:
                atomic_write(self.mirror / _safe(real.lstrip("/")), data)
            self._placed[path] += 1
            if parcel.mtime_ns < 0:  # unreadable on the client: fails here as it did there
                if self._placed[path] == 1:
                    path.unlink(missing_ok=True)
                return path
            atomic_write(path, parcel.data)
            os.utime(path, ns=(parcel.mtime_ns, parcel.mtime_ns))
        return path

    def release(self, path: Path) -> None:
        """A task is done with a placed entry: remove it once no running task uses it."""
        with self._lock:
            self._placed[path] -= 1
            if self._placed[path] <= 0:
                del self._placed[path]
                path.unlink(missing_ok=True)

    def client_text(self, text: str, worker_path: Path, parcel: EntryParcel) -> str:
        """``text`` with this worker's paths put back as the client names them."""
        text = text.replace(str(worker_path), parcel.client_path)
        return text.replace(os.path.realpath(self.mirror) + "/", "/")

    def client_html(self, data: bytes) -> bytes:
        """HTML output with this worker's ``file://`` addresses (the logo's, for a browser) put back as the
        client's: the PDF names no file, but the HTML does, so it is the local bytes only once mapped."""
        prefix = Path(os.path.realpath(self.mirror)).as_uri().encode("ascii")
        return data.replace(prefix + b"/", b"file:///")


def materialise(bundle: ProjectBundle, under: Path) -> Materialised:
    """Unpack ``bundle`` into a new private folder under ``under`` and load it as a project."""
    mirror = Path(tempfile.mkdtemp(prefix=f"leaflets-{bundle.digest[:12]}-", dir=under))
    folder = mirror / _safe(bundle.root.lstrip("/"))
    folder.mkdir(parents=True, exist_ok=True)
    for relative, data in bundle.files:
        atomic_write(folder / _safe(relative), data)
    return Materialised(bundle.root, mirror, dataclasses.replace(Project.load(folder), contained=bundle.contained))


def remove(materialised: Materialised) -> None:
    shutil.rmtree(materialised.mirror, ignore_errors=True)


def _inside(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` (posix), or None when it lies outside."""
    try:
        return Path(os.path.realpath(path)).relative_to(root).as_posix()
    except ValueError:
        return None


def _safe(relative: str) -> Path:
    """A relative path with no way out of the folder it is joined to."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or any(part in ("..", "") for part in parts):
        raise ValueError(f"refusing to place a file at {relative!r}")
    return Path(*parts)
