"""leaflets: printable PDF patient leaflets from Markdown medicine entries.

The library API is re-exported here, so programs write ``from leaflets import
build_leaflets, Project``. Each name is imported on first use (PEP 562), so
``import leaflets`` stays cheap: it loads neither WeasyPrint, Jinja2 nor the
readability dictionary until a build or check asks for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "build_leaflets": "leaflets.build.builder",
    "BuildReport": "leaflets.build.results",
    "EntryResult": "leaflets.build.results",
    "build_booklet": "leaflets.booklet.make",
    "BookletOptions": "leaflets.booklet.make",
    "BookletReport": "leaflets.booklet.make",
    "check_entries": "leaflets.check.checker",
    "CheckReport": "leaflets.check.checker",
    "Finding": "leaflets.check.findings",
    "Project": "leaflets.project.project",
    "Config": "leaflets.project.config",
    "BuildOptions": "leaflets.project.options",
    "Entry": "leaflets.source.entry",
    "load_entry": "leaflets.source.entry",
    "LeafletError": "leaflets.errors",
    "EntryError": "leaflets.errors",
    "ConfigError": "leaflets.errors",
    "OutputError": "leaflets.errors",
}
"""Public name -> the module that defines it."""

__all__ = [
    "BookletOptions",
    "BookletReport",
    "BuildOptions",
    "BuildReport",
    "CheckReport",
    "Config",
    "ConfigError",
    "Entry",
    "EntryError",
    "EntryResult",
    "Finding",
    "LeafletError",
    "OutputError",
    "Project",
    "__version__",
    "build_booklet",
    "build_leaflets",
    "check_entries",
    "load_entry",
]

if TYPE_CHECKING:
    from leaflets.booklet.make import BookletOptions, BookletReport, build_booklet
    from leaflets.build.builder import build_leaflets
    from leaflets.build.results import BuildReport, EntryResult
    from leaflets.check.checker import CheckReport, check_entries
    from leaflets.check.findings import Finding
    from leaflets.errors import ConfigError, EntryError, LeafletError, OutputError
    from leaflets.project.config import Config
    from leaflets.project.options import BuildOptions
    from leaflets.project.project import Project
    from leaflets.source.entry import Entry, load_entry


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'leaflets' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
