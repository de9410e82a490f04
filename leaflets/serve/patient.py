"""The "For this patient" form: its fields, their checks, and the patient box they fill.

What staff type at the counter is health data about a person in front of
them. It arrives in a POST body, is checked here, travels to a render worker
in memory and is printed on page 1 of the patient's copy; it is never
written to disk, logged, put in a URL, a file name, the PDF's metadata or
a QR code. The words staff read about a problem live in the templates
(``templates/serve/problem.html``): this module only names the field and
the kind of problem.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from leaflets.project.paper import PAGE_SIZES

MAX_FIELD_CHARS = 500
"""Longer than any name, dose or note a counter needs; anything longer is refused, not cut."""

PATIENT_FIELDS = ("patient_name", "directions", "prescriber", "note", "date")
"""Form fields that hold patient data: accepted in a POST body only."""
MULTILINE_FIELDS = frozenset({"directions", "note"})
"""Fields typed in a text area, where line breaks are part of what was typed."""
OPTION_FIELDS = ("paper", "large_print", "lang", "bilingual")

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

Problem = Literal["too-long", "control-character", "not-a-date", "unknown-choice", "name-missing", "in-url", "other-site"]


@dataclass(frozen=True)
class FieldProblem:
    """One field the form must be corrected in; the template words it for the person at the counter."""

    field: str
    problem: Problem
    limit: int = MAX_FIELD_CHARS


@dataclass(frozen=True)
class PatientBox:
    """What the pharmacy filled in, printed as typed in the box above the title on page 1."""

    name: str
    directions: str
    prescriber: str
    note: str
    date: date | None


@dataclass(frozen=True)
class CopyOptions:
    """How the copy is printed; not patient data (they may appear in a preview URL)."""

    paper: str
    large_print: bool
    lang: str
    """The language chosen: which of the entry's translations (or the entry itself) is printed."""
    bilingual: str | None = None
    """The second language of a bilingual edition, or None."""


def has_patient_fields(fields: Mapping[str, str]) -> bool:
    """True when ``fields`` (e.g. a query string) carries any patient field, filled or not."""
    return any(name in fields for name in PATIENT_FIELDS)


def field_problem(name: str, value: str) -> FieldProblem | None:
    """Too long, or holding characters that have no business on paper (control and bidi-override characters)."""
    if len(value) > MAX_FIELD_CHARS:
        return FieldProblem(name, "too-long")
    allowed = "\r\n" if name in MULTILINE_FIELDS else ""
    for char in value:
        if char in allowed:
            continue
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            return FieldProblem(name, "control-character")
    return None


def read_patient(fields: Mapping[str, str]) -> tuple[PatientBox | None, list[FieldProblem]]:
    """The patient box from a POSTed form, or the problems to show; no patient field filled gives None."""
    values = {name: str(fields.get(name, "")) for name in PATIENT_FIELDS}
    problems = [problem for name, value in values.items() if (problem := field_problem(name, value))]
    day: date | None = None
    if values["date"].strip() and not any(problem.field == "date" for problem in problems):
        try:
            day = date.fromisoformat(values["date"].strip())
        except ValueError:
            problems.append(FieldProblem("date", "not-a-date"))
    if problems:
        return None, problems
    text = {name: _as_typed(value) for name, value in values.items()}
    if not any(text[name] for name in PATIENT_FIELDS if name != "date"):
        return None, []
    if not text["patient_name"]:
        return None, [FieldProblem("patient_name", "name-missing")]
    return PatientBox(text["patient_name"], text["directions"], text["prescriber"], text["note"], day), []


def read_options(
    fields: Mapping[str, str], default_paper: str, languages: Mapping[str, Sequence[str]]
) -> tuple[CopyOptions | None, list[FieldProblem]]:
    """Paper, large print, language and bilingual edition from a form or query string, each checked against what exists.

    ``languages`` maps every language the leaflet can be printed in (the first
    is the default) to the languages a bilingual edition of it can be made
    with. Tags are matched without regard to case (``zh-hans`` is ``zh-Hans``).
    """
    problems = [problem for name in OPTION_FIELDS if (problem := field_problem(name, str(fields.get(name, ""))))]
    if problems:
        return None, problems
    paper = str(fields.get("paper") or default_paper).lower()
    lang = _choice(str(fields.get("lang") or next(iter(languages))), languages)
    if paper not in PAGE_SIZES:
        problems.append(FieldProblem("paper", "unknown-choice"))
    if lang is None:
        problems.append(FieldProblem("lang", "unknown-choice"))
    asked = str(fields.get("bilingual") or "")
    bilingual = _choice(asked, languages[lang]) if asked and lang is not None else None
    if asked and lang is not None and bilingual is None:
        problems.append(FieldProblem("bilingual", "unknown-choice"))
    if problems or lang is None:
        return None, problems
    large = str(fields.get("large_print", "")).lower() in ("1", "on", "true", "yes")
    return CopyOptions(paper, large, lang, bilingual), []


def _choice(value: str, offered: Iterable[str]) -> str | None:
    """The offered tag ``value`` names (case aside), or None."""
    return next((tag for tag in offered if tag.lower() == value.lower()), None)


def _as_typed(value: str) -> str:
    """Line breaks made uniform and outer blank space dropped; everything else stays as typed."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def patient_context(box: PatientBox | None) -> dict[str, object]:
    """Template variables for the leaflet's patient box (``templates/partials/patient.html``)."""
    return {"patient": box}
