"""The ``leaflets`` command: a thin layer over the library API.

Exit status: 0 when everything built, 1 when any entry failed (the good ones
are still written), 2 for usage errors (click's own convention).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .build import build_leaflets
from .config import PAPER_SIZES
from .errors import LeafletError
from .options import BuildOptions
from .progress import BuildProgress
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
@click.option("--force", is_flag=True, help="Rebuild every entry, even those whose output is up to date.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors and warnings only.")
@click.option("-v", "--verbose", is_flag=True, help="Name every file written; show tracebacks of internal errors.")
def build(paths: tuple[Path, ...], out_dir: Path, paper: str | None, fmt: str, project_dir: Path | None,
          jobs: int | None, force: bool, quiet: bool, verbose: bool) -> None:
    """Build one leaflet per entry. PATHS are .md files or folders (default: the project's entries/).

    Entries whose output is up to date (same entry, templates, styles, settings
    and options as when it was written) are skipped; see OUT/.leaflets-cache.json.
    """
    project = load_project(project_dir)
    options = BuildOptions(paper=(paper or project.config.paper).lower(), format=fmt)  # type: ignore[arg-type]
    progress = BuildProgress(click.get_text_stream("stderr"), quiet=quiet, verbose=verbose)
    try:
        report = build_leaflets(list(paths), out_dir, project, options, on_result=progress.result, jobs=jobs,
                                force=force, on_start=progress.start)
    except LeafletError as exc:
        fail(exc)
    progress.finish(report)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("build/leaflets"),
              show_default=True, help="Output folder to check for writing.")
@project_option
def doctor(out_dir: Path, project_dir: Path | None) -> None:
    """Check the engine, its libraries, the fonts the styles use and the output folder.

    Exit status 1 when something required is missing; warnings (e.g. no fast
    font subsetting) do not fail.
    """
    from .doctor import run_checks

    checks = run_checks(load_project(project_dir), out_dir)
    for check in checks:
        click.echo(check.line())
    sys.exit(1 if any(check.status == "fail" for check in checks) else 0)
