"""Asking git when entry files were last committed, cheaply and without trusting the repository.

A build asks once per repository (:func:`last_commit_dates`: one ``git log``
over the entries' folders, however many entries there are), never once per
entry; :func:`last_commit_date` answers for a single file that the batch
look-up did not cover. git only runs when a ``.git`` folder or file lies above
the entry, without taking locks, with a timeout, and its failure (no git
program, a broken repository) means "no date", never an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

GIT_TIMEOUT_SECONDS = 5
"""For one file's look-up; a whole repository's log gets twelve times as long."""


def last_commit_date(path: Path) -> date | None:
    """Committer date of the last commit touching ``path``; None outside git, without git, or for new files."""
    folder = path.resolve().parent
    if git_program() is None or git_root(folder) is None:
        return None
    output = run_git(["log", "-1", "--format=%cs", "--", path.name], folder, GIT_TIMEOUT_SECONDS)
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
        root = git_root(path.resolve().parent) if git_program() else None
        if root is None:
            dates[path] = None
        else:
            by_repository.setdefault(root, []).append(path)
    for root, members in by_repository.items():
        found = _last_commit_dates(root, members)
        if found is not None:
            dates.update({path: found.get(path) for path in members})
    return dates


def _last_commit_dates(root: Path, paths: list[Path]) -> dict[Path, date] | None:
    """The last commit date of each of ``paths`` (files under ``root``) that has one, from one ``git log``."""
    wanted = {path.resolve().relative_to(root).as_posix(): path for path in paths}
    folders = sorted({posix.rsplit("/", 1)[0] if "/" in posix else "." for posix in wanted})
    command = ["-c", "core.quotepath=off", "log", "--format=%x00%cs", "--name-only", "--no-renames", "--"]
    output = run_git([*command, *folders] if len(folders) <= 200 else command, root, GIT_TIMEOUT_SECONDS * 12)
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


def run_git(arguments: list[str], folder: Path, timeout: float) -> str | None:
    """What ``git`` prints, run in ``folder`` without taking locks; None when it fails or cannot run."""
    try:
        result = subprocess.run(
            ["git", *arguments], cwd=folder, capture_output=True, text=True, timeout=timeout, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


@lru_cache(maxsize=4096)
def git_root(folder: Path) -> Path | None:
    """The work tree holding ``folder``: the nearest folder with a ``.git`` folder or file (worktrees, submodules)."""
    return next((parent for parent in (folder, *folder.parents) if (parent / ".git").exists()), None)


@lru_cache(maxsize=1)
def git_program() -> str | None:
    return shutil.which("git")


