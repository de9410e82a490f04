"""Finding entries from the PATHS given on the command line.

Each entry keeps the root it was found under, so its output lands at
``OUT/<path relative to that root>.pdf`` and a folder tree of entries becomes
the same tree of leaflets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import LeafletError

ENTRY_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True, order=True)
class EntrySource:
    """An entry file and where its output goes, relative to the output folder."""

    relative: Path
    path: Path

    def output_name(self, name_suffix: str, extension: str) -> Path:
        """``a/metformin.md`` -> ``a/metformin-large.pdf`` for name_suffix "-large", extension ".pdf"."""
        stem = self.relative.with_suffix("")
        return stem.with_name(stem.name + name_suffix + extension)


def find_entries(paths: list[Path], warnings: list[str] | None = None) -> list[EntrySource]:
    """Expand files and folders (searched recursively) into entry sources, sorted and unique.

    A path given directly is an entry whatever it is (a FIFO or a device is
    then refused, with its reason, when it is read); in a folder, every
    ``.md``/``.markdown`` name that is not a folder is one. Symlinked folders
    are not followed. A folder that cannot be read is skipped with a line in
    ``warnings`` (when given) instead of silently.
    """
    found: dict[Path, EntrySource] = {}
    for given in paths:
        if given.is_dir():
            for path in _walk(given, warnings):
                if path.suffix.lower() in ENTRY_SUFFIXES and path.name.lower() != "readme.md":
                    found.setdefault(path.resolve(), EntrySource(path.relative_to(given), path))
        elif os.path.lexists(given) and given.exists():
            found.setdefault(given.resolve(), EntrySource(Path(given.name), given))
        else:
            raise LeafletError("no such file or folder", given)
    return sorted(found.values(), key=lambda source: (str(source.relative), str(source.path)))


def _walk(root: Path, warnings: list[str] | None) -> list[Path]:
    """Files (anything but folders) below ``root``, hidden names skipped, unreadable folders reported."""

    def unreadable(error: OSError) -> None:
        if warnings is not None:
            folder = error.filename or root
            warnings.append(f"{folder}: warning: folder cannot be read ({error.strerror}); its entries are skipped")

    files: list[Path] = []
    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(".") and not _is_dir_link(folder, name))
        files.extend(Path(folder, name) for name in sorted(names) if not name.startswith("."))
    return files


def _is_dir_link(folder: str, name: str) -> bool:
    return os.path.islink(os.path.join(folder, name))


EDITION_SUFFIXES = ("", "-large")
"""Name suffixes of the editions that share one output folder (standard, large print)."""


def output_clashes(sources: list[EntrySource], name_suffix: str = "") -> dict[EntrySource, EntrySource]:
    """Sources whose output for the edition ``name_suffix`` would overwrite another entry's, mapped to that entry.

    ``a.md`` and ``a.markdown``, or ``x.md`` under two folders given together,
    both become ``x.pdf``; only the first is built, so nothing is silently lost.
    Both editions share a folder, so a large print (``x-large.pdf`` from
    ``x.md``) that is another entry's standard leaflet (from ``x-large.md``)
    clashes too. Standard names are claimed first, so a large print never
    takes the place of a standard leaflet; then large-print names, in order.
    """
    owners: dict[Path, EntrySource] = {}
    for suffix in EDITION_SUFFIXES if name_suffix in EDITION_SUFFIXES else (name_suffix,):
        for source in sources:
            owners.setdefault(source.output_name(suffix, ""), source)
    clashes: dict[EntrySource, EntrySource] = {}
    for source in sources:
        owner = owners.setdefault(source.output_name(name_suffix, ""), source)
        if owner is not source:
            clashes[source] = owner
    return clashes


def clash_message(source: EntrySource, earlier: EntrySource, name_suffix: str = "") -> str:
    name = source.output_name(name_suffix, "")
    if name == earlier.output_name(name_suffix, ""):
        return f"would be written to the same leaflet ({name}.*) as {earlier.path}; only the first is built"
    return (
        f"its {'large-print ' if name_suffix else ''}leaflet ({name}.*) would be written over the leaflet of "
        f"{earlier.path}; rename one of the two entries"
    )


