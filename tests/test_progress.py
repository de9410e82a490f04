"""What a build prints: no bar and one summary line when not on a terminal; a bar with time left on one."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from leaflets.build.results import BuildReport, EntryResult
from leaflets.source.discover import EntrySource
from leaflets.cli.progress import BuildProgress

from conftest import write_entry

SUMMARY = re.compile(r"^(\d+) built, (\d+) up to date, (\d+) failed in \d+\.\ds$")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leaflets", *args], capture_output=True, text=True)


def entries(folder: Path) -> Path:
    write_entry(folder, "a.md", "# A\n### Usage\nFine.\n")
    write_entry(folder, "b.md", "# B\n### Usage\nFine.\n")
    write_entry(folder, "bad.md", "---\ntitle: [oops\n---\nBody\n")
    return folder


def test_not_a_terminal_prints_diagnostics_and_one_summary_line(tmp_path: Path) -> None:
    folder, out = entries(tmp_path / "entries"), tmp_path / "out"
    first = run("build", str(folder), "--out", str(out), "--jobs", "2")
    lines = first.stderr.splitlines()
    assert first.returncode == 1
    assert lines[0].startswith(f"{folder / 'bad.md'}:2: error: malformed front matter")
    assert SUMMARY.match(lines[-1]).groups() == ("2", "0", "1"), lines  # type: ignore[union-attr]
    assert len(lines) == 2 and "\r" not in first.stderr and "\x1b" not in first.stderr
    second = run("build", str(folder), "--out", str(out))
    assert SUMMARY.match(second.stderr.splitlines()[-1]).groups() == ("0", "2", "1")  # type: ignore[union-attr]
    (folder / "bad.md").unlink()
    third = run("build", str(folder), "--out", str(out))
    assert third.returncode == 0 and third.stderr.splitlines() == [third.stderr.strip()]
    assert SUMMARY.match(third.stderr.strip()).groups() == ("0", "2", "0")  # type: ignore[union-attr]
    assert third.stdout == ""


def test_quiet_prints_only_problems_and_verbose_names_files(tmp_path: Path) -> None:
    folder, out = entries(tmp_path / "entries"), tmp_path / "out"
    quiet = run("build", str(folder), "--out", str(out), "--quiet")
    assert [line.split(": error: ")[0] for line in quiet.stderr.splitlines()] == [f"{folder / 'bad.md'}:2"]
    verbose = run("build", str(folder), "--out", str(out), "--verbose", "--force")
    lines = verbose.stderr.splitlines()
    assert lines[0] == "3 entries, 0 up to date, 3 to build"
    assert f"built {out / 'a.pdf'}" in lines and f"built {out / 'b.pdf'}" in lines
    assert SUMMARY.match(lines[-1]).groups() == ("2", "0", "1")  # type: ignore[union-attr]


def result(name: str, status: str, error: str | None = None) -> EntryResult:
    return EntryResult(EntrySource(Path(name), Path(name)), status, error=error)  # type: ignore[arg-type]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_bar_counts_and_time_left() -> None:
    now = [100.0]
    stream = FakeTerminal()
    progress = BuildProgress(stream, clock=lambda: now[0])
    progress.start(entries=5, to_build=4)
    progress.result(result("a.md", "up-to-date"))
    now[0] += 2
    progress.result(result("b.md", "built"))
    assert progress.bar_line() == "[########----------------------] 1/4 built, 1 up to date  0:06 left"
    now[0] += 2
    progress.result(result("c.md", "failed", "c.md:1: error: broken"))
    assert progress.bar_line().endswith("2/4 built, 1 up to date, 1 failed  0:04 left")
    # the error is printed on its own line, the bar cleared before it and drawn again after
    assert "\r\x1b[Kc.md:1: error: broken\n\r[" in stream.getvalue()
    progress.result(result("d.md", "built"))
    progress.result(result("e.md", "built"))
    report = BuildReport([result("x", "built")] * 3, seconds=6.04)
    progress.finish(report)
    assert stream.getvalue().endswith("\r\x1b[K3 built, 0 up to date, 0 failed in 6.0s\n")


def test_no_bar_when_not_a_terminal_or_quiet() -> None:
    for stream, quiet in ((io.StringIO(), False), (FakeTerminal(), True)):
        progress = BuildProgress(stream, quiet=quiet)
        progress.start(entries=2, to_build=2)
        progress.result(result("a.md", "built"))
        progress.result(result("b.md", "failed", "b.md: error: broken"))
        progress.finish(BuildReport([result("a.md", "built")]))
        expected = "b.md: error: broken\n" + ("" if quiet else "1 built, 0 up to date, 0 failed in 0.0s\n")
        assert stream.getvalue() == expected
