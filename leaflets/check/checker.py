"""Checking entries before anyone prints them: the library API behind ``leaflets check``.

Each entry is loaded exactly as ``build`` loads it (so everything build refuses
is an error here too), split into sections, and looked at as a patient would
get it: is it a leaflet at all, are the required sections there and filled,
what raw HTML will vanish, how hard it reads. Checks across the whole set
(duplicate titles and output files) run once every entry is back.

The errors ``build`` and ``booklet`` share live in :mod:`leaflets.check.rules`
(the renderer calls its ``refuse_errors`` on every entry, so no page is
printed that check calls an error); this module adds the warnings, and only it
loads the readability dictionary. Nothing here imports WeasyPrint.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import segno

from leaflets.check.classify import requester_text
from leaflets.project.config import project_words
from leaflets.project.config import Config
from leaflets.source.discover import EDITION_SUFFIXES, EntrySource, clash_message, find_entries, output_clashes
from leaflets.source.entry import Entry, effective_lang, parse_entry, read_text
from leaflets.errors import EntryError
from leaflets.source.fields import front_matter_line, unknown_fields
from leaflets.check.findings import Finding, finding
from leaflets.check.glyphs import Coverage, configured_coverage, missing_characters
from leaflets.check.rules import errors_in, finding_from_error
from leaflets.check.translations import translation_warnings
from leaflets.check.language_support import language_warnings
from leaflets.source.markdown import INLINE_HTML_ALLOWED, Dropped, RemovedHtml, might_drop, render_markdown
from leaflets.parallel import map_in_workers, usable_cpus
from leaflets.project.project import Project
from leaflets.check.readability import MAX_SENTENCE_WORDS, formula_name, graded_language, reading_level, sentence_length, warm_up
from leaflets.source.git import last_commit_dates
from leaflets.source.language import primary
from leaflets.source.review import review_of
from leaflets.source.sections import LeafletContent, normalise, section_anchors
from leaflets.source.titles import EntryTitle, read_title, title_key, title_line
from leaflets.source.vocabulary import CANONICAL_LABELS

_ALLOWED_HTML = " ".join(f"<{tag}>" for tag in sorted(INLINE_HTML_ALLOWED))


def review_findings(
    entry: Entry, config: Config, commit_dates: Mapping[Path, date | None] | None = None
) -> list[Finding]:
    """A bad review date (an error, as build refuses it), an overdue review, or no review at all (warnings).

    ``no-review-date`` only speaks when the project sets ``require_review``.
    Messages say what the date is: a review (front matter) or an update (last
    commit or file date), never calling an update a review.
    ``commit_dates`` are last commit dates already looked up (see :func:`review_of`).
    """
    try:
        review = review_of(entry, config.review_period_years, commit_dates=commit_dates)
    except EntryError as exc:
        return [finding_from_error(exc, entry.path)]
    found: list[Finding] = []
    origin = _UPDATE_SOURCES.get(review.source, review.source)
    if review.reviewed is None and config.require_review:
        found.append(finding(
            "no-review-date", entry.path, 1,
            f"no 'reviewed' date in the front matter, which require_review asks for; the leaflet prints "
            f"the day it was last updated, {review.dated.isoformat()} ({origin}), not a review date",
        ))
    if review.overdue:
        key = "next_review" if review.next_review else "reviewed"
        line = front_matter_line(entry, key) if review.next_review or review.reviewed else None
        message = (
            f"last reviewed {review.dated.isoformat()}; the next review was due {review.due.isoformat()}"
            if review.reviewed else
            f"never reviewed (no 'reviewed' date); last updated {review.dated.isoformat()} ({origin}); "
            f"a review was due {review.due.isoformat()}"
        )
        found.append(finding("review-overdue", entry.path, line or 1, message))
    return found


_UPDATE_SOURCES = {"git": "its last git commit", "file": "the file's modification date"}


def field_warnings(content: LeafletContent, text: str) -> list[Finding]:
    """Unknown front matter keys; ``text`` is the entry file's text, for the keys' lines."""
    entry = content.entry
    return [
        finding(
            "unknown-field", entry.path, unknown.line,
            f"unknown front matter key '{unknown.key}'"
            + (f"; did you mean '{unknown.suggestion}'?" if unknown.suggestion else " (ignored)"),
        )
        for unknown in unknown_fields(entry.metadata, text, entry.body_line)
    ]


QR_SAFE_LENGTH = 1000
"""Addresses up to this many characters always fit in a QR code (error correction M holds 2,331 bytes);
only longer ones are tried, so checking stays fast."""


def dropped_warnings(content: LeafletContent, project: Project | None = None) -> list[Finding]:
    """What would not print as written: deep nesting, wide tables, long words, an address no QR code holds,
    and (given the ``project``) images build refuses to embed.

    Images are judged with ``stat`` alone (:meth:`Project.image_refusal`): check never opens them.
    """
    entry = content.entry
    policy = (lambda src: project.image_refusal(src, entry.path)) if project is not None else None
    parts = [(s.markdown, s.line, s.heading_level) for s in content.sections]
    parts += [(f.markdown, f.line, 0) for f in (content.disclaimer, content.note) if f is not None]
    found = [
        finding("dropped-content", entry.path, dropped.line, dropped.message)
        for markdown, line, level in parts
        if might_drop(markdown) or (policy is not None and "![" in markdown)
        for dropped in render_markdown(markdown, line, level, policy).dropped
    ]
    url = entry.metadata.get("url")
    if isinstance(url, str) and len(url) > QR_SAFE_LENGTH:
        try:
            segno.make_qr(url.strip(), error="m")
        except (segno.DataOverflowError, ValueError):
            found.append(finding(
                "dropped-content", entry.path, front_matter_line(entry, "url"),
                f"the address is {len(url):,} characters, more than a QR code holds: the QR code and address are left out",
            ))
    return found


def html_warnings(content: LeafletContent) -> list[Finding]:
    """Raw HTML the printed leaflet loses, and links inside the entry that lead nowhere."""
    return [finding("html-removed", content.entry.path, r.line, _removed_message(r)) for r in removed_html(content)] + [
        finding("broken-link", content.entry.path, d.line, d.message) for d in broken_links(content)
    ]


def broken_links(content: LeafletContent) -> list[Dropped]:
    """``#name`` links in the sections that name no section of the entry, as the renderer matches them."""
    anchors = section_anchors([(section, None) for section in content.sections])
    return [
        dropped
        for section in content.sections
        if "#" in section.markdown  # only a #name link can break: skip the render of every other section
        for dropped in render_markdown(section.markdown, section.line, section.heading_level, anchors=anchors).dropped
        if dropped.broken_link
    ]


def leaflet_warnings(content: LeafletContent, config: Config) -> list[Finding]:
    """What a real leaflet should have looked at: its sections, disclaimer, reading level and voice."""
    entry = content.entry
    path = entry.path
    written = [entry.body_line + i for i, line in enumerate(entry.body.split("\n")) if line.strip()]
    found = [
        finding("missing-section", path, written[0], f"no '{CANONICAL_LABELS[key]}' section (required by required_sections)")
        for key in config.required_sections
        if content.section(key) is None
    ]
    found += [
        finding("empty-section", path, section.heading_line, f"section '{section.label}' has no text")
        for section in content.sections
        if section.is_empty
    ]
    if content.disclaimer is None:
        found.append(finding(
            "no-disclaimer", path, written[-1],
            "no '**Disclaimer:**' paragraph; the default disclaimer from leaflets.toml is printed",
        ))
    language = graded_language(effective_lang(entry, config.lang))
    if language is not None:
        found += reading_level_warnings(content, config.max_reading_grade, language)
    else:
        found += sentence_length_warnings(content)
    addressed = requester_text(content)
    if addressed is not None:
        found.append(finding(
            "requester-text", path, addressed.line,
            f"speaks to whoever asked for the entry, not to a patient: \"{addressed.quote}\"",
        ))
    return found


def _graded_sections(content: LeafletContent) -> list[tuple[str, int, str]]:
    return [
        (section.label or "introduction", section.heading_line or section.line, section.markdown)
        for section in content.sections
    ]


def sentence_length_warnings(content: LeafletContent, max_words: float = MAX_SENTENCE_WORDS) -> list[Finding]:
    """Where no reading grade can be computed (Arabic, Hindi, Chinese ...): sentences too long on average."""
    measured = sentence_length(_graded_sections(content))
    if measured.average <= max_words:
        return []
    return [finding(
        "reading-level", content.entry.path, measured.longest_line,
        f"sentences average {measured.average:g} words (maximum {max_words:g}); "
        f"longest sentences in section '{measured.longest_label}' ({measured.longest_average:g} words)",
    )]


def reading_level_warnings(content: LeafletContent, max_grade: float, language: str = "en_US") -> list[Finding]:
    readability = reading_level(_graded_sections(content), language)
    hardest = readability.hardest
    if readability.grade <= max_grade or hardest is None:
        return []
    return [finding(
        "reading-level", content.entry.path, hardest.line,
        f"reads at grade {readability.grade:.1f} ({formula_name(language)}; maximum {max_grade:g}); "
        f"hardest section: '{hardest.label}' at grade {hardest.counts.grade_in(language):.1f}",
    )]


def removed_html(content: LeafletContent) -> list[RemovedHtml]:
    """Raw HTML the sanitizer drops from the leaflet's sections and footer texts, with file lines."""
    parts = [(s.markdown, s.line, s.heading_level) for s in content.sections]
    parts += [(f.markdown, f.line, 0) for f in (content.disclaimer, content.note) if f is not None]
    return [
        removed
        for markdown, line, level in parts
        if "<" in markdown  # raw HTML needs a '<'; skipping the rest saves a full render per section
        for removed in render_markdown(markdown, line, level).removed
    ]


def _removed_message(removed: RemovedHtml) -> str:
    if removed.tag == "comment":
        what = "HTML comment"
    elif removed.tag == "html":
        what = "raw HTML"
    else:
        what = f"raw HTML <{removed.tag}>"
    return f"{what} is removed from the printed leaflet (allowed: {_ALLOWED_HTML})"


@dataclass(frozen=True)
class EntryCheck:
    """What checking one entry found."""

    source: EntrySource
    findings: tuple[Finding, ...]
    title: str | None = None
    title_line: int = 1
    lang: str = ""
    """The entry's language: translations of one medicine share a title without being duplicates."""

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level)


def glyph_warnings(entry: Entry, text: str, coverage: Coverage | None) -> list[Finding]:
    """Characters in the entry file that no configured font has, named with the line of their first use."""
    if coverage is None:
        return []
    missing = missing_characters(text, coverage)
    if not missing:
        return []
    named = ", ".join(f"U+{ord(char):04X} {char!r} (line {line})" for char, line in missing[:8])
    more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
    return [finding(
        "missing-glyph", entry.path, missing[0][1],
        f"no configured font has {named}{more}; it would print from a fallback font or as an empty box",
    )]


class Checker:
    """Checks one entry at a time with a project's settings; one per worker process."""

    def __init__(
        self, config: Config, commit_dates: Mapping[Path, date | None] | None = None, project: Project | None = None,
        coverage: Coverage | None = None,
    ) -> None:
        self.config = config
        self.commit_dates = commit_dates
        self.project = project
        """Given, images are checked against the folders build may embed from."""
        self.coverage = coverage

    def check(self, source: EntrySource) -> EntryCheck:
        path = source.path
        try:
            text, raw = read_text(path)
            entry = parse_entry(text, path, raw)
        except EntryError as exc:
            return EntryCheck(source, (finding_from_error(exc, path),))
        content = normalise(entry, project_words(self.config))
        errors = errors_in(content, self.config)
        found = errors + review_findings(entry, self.config, self.commit_dates) + field_warnings(content, text) + html_warnings(content)
        found += dropped_warnings(content, self.project)
        found += glyph_warnings(entry, text, self.coverage)
        found += translation_warnings(entry, self.config, self.commit_dates)
        found += language_warnings(entry, effective_lang(entry, self.config.lang), self.project.root if self.project else None)
        if not errors:  # section and reading warnings about a page that is not a leaflet would be noise
            found += leaflet_warnings(content, self.config)
        return EntryCheck(
            source, tuple(sorted(found, key=lambda f: f.line)), entry.title, title_line(entry, text),
            effective_lang(entry, self.config.lang),
        )


BATCH_SIZE = 64
"""Entries per task handed to a worker: checking one takes about a millisecond, so one per task
would spend more time passing messages than checking."""


def _check_batch(checker: Checker, batch: list[EntrySource]) -> list[EntryCheck]:
    return [checker.check(source) for source in batch]


def across_entries(
    checks: Sequence[EntryCheck], everything: Sequence[EntrySource] | None = None, default_lang: str | None = None,
) -> list[EntryCheck]:
    """Add the findings only the whole set shows: two entries, one output file or one title.

    ``everything`` is the whole set when ``checks`` are one shard of it: outputs clash over the
    whole set, and the titles of the entries other shards check are read (front matter and title
    only, :func:`leaflets.source.titles.read_title`, in the project's ``default_lang``), so each
    shard reports exactly the duplicates among its own entries that a check of the whole set reports.
    """
    extra: dict[int, list[Finding]] = {}
    sources = list(everything) if everything is not None else [check.source for check in checks]
    clashes = {suffix: output_clashes(sources, suffix) for suffix in EDITION_SUFFIXES}
    first_title = _first_titles(checks, sources, default_lang)
    for index, check in enumerate(checks):
        for suffix, found in clashes.items():
            if check.source in found:
                extra.setdefault(index, []).append(finding(
                    "duplicate-output", check.source.path, 1, clash_message(check.source, found[check.source], suffix),
                ))
                break
        if check.title is None:
            continue
        first, earlier = first_title[_title_key(check.title, check.lang)]
        if first != check.source:
            extra.setdefault(index, []).append(finding(
                "duplicate-title", check.source.path, check.title_line,
                f"title '{check.title}' is also the title of {earlier.path}:{earlier.line}",
            ))
    return [
        replace(check, findings=tuple(sorted(check.findings + tuple(extra[i]), key=lambda f: f.line)))
        if i in extra else check
        for i, check in enumerate(checks)
    ]


def _title_key(title: str, lang: str) -> str:
    """Translations of one medicine share a title without being duplicates: the language is part of the key."""
    return primary(lang) + "\x00" + title_key(title)


def _first_titles(
    checks: Sequence[EntryCheck], sources: Sequence[EntrySource], default_lang: str | None
) -> dict[str, tuple[EntrySource, EntryTitle]]:
    """For every title key, the first entry of ``sources`` (in input order) with that title.

    Entries that were checked answer from their check; the others' titles are read.
    """
    checked = {check.source: check for check in checks}
    first: dict[str, tuple[EntrySource, EntryTitle]] = {}
    for source in sources:
        check = checked.get(source)
        if check is not None:
            known = None if check.title is None else EntryTitle(check.source.path, check.title, check.title_line, check.lang)
        else:
            known = read_title(source.path, default_lang)
        if known is not None:
            first.setdefault(_title_key(known.title, known.lang), (source, known))
    return first


@dataclass
class CheckReport:
    """Every checked entry with its findings, in input order."""

    entries: list[EntryCheck] = field(default_factory=list)
    strict: bool = False
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    """Problems finding the entries (a folder that cannot be read), printed on stderr."""

    @property
    def findings(self) -> list[Finding]:
        return [f for check in self.entries for f in check.findings]

    @property
    def ok(self) -> bool:
        return not any(check.count("error") for check in self.entries)

    def summary(self) -> dict[str, Any]:
        findings = self.findings
        levels = Counter(f.level for f in findings)
        return {
            "entries": len(self.entries),
            "with_errors": sum(1 for check in self.entries if check.count("error")),
            "with_warnings": sum(1 for check in self.entries if check.count("warning")),
            "errors": levels["error"],
            "warnings": levels["warning"],
            "codes": dict(sorted(Counter(f.code for f in findings).items(), key=lambda item: (-item[1], item[0]))),
            "seconds": round(self.seconds, 2),
        }

    def as_json(self) -> dict[str, Any]:
        """One document for CI and scripts: every finding, and the summary."""
        return {
            "strict": self.strict,
            "summary": self.summary(),
            "findings": [f.as_dict() for f in self.findings],
        }


def check_entries(
    paths: Sequence[Path] | None,
    project: Project,
    strict: bool = False,
    jobs: int | None = None,
    on_entry: Callable[[EntryCheck], None] | None = None,
    select: Callable[[EntrySource], bool] | None = None,
    checks_elsewhere: Callable[[list[list[EntrySource]], Project, Mapping[Path, date | None]], Iterator[list[EntryCheck]]]
    | None = None,
) -> CheckReport:
    """Check every entry under ``paths`` (default: the project's entries/), or those ``select`` keeps
    (one shard of them: :mod:`leaflets.build.shard`).

    ``checks_elsewhere`` replaces the local worker processes (``--dask``).

    With ``strict``, warnings are reported as errors. ``on_entry`` sees each
    entry's final findings, in input order, once the whole set has been checked.
    """
    started = time.perf_counter()
    found_warnings: list[str] = []
    everything = find_entries(list(paths) if paths else [project.entries_dir], found_warnings)
    sources = [source for source in everything if select is None or select(source)]
    jobs = usable_cpus() if jobs is None else jobs
    if jobs > 1 and len(sources) > BATCH_SIZE:
        warm_up()  # load the pronouncing dictionary once, before the workers fork, not once in each
    batches = [sources[i : i + BATCH_SIZE] for i in range(0, len(sources), BATCH_SIZE)]
    commit_dates = last_commit_dates([source.path for source in sources])
    if checks_elsewhere is not None:
        done = checks_elsewhere(batches, project, commit_dates)
    else:
        coverage = configured_coverage(project)  # before the workers fork: font maps are read once
        done = map_in_workers(_check_batch, batches, jobs, Checker, (project.config, commit_dates, project, coverage))
    checks = [c for batch in done for c in batch]
    checks = across_entries(checks, everything if select is not None else None, project.config.lang)
    if strict:
        checks = [replace(c, findings=tuple(f.as_error() for f in c.findings)) for c in checks]
    report = CheckReport(checks, strict, warnings=found_warnings)
    for check in checks:
        if on_entry is not None:
            on_entry(check)
    report.seconds = time.perf_counter() - started
    return report
