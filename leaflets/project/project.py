"""Where a build finds its templates, styles, settings and default entries.

A project folder may hold its own ``templates/``, ``styles/`` and
``leaflets.toml``; whatever it lacks falls back to the defaults shipped with the
package, so a pharmacy can override one template without copying the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from leaflets.files import MAX_RESOURCE_BYTES, RefusedFile, refusal, refusal_message, resolve

from leaflets.project.config import CONFIG_FILENAME, Config, load_config
from leaflets.errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def default_resource_dir() -> Path:
    """The built-in templates/ and styles/: inside the wheel, or the source checkout."""
    installed = _PACKAGE_DIR / "_defaults"
    if (installed / "templates").is_dir():
        return installed
    return _PACKAGE_DIR.parent


@dataclass(frozen=True)
class Project:
    """A project folder and the settings read from it."""

    root: Path
    config: Config
    contained: bool = True
    """Whether files anywhere under ``root`` may be embedded: true for a folder named as the
    project or holding a leaflets.toml. The current folder without one (say ``/``) is no
    project: an entry then embeds only files from its own folder."""

    @classmethod
    def load(cls, root: Path | str | None = None) -> "Project":
        root_path = Path(root if root is not None else Path.cwd()).resolve()
        if not root_path.is_dir():
            raise ConfigError("project folder does not exist", root_path)
        settings = root_path / CONFIG_FILENAME
        contained = root is not None or os.path.lexists(settings)
        project = cls(root=root_path, config=load_config(settings), contained=contained)
        project.check_resources()
        return project

    def check_resources(self) -> None:
        """Fail before any entry is built when a file named in leaflets.toml is unusable."""
        _ = self.logo_path

    @property
    def logo_path(self) -> Path | None:
        """The ``logo`` file from leaflets.toml, which must exist inside the project folder."""
        if not self.config.logo:
            return None
        path = (self.root / self.config.logo).resolve()
        where = self.config.source or self.root / CONFIG_FILENAME
        if not path.is_relative_to(self.root):
            raise ConfigError(f"key 'logo': {self.config.logo} is outside the project folder {self.root}", where)
        try:
            return resolve(path, [self.root], MAX_RESOURCE_BYTES)
        except RefusedFile as exc:
            if exc.reason == "no such file":
                raise ConfigError(f"key 'logo': file {self.config.logo} not found in {self.root}", where) from None
            raise ConfigError(f"key 'logo': {self.config.logo}: {exc.reason}", where) from None

    @property
    def template_dirs(self) -> list[Path]:
        return _existing([self.root / "templates", default_resource_dir() / "templates"])

    @property
    def style_dirs(self) -> list[Path]:
        return _existing([self.root / "styles", default_resource_dir() / "styles"])

    @property
    def entries_dir(self) -> Path:
        return self.root / "entries"

    @property
    def trusted_dirs(self) -> list[Path]:
        """Folders whose files a leaflet may embed (images, fonts, styles)."""
        return [self.root, *self.template_dirs, *self.style_dirs] if self.contained else [*self.template_dirs, *self.style_dirs]

    def embed_dirs(self, entry: Path) -> list[Path]:
        """Folders the leaflet of ``entry`` may embed files from: the trusted ones and the entry's own folder."""
        return [*self.trusted_dirs, entry.resolve().parent]

    def image_refusal(self, src: str, entry: Path) -> str | None:
        """Why the image ``src`` (as written in ``entry``) may not be embedded, or None when it may.

        The same rule as the fetcher's, applied before layout so that ``--format
        html`` drops what the PDF drops, and every refusal names its line:
        ``data:`` URLs pass; a network address never does; a local file must be
        a regular file under the size limit inside :meth:`embed_dirs`.
        """
        parts = urlsplit(src.strip())
        scheme = parts.scheme.lower()
        if scheme == "data":
            return None
        if scheme not in ("", "file") or (parts.netloc and parts.netloc.lower() != "localhost"):
            return refusal_message(src, "offline")
        if not parts.path:
            return refusal_message(repr(src), "no file named")
        path = self.image_file(src, entry)
        assert path is not None
        reason = refusal(path, self.embed_dirs(entry))
        return None if reason is None else refusal_message(os.path.realpath(path), reason)

    def image_file(self, src: str, entry: Path) -> Path | None:
        """The file an image address in ``entry`` names (relative to the entry's folder), or None when it
        names no local file (``data:``, a network address). Whether it may be embedded is :meth:`image_refusal`'s."""
        parts = urlsplit(src.strip())
        if parts.scheme.lower() not in ("", "file") or (parts.netloc and parts.netloc.lower() != "localhost"):
            return None
        if not parts.path:
            return None
        path = Path(unquote(parts.path))
        return path if path.is_absolute() else entry.resolve().parent / path

    def stylesheet(self, name: str) -> Path:
        """The project's own ``styles/name`` if present, else the built-in one."""
        for folder in self.style_dirs:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise ConfigError(f"stylesheet '{name}' not found in {', '.join(map(str, self.style_dirs))}")


def _existing(paths: list[Path]) -> list[Path]:
    seen: list[Path] = []
    for path in paths:
        resolved = path.resolve()
        if resolved.is_dir() and resolved not in seen:
            seen.append(resolved)
    return seen
