"""Every edition in one run: ``--editions "paper=a4,letter large-print=no,yes lang=all"``.

A publisher prints each entry on several papers, in standard and large
print, in each language it exists in. Building those one ``leaflets build``
at a time reads, parses and checks every entry once per edition; here each
entry is parsed once and rendered with one warm renderer per edition, and
each output keeps its own cache key (the edition's options are in it).

Outputs are named ``NAME.LANG[+SECOND][-PAPER][-large].pdf``: the project's
paper (``paper`` in leaflets.toml, else A4) has no paper suffix, ``+SECOND``
is ``--bilingual SECOND``. A translation ``NAME.LANG.md`` keeps its own
``NAME.LANG`` (as a plain build names it ``NAME.LANG.pdf``); an entry without
a language suffix gets its language, :func:`leaflets.source.entry.file_lang`
(front matter ``lang``, else the project's), the rule the renderer prints by.
``lang=all`` is every language the entries are in; ``lang=es`` every entry
in Spanish, ``es-MX`` too (:func:`leaflets.source.language.same_language`,
as booklets pick them). A language no entry is in is a usage error, so a
typo does not pass as an empty build.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import import_module
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from leaflets.build.builder import (
    ENTRIES_PER_WORKER, bilingual_companions, check_writable, copy_stylesheets, with_companions,
)
from leaflets.build.cache import OutputCache, cache_filename, dependency_key, entry_key
from leaflets.build.guard import OutputGuard, UnsafeOutputError
from leaflets.build.output import atomic_write
from leaflets.build.results import BuildReport, EntryResult, failed_result
from leaflets.build.shard import Shard
from leaflets.errors import LeafletError
from leaflets.parallel import map_in_workers, usable_cpus
from leaflets.project.options import STYLES_FOLDER, BuildOptions, OutputFormat
from leaflets.project.paper import PAGE_SIZES
from leaflets.project.project import Project
from leaflets.source.discover import EntrySource, find_entries
from leaflets.source.entry import file_lang
from leaflets.source.git import last_commit_dates
from leaflets.source.language import base_stem, is_language_tag, normal_tag, same_language, suffix_language
from leaflets.source.review import review_stamps

if TYPE_CHECKING:
    from leaflets.render.leaflet import LeafletRenderer

_STATES = ("build", "current", "known", "clash")
_KEYS = ("paper", "large-print", "lang")
_YES_NO = {"no": False, "yes": True}


class EditionsError(ValueError):
    """An ``--editions`` value that names no editions; the message is one line for the user."""


@dataclass(frozen=True)
class EditionChoice:
    """The editions asked for: every paper × large print × language combination."""

    papers: tuple[str, ...]
    large_print: tuple[bool, ...]
    langs: tuple[str, ...] | None
    """None: every language the entries are in (``lang=all``)."""
    bilingual: str | None = None
    """``--bilingual``: every edition pairs each section with the linked entry in this language."""


@dataclass(frozen=True)
class Edition:
    paper: str
    large_print: bool
    bilingual: str | None = None

    def options(self, fmt: OutputFormat) -> BuildOptions:
        return BuildOptions(paper=self.paper, format=fmt, large_print=self.large_print, bilingual=self.bilingual)

    def output_name(self, source: EntrySource, lang: str, home_paper: str, extension: str) -> Path:
        """``a/metformin.md`` in ``en`` -> ``a/metformin.en-letter-large.pdf``; ``a/metformin.es.md``
        -> ``a/metformin.es+en.pdf`` (bilingual with ``en``, the project's paper, standard print)."""
        paper = "" if self.paper == home_paper else f"-{self.paper}"
        second = f"+{self.bilingual}" if self.bilingual else ""
        name = f"{base_stem(source.relative)}.{lang}{second}{paper}{'-large' if self.large_print else ''}{extension}"
        return source.relative.with_name(name)


def parse_editions(text: str, bilingual: str | None = None) -> EditionChoice:
    """``paper=a4,letter large-print=no,yes lang=all``; keys may be left out (the project's paper,
    standard print, every language). Anything else (an empty value, an unknown key or paper, a
    key given twice) raises :class:`EditionsError` rather than being dropped."""
    values: dict[str, list[str]] = {}
    if not text.split():
        raise EditionsError("--editions: empty; give KEY=VALUE[,VALUE...] such as 'paper=a4,letter lang=all'")
    for word in text.split():
        key, equals, listed = word.partition("=")
        if not equals:
            raise EditionsError(f"--editions: '{word}' is not KEY=VALUE[,VALUE...]")
        if key not in _KEYS:
            raise EditionsError(f"--editions: unknown key '{key}' (known: {', '.join(_KEYS)})")
        if key in values:
            raise EditionsError(f"--editions: '{key}' is given twice; list its values once, separated by commas")
        items = listed.split(",")
        if any(not item for item in items):
            raise EditionsError(f"--editions: '{word}' has an empty value")
        values[key] = items
    papers = tuple(dict.fromkeys(value.lower() for value in values.get("paper", [])))
    for paper in papers:
        if paper not in PAGE_SIZES:
            raise EditionsError(f"--editions: unknown paper '{paper}' (known: {', '.join(PAGE_SIZES)})")
    large = []
    for value in values.get("large-print", ["no"]):
        if value.lower() not in _YES_NO:
            raise EditionsError(f"--editions: large-print takes no and yes, not '{value}'")
        large.append(_YES_NO[value.lower()])
    langs = values.get("lang", ["all"])
    chosen: tuple[str, ...] | None = None
    if [lang.lower() for lang in langs] != ["all"]:
        if "all" in (lang.lower() for lang in langs):
            raise EditionsError("--editions: lang=all is every language; list languages without it")
        for lang in langs:
            if not is_language_tag(lang):
                raise EditionsError(f"--editions: '{lang}' is not a language tag such as en or pt-BR (or all)")
        chosen = tuple(dict.fromkeys(normal_tag(lang) for lang in langs))
        if bilingual is not None:
            second = next((lang for lang in chosen if same_language(lang, bilingual)), None)
            if second is not None:
                raise EditionsError(
                    f"--editions: lang={second} is the --bilingual language; its entries print beside the others"
                )
    return EditionChoice(papers, tuple(dict.fromkeys(large)), chosen, bilingual)


def chosen_entries(
    everything: Sequence[EntrySource], choice: EditionChoice, project_lang: str | None
) -> list[tuple[EntrySource, str]]:
    """The entries ``choice`` builds, each with the LANG of its edition names.

    LANG is a translation's own suffix (``paracetamol.es.md`` -> ``es``, as a
    plain build names it ``paracetamol.es.pdf``), else the language the entry
    prints in. Entries in the ``--bilingual`` language print beside the others,
    not on their own. A language in ``lang=`` that no entry is in raises
    :class:`EditionsError` (judged over every entry given, so each shard agrees).
    """
    languages = [(source, file_lang(source.path, project_lang)) for source in everything]
    if choice.bilingual is not None:
        languages = [(source, prints) for source, prints in languages if not same_language(prints, choice.bilingual)]
    wanted = choice.langs
    if wanted is not None:
        for lang in wanted:
            if not any(same_language(prints, lang) for _source, prints in languages):
                found = ", ".join(sorted({prints for _source, prints in languages})) or "none"
                raise EditionsError(f"--editions: no entry is in language {lang} (the entries' languages: {found})")
        languages = [(source, prints) for source, prints in languages if any(same_language(prints, w) for w in wanted)]
    return [(source, suffix_language(source.relative) or prints) for source, prints in languages]


@dataclass(frozen=True)
class EditionJob:
    """One entry and the editions of it still to build: each edition's options and output path."""

    source: EntrySource
    outputs: tuple[tuple[BuildOptions, Path], ...]


@dataclass
class EditionRenderers:
    """A worker's renderers, one per edition's options, made when first needed and kept."""

    project: Project
    commit_dates: Mapping[Path, date | None] = field(default_factory=dict)
    renderers: dict[BuildOptions, "LeafletRenderer"] = field(default_factory=dict)

    def renderer(self, options: BuildOptions) -> "LeafletRenderer":
        found = self.renderers.get(options)
        if found is None:
            from leaflets.render.leaflet import LeafletRenderer

            found = self.renderers[options] = LeafletRenderer(self.project, options, commit_dates=self.commit_dates)
        return found


def build_entry_editions(state: EditionRenderers, job: EditionJob) -> list[EntryResult]:
    """Parse the entry once, then render and write every edition of it; one result per edition."""
    from leaflets.source.entry import load_entry

    source = job.source
    try:
        entry = load_entry(source.path)
    except LeafletError as exc:
        return [failed_result(source, exc)] * len(job.outputs)
    href = "/".join([".."] * (len(source.relative.parts) - 1) + [STYLES_FOLDER])
    results = []
    for options, target in job.outputs:
        try:
            rendered = state.renderer(options).render_entry(entry, href, source.relative)
            atomic_write(target, rendered.data)
        except LeafletError as exc:
            results.append(failed_result(source, exc))
            continue
        except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the batch
            results.append(failed_result(source, exc, traceback.format_exc()))
            continue
        results.append(EntryResult(source, "built", target, warnings=rendered.warnings, pages=rendered.page_count))
    return results


EditionsBackend = Callable[[list[EditionJob], Project, Mapping[Path, "date | None"]], Iterator[list[EntryResult]]]
"""Builds edition jobs elsewhere (``--dask``) and yields each job's results in order, outputs written."""


def build_editions(
    paths: Sequence[Path] | None,
    out_dir: Path,
    project: Project,
    choice: EditionChoice,
    fmt: OutputFormat = "pdf",
    on_result: Callable[[EntryResult], None] | None = None,
    jobs: int | None = None,
    force: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    shard: Shard | None = None,
    renders: EditionsBackend | None = None,
) -> BuildReport:
    """Build every edition in ``choice`` of every entry under ``paths`` (one result per output).

    As :func:`leaflets.build.builder.build_leaflets`, per output: outputs already
    current are left alone, clashes are found over the whole set, ``shard`` keeps
    its own cache file, and each entry a worker is given is parsed once for all
    of its editions. A ``lang=`` language no entry is in raises
    :class:`EditionsError` before anything is written.
    """
    started = time.perf_counter()
    home_paper = project.config.paper.lower()
    papers = choice.papers or (home_paper,)
    found = find_entries(list(paths) if paths else [project.entries_dir])
    everything = chosen_entries(found, choice, project.config.lang)
    editions = [Edition(paper, large, choice.bilingual) for paper, large in product(papers, choice.large_print)]
    cache = OutputCache.load(out_dir / cache_filename(shard.cache_suffix if shard else None), shared=True)
    guard = OutputGuard(project, [source.path for source in found], cache.wrote)
    guard.check_folder(out_dir)
    check_writable(out_dir)
    if fmt == "html":  # as a plain build: the pages link their CSS in OUT/_styles/
        for edition in editions:
            copy_stylesheets(project, out_dir, edition.options(fmt), guard)
    owners: dict[Path, EntrySource] = {}
    """Each output name's first entry, over every entry given (so exactly one shard reports a clash):
    ``paracetamol.md`` in Spanish and ``paracetamol.es.md`` both name ``paracetamol.es.pdf``."""
    for (source, lang), edition in product(everything, editions):
        owners.setdefault(edition.output_name(source, lang, home_paper, f".{fmt}"), source)
    mine = [(source, lang) for source, lang in everything if shard is None or shard.holds(source.relative)]
    commit_dates = last_commit_dates([source.path for source, _lang in mine])
    stamps = review_stamps([source.path for source, _lang in mine], commit_dates)
    dependencies: dict[BuildOptions, str] = {}
    clashes: dict[Path, str] = {}
    """Outputs another entry takes, with the line that says so (one per entry, not one per edition)."""
    planned: list[tuple[EntrySource, Edition, Path, str | None, str]] = []
    """Per output: source, edition, target, key, and what to do ("build", "current", "known", "clash",
    or the reason the guard refuses to write there)."""
    for source, lang in mine:
        for edition in editions:
            options = edition.options(fmt)
            name = edition.output_name(source, lang, home_paper, f".{fmt}")
            target = out_dir / name
            if owners[name] is not source:
                stem = source.relative.with_name(f"{base_stem(source.relative)}.{lang}").as_posix()
                clashes[target] = (
                    f"{source.path}: error: would be written to the same leaflets ({stem}*) as {owners[name].path}; "
                    "only the first is built"
                )
                planned.append((source, edition, target, None, "clash"))
                continue
            if options not in dependencies:
                dependencies[options] = dependency_key(project, options, stylesheets=options.stylesheets)
            own = with_companions(dependencies[options], bilingual_companions(source, options, project))
            key = entry_key(own, source.path, stamps.get(source.path), project.embed_dirs(source.path))
            state = "build"
            if not force and cache.known_failure(target, key) is not None:
                state = "known"
            elif not force and cache.is_current(target, key):
                state = "current"
            else:
                try:
                    guard.check(target)
                except UnsafeOutputError as exc:
                    state = exc.diagnostic()
            planned.append((source, edition, target, key, state))
    work: dict[EntrySource, list[tuple[BuildOptions, Path]]] = {}
    for source, edition, target, _key, state in planned:
        if state == "build":
            work.setdefault(source, []).append((edition.options(fmt), target))
    edition_jobs = [EditionJob(source, tuple(outputs)) for source, outputs in work.items()]
    if on_start is not None:
        on_start(len(planned), sum(len(job.outputs) for job in edition_jobs))
    if renders is not None:
        done = renders(edition_jobs, project, commit_dates)
    else:
        if edition_jobs:
            import_module("leaflets.render.leaflet")  # forked workers inherit WeasyPrint
        done = map_in_workers(
            build_entry_editions, edition_jobs, usable_cpus() if jobs is None else jobs, EditionRenderers,
            (project, commit_dates), items_per_worker=ENTRIES_PER_WORKER,
        )
    built = _by_output(edition_jobs, done)
    report = BuildReport(refused_outputs=sum(1 for *_rest, state in planned if state not in _STATES))
    said: set[tuple[EntrySource, str]] = set()
    try:
        for source, _edition, target, key, state in planned:
            result = _result(source, target, key, state, clashes, cache, built)
            error = result.error
            if error is not None:
                if (source, error) in said:  # one line per problem, not one per edition
                    result = replace(result, error=None, detail=None)
                else:
                    said.add((source, error))
            if result.warnings:
                fresh = tuple(w for w in result.warnings if (source, w) not in said)
                said.update((source, w) for w in fresh)
                result = replace(result, warnings=fresh)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
            cache.save_now_and_then()
    finally:
        cache.save_or_warn(report.warnings, "the next build will rebuild everything")
    report.seconds = time.perf_counter() - started
    return report


def _by_output(edition_jobs: list[EditionJob], done: Iterator[list[EntryResult]]) -> Iterator[tuple[Path, EntryResult]]:
    for job, results in zip(edition_jobs, done):
        for (_options, target), result in zip(job.outputs, results):
            yield target, result


def _result(
    source: EntrySource, target: Path, key: str | None, state: str, clashes: Mapping[Path, str],
    cache: OutputCache, built: Iterator[tuple[Path, EntryResult]],
) -> EntryResult:
    """The result for one planned output, recording it in the cache."""
    if state == "clash":
        return EntryResult(source, "failed", error=clashes[target])
    if state == "known":
        return EntryResult(source, "failed", error=cache.known_failure(target, key), from_input=True)
    if state == "current":
        return EntryResult(source, "up-to-date", target)
    if state != "build":
        return EntryResult(source, "failed", error=state)
    written, result = next(built)
    assert written == target, "edition results out of order"
    if result.status == "built":
        cache.record(target, key)
    elif result.from_input and result.error:
        cache.record_failure(target, key, result.error)
    else:
        cache.forget(target)
    return result


def edition_stylesheets(choice: EditionChoice) -> tuple[str, ...]:
    """Every stylesheet some edition in ``choice`` is laid out with (what a Dask worker must be sent)."""
    sheets: dict[str, None] = {}
    for large in choice.large_print:
        sheets.update(dict.fromkeys(BuildOptions(large_print=large).stylesheets))
    return tuple(sheets)
