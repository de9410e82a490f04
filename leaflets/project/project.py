"""Where a build finds its templates, styles, settings and default entries.

A project folder may hold its own ``templates/``, ``styles/`` and
``leaflets.toml``; whatever it lacks falls back to the defaults shipped with the
package, so a pharmacy can override one template without copying the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

    @classmethod
    def load(cls, root: Path | str | None = None) -> "Project":
        root_path = Path(root if root is not None else Path.cwd()).resolve()
        if not root_path.is_dir():
            raise ConfigError("project folder does not exist", root_path)
        project = cls(root=root_path, config=load_config(root_path / CONFIG_FILENAME))
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
        if not path.is_file():
            raise ConfigError(f"key 'logo': file {self.config.logo} not found in {self.root}", where)
        return path

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
        return [self.root, *self.template_dirs, *self.style_dirs]

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
