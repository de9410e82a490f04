"""Writing outputs atomically: a temporary file in the same folder, then a rename.

An interrupted or failed build must never leave a truncated PDF where a good
one was, so nothing is written at the final path until it is complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from leaflets.errors import OutputError

TEMP_NAME_CHARS = 64


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never a part."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temporary name must fit where the final one does: keep it within 255 bytes.
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name[:TEMP_NAME_CHARS]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write output folder: {exc.strerror}", path.parent) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except OSError as exc:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise OutputError(f"cannot write output: {exc.strerror}", path) from None
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise
