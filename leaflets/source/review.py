"""When an entry was last reviewed, where that date came from, and whether it is overdue.

Patient-information schemes ask for a review at least every few years, so every
leaflet prints its review date and ``leaflets check`` warns when it is too old.
The date comes, in order of trust, from the front matter (``reviewed``), from
the entry's last git commit, or from the file's modification time. The git
look-up is one ``git log`` per entry and only runs when a ``.git`` folder lies
above the entry, so building entries outside a repository costs nothing and a
missing ``git`` program is not an error.

:func:`last_commit_dates` asks git once per repository for a whole build, not
once per entry; the build hands those dates to the renderers, and
:func:`review_stamps` turns them into what the build cache must know beyond an
entry's bytes (its last commit, or its modification day), so a commit or a
touched file rebuilds the leaflet that prints the date.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from leaflets.clock import build_time
from leaflets.source.entry import Entry
from leaflets.errors import EntryError, short_repr

DEFAULT_REVIEW_PERIOD_YEARS = 3

ReviewSource = Literal["front matter", "git", "file"]

_GIT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Review:
    """An entry's review date and what follows from it on a given day."""

    reviewed: date
    source: ReviewSource
    """Where ``reviewed`` came from: the front matter, the last git commit, or the file's mtime."""
    next_review: date | None
    """``next_review`` from the front matter; None when the entry sets none."""
    due: date
    """When the next review is due: ``next_review``, else ``reviewed`` plus the review period."""
    overdue: bool
    """True when ``due`` lies before the day the check is made."""


def review_of(
    entry: Entry, period_years: float = DEFAULT_REVIEW_PERIOD_YEARS, today: date | None = None,
    commit_dates: Mapping[Path, date | None] | None = None,
) -> Review:
    """The review date of ``entry`` and whether it is overdue on ``today`` (default: the build date).

    ``commit_dates`` (from :func:`last_commit_dates`) answers for the entries it
    holds; git is asked about the others one by one.

    Raises :class:`EntryError` naming the front-matter line when ``reviewed`` or
    ``next_review`` is not a date, or the next review is not after the last one.
    """
    today = today or build_time().date()
    reviewed = _front_matter_date(entry, "reviewed")
    source: ReviewSource = "front matter"
    if reviewed is None:
        if commit_dates is not None and entry.path in commit_dates:
            committed = commit_dates[entry.path]
        else:
            committed = last_commit_date(entry.path)
        if committed is not None:
            reviewed, source = committed, "git"
        else:
            reviewed, source = _modification_date(entry.path), "file"
    next_review = _front_matter_date(entry, "next_review")
    if next_review is not None and next_review <= reviewed:
        raise EntryError(
            f"front matter 'next_review' ({next_review.isoformat()}) must be after the review date "
            f"({reviewed.isoformat()})",
            entry.path, front_matter_line(entry, "next_review"), code="bad-front-matter",
        )
    if next_review is not None:
        due = next_review
    else:
        try:
            due = add_years(reviewed, period_years)
        except (ValueError, OverflowError):
            key = "reviewed" if source == "front matter" else None
            raise EntryError(
                f"review date {reviewed.isoformat()} plus the review period of {period_years:g} years is past "
                "the last date this tool can print (9999-12-31)",
                entry.path, front_matter_line(entry, key) if key else None, code="bad-front-matter",
            ) from None
    return Review(reviewed, source, next_review, due, due < today)


def add_years(day: date, years: float) -> date:
    """``day`` moved on by ``years`` (whole months for fractions; 29 February becomes the 28th)."""
    months = day.month - 1 + round(years * 12)
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def front_matter_line(entry: Entry, key: str) -> int | None:
    """The file line where front-matter ``key`` is set, for diagnostics."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    text = entry.source_bytes.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n")[: entry.body_line - 1], start=1):
        if pattern.match(line):
            return number
    return None


def _front_matter_date(entry: Entry, key: str) -> date | None:
    value: Any = entry.metadata.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise EntryError(
        f"front matter '{key}' must be a date written as YYYY-MM-DD, not {short_repr(value)}",
        entry.path, front_matter_line(entry, key), code="bad-front-matter",
    )


def last_commit_date(path: Path) -> date | None:
    """Committer date of the last commit touching ``path``; None outside git, without git, or for new files."""
    folder = path.resolve().parent
    if _git_program() is None or _git_root(folder) is None:
        return None
    output = _git(["log", "--no-show-signature", "-1", "--format=%cs", "--", path.name], folder, _GIT_TIMEOUT_SECONDS)
    try:
        return date.fromisoformat(output.strip()) if output is not None else None
    except ValueError:
        return None


def last_commit_dates(paths: Sequence[Path]) -> dict[Path, date | None]:
    """The last commit date of each file, None outside git or for a file never committed.

    One ``git log`` per repository; a file whose repository git could not
    read is left out, so :func:`review_of` asks about it on its own.
    """
    dates: dict[Path, date | None] = {}
    by_repository: dict[Path, list[Path]] = {}
    for path in paths:
        root = _git_root(path.resolve().parent) if _git_program() else None
        if root is None:
            dates[path] = None
        else:
            by_repository.setdefault(root, []).append(path)
    for root, members in by_repository.items():
        found = _last_commit_dates(root, members)
        if found is not None:
            dates.update({path: found.get(path) for path in members})
    return dates


def review_stamps(paths: Sequence[Path], commit_dates: Mapping[Path, date | None] | None = None) -> dict[Path, str]:
    """For each entry file, the date its printed review date would come from if the front matter sets none.

    ``git:YYYY-MM-DD`` (last commit, from ``commit_dates`` or looked up) inside a
    git work tree, else ``file:YYYY-MM-DD`` (modification day); an unreadable
    file gets no stamp.
    """
    committed = last_commit_dates(paths) if commit_dates is None else commit_dates
    stamps: dict[Path, str] = {}
    for path in paths:
        day = committed.get(path)
        if day is not None:
            stamps[path] = f"git:{day.isoformat()}"
            continue
        try:
            stamps[path] = f"file:{_modification_date(path).isoformat()}"
        except EntryError:
            continue
    return stamps


def _last_commit_dates(root: Path, paths: list[Path]) -> dict[Path, date] | None:
    """The last commit date of each of ``paths`` (files under ``root``) that has one, from one ``git log``."""
    wanted = {path.resolve().relative_to(root).as_posix(): path for path in paths}
    folders = sorted({posix.rsplit("/", 1)[0] if "/" in posix else "." for posix in wanted})
    command = ["log", "--no-show-signature", "--format=%x00%cs", "--name-only", "--no-renames", "--"]
    output = _git([*command, *folders] if len(folders) <= 200 else command, root, _GIT_TIMEOUT_SECONDS * 12)
    if output is None:
        return None
    found: dict[Path, date] = {}
    day: date | None = None
    for line in output.splitlines():
        if line.startswith("\x00"):
            try:
                day = date.fromisoformat(line[1:].strip())
            except ValueError:
                day = None
        elif line and day is not None and line in wanted and wanted[line] not in found:
            found[wanted[line]] = day
    return found


GIT_SAFE_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.quotepath=off",
    "log.showSignature=false",
    "log.mailmap=false",
    "log.follow=false",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "color.ui=false",
    "i18n.logOutputEncoding=UTF-8",
)
"""``-c`` settings that override whatever the repository's own ``.git/config`` says.

The entries' repository is untrusted: its config can name programs git runs
(``gpg.program`` with ``log.showSignature``, ``core.fsmonitor``, a pager,
hooks). None of them may run because leaflets asked for a date."""


def git_environment() -> dict[str, str]:
    """The environment git runs in: no system or global config, no prompts, nothing inherited from ``GIT_*``.

    Variables such as ``GIT_DIR``, ``GIT_CONFIG_PARAMETERS`` or ``GIT_EXEC_PATH``
    would change which repository and which settings git uses, so none is
    passed on. The repository's ownership check (``safe.directory``) stays on.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env.update({
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "LC_ALL": "C",
    })
    return env


def _git(arguments: list[str], folder: Path, timeout: float) -> str | None:
    """What ``git`` prints, run in ``folder`` with a fixed minimal configuration; None when it fails or cannot run."""
    overrides = [part for setting in GIT_SAFE_CONFIG for part in ("-c", setting)]
    try:
        result = subprocess.run(
            ["git", "--no-pager", *overrides, *arguments], cwd=folder, capture_output=True, text=True,
            timeout=timeout, env=git_environment(), stdin=subprocess.DEVNULL, errors="replace",
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


@lru_cache(maxsize=4096)
def _git_root(folder: Path) -> Path | None:
    """The work tree holding ``folder``: the nearest folder with a ``.git`` folder or file (worktrees, submodules)."""
    return next((parent for parent in (folder, *folder.parents) if (parent / ".git").exists()), None)


@lru_cache(maxsize=1)
def _git_program() -> str | None:
    return shutil.which("git")


def _modification_date(path: Path) -> date:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).date()
    except OSError as exc:
        raise EntryError(f"cannot read file: {exc.strerror}", path) from None
    except (ValueError, OverflowError):
        raise EntryError("the file's modification time is not a date this tool can print", path) from None
