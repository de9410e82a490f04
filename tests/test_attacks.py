"""Adversarial review of issue 14 and the counter's promises: other files of the same kinds.

Each attack runs the real ``leaflets`` command in a subprocess under a time
limit (a hang or a runaway allocation fails the test, it does not stop the
suite), with real files, links, FIFOs and git repositories.
"""

from __future__ import annotations

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
