"""When an entry was last reviewed or, failing that, last updated, and whether a review is overdue.

Patient-information schemes ask for a review at least every few years, so every
leaflet prints a date and ``leaflets check`` warns when a review is too old.
Only ``reviewed`` in the front matter is a review: a person vouched for the
text on that day. Without it the leaflet prints what the date is, the day the
entry was last updated: its last git commit, else the file's modification
time. A patient or pharmacist reads "reviewed" as a clinical check, so a commit
or a touched file must never be printed as one (:attr:`Review.reviewed` is None
then, and :attr:`Review.updated` holds the date). Git is asked through
:mod:`leaflets.source.git`, once per repository for a whole build, and only
when a ``.git`` folder lies above the entry, so building entries outside a
repository costs nothing and a missing ``git`` program is not an error.

The build hands those dates to the renderers, and :func:`review_stamps` turns
them into what the build cache must know beyond an entry's bytes (its last
commit, or its modification day), so a commit or a touched file rebuilds the
leaflet that prints the "Updated" date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from leaflets.clock import build_time
from leaflets.source.entry import Entry
from leaflets.errors import EntryError, short_repr
from leaflets.source.fields import front_matter_line
from leaflets.source.git import last_commit_date, last_commit_dates

DEFAULT_REVIEW_PERIOD_YEARS = 3

ReviewSource = Literal["front matter", "git", "file"]


@dataclass(frozen=True)
class Review:
    """An entry's date (reviewed, or else updated) and what follows from it on a given day."""

    dated: date
    """The review date from the front matter, else the day the entry was last updated."""
    source: ReviewSource
    """Where ``dated`` came from: the front matter (a review), the last git commit or the file's mtime (an update)."""
    next_review: date | None
    """``next_review`` from the front matter; None when the entry sets none."""
    due: date
    """When the next review is due: ``next_review``, else ``dated`` plus the review period."""
    overdue: bool
    """True when ``due`` lies before the day the check is made."""

    @property
    def reviewed(self) -> date | None:
        """The day someone reviewed the entry (``reviewed`` in the front matter); None when nobody did."""
        return self.dated if self.source == "front matter" else None

    @property
    def updated(self) -> date | None:
        """The day an unreviewed entry last changed (last commit, else file date); None for a reviewed entry."""
        return None if self.source == "front matter" else self.dated


def review_of(
    entry: Entry, period_years: float = DEFAULT_REVIEW_PERIOD_YEARS, today: date | None = None,
    commit_dates: Mapping[Path, date | None] | None = None,
) -> Review:
    """The review date of ``entry`` and whether it is overdue on ``today`` (default: the build date).

    ``commit_dates`` (from :func:`leaflets.source.git.last_commit_dates`) answers for the entries it
    holds; git is asked about the others one by one.

    Raises :class:`EntryError` naming the front-matter line when ``reviewed`` or
    ``next_review`` is not a date, or the next review is not after the last
    review. An entry nobody reviewed may have changed after its planned review
    (a commit on the day it fell due): that review is simply overdue.
    """
    today = today or build_time().date()
    dated = _front_matter_date(entry, "reviewed")
    source: ReviewSource = "front matter"
    next_review = _front_matter_date(entry, "next_review")
    if dated is not None and next_review is not None and next_review <= dated:
        raise EntryError(
            f"front matter 'next_review' ({next_review.isoformat()}) must be after the review date "
            f"({dated.isoformat()})",
            entry.path, front_matter_line(entry, "next_review"), code="bad-front-matter",
        )
    if dated is None:
        if commit_dates is not None and entry.path in commit_dates:
            committed = commit_dates[entry.path]
        else:
            committed = last_commit_date(entry.path)
        if committed is not None:
            dated, source = committed, "git"
        else:
            dated, source = _modification_date(entry.path), "file"
    if next_review is not None:
        due = next_review
    else:
        try:
            due = add_years(dated, period_years)
        except (ValueError, OverflowError):
            key = "reviewed" if source == "front matter" else None
            raise EntryError(
                f"review date {dated.isoformat()} plus the review period of {period_years:g} years is past "
                "the last date this tool can print (9999-12-31)",
                entry.path, front_matter_line(entry, key) if key else None, code="bad-front-matter",
            ) from None
    return Review(dated, source, next_review, due, due < today)


def add_years(day: date, years: float) -> date:
    """``day`` moved on by ``years`` (whole months for fractions; 29 February becomes the 28th)."""
    months = day.month - 1 + round(years * 12)
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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


def review_stamps(paths: Sequence[Path], commit_dates: Mapping[Path, date | None] | None = None) -> dict[Path, str]:
    """For each entry file, the date its leaflet prints as "Updated" if the front matter sets no ``reviewed``.

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


def _modification_date(path: Path) -> date:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).date()
    except OSError as exc:
        raise EntryError(f"cannot read file: {exc.strerror}", path) from None
    except (ValueError, OverflowError):
        raise EntryError("the file's modification time is not a date this tool can print", path) from None
