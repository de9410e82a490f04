"""Asking git when entry files were last committed, cheaply and without trusting the repository.

A build asks once per repository (:func:`last_commit_dates`: one ``git log``
over the entries' folders, however many entries there are), never once per
entry; :func:`last_commit_date` answers for a single file that the batch
look-up did not cover. git only runs when a ``.git`` folder or file lies above
the entry, without taking locks, with a timeout, with a fixed minimal
configuration (the repository is untrusted: its ``.git/config`` must not make
git run a program), and its failure (no git program, a broken repository)
means "no date", never an error.
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
    output = run_git(["log", "--no-show-signature", "-1", "--format=%cs", "--", path.name], folder, GIT_TIMEOUT_SECONDS)
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
    command = ["log", "--no-show-signature", "--format=%x00%cs", "--name-only", "--no-renames", "--"]
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
    "protocol.allow=never",
    "i18n.logOutputEncoding=UTF-8",
)
"""``-c`` settings that override whatever the repository's own ``.git/config`` says.

The entries' repository is untrusted: its config can name programs git runs
(``gpg.program`` with ``log.showSignature``, ``core.fsmonitor``, a pager,
hooks, and the ``uploadpack`` or ``sshCommand`` a partial clone's lazy fetch of a
missing object would start: no transport is allowed). None of them may run because
leaflets asked for a date."""


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
        "GIT_NO_LAZY_FETCH": "1",
        "PAGER": "cat",
        "LC_ALL": "C",
    })
    return env


def run_git(arguments: list[str], folder: Path, timeout: float) -> str | None:
    """What ``git`` prints, run in ``folder`` with a fixed minimal configuration; None when it fails or cannot run.

    No locks are taken, no system or global config is read, and :data:`GIT_SAFE_CONFIG`
    overrides the repository's own, so nothing in it can make git run a program.
    """
    settings = [*GIT_SAFE_CONFIG, *(f"safe.directory={trusted}" for trusted in trusted_directories())]
    overrides = [part for setting in settings for part in ("-c", setting)]
    try:
        result = subprocess.run(
            ["git", "--no-pager", *overrides, *arguments], cwd=folder, capture_output=True, text=True,
            timeout=timeout, env=git_environment(), stdin=subprocess.DEVNULL, errors="replace", check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


@lru_cache(maxsize=1)
def trusted_directories() -> tuple[str, ...]:
    """The ``safe.directory`` entries of the user's own (global and system) git configuration.

    Lookups run without that configuration (:func:`git_environment`), so the
    repositories the user declared safe are passed on explicitly: git's
    ownership check then answers as it would for the user, no more, no less.
    Reading configuration runs no program.
    """
    if git_program() is None:
        return ()
    found: list[str] = []
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    for scope in ("--system", "--global"):
        try:
            result = subprocess.run(
                ["git", "config", scope, "--get-all", "safe.directory"], capture_output=True, text=True,
                timeout=GIT_TIMEOUT_SECONDS, env={**env, "LC_ALL": "C"}, stdin=subprocess.DEVNULL, errors="replace",
            )
        except (OSError, subprocess.SubprocessError):
            continue
        found += [line for line in result.stdout.splitlines() if line and result.returncode == 0]
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=4096)
def git_root(folder: Path) -> Path | None:
    """The work tree holding ``folder``: the nearest folder with a ``.git`` folder or file (worktrees, submodules)."""
    return next((parent for parent in (folder, *folder.parents) if (parent / ".git").exists()), None)


@lru_cache(maxsize=1)
def git_program() -> str | None:
    return shutil.which("git")


