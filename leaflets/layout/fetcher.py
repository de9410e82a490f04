"""A URL fetcher that keeps a build offline and inside the project.

A leaflet must never contact a server while it is built (the entry's author
could track who prints it) nor embed a local file such as /etc/passwd. Only
``data:`` URLs and regular files inside the project's trusted folders, under
the size limit, are served, whether addressed by a ``file:`` URL or by a
location-independent ``leaflets:`` one (:mod:`leaflets.project.locations`) (read by :func:`leaflets.files.read_regular`, so a
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
from leaflets.project.locations import SCHEME, Locations
from leaflets.project.project import Project


class RefusedResource(ValueError):
    """Raised (and caught by WeasyPrint) for a resource that may not be embedded."""


class ProjectFetcher(URLFetcher):
    """Serve ``data:`` URLs and regular files below ``allowed_dirs``; refuse the rest."""

    def __init__(self, allowed_dirs: list[Path], entry: Path | None = None, locations: Locations | None = None) -> None:
        super().__init__(allowed_protocols={"file", "data", SCHEME}, allow_redirects=False)
        self.allowed_dirs = [Path(os.path.realpath(d)) for d in allowed_dirs]
        self.entry = entry
        self.locations = locations or Locations(())
        """Where ``leaflets:`` addresses point; with none, every such address is refused."""
        self.refused: list[str] = []

    @classmethod
    def for_project(cls, project: Project, entry: Path | None = None) -> "ProjectFetcher":
        """The fetcher of a leaflet of ``entry`` (the project's trusted folders and the entry's own),
        or of a page of no entry (the trusted folders alone)."""
        allowed = project.embed_dirs(entry) if entry is not None else project.trusted_dirs
        return cls(allowed, entry, Locations.of(project, entry))

    def base_url(self, folder: Path) -> str:
        """The address relative references in a document made from ``folder`` resolve against."""
        return self.locations.url_or_file(folder, folder=True)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme in ("file", SCHEME):
            located = Path(url2pathname(unquote(parts.path))) if scheme == "file" else self.locations.path(url)
            if located is None:
                reason = refusal_message(url, "outside the folders a leaflet may embed from")
                self.refused.append(reason)
                raise RefusedResource(reason)
            path = located
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
