"""Review dates: only ``reviewed`` is a review; else the last update (git, then the file's mtime); overdue after the period.

Printed leaflets are read back (pdfplumber and pdftotext): an entry nobody
reviewed says "Updated <date>" and never "reviewed".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pikepdf
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
    assert (result.dated, result.source, result.overdue) == (date(2023, 11, 14), "file", False)
    assert (result.reviewed, result.updated) == (None, date(2023, 11, 14)), "a file date is an update, not a review"


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
    assert (result.dated, result.source, result.overdue) == (date(2021, 5, 6), "git", True)
    assert (result.reviewed, result.updated) == (None, date(2021, 5, 6)), "a commit is an update, not a review"
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
    assert "Updated 6 May 2021." in text and "reviewed" not in text.lower()


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
    assert len(overdue) == 1
    assert overdue[0].message == "never reviewed (no 'reviewed' date); last updated 2001-05-06 (its last git commit); a review was due 2004-05-06"


def test_front_matter_review_is_reviewed_not_updated(tmp_path: Path) -> None:
    result = review_of(load_entry(entry_with(tmp_path, "reviewed: 2024-03-10\n")), 3, today=date(2026, 1, 1))
    assert (result.dated, result.reviewed, result.updated) == (date(2024, 3, 10), date(2024, 3, 10), None)


def test_unreviewed_entry_changed_after_its_next_review_is_overdue_not_refused(tmp_path: Path) -> None:
    """Only a review must come before ``next_review``: an update after it (a typo fixed) leaves the review overdue."""
    path = entry_with(tmp_path, "next_review: 2023-01-01\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14, after the planned review
    result = review_of(load_entry(path), 3, today=date(2026, 1, 1))
    assert (result.updated, result.due, result.overdue) == (date(2023, 11, 14), date(2023, 1, 1), True)


# Printed leaflets read back. The entry is long enough for two pages: the dates sit in the footer of every page.
LONG_BODY = "### Usage\n" + "\n\n".join(
    f"Paragraph {n}: take one tablet with a glass of water after food, and keep to the times on the label." for n in range(40)
) + "\n\n### Precautions\nKeep out of the reach of children.\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_COMMITTER_DATE": "2024-02-29T12:00:00Z",
           "GIT_AUTHOR_DATE": "2024-02-29T12:00:00Z"}


def _printed(pdf: Path) -> list[str]:
    """Each page's text, from pdfplumber and pdftotext both (two extractors, so no word hides from one)."""
    from pdfread import normalised, pages, pdftotext

    plumbed = [normalised(page.text) for page in pages(pdf)]
    poppler = [normalised(page) for page in pdftotext(pdf).split("\f") if page.strip()]
    assert len(plumbed) == len(poppler) >= 2, "the test entry should fill two pages"
    return [f"{a}\n{b}" for a, b in zip(plumbed, poppler)]


def _build(entries: list[Path], out: Path, **options: object) -> None:
    from leaflets.build.builder import build_leaflets
    from leaflets.project.project import Project
    from leaflets.render.leaflet import BuildOptions

    from conftest import REPO

    report = build_leaflets(entries, out, Project.load(REPO), BuildOptions(**options), jobs=1)  # type: ignore[arg-type]
    assert report.ok, [result.error for result in report.results]


def _assert_updated(pdf: Path, day: str) -> None:
    from pdfread import metadata

    for number, text in enumerate(_printed(pdf), start=1):
        assert f"Updated {day}." in text, f"page {number}: {text[-300:]}"
        assert "reviewed" not in text.lower(), f"page {number} calls an update a review"
    assert not any("review" in value.lower() for value in metadata(pdf).values())
    with pikepdf.open(pdf) as document:
        xmp = str(document.open_metadata())
    assert "pdfuaid" in xmp and "review" not in xmp.lower(), "the XMP metadata carries no review date either"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_unreviewed_entry_in_git_prints_updated_with_the_commit_date(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    path = write_entry(repository, "e.md", f"---\ntitle: Longmol\n---\n{LONG_BODY}")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # the file date differs: the commit must win
    for command in (["init", "-q"], ["add", "e.md"], ["commit", "-q", "-m", "entry"]):
        subprocess.run(["git", *command], cwd=repository, env={**os.environ, **GIT_ENV}, check=True)
    _build([path], tmp_path / "out")
    _build([path], tmp_path / "out", large_print=True)
    _assert_updated(tmp_path / "out" / "e.pdf", "29 February 2024")
    _assert_updated(tmp_path / "out" / "e-large.pdf", "29 February 2024")
    html_out = tmp_path / "html"
    _build([path], html_out, format="html")
    html = (html_out / "e.html").read_text(encoding="utf-8")
    assert 'Updated <time datetime="2024-02-29">29 February 2024</time>.' in html and "reviewed" not in html.lower()


def test_unreviewed_entry_outside_git_prints_updated_with_the_file_date(tmp_path: Path) -> None:
    path = write_entry(tmp_path / "loose", "e.md", f"---\ntitle: Longmol\nnext_review: 2027-02-03\n---\n{LONG_BODY}")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14 UTC
    assert review.last_commit_date(path) is None, "tmp_path must lie outside any git work tree"
    _build([path], tmp_path / "out")
    _assert_updated(tmp_path / "out" / "e.pdf", "14 November 2023")
    first = _printed(tmp_path / "out" / "e.pdf")[0]
    assert "Updated 14 November 2023. Next review 3 February 2027. Printed 1 January 2026." in first


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_reviewed_entry_says_last_reviewed_even_in_git(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    path = write_entry(repository, "e.md", f"---\ntitle: Longmol\nreviewed: 2025-07-08\n---\n{LONG_BODY}")
    for command in (["init", "-q"], ["add", "e.md"], ["commit", "-q", "-m", "entry"]):
        subprocess.run(["git", *command], cwd=repository, env={**os.environ, **GIT_ENV}, check=True)
    _build([path], tmp_path / "out")
    for number, text in enumerate(_printed(tmp_path / "out" / "e.pdf"), start=1):
        assert "Last reviewed 8 July 2025. Printed 1 January 2026." in text, f"page {number}"
        assert "Updated" not in text and "29 February 2024" not in text, f"page {number}"


def test_booklet_says_what_each_entrys_date_is(tmp_path: Path) -> None:
    """A booklet lays each entry out as build does: the reviewed one says so, the other says Updated, on every page."""
    from leaflets.booklet.make import BookletOptions, build_booklet
    from leaflets.project.project import Project

    from conftest import REPO
    from pdfread import pdftotext

    unreviewed = write_entry(tmp_path / "loose", "a.md", f"---\ntitle: Alphamol\n---\n{LONG_BODY}")
    os.utime(unreviewed, (1_700_000_000, 1_700_000_000))
    reviewed = write_entry(tmp_path / "loose", "b.md", "---\ntitle: Betamol\nreviewed: 2025-07-08\n---\n### Usage\nText.\n")
    output = tmp_path / "booklet.pdf"
    report = build_booklet([unreviewed, reviewed], output, Project.load(REPO), None, BookletOptions(), jobs=1)  # type: ignore[arg-type]
    assert report.ok, report
    texts = [" ".join(page.split()) for page in pdftotext(output).split("\f") if page.strip()]
    alpha = [text for text in texts if "Alphamol" in text and "Paragraph" in text]
    beta = [text for text in texts if "Betamol" in text and "Text." in text]
    assert len(alpha) >= 2 and len(beta) == 1
    assert all("Updated 14 November 2023." in text and "reviewed" not in text.lower() for text in alpha)
    assert "Last reviewed 8 July 2025." in beta[0] and "Updated" not in beta[0]
