"""A URL fetcher that keeps a build offline and inside the project.

A leaflet must never contact a server while it is built (the entry's author
could track who prints it) nor embed a local file such as /etc/passwd. Only
``data:`` URLs and regular files inside the project's trusted folders, under
the size limit, are served (read by :func:`leaflets.files.read_regular`, so a
FIFO, a device or a symlink out of the project cannot hang or leak into a
build); every refusal is recorded with the entry it came from.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Any
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from leaflets.files import RefusedFile, read_regular, refusal_message


class RefusedResource(ValueError):
    """Raised (and caught by WeasyPrint) for a resource that may not be embedded."""


class ProjectFetcher(URLFetcher):
    """Serve ``data:`` URLs and regular files below ``allowed_dirs``; refuse the rest."""

    def __init__(self, allowed_dirs: list[Path], entry: Path | None = None) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.allowed_dirs = [Path(os.path.realpath(d)) for d in allowed_dirs]
        self.entry = entry
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(unquote(parts.path)))
            try:
                data = read_regular(path, self.allowed_dirs)
            except RefusedFile as exc:
                reason = refusal_message(os.path.realpath(path), exc.reason)
            else:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, data, {"Content-Type": content_type})
        else:
            reason = refusal_message(url, "offline")
        self.refused.append(reason)
        raise RefusedResource(reason)
