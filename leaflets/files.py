"""The one way leaflets opens a file it was pointed at: regular files only, inside given folders, bounded.

Entries, stylesheets, templates and settings are written by others, and any of
them can name a file: ``![chart](/dev/zero)``, ``url(/dev/urandom)``, a FIFO
that never ends, a 40 GB file, a symlink out of the project. Reading such a
name naively makes the build hang or run out of memory, or copies a private
file into a leaflet. Every reader (the build cache, the fetcher WeasyPrint
uses, the settings, the template loader, ``check``) goes through
:func:`read_regular`, which

- resolves the name (symlinks included) and refuses it outside the folders given;
- looks at it with ``stat`` before opening: only a regular file under the limit;
- opens the resolved name with ``O_NONBLOCK | O_NOFOLLOW`` (a FIFO swapped in
  cannot block the open, a symlink swapped in is not followed);
- checks the open file again with ``fstat`` and reads at most ``limit + 1``
  bytes, so a file that grows while it is read is refused, not read forever.

This module sits at the bottom of the package, beside :mod:`leaflets.errors`:
it imports nothing else from leaflets.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

MAX_RESOURCE_BYTES = 32 * 1024 * 1024
"""Largest image, font, stylesheet or other file a leaflet may embed or hash (32 MiB)."""

MAX_TEXT_BYTES = 1_000_000
"""Largest settings file or template (1 MB), the same limit as for an entry."""

_READ_CHUNK = 1 << 20


class RefusedFile(ValueError):
    """A file leaflets will not open; ``reason`` says why in words a user can act on.

    ``too_large`` tells a file over the limit (``size`` bytes, when known) from
    one that cannot or may not be read at all.
    """

    def __init__(self, path: Path | str, reason: str, size: int | None = None, too_large: bool = False) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason
        self.size = size
        self.too_large = too_large


def refusal_message(target: str, reason: str) -> str:
    """The warning for a refused resource, worded the same wherever the refusal happens."""
    if reason == "offline":
        return f"refused to fetch {target}: leaflets are built offline"
    return f"refused to embed {target}: {reason}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _check_stat(path: Path, info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        raise RefusedFile(path, kind if kind == "not a regular file" else f"not a regular file but {kind}")
    if info.st_size > limit:
        raise RefusedFile(path, f"file is {info.st_size:,} bytes; the limit is {limit:,}", info.st_size, too_large=True)


def inside(path: Path, folders: Iterable[Path]) -> bool:
    """True when the resolved ``path`` lies in (or is) one of the resolved ``folders``."""
    try:
        real = Path(os.path.realpath(path))
        return any(real.is_relative_to(os.path.realpath(folder)) for folder in folders)
    except (OSError, ValueError):
        return False


def refusal(path: Path | str, folders: Iterable[Path] | None = None, limit: int = MAX_RESOURCE_BYTES) -> str | None:
    """Why ``path`` may not be read (outside ``folders``, missing, not regular, too large), or None.

    Only ``stat`` is used: nothing is opened, so this answers for a FIFO or a
    device without blocking. :func:`read_regular` checks again when it opens.
    """
    try:
        resolve(path, folders, limit)
    except RefusedFile as exc:
        return exc.reason
    return None


def resolve(path: Path | str, folders: Iterable[Path] | None = None, limit: int = MAX_RESOURCE_BYTES) -> Path:
    """``path`` with symlinks resolved, after the checks :func:`refusal` describes; raises :class:`RefusedFile`."""
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:
        raise RefusedFile(path, f"cannot resolve the name ({exc})") from None
    if folders is not None:
        allowed = [Path(os.path.realpath(folder)) for folder in folders]
        if not any(real.is_relative_to(folder) for folder in allowed):
            raise RefusedFile(path, "it is outside the project folder")
    try:
        info = os.stat(real)
    except FileNotFoundError:
        raise RefusedFile(path, "no such file") from None
    except (OSError, ValueError) as exc:
        raise RefusedFile(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    _check_stat(Path(path), info, limit)
    return real


def read_regular(path: Path | str, folders: Iterable[Path] | None = None, limit: int = MAX_RESOURCE_BYTES) -> bytes:
    """The bytes of ``path``, a regular file inside ``folders`` (any folder when None) of at most ``limit`` bytes.

    Raises :class:`RefusedFile` for anything else, without blocking: the file
    is opened non-blocking and without following a symlink put in its place
    after it was resolved, then checked again on the open descriptor.
    """
    real = resolve(path, folders, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise RefusedFile(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        _check_stat(real, os.fstat(fd), limit)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise RefusedFile(path, f"file grew past the limit of {limit:,} bytes while it was read", None, too_large=True)
        return b"".join(chunks)
    except BlockingIOError:
        raise RefusedFile(path, "cannot read: the file would block") from None
    except OSError as exc:
        raise RefusedFile(path, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
