"""Adversarial review of issue 14 and the counter's promises: other files of the same kinds.

Each attack runs the real ``leaflets`` command in a subprocess under a time
limit (a hang or a runaway allocation fails the test, it does not stop the
suite), with real files, links, FIFOs and git repositories.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from test_hostile_input import clean, entry_text, leaflets, project, short_dir, write  # noqa: F401

MEMORY_LIMIT = 1_500_000_000
"""Bytes of address space a build under attack may use (``prlimit``): a runaway allocation fails fast."""


def _limited(*arguments: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``leaflets`` with its address space capped, so a huge value is a MemoryError, never an exhausted machine."""
    return leaflets(*arguments, cwd=cwd, timeout=timeout, prefix=("prlimit", f"--as={MEMORY_LIMIT}"))


# -- templates: values that grow without a ``*`` -----------------------------------------------

SIZE_ATTACKS = {
    "center": "{{ 'a'|center(10**9)|length }}",
    "indent": "{{ 'a'|indent(10**9)|length }}",
    "batch": "{{ [1]|batch(10**8, 'x')|list|length }}",
    "slice": "{{ [1]|slice(10**8)|list|length }}",
    "format-filter-star": "{{ '%*s'|format(10**9, 'a')|length }}",
    "percent-width": "{{ ('%1000000000s' % 'a')|length }}",
    "str-format-width": "{{ '{:>1000000000}'.format('a')|length }}",
    "str-format-nested": "{{ '{:>{}}'.format('a', 10**9)|length }}",
    "ljust": "{{ 'a'.ljust(10**9)|length }}",
    "zfill": "{{ '1'.zfill(10**9)|length }}",
    "lipsum": "{{ lipsum(n=10**5)|length }}",
    "macro-doubling": "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}"
                      "{% endmacro %}{{ d('a', 40) }}",
}


@pytest.mark.parametrize("attack", list(SIZE_ATTACKS))
def test_template_cannot_build_a_huge_value_by_padding_or_doubling(project: Path, attack: str) -> None:  # noqa: F811
    templates = project / "templates"
    templates.mkdir()
    original = (REPO / "templates" / "leaflet.html").read_text()
    (templates / "leaflet.html").write_text(original.replace("<article", SIZE_ATTACKS[attack] + "\n<article", 1))
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = _limited("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1, result.stderr
    [line] = [row for row in result.stderr.splitlines() if ": error: " in row]
    assert line.startswith(f"{templates / 'leaflet.html'}:") and "template" in line, line


def test_template_formats_of_ordinary_size_still_work(project: Path) -> None:  # noqa: F811
    templates = project / "templates"
    templates.mkdir()
    ordinary = ("<p>{{ '{:,}'.format(1234567) }}|{{ '%5.1f'|format(3.14159) }}|{{ '%d' % 7 }}"
                "|{{ 'ab'|center(6) }}|{{ lipsum(1, false)|length > 0 }}</p>")
    original = (REPO / "templates" / "leaflet.html").read_text()
    (templates / "leaflet.html").write_text(original.replace("<article", ordinary + "\n<article", 1))
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--format", "html", cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 0, result.stderr
    assert "1,234,567|  3.1|7|  ab  |True" in (project / "out" / "a.html").read_text()


# -- git: programs named by a repository's config through other routes -------------------------

def _git(root: Path, *arguments: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *arguments], cwd=root, env=env, capture_output=True, text=True, check=True,
                          timeout=30).stdout.strip()


def _partial_clone_with_missing_tree(repo: Path, marker: Path) -> None:
    """A repository that claims to be a partial clone, one of whose trees is missing.

    ``git log --name-only`` needs that tree, so git would fetch it lazily from
    the promisor remote, starting its ``uploadpack`` program through a shell.
    The config lives in an included file, reached through a ``.git`` file
    pointing at a git folder elsewhere in the project: other routes to the same
    settings.
    """
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "one")
    entry = repo / "entries" / "a.md"
    entry.write_text(entry.read_text() + "\nMore.\n")
    _git(repo, "commit", "-qam", "two")
    tree = _git(repo, "rev-parse", "HEAD~1^{tree}")
    (repo / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    hidden = repo / "gitdata"
    (repo / ".git").rename(hidden)
    (repo / ".git").write_text(f"gitdir: {hidden}\n")
    (hidden / "evil.config").write_text(
        "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tpartialClone = origin\n"
        f"[remote \"origin\"]\n\tpromisor = true\n\turl = {repo}\n"
        f"\tuploadpack = touch {marker}; git-upload-pack\n"
        f"[core]\n\tsshCommand = touch {marker}\n")
    _git(repo, "config", "include.path", "evil.config")
    # Called naively, git runs the program: the test can see the attack.
    subprocess.run(["git", "log", "--name-only", "--format=%cs"], cwd=repo, capture_output=True, timeout=30,
                   env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    assert marker.exists(), "the missing tree did not make git fetch it"
    marker.unlink()


def test_lazy_fetch_of_a_partial_clone_runs_nothing(project: Path) -> None:  # noqa: F811
    marker = project.parent / "MARKER"
    write(project / "entries", "a.md", entry_text("Alpha"))
    _partial_clone_with_missing_tree(project, marker)
    for command in (["check"], ["build", "--out", project.parent / "out", "--jobs", "1"]):
        result = leaflets(*command, "--project", project, cwd=project, timeout=120)
        clean(result)
        assert result.returncode in (0, 1), result.stderr
        assert not marker.exists(), f"{command[0]} made git run the repository's uploadpack"
    assert (project.parent / "out" / "a.pdf").is_file()


# -- Markdown: sizes the layout engine takes minutes over ----------------------------------------

def test_a_table_of_thousands_of_columns_builds_in_time(project: Path) -> None:  # noqa: F811
    header = "|" + "|".join(f"h{i}" for i in range(3000)) + "|"
    rule = "|" + "-|" * 3000
    rows = "\n".join("|" + "x|" * 3000 for _ in range(50))
    write(project / "entries", "wide.md", entry_text("Wide", extra=f"{header}\n{rule}\n{rows}\n"))
    write(project / "entries", "ok.md", entry_text("Ok"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project, timeout=90)
    clean(result)
    assert result.returncode == 0, result.stderr
    assert "a table of 3000 columns is wider than the page" in result.stderr
    assert (project / "out" / "wide.pdf").is_file() and (project / "out" / "ok.pdf").is_file()


def test_a_word_of_thousands_of_emphasis_pieces_builds_in_time(project: Path) -> None:  # noqa: F811
    pieces = "*_" * 5000 + "x" + "_*" * 5000
    write(project / "entries", "emph.md", entry_text("Emph", extra=pieces))
    write(project / "entries", "ok.md", entry_text("Ok"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project, timeout=90)
    clean(result)
    assert result.returncode == 0, result.stderr
    assert "emph.md:" in result.stderr and "is broken across lines" in result.stderr
    assert (project / "out" / "emph.pdf").is_file() and (project / "out" / "ok.pdf").is_file()
