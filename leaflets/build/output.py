"""Writing outputs atomically through temporary files only this process can have made.

An interrupted or failed build must never leave a truncated file where a good
one was, so nothing is written at the final path until it is complete. The
temporary file beside it gets a fresh random name and is created exclusively
without following links (``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0600): a
symlink planted in the output folder cannot redirect the write, and two
processes writing one output never share a temporary file, so the last
rename wins with a complete file. While it is written the temporary file is
locked (``flock``); a leftover that is no longer locked belongs to a process
that died, and :func:`remove_stale_temporaries` deletes it on the next start.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from leaflets.errors import OutputError

TEMP_NAME_CHARS = 64
TEMP_SUFFIX = ".leaflets-tmp"
TEMP_FOLDER_PREFIX = ".leaflets-booklet-"
_TEMP_NAME = re.compile(r"^\..*\.[0-9a-f]{16}" + re.escape(TEMP_SUFFIX) + r"$", re.DOTALL)
_TEMP_FOLDER = re.compile(re.escape(TEMP_FOLDER_PREFIX) + r"[A-Za-z0-9_]{6,}$")
_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def temporary_name(path: Path) -> Path:
    """A fresh name beside ``path`` that fits where the final one does (within 255 bytes)."""
    return path.with_name(f".{path.name[:TEMP_NAME_CHARS]}.{secrets.token_hex(8)}{TEMP_SUFFIX}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def replacing(path: Path, label: str = "output", create_folder: bool = True) -> Iterator[BinaryIO]:
    """A handle to write the new content of ``path``; on success it replaces ``path`` in one rename.

    On any error or interruption the temporary file is removed and ``path``
    keeps what it held. OS errors become one :class:`OutputError`,
    ``cannot write <label>: <reason>``. With ``create_folder`` false, a
    missing folder is such an error instead of being made.
    """
    try:
        if create_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {label} folder: {exc.strerror}", path.parent) from None
    temporary = temporary_name(path)
    try:
        descriptor = os.open(temporary, _EXCLUSIVE, 0o600)
    except OSError as exc:
        if label == "output":
            raise OutputError(f"cannot write output folder: {exc.strerror}", path.parent) from None
        raise OutputError(f"cannot write {label}: {exc.strerror}", path) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.replace(temporary, path)
    except OSError as exc:
        _unlink(temporary)
        raise OutputError(f"cannot write {label}: {exc.strerror or exc}", path) from None
    except BaseException:
        _unlink(temporary)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part."""
    with replacing(path) as handle:
        handle.write(data)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _is_held(path: Path) -> bool:
    """True when a live process holds the lock on ``path`` (a file or folder), or it cannot be opened."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(descriptor)
    return False


def remove_stale_temporaries(folders: Iterable[Path], before: float) -> list[Path]:
    """Delete this tool's own leftovers in ``folders``: temporary files and booklet folders.

    Only names of the tool's own patterns, last modified before ``before``
    (the start of this run) and no longer locked by a live writer, are
    removed; anything else is left alone. Returns what was removed.
    """
    removed = []
    for folder in dict.fromkeys(folders):
        try:
            names = list(os.scandir(folder))
        except OSError:
            continue
        for item in names:
            try:
                if item.stat(follow_symlinks=False).st_mtime >= before:
                    continue
                if _TEMP_NAME.match(item.name) and item.is_file(follow_symlinks=False):
                    if not _is_held(Path(item.path)):
                        os.unlink(item.path)
                        removed.append(Path(item.path))
                elif _TEMP_FOLDER.match(item.name) and item.is_dir(follow_symlinks=False):
                    if not _is_held(Path(item.path)):
                        shutil.rmtree(item.path, ignore_errors=True)
                        removed.append(Path(item.path))
            except OSError:
                continue
    return removed


@contextmanager
def private_folder(parent: Path) -> Iterator[Path]:
    """A new folder (mode 0700) in ``parent`` for one run's intermediate files, locked while in use and removed after."""
    import tempfile

    try:
        folder = Path(tempfile.mkdtemp(prefix=TEMP_FOLDER_PREFIX, dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write output folder: {exc.strerror}", parent) from None
    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(descriptor)
