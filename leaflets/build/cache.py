"""Incremental builds: a key per output over everything it depends on, and a store of keys.

An output is up to date when the key it was last written with equals the key its
inputs give now and the file is still there as it was written. Keys are built in
two steps so that a batch hashes the shared inputs once:

- :func:`dependency_key` covers what every output of one kind shares: the package
  and engine versions, the options, the project's settings (and any project file a
  setting names), and the template and stylesheet files as the project resolves
  them (its overrides first), including the files those pull in;
- :func:`entry_key` adds one entry's bytes, the local files it links to, and the
  day it prints as "Updated" when it has no ``reviewed`` (last commit or modification day).

:class:`OutputCache` stores the keys in a JSON file beside the outputs. Any
other command that writes one file per entry (e.g. a booklet's per-entry parts)
can use its own file and template the same way. Nothing here imports WeasyPrint:
a build with nothing to do must answer in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import unquote, urlsplit

from leaflets import __version__
from leaflets.project.options import LANGUAGE_STYLESHEET, LEAFLET_TEMPLATE, STYLESHEETS
from leaflets.build.output import atomic_write
from leaflets.errors import OutputError
from leaflets.project.locations import Locations
from leaflets.project.project import Project
from leaflets.project.templating import Templates
from leaflets.files import MAX_RESOURCE_BYTES, RefusedFile, inside, read_regular
from leaflets.source.entry import MAX_ENTRY_BYTES
from leaflets.project.catalogs import builtin_catalog_files, project_catalog_files

CACHE_FILENAME = ".leaflets-cache.json"
CACHE_GLOB = ".leaflets-cache*.json"
"""Every cache file in an output folder: the build's own and one per shard (:mod:`leaflets.build.shard`)."""
LOCK_FILENAME = ".leaflets-cache.lock"
"""One lock for every cache file of a folder (the unsharded build's and each shard's), so sharded
runs leave one lock file behind, not one per shard count."""


def cache_filename(part: str | None = None) -> str:
    """``.leaflets-cache.json``, or ``.leaflets-cache.<part>.json`` for one shard of a build."""
    return CACHE_FILENAME if part is None else f".leaflets-cache.{part}.json"
CACHE_FORMAT = 2
MAX_CACHE_BYTES = 64 * 1024 * 1024
"""A cache file larger than this is not read (a full rebuild instead); the corpus's is about 2 MB."""
SAVE_EVERY_RESULTS = 50
SAVE_EVERY_SECONDS = 2.0
"""A build saves its cache after this many new results or this long since the last save, whichever
comes first, so a build killed half-way keeps the records of what it finished."""

_MISSING = b"\x00missing\x00"
_CSS_REFERENCE = re.compile(rb"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
_MARKDOWN_TARGET = re.compile(rb"""!\[[^\]\n]*\]\(\s*<?([^)\s>]+)|^[ ]{0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)""", re.MULTILINE)


class Fingerprint:
    """SHA-256 over labelled parts; the lengths are hashed too, so parts cannot run together."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, label: str, data: bytes | str) -> "Fingerprint":
        raw = data.encode("utf-8") if isinstance(data, str) else data
        name = label.encode("utf-8")
        self._hash.update(b"%d:%s%d:" % (len(name), name, len(raw)))
        self._hash.update(raw)
        return self

    def add_file(self, path: Path, folders: Iterable[Path] | None = None) -> "Fingerprint":
        """The file's bytes, or a marker when it is missing or refused, so creating or fixing it later changes the key.

        Only a regular file under the size limit (inside ``folders`` when
        given) is read: a FIFO or ``/dev/zero`` must not hang the cache check.
        """
        try:
            data = read_regular(path, folders, MAX_RESOURCE_BYTES)
        except RefusedFile as exc:
            data = _MISSING + exc.reason.encode("utf-8")
        return self.add(str(path), data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def dependency_key(
    project: Project,
    options: Any,
    template: str = LEAFLET_TEMPLATE,
    stylesheets: Iterable[str] = STYLESHEETS,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The key of everything outputs rendered with ``template`` and ``stylesheets`` share.

    ``options`` is a dataclass of the caller's choices (:class:`BuildOptions`
    for leaflets; a booklet passes its own); ``extra`` holds anything else the
    output depends on.
    """
    fingerprint = Fingerprint()
    fingerprint.add("leaflets", __version__).add("weasyprint", _installed_version("weasyprint"))
    fingerprint.add("options", _canonical_json(dataclasses.asdict(options)))
    settings = {f.name: getattr(project.config, f.name) for f in dataclasses.fields(project.config) if f.compare}
    fingerprint.add("config", _canonical_json(settings))
    for path in _files_named_by(settings, project.root):
        fingerprint.add_file(path, [project.root])
    fingerprint.add("SOURCE_DATE_EPOCH", os.environ.get("SOURCE_DATE_EPOCH", ""))
    fingerprint.add("fonts", installed_fonts())
    fingerprint.add("extra", _canonical_json(dict(extra or {})))
    templates = Templates(project)
    for path in [*templates.sources(template), *templates.sources(LANGUAGE_STYLESHEET)]:
        fingerprint.add_file(path)
    for path in [*builtin_catalog_files(), *project_catalog_files(project.root)]:
        fingerprint.add_file(path)
    for path in stylesheet_files(project, stylesheets):
        fingerprint.add_file(path, project.trusted_dirs)
    return fingerprint.hexdigest()


def installed_fonts() -> str:
    """A digest of the font files fontconfig offers (path, size, modification time).

    The styles name DejaVu Sans and fall back to the system's sans-serif, so a
    font installed, removed or upgraded can change the glyphs a leaflet is set
    in. Asking ``fc-list`` takes a few milliseconds; without it the fonts are
    left out of the key ("unknown").
    """
    program = shutil.which("fc-list")
    if program is None:
        return "unknown"
    try:
        result = subprocess.run([program, "--format", "%{file}\n"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if result.returncode != 0:
        return "unknown"
    fingerprint = Fingerprint()
    for name in sorted(set(result.stdout.splitlines())):
        try:
            info = os.stat(name)
        except OSError:
            continue
        fingerprint.add(name, f"{info.st_size}:{info.st_mtime_ns}")
    return fingerprint.hexdigest()


def entry_key(
    dependencies: str, entry: Path, review_stamp: str | None = None, folders: Iterable[Path] | None = None
) -> str | None:
    """The key of one entry's output; None when the entry cannot be read (the build reports why).

    ``review_stamp`` (from :func:`leaflets.source.review.review_stamps`) is where the
    printed "Updated" date comes from when the front matter gives no ``reviewed``.
    ``folders`` are where the entry may embed files from (:meth:`Project.embed_dirs`;
    by default its own folder): a linked file elsewhere is never read, only named.
    """
    try:
        data = read_regular(entry, limit=MAX_ENTRY_BYTES)
    except RefusedFile:
        return None
    return entry_key_of(dependencies, data, entry, review_stamp, folders)


def entry_key_of(
    dependencies: str, data: bytes, entry: Path, review_stamp: str | None = None, folders: Iterable[Path] | None = None
) -> str:
    """The key of an output rendered from ``data``, the bytes of ``entry`` as they were read for rendering.

    A build records the key of the bytes it rendered, not of the file read
    again later: an entry edited during the build is then rebuilt next time.
    ``folders`` as for :func:`entry_key` (the same folders must be given to both).
    """
    allowed = list(folders) if folders is not None else [entry.parent]
    fingerprint = Fingerprint().add("dependencies", dependencies).add("entry", data)
    if review_stamp is not None:
        fingerprint.add("review", review_stamp)
    for path in _linked_files(data, entry.parent):
        fingerprint.add_file(path, allowed)
    return fingerprint.hexdigest()


def stylesheet_files(project: Project, names: Iterable[str]) -> list[Path]:
    """The project's stylesheets ``names`` and the local files they import or reference (fonts, images)."""
    found: list[Path] = []
    locations = Locations.of(project)
    pending = [project.stylesheet(name) for name in names]
    while pending:
        path = pending.pop(0)
        if path in found:
            continue
        found.append(path)
        try:
            text = read_regular(path, project.trusted_dirs, MAX_RESOURCE_BYTES)
        except RefusedFile:
            continue
        for match in _CSS_REFERENCE.finditer(text):
            target = locations.resolve((match.group(1) or match.group(2)).decode("utf-8", "replace"), path)
            if target is not None and inside(target, project.trusted_dirs):
                pending.append(target)
    return found


def _files_named_by(settings: Mapping[str, Any], root: Path) -> list[Path]:
    """Files in the project that settings name (a logo, say): their content counts, not just the name."""
    found = []
    for value in settings.values():
        if isinstance(value, str) and value.strip() and "\n" not in value and len(value) < 1024:
            try:
                candidate = root / value
                # Only files inside the project: ``contact = "/etc/shadow"`` is text, never a file to read.
                if inside(candidate, [root]) and candidate.is_file():
                    found.append(candidate)
            except (OSError, ValueError):
                continue
    return found


def _linked_files(data: bytes, folder: Path) -> list[Path]:
    """Local files a Markdown entry embeds: images, and reference definitions (which images may use)."""
    targets = set()
    for match in _MARKDOWN_TARGET.finditer(data):
        target = _local_target((match.group(1) or match.group(2)).decode("utf-8", "replace"), folder)
        if target is not None:
            targets.add(target)
    return sorted(targets)


def _local_target(reference: str, folder: Path) -> Path | None:
    parts = urlsplit(reference)
    if parts.scheme not in ("", "file") or not parts.path:
        return None
    path = Path(unquote(parts.path))
    return path if path.is_absolute() else folder / path


def _installed_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class _Record:
    key: str
    size: int
    mtime_ns: int


@dataclass
class OutputCache:
    """Keys of the outputs under one folder, loaded from and saved to ``path``.

    A missing, unreadable, oversized or corrupt file (however deeply nested),
    or one written by another version, gives an empty cache: the worst
    outcome of a bad cache is a full rebuild. Saving takes an ``fcntl`` lock
    on a file beside the cache, reads what is on disk, applies this run's
    changes to it and writes it atomically, so two builds into one folder
    keep each other's records; records of outputs that no longer exist are
    dropped.
    """

    path: Path
    _records: dict[str, _Record] = field(default_factory=dict)
    _failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Per output: the key of inputs that failed to build, and the error they gave."""
    _changed: set[str] = field(default_factory=set)
    """Outputs recorded, failed or forgotten by this run since the last save."""
    _saved_at: float = float("-inf")
    """When this run last saved; never at first, so the first result is saved at once."""
    _save_seconds: float = 0.0
    """How long the last save took: saves are spaced at least 20 times that apart."""
    _others: dict[str, _Record] = field(default_factory=dict)
    """Records from the folder's other cache files (other shards', or the unsharded build's): read,
    and taken into this file when still current, never written back to theirs."""

    @classmethod
    def load(cls, path: Path, shared: bool = False) -> "OutputCache":
        """The cache in ``path``; with ``shared``, also every other cache file beside it (other shards')."""
        cache = cls(path)
        cache._records, cache._failures = _read_cache(path)
        if shared:
            for other in sorted(path.parent.glob(CACHE_GLOB)):
                if other.name != path.name:
                    cache._others.update(_read_cache(other)[0])
        return cache

    def is_current(self, output: Path, key: str | None) -> bool:
        """True when ``output`` was written with ``key`` and is still there, unchanged."""
        name = self._name(output)
        if key is None:
            return False
        record = self._records.get(name)
        if record is not None and record.key == key and self._unchanged(output, record):
            return True
        other = self._others.get(name)
        if other is not None and other.key == key and self._unchanged(output, other):
            self._records[name] = other  # another shard built it: this file knows it from now on
            self._changed.add(name)
            return True
        return False

    def wrote(self, output: Path) -> bool:
        """True when ``output`` is still the file a build (this one's, or another shard's) recorded writing."""
        name = self._name(output)
        return any(
            record is not None and self._unchanged(output, record)
            for record in (self._records.get(name), self._others.get(name))
        )

    @staticmethod
    def _unchanged(output: Path, record: _Record) -> bool:
        try:
            info = os.lstat(output)
        except OSError:
            return False
        return info.st_size == record.size and info.st_mtime_ns == record.mtime_ns

    def record(self, output: Path, key: str | None) -> None:
        """Remember that ``output`` has just been written from inputs with ``key``."""
        if key is None:
            self.forget(output)
            return
        info = output.stat()
        name = self._name(output)
        self._records[name] = _Record(key, info.st_size, info.st_mtime_ns)
        self._failures.pop(name, None)
        self._changed.add(name)

    def record_failure(self, output: Path, key: str | None, error: str) -> None:
        """Remember that inputs with ``key`` failed with ``error``; any good ``output`` stays recorded as it was."""
        if key is not None:
            name = self._name(output)
            self._failures[name] = (key, error)
            self._changed.add(name)

    def known_failure(self, output: Path, key: str | None) -> str | None:
        """The error inputs with ``key`` gave last time, when they are unchanged."""
        failure = self._failures.get(self._name(output))
        return failure[1] if failure is not None and key is not None and failure[0] == key else None

    def forget(self, output: Path) -> None:
        name = self._name(output)
        self._records.pop(name, None)
        self._failures.pop(name, None)
        self._changed.add(name)

    def save_now_and_then(self) -> None:
        """Save when enough results, or enough time, have gone by since the last save.

        A save that fails is not retried until the final :meth:`save`, which reports it.
        """
        since = time.monotonic() - self._saved_at
        if self._changed and since >= 20 * self._save_seconds and (
            len(self._changed) >= SAVE_EVERY_RESULTS or since >= SAVE_EVERY_SECONDS
        ):
            try:
                self.save(prune=False)
            except OutputError:
                self._saved_at = float("inf")

    def save(self, prune: bool = True) -> None:
        """Merge this run's changes into the file on disk, under a lock, and write it atomically.

        ``prune`` drops the records of outputs that no longer exist (one
        ``lstat`` each: the saves made while a build runs skip it). The C JSON
        encoder (no indent) and plain dicts keep a save of the whole corpus's
        6,447 records to about a tenth of a second.
        """
        started = time.monotonic()
        with self._locked():
            records, failures = _read_cache(self.path)
            for name in self._changed:
                if not self._lost_the_race(name, records):
                    _merge(name, self._records, records)
                _merge(name, self._failures, failures)
            folder = os.fspath(self.path.parent)
            self._records = {
                name: record for name, record in records.items()
                if not prune or os.path.lexists(os.path.join(folder, name))
            }
            self._failures = failures
            data = {
                "format": CACHE_FORMAT,
                "leaflets": __version__,
                "outputs": {
                    name: {"key": record.key, "size": record.size, "mtime_ns": record.mtime_ns}
                    for name, record in sorted(self._records.items())
                },
                "failures": {name: {"key": key, "error": error} for name, (key, error) in sorted(self._failures.items())},
            }
            atomic_write(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
            self._changed.clear()
        self._saved_at = time.monotonic()
        self._save_seconds = self._saved_at - started

    def save_or_warn(self, warnings: list[str], consequence: str) -> None:
        """:meth:`save`; a cache that cannot be written adds a warning saying ``consequence`` to ``warnings``.

        Not a failed run: every output is on disk already; only what the next run may skip is lost.
        """
        try:
            self.save()
        except OutputError as exc:
            warnings.append(f"{exc.diagnostic('warning')} ({consequence})")

    def _lost_the_race(self, name: str, saved: dict[str, _Record]) -> bool:
        """True when another run wrote ``name`` after this one: its saved record describes the file on disk, ours does not.

        Two builds into one folder both write the same outputs; the last rename wins
        the file, so the record that matches the file must win the cache too, or the
        next build rebuilds what is already current.
        """
        ours, theirs = self._records.get(name), saved.get(name)
        if ours is None or theirs is None or ours == theirs:
            return False
        output = self.path.parent / name
        return self._unchanged(output, theirs) and not self._unchanged(output, ours)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder's cache lock file (it is never replaced, unlike the caches).

        Saves are short (read, merge, write one file), so shards waiting on each
        other's saves cost little; never taken twice at once in one process.
        """
        lock = self.path.with_name(LOCK_FILENAME)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot lock the build cache: {exc.strerror}", lock) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _name(self, output: Path) -> str:
        try:
            return output.relative_to(self.path.parent).as_posix()
        except ValueError:
            return output.resolve().as_posix()


def _merge(name: str, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """This run's word on ``name`` wins over what another run saved: its entry, or its absence."""
    if name in mine:
        theirs[name] = mine[name]
    else:
        theirs.pop(name, None)


def _read_cache(path: Path) -> tuple[dict[str, _Record], dict[str, tuple[str, str]]]:
    """The records and failures in the cache file; empty ones when it is missing or unusable."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return {}, {}  # a link, FIFO or device planted in the cache's place
            raw = handle.read(MAX_CACHE_BYTES + 1)
        if len(raw) > MAX_CACHE_BYTES:
            return {}, {}
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("leaflets") != __version__:
            return {}, {}
        records = {
            str(name): _Record(str(record["key"]), int(record["size"]), int(record["mtime_ns"]))
            for name, record in data["outputs"].items()
        }
        failures = {str(name): (str(f["key"]), str(f["error"])) for name, f in data["failures"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError, MemoryError):
        return {}, {}
    return records, failures
