"""A URL fetcher that keeps a build offline and inside the project.

A leaflet must never contact a server while it is built (the entry's author
could track who prints it) nor embed a local file such as /etc/passwd. Only
``data:`` URLs and files inside the project's trusted folders are served;
every refusal is recorded with the entry it came from.
"""

from __future__ import annotations

import os
from typing import Any
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher


class RefusedResource(ValueError):
    """Raised (and caught by WeasyPrint) for a resource that may not be embedded."""


class ProjectFetcher(URLFetcher):
    """Serve ``data:`` URLs and files below ``allowed_dirs``; refuse the rest."""

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
            path = Path(os.path.realpath(url2pathname(unquote(parts.path))))
            if any(path.is_relative_to(folder) for folder in self.allowed_dirs):
                return super().fetch(url, headers)
            reason = f"refused to embed {path}: it is outside the project folder"
        else:
            reason = f"refused to fetch {url}: leaflets are built offline"
        self.refused.append(reason)
        raise RefusedResource(reason)
