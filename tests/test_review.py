"""Review dates: front matter, then git, then the file's mtime; overdue after the configured period."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from leaflets.source import git, review
from leaflets.source.entry import load_entry
from leaflets.errors import EntryError
from leaflets.source.review import add_years, review_of

from conftest import write_entry


def entry_with(folder: Path, front: str) -> Path:
    return write_entry(folder, "e.md", f"---\ntitle: E\n{front}---\n### Usage\nText.\n")


def test_front_matter_dates(tmp_path: Path) -> None:
    path = entry_with(tmp_path, "reviewed: 2024-03-10\nnext_review: '2026-03-10'\n")
    result = review_of(load_entry(path), 3, today=date(2026, 1, 1))
    assert (result.reviewed, result.source, result.next_review, result.due, result.overdue) == (
        date(2024, 3, 10), "front matter", date(2026, 3, 10), date(2026, 3, 10), False,
    )
    assert review_of(load_entry(path), 3, today=date(2026, 3, 11)).overdue


def test_overdue_after_the_period(tmp_path: Path) -> None:
    entry = load_entry(entry_with(tmp_path, "reviewed: 2022-12-31\n"))
    assert review_of(entry, 3, today=date(2025, 12, 31)).overdue is False
    assert review_of(entry, 3, today=date(2026, 1, 1)).overdue is True
    assert review_of(entry, 5, today=date(2026, 1, 1)).overdue is False
    assert review_of(entry, 0.5, today=date(2026, 1, 1)).due == date(2023, 6, 30)


def test_leap_day_plus_years() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("front", "line", "fragment"),
    [
        ("lang: en\nreviewed: 2024-13-01\n", 3, "'reviewed' is not a valid date"),
        ("reviewed: last spring\n", 2, "not 'last spring'"),
        ("reviewed: 2024-01-01\nnext_review: 20240101\n", 3, "'next_review' must be a date"),
        ("reviewed: 2024-01-01\nnext_review: 2023-01-01\n", 3, "must be after the review date"),
    ],
)
def test_invalid_dates_name_the_line(tmp_path: Path, front: str, line: int, fragment: str) -> None:
    path = entry_with(tmp_path, front)
    with pytest.raises(EntryError) as caught:
        review_of(load_entry(path), 3, today=date(2026, 1, 1))
    assert caught.value.line == line + 1
    assert fragment in caught.value.message
    assert caught.value.diagnostic().startswith(f"{path}:{line + 1}: error:")


def test_file_modification_time_outside_git(tmp_path: Path) -> None:
    path = entry_with(tmp_path, "")
    moment = 1_700_000_000  # 2023-11-14 UTC
    os.utime(path, (moment, moment))
    result = review_of(load_entry(path), 3, today=date(2026, 1, 1))
    assert (result.reviewed, result.source, result.overdue) == (date(2023, 11, 14), "file", False)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_last_commit_date_in_git(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    path = entry_with(repository, "")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_COMMITTER_DATE": "2021-05-06T12:00:00Z",
           "GIT_AUTHOR_DATE": "2021-05-06T12:00:00Z"}
    for command in (["init", "-q"], ["add", "e.md"], ["commit", "-q", "-m", "entry"]):
        subprocess.run(["git", *command], cwd=repository, env=env, check=True)
    result = review_of(load_entry(path), 3, today=date(2026, 1, 1))
    assert (result.reviewed, result.source, result.overdue) == (date(2021, 5, 6), "git", True)
    new = write_entry(repository, "new.md", "# New\n### Usage\nText.\n")
    assert review_of(load_entry(new), 3, today=date(2026, 1, 1)).source == "file", "uncommitted: the mtime"


def test_without_git_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    path = entry_with(tmp_path, "")
    monkeypatch.setattr(git, "git_program", lambda: None)
    assert review_of(load_entry(path), 3, today=date(2026, 1, 1)).source == "file"
    monkeypatch.setattr(git, "git_program", lambda: "/nonexistent/git")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert review_of(load_entry(path), 3, today=date(2026, 1, 1)).source == "file"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_build_asks_git_once_and_prints_the_commit_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leaflets.build.builder import build_leaflets
    from leaflets.project.project import Project

    from pdfread import normalised, pages

    repository = tmp_path / "repo"
    committed = entry_with(repository / "entries", "")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_COMMITTER_DATE": "2021-05-06T12:00:00Z",
           "GIT_AUTHOR_DATE": "2021-05-06T12:00:00Z"}
    for command in (["init", "-q"], ["add", "entries/e.md"], ["commit", "-q", "-m", "entry"]):
        subprocess.run(["git", *command], cwd=repository, env=env, check=True)
    new = write_entry(repository / "entries", "new.md", "# New\n### Usage\nText.\n")
    outside = entry_with(tmp_path / "loose", "")
    assert review.last_commit_dates([committed, new, outside]) == {committed: date(2021, 5, 6), new: None, outside: None}

    def one_by_one(path: Path) -> None:
        raise AssertionError(f"git asked about {path} on its own")

    monkeypatch.setattr(review, "last_commit_date", one_by_one)
    report = build_leaflets(None, tmp_path / "out", Project.load(repository), jobs=1)
    assert report.ok, [result.error for result in report.results]
    text = normalised(pages(tmp_path / "out" / "e.pdf")[0].text)
    assert "Last reviewed 6 May 2021" in text


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_check_asks_git_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leaflets.check.checker import check_entries
    from leaflets.project.project import Project

    repository = tmp_path / "repo"
    entry_with(repository / "entries", "")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_COMMITTER_DATE": "2001-05-06T12:00:00Z",
           "GIT_AUTHOR_DATE": "2001-05-06T12:00:00Z"}
    for command in (["init", "-q"], ["add", "entries/e.md"], ["commit", "-q", "-m", "entry"]):
        subprocess.run(["git", *command], cwd=repository, env=env, check=True)

    def one_by_one(path: Path) -> None:
        raise AssertionError(f"git asked about {path} on its own")

    monkeypatch.setattr(review, "last_commit_date", one_by_one)
    report = check_entries(None, Project.load(repository), jobs=1)
    overdue = [f for f in report.findings if f.code == "review-overdue"]
    assert len(overdue) == 1 and "2001-05-06 (from the git)" in overdue[0].message
