"""The ``leaflets`` command: a thin layer over the library API.

Exit status: 0 when everything built, 1 when any entry failed (the good ones
are still written), 2 for usage errors (click's own convention).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .booklet import BookletOptions, build_booklet
from .build import BuildReport, EntryResult, build_leaflets
from .config import PAPER_SIZES
from .errors import LeafletError
from .imposition import IMPOSITIONS
from .leaflet import BuildOptions
from .project import Project

paper_option = click.option(
    "--paper", type=click.Choice(list(PAPER_SIZES), case_sensitive=False), default=None,
    help="Paper size (default: 'paper' in leaflets.toml, else a4).",
)
project_option = click.option(
    "--project", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Project folder with its own templates/, styles/, entries/ and leaflets.toml (default: current folder).",
)
jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None,
    help="Worker processes (default: the number of usable CPUs).",
)
paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


def load_project(project_dir: Path | None) -> Project:
    try:
        return Project.load(project_dir)
    except LeafletError as exc:
        fail(exc)


def fail(exc: LeafletError, status: int = 1) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(exc.diagnostic(), err=True)
    sys.exit(status)


def report_result(name_outputs: bool, tracebacks: bool | None = None) -> "Callable[[EntryResult], None]":  # type: ignore[name-defined]
    tracebacks = name_outputs if tracebacks is None else tracebacks

    def report(result: EntryResult) -> None:
        if result.error:
            click.echo(result.error, err=True)
            if tracebacks and result.detail:
                click.echo(result.detail, err=True)
        for warning in result.warnings:
            click.echo(warning, err=True)
        if name_outputs and result.status == "built":
            click.echo(f"built {result.output}", err=True)
    return report


def finish(report: BuildReport, quiet: bool) -> None:
    if not quiet:
        click.echo(report.summary(), err=True)
    sys.exit(0 if report.ok else 1)


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
@project_option
@jobs_option
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written; show tracebacks of internal errors.")
def build(paths: tuple[Path, ...], out_dir: Path, paper: str | None, fmt: str, project_dir: Path | None,
          jobs: int | None, quiet: bool, verbose: bool) -> None:
    """Build one leaflet per entry. PATHS are .md files or folders (default: the project's entries/)."""
    project = load_project(project_dir)
    options = BuildOptions(paper=(paper or project.config.paper).lower(), format=fmt)  # type: ignore[arg-type]
    try:
        report = build_leaflets(list(paths), out_dir, project, options, on_result=report_result(verbose), jobs=jobs)
    except LeafletError as exc:
        fail(exc)
    finish(report, quiet)


@main.command()
@paths_argument
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("build/booklet.pdf"),
              show_default=True, help="The booklet PDF to write.")
@paper_option
@project_option
@click.option("--list", "list_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A file naming one entry per line (relative to the file), in booklet order; "
                   "blank lines and # comments are skipped. Replaces PATHS.")
@click.option("--title", default=None, help="Cover title (default: 'booklet_title' in leaflets.toml).")
@click.option("--subtitle", default=None, help="Cover subtitle (default: 'booklet_subtitle' in leaflets.toml).")
@click.option("--duplex", is_flag=True, help="Start every entry on a right-hand (odd) page, adding blank pages.")
@click.option("--impose", type=click.Choice(list(IMPOSITIONS)), default=None,
              help="Also write OUTPUT-impose.pdf, imposed for saddle stitching (two pages per sheet side).")
@jobs_option
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
def booklet(paths: tuple[Path, ...], output: Path, paper: str | None, project_dir: Path | None,
            list_file: Path | None, title: str | None, subtitle: str | None, duplex: bool, impose: str | None,
            jobs: int | None, quiet: bool, verbose: bool) -> None:
    """Build one booklet PDF: cover, contents, then every entry. PATHS as for build (default: entries/)."""
    if list_file is not None and paths:
        raise click.UsageError("give entries either as PATHS or with --list, not both")
    project = load_project(project_dir)
    options = BuildOptions(paper=(paper or project.config.paper).lower())
    choices = BookletOptions(title=title, subtitle=subtitle, list_file=list_file, duplex=duplex, impose=impose)
    try:
        report = build_booklet(list(paths), output, project, options, choices,
                               on_result=report_result(False, verbose), jobs=jobs)
    except LeafletError as exc:
        fail(exc)
    if not quiet and report.imposed is not None:
        click.echo(f"imposed {report.imposed}", err=True)
    finish(report, quiet)
