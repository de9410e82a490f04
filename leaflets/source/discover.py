"""Finding entries from the PATHS given on the command line.

Each entry keeps the root it was found under, so its output lands at
``OUT/<path relative to that root>.pdf`` and a folder tree of entries becomes
the same tree of leaflets.
"""

from __future__ import annotations

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


def find_entries(paths: list[Path]) -> list[EntrySource]:
    """Expand files and folders (searched recursively) into entry sources, sorted and unique."""
    found: dict[Path, EntrySource] = {}
    for given in paths:
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                if path.suffix.lower() in ENTRY_SUFFIXES and path.is_file() and not _hidden(path, given):
                    if path.name.lower() == "readme.md":
                        continue
                    found.setdefault(path.resolve(), EntrySource(path.relative_to(given), path))
        elif given.is_file():
            found.setdefault(given.resolve(), EntrySource(Path(given.name), given))
        else:
            raise LeafletError("no such file or folder", given)
    return sorted(found.values(), key=lambda source: (str(source.relative), str(source.path)))


def output_clashes(sources: list[EntrySource]) -> dict[EntrySource, EntrySource]:
    """Sources whose leaflet would overwrite an earlier one's, mapped to that earlier source.

    ``a.md`` and ``a.markdown``, or ``x.md`` under two folders given together,
    both become ``x.pdf``; only the first is built, so nothing is silently lost.
    """
    first: dict[Path, EntrySource] = {}
    clashes: dict[EntrySource, EntrySource] = {}
    for source in sources:
        earlier = first.setdefault(source.output_name("", ""), source)
        if earlier is not source:
            clashes[source] = earlier
    return clashes


def clash_message(source: EntrySource, earlier: EntrySource) -> str:
    return (
        f"would be written to the same leaflet ({source.output_name('', '')}.*) as {earlier.path}; "
        "only the first is built"
    )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
