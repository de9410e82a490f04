"""Which entries go into a booklet, and in what order.

A booklet takes either a list file (the pharmacy's own order) or every entry
found under PATHS ordered by title the way a reader looks things up:
ignoring case and accents (:func:`leaflets.source.titles.title_key`), so
"Éfavirenz" files under E beside "efavirenz".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from leaflets.source.discover import EntrySource
from leaflets.errors import LeafletError, printable
from leaflets.files import MAX_TEXT_BYTES, RefusedFile, read_regular
from leaflets.source.titles import title_key


@dataclass(frozen=True)
class ListProblem:
    line: int
    message: str


class ListFileError(LeafletError):
    """A --list file names entries that cannot be used; every bad line is reported."""

    def __init__(self, path: Path, problems: list[ListProblem]) -> None:
        super().__init__(problems[0].message, path, problems[0].line)
        self.problems = problems

    def diagnostic(self, level: str = "error") -> str:
        return "\n".join(printable(f"{self.path}:{p.line}: {level}: {p.message}") for p in self.problems)


def read_list(path: Path) -> list[EntrySource]:
    """Entries named one per line in ``path``, relative to its folder; blank lines and ``#`` comments skipped."""
    try:
        text = read_regular(path, limit=MAX_TEXT_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LeafletError(f"list file is not valid UTF-8 ({exc.reason})", path) from None
    except RefusedFile as exc:
        raise LeafletError(f"cannot read list file: {exc.reason.removeprefix('cannot read: ')}", path) from None
    sources: list[EntrySource] = []
    seen: dict[Path, int] = {}
    problems: list[ListProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        name = raw.strip()
        if not name or name.startswith("#"):
            continue
        entry = Path(name)
        if not entry.is_absolute():
            entry = path.parent / entry
        if not entry.is_file():
            problems.append(ListProblem(number, f"no such entry file: {name}"))
            continue
        key = entry.resolve()
        if key in seen:
            problems.append(ListProblem(number, f"{name} is already listed on line {seen[key]}"))
            continue
        seen[key] = number
        sources.append(EntrySource(Path(entry.name), entry))
    if problems:
        raise ListFileError(path, problems)
    return sources


def initial(title: str) -> str:
    """The contents group a title files under: its first letter, or '#' for digits and symbols."""
    key = title_key(title)
    first = key[:1]
    return first.upper() if first.isalpha() else "#"
