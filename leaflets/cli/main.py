"""The ``leaflets`` command: a thin layer over the library API.

Exit status: 0 when everything built, 1 when any entry failed (the good ones
are still written), 2 for usage errors (click's own convention).
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from leaflets import __version__
from leaflets.booklet.imposition import IMPOSITIONS
from leaflets.build.builder import build_leaflets
from leaflets.project.paper import DEFAULT_PAPER, PAGE_SIZES
from leaflets.build.guard import UnsafeOutputError
from leaflets.cli.interrupt import exit_interrupted, interruptible
from leaflets.errors import Interrupted, LeafletError, printable
from leaflets.project.options import BuildOptions
from leaflets.cli.progress import BuildProgress
from leaflets.project.project import Project
from leaflets.source.language import is_language_tag, normal_tag

if TYPE_CHECKING:  # check pulls in textstat, which `build` never needs
    from leaflets.build.results import BuildReport
    from leaflets.build.shard import Shard
    from leaflets.check.checker import CheckReport, EntryCheck

paper_option = click.option(
    "--paper", type=click.Choice(list(PAGE_SIZES), case_sensitive=False), default=None,
    help=f"Paper size (default: 'paper' in leaflets.toml, else {DEFAULT_PAPER}).",
)
project_option = click.option(
    "--project", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder with its own templates/, styles/, entries/ and leaflets.toml (default: current folder).",
)
jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None,
    help="Worker processes (default: the number of usable CPUs).",
)
bilingual_option = click.option(
    "--bilingual", metavar="LANG", default=None,
    help="Bilingual edition: each section followed by the same section of the linked LANG entry "
         "(NAME.md or NAME.LANG.md beside it); files are named NAME.XX+LANG.pdf.",
)
large_print_option = click.option(
    "--large-print", is_flag=True,
    help="Large-print edition (18 pt body, single column); files are named NAME-large.pdf.",
)
paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
shard_option = click.option(
    "--shard", "shard_text", default=None, metavar="I/N|N",
    help="Take only the I-th (from 0) of N parts of the entries; N alone reads I from JOB_COMPLETION_INDEX "
         "(Kubernetes) or SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (Slurm).",
)
dask_option = click.option(
    "--dask", "dask_address", default=None, metavar="ADDRESS",
    help="Send the work to the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786); needs leaflets[dask].",
)


def usage_error(message: str) -> NoReturn:
    """One line and exit status 2: what a batch scheduler's log should show for a bad option."""
    click.echo(f"leaflets: error: {message}", err=True)
    sys.exit(2)


def shard_from(text: str | None) -> "Shard | None":
    from leaflets.build.shard import ShardError, parse_shard

    if text is None:
        return None
    try:
        return parse_shard(text)
    except ShardError as exc:
        usage_error(str(exc))


@contextmanager
def cluster(address: str | None) -> "Iterator[Any]":
    """The Dask cluster for ``--dask ADDRESS`` (:mod:`leaflets.cluster`, imported only then), else None."""
    if address is None:
        yield None
        return
    from leaflets.cluster.client import connect

    with connect(address) as remote:
        yield remote


Report = TypeVar("Report")


def run_build(progress: BuildProgress, dask_address: str | None, run: "Callable[[Any], BuildReport]") -> NoReturn:
    """Run a build (locally, or on the Dask cluster at ``dask_address``) and leave with its exit status."""
    report = run_reported(progress, dask_address, run)
    progress.finish(report)
    sys.exit(2 if report.refused_outputs else 0 if report.ok else 1)


def run_reported(progress: BuildProgress, dask_address: str | None, run: "Callable[[Any], Report]") -> Report:
    """Run a build or booklet and return its report; leave at once when it cannot be run.

    One place for what those commands share: an unsafe output is a usage error (2), a
    refused run is 1, an interruption says what was done and leaves with 128 + the signal.
    """
    with interruptible():
        try:
            with cluster(dask_address) as remote:
                return run(remote)
        except UnsafeOutputError as exc:
            fail(exc, 2)
        except LeafletError as exc:
            fail(exc)
        except Interrupted as exc:
            progress.interrupted()
            exit_interrupted(exc.signum)


def language_option(value: str | None) -> str | None:
    """A language tag given on the command line (``--bilingual``, ``--lang``, ``--fallback``), checked."""
    if value is None:
        return None
    if not is_language_tag(value):
        raise click.BadParameter(f"'{value}' is not a language tag such as en, es or zh-Hans")
    return normal_tag(value)


def load_project(project_dir: Path | None) -> Project:
    try:
        return Project.load(project_dir)
    except LeafletError as exc:
        fail(exc)


def fail(exc: LeafletError, status: int = 1) -> NoReturn:
    click.echo(exc.diagnostic(), err=True)
    sys.exit(status)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leaflets")
def main() -> None:
    """Turn medicine entries (Markdown with YAML front matter) into printable PDF leaflets."""


@main.command()
@paths_argument
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("build/leaflets"),
              show_default=True, help="Output folder; each entry goes to OUT/<path relative to its input root>.pdf.")
@paper_option
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True,
              help="html writes the exact HTML and CSS WeasyPrint lays out, viewable in a browser.")
@large_print_option
@bilingual_option
@project_option
@jobs_option
@shard_option
@dask_option
@click.option("--editions", "editions_text", default=None, metavar="'paper=a4,letter large-print=no,yes lang=all'",
              help="Build every combination in one run, each entry parsed once; files are named "
                   "NAME.LANG[+BILINGUAL][-PAPER][-large].pdf (the project's paper has no suffix). "
                   "Replaces --paper and --large-print.")
@click.option("--force", is_flag=True, help="Rebuild every entry, even those whose output is up to date.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written; show tracebacks of internal errors.")
def build(paths: tuple[Path, ...], out_dir: Path, paper: str | None, fmt: str, large_print: bool, bilingual: str | None,
          project_dir: Path | None, jobs: int | None, shard_text: str | None, dask_address: str | None,
          editions_text: str | None, force: bool, quiet: bool, verbose: bool) -> None:
    """Build one leaflet per entry. PATHS are .md files or folders (default: the project's entries/).

    Entries whose output is up to date (same entry, templates, styles, settings
    and options as when it was written) are skipped; see OUT/.leaflets-cache.json.
    """
    shard = shard_from(shard_text)
    if editions_text is not None:
        if paper is not None or large_print:
            usage_error("--editions names the papers and print sizes itself; leave out --paper and --large-print")
        editions_build(paths, out_dir, fmt, load_project(project_dir), jobs, shard, dask_address, editions_text,
                       force, quiet, verbose, language_option(bilingual))
    project = load_project(project_dir)
    options = BuildOptions(
        paper=(paper or project.config.paper).lower(), format=fmt, large_print=large_print,  # type: ignore[arg-type]
        bilingual=language_option(bilingual),
    )
    progress = BuildProgress(sys.stderr, quiet=quiet, verbose=verbose)
    run_build(progress, dask_address, lambda remote: build_leaflets(
        list(paths), out_dir, project, options, on_result=progress.result, jobs=jobs, force=force,
        on_start=progress.start, shard=shard, renders=remote.render_builds if remote else None))


def editions_build(paths: tuple[Path, ...], out_dir: Path, fmt: str, project: Project, jobs: int | None,
                   shard: "Shard | None", dask_address: str | None, text: str, force: bool, quiet: bool,
                   verbose: bool, bilingual: str | None) -> NoReturn:
    """``build --editions``: every combination in one run (leaflets.build.editions); a spec that
    names no editions, or a ``lang=`` no entry is in, is a usage error (2) before anything is written."""
    from leaflets.build.editions import EditionsError, build_editions, parse_editions

    try:
        choice = parse_editions(text, bilingual)
    except EditionsError as exc:
        usage_error(str(exc))
    progress = BuildProgress(sys.stderr, quiet=quiet, verbose=verbose)

    def run(remote: Any) -> "BuildReport":
        try:
            return build_editions(
                list(paths), out_dir, project, choice, fmt,  # type: ignore[arg-type]
                on_result=progress.result, jobs=jobs, force=force, on_start=progress.start,
                shard=shard, renders=remote.render_editions if remote else None)
        except EditionsError as exc:
            usage_error(str(exc))

    run_build(progress, dask_address, run)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("build/leaflets"),
              show_default=True, help="Output folder to check for writing.")
@project_option
def doctor(out_dir: Path, project_dir: Path | None) -> None:
    """Check the engine, its libraries, the fonts the styles use and the output folder.

    Exit status 1 when something required is missing; warnings (e.g. no fast
    font subsetting) do not fail.
    """
    from leaflets.doctor.checks import run_checks

    checks = run_checks(load_project(project_dir), out_dir)
    for check in checks:
        click.echo(printable(check.line()))
    sys.exit(1 if any(check.status == "fail" for check in checks) else 0)


@main.command()
@paths_argument
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("build/booklet.pdf"),
              show_default=True, help="The booklet PDF to write.")
@paper_option
@large_print_option
@project_option
@click.option("--list", "list_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A file naming one entry per line (relative to the file), in booklet order; "
                   "blank lines and # comments are skipped. Replaces PATHS.")
@click.option("--title", default=None, help="Cover title (default: 'booklet_title' in leaflets.toml).")
@click.option("--subtitle", default=None, help="Cover subtitle (default: 'booklet_subtitle' in leaflets.toml).")
@click.option("--duplex", is_flag=True, help="Start every entry on a right-hand (odd) page, adding blank pages.")
@click.option("--lang", "lang", metavar="LANG", default=None,
              help="Entries in LANG (NAME.LANG.md, or lang in the front matter; a file named in PATHS comes in its own), "
                   "with cover, contents and "
                   "page texts in LANG, sorted by LANG's alphabet.")
@click.option("--fallback", metavar="LANG", default=None,
              help="With --lang: a medicine with no entry in --lang comes in LANG instead, marked in the contents.")
@bilingual_option
@click.option("--impose", type=click.Choice(IMPOSITIONS), default=None,
              help="Also write an imposed copy, two pages per sheet side: 'saddle' (OUTPUT-impose.pdf, "
                   "nested for saddle stitching) or '2up' (OUTPUT-2up.pdf, cut and stack).")
@jobs_option
@dask_option
@click.option("--force", is_flag=True, help="Build the booklet even when nothing it is made from has changed.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
def booklet(paths: tuple[Path, ...], output: Path, paper: str | None, large_print: bool, project_dir: Path | None,
            list_file: Path | None, title: str | None, subtitle: str | None, duplex: bool, lang: str | None,
            fallback: str | None, bilingual: str | None, impose: str | None,
            jobs: int | None, dask_address: str | None, force: bool, quiet: bool, verbose: bool) -> None:
    """Build one booklet PDF: cover, contents, then every entry. PATHS as for build (default: entries/)."""
    from leaflets.booklet.make import BookletOptions, build_booklet

    if list_file is not None and paths:
        raise click.UsageError("give entries either as PATHS or with --list, not both")
    project = load_project(project_dir)
    if fallback is not None and lang is None:
        raise click.UsageError("--fallback needs --lang")
    options = BuildOptions(
        paper=(paper or project.config.paper).lower(), large_print=large_print, bilingual=language_option(bilingual)
    )
    choices = BookletOptions(
        title=title, subtitle=subtitle, list_file=list_file, duplex=duplex, impose=impose,
        lang=language_option(lang), fallback=language_option(fallback),
    )
    progress = BuildProgress(sys.stderr, quiet=quiet, verbose=verbose)
    report = run_reported(progress, dask_address, lambda remote: build_booklet(
        list(paths), output, project, options, choices, on_result=progress.result,
        jobs=remote.threads() if remote else jobs, on_start=progress.start, force=force,
        chunks_elsewhere=remote.render_chunks if remote else None))
    if not quiet and report.imposed is not None:
        click.echo(printable(f"imposed {report.imposed}"), err=True)
    progress.finish(report)
    sys.exit(0 if report.ok else 1)


@main.command()
@paths_argument
@project_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; another than 127.0.0.1 only when given.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build/leaflets"),
              show_default=True, help="The build cache plain leaflets are served from and the search index is kept in.")
@click.option("--watch", is_flag=True, help="Follow changes to entries, templates, styles and leaflets.toml; previews reload.")
@jobs_option
def serve(paths: tuple[Path, ...], project_dir: Path | None, host: str, port: int, cache_dir: Path, watch: bool,
          jobs: int | None) -> None:
    """The counter: search the entries in a browser and print a leaflet for this patient.

    Nothing typed into the patient form is written to disk or logged. Stop with Ctrl-C.
    """
    from leaflets.parallel import usable_cpus
    from leaflets.serve.server import serve as run_server

    project = load_project(project_dir)
    missing = next((path for path in paths if not path.exists()), None)
    if missing is not None:
        raise click.BadParameter(f"{missing}: no such file or folder", param_hint="PATHS")
    try:
        run_server(list(paths), project, cache_dir, host, port, jobs or usable_cpus(), watch)
    except LeafletError as exc:
        fail(exc)
    except KeyboardInterrupt:
        pass


@main.command()
@paths_argument
@project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json prints one document with every finding and a summary, for CI and scripts.")
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
@jobs_option
@shard_option
@dask_option
@click.option("-q", "--quiet", is_flag=True, help="Leave out the closing summary.")
def check(paths: tuple[Path, ...], project_dir: Path | None, fmt: str, strict: bool, jobs: int | None,
          shard_text: str | None, dask_address: str | None, quiet: bool) -> None:
    """Find what would print wrong: one `path:line: level: code: message` line per finding.

    Exit status 0 when there is no error, 1 when there is (with --strict, any warning), 2 for usage errors.
    """
    from leaflets.check.checker import check_entries

    shard = shard_from(shard_text)
    project = load_project(project_dir)
    missing = next((path for path in paths if not path.exists()), None)
    if missing is not None:
        raise click.BadParameter(f"{missing}: no such file or folder", param_hint="PATHS")
    on_entry = print_findings if fmt == "text" else None
    select = None if shard is None else (lambda source: shard.holds(source.relative))
    try:
        with cluster(dask_address) as remote:
            report = check_entries(list(paths), project, strict=strict, jobs=jobs, on_entry=on_entry, select=select,
                                   checks_elsewhere=remote.check_batches if remote else None)
    except LeafletError as exc:
        fail(exc)
    for warning in report.warnings:
        click.echo(printable(warning), err=True)
    if fmt == "json":
        # A file name that is not UTF-8 keeps its bytes as \udcXX escapes: valid JSON, printable.
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8"))
    elif not quiet:
        print_summary(report)
    sys.exit(0 if report.ok else 1)


def print_findings(entry: EntryCheck) -> None:
    for found in entry.findings:
        click.echo(found.format())


def print_summary(report: CheckReport) -> None:
    summary = report.summary()
    click.echo(
        f"{summary['entries']} {'entry' if summary['entries'] == 1 else 'entries'} checked in {summary['seconds']:.1f}s: "
        f"{summary['with_errors']} with errors, {summary['with_warnings']} with warnings "
        f"({summary['errors']} errors, {summary['warnings']} warnings)",
        err=True,
    )
    width = max((len(code) for code in summary["codes"]), default=0)
    for code, count in summary["codes"].items():
        click.echo(f"  {code:<{width}}  {count}", err=True)
