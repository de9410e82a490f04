"""Every edition in one run: ``--editions "paper=a4,letter large-print=no,yes lang=all"``.

A publisher prints each entry on several papers, in standard and large
print, in each language it exists in. Building those one ``leaflets build``
at a time reads, parses and checks every entry once per edition; here each
entry is parsed once and rendered with one warm renderer per edition, and
each output keeps its own cache key (the edition's options are in it).

Outputs are named ``NAME.LANG[-PAPER][-large].pdf``: the project's paper
(``paper`` in leaflets.toml, else A4) has no paper suffix. An entry's
language is its front matter's ``lang``, else the project's; ``lang=all`` is
every language the entries are in, ``lang=en,fr`` only those (entries in
other languages are left out). Entries do not yet come as one file per
language (``NAME.LANG.md``), so an entry exists in exactly one language.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import import_module
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from leaflets.build.builder import ENTRIES_PER_WORKER, check_writable
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
from leaflets.source.discover import EntrySource, clash_message, find_entries, output_clashes
from leaflets.source.entry import DEFAULT_LANG
from leaflets.source.fields import key_line
from leaflets.source.git import last_commit_dates
from leaflets.source.review import review_stamps

if TYPE_CHECKING:
    from leaflets.render.leaflet import LeafletRenderer

_STATES = ("build", "current", "known", "clash")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
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


@dataclass(frozen=True)
class Edition:
    paper: str
    large_print: bool
    lang: str

    def options(self, fmt: OutputFormat) -> BuildOptions:
        return BuildOptions(paper=self.paper, format=fmt, large_print=self.large_print)

    def output_name(self, source: EntrySource, home_paper: str, extension: str) -> Path:
        """``a/metformin.md`` -> ``a/metformin.en-letter-large.pdf``."""
        paper = "" if self.paper == home_paper else f"-{self.paper}"
        return source.output_name(f".{self.lang}{paper}{'-large' if self.large_print else ''}", extension)


def parse_editions(text: str) -> EditionChoice:
    """``paper=a4,letter large-print=no,yes lang=all``; keys may be left out (the project's paper,
    standard print, every language)."""
    values: dict[str, list[str]] = {}
    for word in text.split():
        key, equals, listed = word.partition("=")
        if not equals or not listed:
            raise EditionsError(f"--editions: '{word}' is not KEY=VALUE[,VALUE...]")
        if key not in ("paper", "large-print", "lang"):
            raise EditionsError(f"--editions: unknown key '{key}' (known: paper, large-print, lang)")
        if key in values:
            raise EditionsError(f"--editions: '{key}' is given twice")
        values[key] = [value.strip() for value in listed.split(",") if value.strip()]
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
    if "all" in langs:
        chosen = None
    else:
        for lang in langs:
            if not _LANG.fullmatch(lang):
                raise EditionsError(f"--editions: '{lang}' is not a language tag such as en or pt-BR (or all)")
        chosen = tuple(dict.fromkeys(langs))
    return EditionChoice(papers, tuple(dict.fromkeys(large)), chosen)


def entry_lang(path: Path, project_lang: str | None) -> str:
    """The language an entry prints in, read from its front-matter ``lang:`` line without parsing
    the entry (that happens once, where it is rendered); the project's language otherwise."""
    fallback = project_lang or DEFAULT_LANG
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
            if first.strip() != "---":
                return fallback
            for _number, line in zip(range(200), handle):
                if line.strip() == "---":
                    break
                keyed = key_line(line.rstrip("\n"))
                if keyed is not None and keyed[0] == "lang":
                    value = keyed[1].split("#")[0].strip().strip("'\"")
                    return value if _LANG.fullmatch(value) else fallback
    except OSError:
        pass
    return fallback


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
    of its editions.
    """
    started = time.perf_counter()
    home_paper = project.config.paper.lower()
    papers = choice.papers or (home_paper,)
    everything = find_entries(list(paths) if paths else [project.entries_dir])
    cache = OutputCache.load(out_dir / cache_filename(shard.cache_suffix if shard else None), shared=True)
    guard = OutputGuard(project, [source.path for source in everything], cache.wrote)
    guard.check_folder(out_dir)
    check_writable(out_dir)
    clashes = output_clashes(everything)
    sources = [source for source in everything if shard is None or shard.holds(source.relative)]
    commit_dates = last_commit_dates([source.path for source in sources])
    stamps = review_stamps([source.path for source in sources], commit_dates)
    dependencies: dict[BuildOptions, str] = {}
    planned: list[tuple[EntrySource, Edition, Path, str | None, str]] = []
    """Per output: source, edition, target, key, and what to do ("build", "current", "known", "clash",
    or the reason the guard refuses to write there)."""
    for source in sources:
        lang = entry_lang(source.path, project.config.lang)
        if choice.langs is not None and lang not in choice.langs:
            continue
        for paper, large in product(papers, choice.large_print):
            edition = Edition(paper, large, lang)
            options = edition.options(fmt)
            target = out_dir / edition.output_name(source, home_paper, f".{fmt}")
            if source in clashes:
                planned.append((source, edition, target, None, "clash"))
                continue
            if options not in dependencies:
                dependencies[options] = dependency_key(project, options, stylesheets=options.stylesheets)
            key = entry_key(dependencies[options], source.path, stamps.get(source.path), project.embed_dirs(source.path))
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
        try:
            cache.save()
        except LeafletError as exc:
            report.warnings.append(f"{exc.diagnostic('warning')} (the next build will rebuild everything)")
    report.seconds = time.perf_counter() - started
    return report


def _by_output(edition_jobs: list[EditionJob], done: Iterator[list[EntryResult]]) -> Iterator[tuple[Path, EntryResult]]:
    for job, results in zip(edition_jobs, done):
        for (_options, target), result in zip(job.outputs, results):
            yield target, result


def _result(
    source: EntrySource, target: Path, key: str | None, state: str, clashes: Mapping[EntrySource, EntrySource],
    cache: OutputCache, built: Iterator[tuple[Path, EntryResult]],
) -> EntryResult:
    """The result for one planned output, recording it in the cache."""
    if state == "clash":
        return EntryResult(source, "failed", error=f"{source.path}: error: {clash_message(source, clashes[source])}")
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
