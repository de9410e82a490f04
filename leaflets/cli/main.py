"""The ``leaflets`` command: a thin layer over the library API.

Exit status: 0 when everything built, 1 when any entry failed (the good ones
are still written), 2 for usage errors (click's own convention).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

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

if TYPE_CHECKING:  # check pulls in textstat, which `build` never needs
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
large_print_option = click.option(
    "--large-print", is_flag=True,
    help="Large-print edition (18 pt body, single column); files are named NAME-large.pdf.",
)
paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))


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
@project_option
@jobs_option
@click.option("--force", is_flag=True, help="Rebuild every entry, even those whose output is up to date.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written; show tracebacks of internal errors.")
def build(paths: tuple[Path, ...], out_dir: Path, paper: str | None, fmt: str, large_print: bool,
          project_dir: Path | None, jobs: int | None, force: bool, quiet: bool, verbose: bool) -> None:
    """Build one leaflet per entry. PATHS are .md files or folders (default: the project's entries/).

    Entries whose output is up to date (same entry, templates, styles, settings
    and options as when it was written) are skipped; see OUT/.leaflets-cache.json.
    """
    project = load_project(project_dir)
    options = BuildOptions(
        paper=(paper or project.config.paper).lower(), format=fmt, large_print=large_print,  # type: ignore[arg-type]
    )
    progress = BuildProgress(sys.stderr, quiet=quiet, verbose=verbose)
    with interruptible():
        try:
            report = build_leaflets(list(paths), out_dir, project, options, on_result=progress.result, jobs=jobs,
                                    force=force, on_start=progress.start)
        except UnsafeOutputError as exc:
            fail(exc, 2)
        except LeafletError as exc:
            fail(exc)
        except Interrupted as exc:
            progress.interrupted()
            exit_interrupted(exc.signum)
    progress.finish(report)
    sys.exit(2 if report.refused_outputs else 0 if report.ok else 1)


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
@click.option("--impose", type=click.Choice(IMPOSITIONS), default=None,
              help="Also write an imposed copy, two pages per sheet side: 'saddle' (OUTPUT-impose.pdf, "
                   "nested for saddle stitching) or '2up' (OUTPUT-2up.pdf, cut and stack).")
@jobs_option
@click.option("--force", is_flag=True, help="Build the booklet even when nothing it is made from has changed.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
def booklet(paths: tuple[Path, ...], output: Path, paper: str | None, large_print: bool, project_dir: Path | None,
            list_file: Path | None, title: str | None, subtitle: str | None, duplex: bool, impose: str | None,
            jobs: int | None, force: bool, quiet: bool, verbose: bool) -> None:
    """Build one booklet PDF: cover, contents, then every entry. PATHS as for build (default: entries/)."""
    from leaflets.booklet.make import BookletOptions, build_booklet

    if list_file is not None and paths:
        raise click.UsageError("give entries either as PATHS or with --list, not both")
    project = load_project(project_dir)
    options = BuildOptions(paper=(paper or project.config.paper).lower(), large_print=large_print)
    choices = BookletOptions(title=title, subtitle=subtitle, list_file=list_file, duplex=duplex, impose=impose)
    progress = BuildProgress(sys.stderr, quiet=quiet, verbose=verbose)
    with interruptible():
        try:
            report = build_booklet(list(paths), output, project, options, choices,
                                   on_result=progress.result, jobs=jobs, on_start=progress.start, force=force)
        except UnsafeOutputError as exc:
            fail(exc, 2)
        except LeafletError as exc:
            fail(exc)
        except Interrupted as exc:
            progress.interrupted()
            exit_interrupted(exc.signum)
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
@click.option("-q", "--quiet", is_flag=True, help="Leave out the closing summary.")
def check(paths: tuple[Path, ...], project_dir: Path | None, fmt: str, strict: bool, jobs: int | None,
          quiet: bool) -> None:
    """Find what would print wrong: one `path:line: level: code: message` line per finding.

    Exit status 0 when there is no error, 1 when there is (with --strict, any warning), 2 for usage errors.
    """
    from leaflets.check.checker import check_entries

    project = load_project(project_dir)
    missing = next((path for path in paths if not path.exists()), None)
    if missing is not None:
        raise click.BadParameter(f"{missing}: no such file or folder", param_hint="PATHS")
    on_entry = print_findings if fmt == "text" else None
    try:
        report = check_entries(list(paths), project, strict=strict, jobs=jobs, on_entry=on_entry)
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
