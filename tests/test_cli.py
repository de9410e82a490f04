"""The command line: exit codes, error lines, atomic output, running from an installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from leaflets.cli.main import main

from conftest import REPO, write_entry


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leaflets", *args], capture_output=True, text=True, cwd=cwd)


def test_build_defaults_to_project_entries(tmp_path: Path) -> None:
    result = run("build", "--project", str(REPO), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    built = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert built == sorted(p.stem + ".pdf" for p in (REPO / "entries").glob("*.md"))
    assert "5 built, 0 up to date, 0 failed" in result.stderr


def test_bad_entries_reported_good_ones_written(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    write_entry(entries, "good.md", "# Good\n### Usage\nFine.\n")
    write_entry(entries, "sub/also-good.md", "---\ntitle: Also good\n---\n### Usage\nFine.\n")
    write_entry(entries, "broken.md", "---\ntitle: [oops\n---\nBody\n")
    (entries / "latin.md").write_bytes(b"# Caf\xe9\n")
    write_entry(entries, "empty.md", "---\ntitle: Empty\n---\n")
    out = tmp_path / "out"
    result = run("build", str(entries), "--out", str(out))
    assert result.returncode == 1
    assert (out / "good.pdf").is_file() and (out / "sub" / "also-good.pdf").is_file()
    assert not (out / "broken.pdf").exists()
    lines = result.stderr.splitlines()
    assert f"{entries / 'broken.md'}:2: error: malformed front matter" in "\n".join(lines)
    assert any(line.startswith(f"{entries / 'latin.md'}:1: error: not valid UTF-8") for line in lines)
    assert any(line.startswith(f"{entries / 'empty.md'}:4: error: entry has no body text") for line in lines)
    assert "Traceback" not in result.stderr
    assert "2 built, 0 up to date, 3 failed" in result.stderr


def test_failed_rebuild_keeps_the_good_pdf(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    entry = write_entry(entries, "x.md", "# X\n### Usage\nFine.\n")
    out = tmp_path / "out"
    assert run("build", str(entries), "--out", str(out)).returncode == 0
    good = (out / "x.pdf").read_bytes()
    entry.write_text("---\ntitle: [broken\n---\nBody\n")
    assert run("build", str(entries), "--out", str(out)).returncode == 1
    assert (out / "x.pdf").read_bytes() == good
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_unwritable_output_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("build", str(REPO / "entries" / "paracetamol.md"), "--out", str(blocker / "out"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{blocker / 'out'}: error: output folder cannot be written")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["build", "--paper", "b5"], ["build", "--format", "docx"], ["frobnicate"], ["build", "--nope"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(main, args).exit_code == 2


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    result = run("build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "no such file or folder" in result.stderr


def test_bad_config_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text('papr = "a4"\n')
    result = run("build", "--project", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert f"{tmp_path / 'leaflets.toml'}: error: unknown key 'papr'" in result.stderr


def test_project_overrides_template_and_falls_back_for_the_rest(tmp_path: Path) -> None:
    (tmp_path / "templates" / "partials").mkdir(parents=True)
    footer = (REPO / "templates" / "partials" / "footer.html").read_text()
    (tmp_path / "templates" / "partials" / "footer.html").write_text(footer.replace(
        '<div class="note">', '<p>Riverside custom footer</p><div class="note">'))
    (tmp_path / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\nnote = "Project note text."\n')
    write_entry(tmp_path / "entries", "e.md", "# E\n### Usage\nText.\n")
    result = run("build", "--project", str(tmp_path), "--out", str(tmp_path / "out"), "--format", "html")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "e.html").read_text()
    assert "Riverside custom footer" in html and "Riverside Pharmacy" in html and "Project note text." in html


def test_wheel_carries_templates_and_styles_and_runs_from_anywhere(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(REPO)],
        check=True, capture_output=True,
    )
    wheel = next(wheel_dir.glob("leaflets-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "leaflets/_defaults/templates/leaflet.html" in names
    assert "leaflets/_defaults/styles/leaflet.css" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    write_entry(elsewhere / "mine", "x.md", "# X\n### Usage\nFrom an installed wheel.\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import leaflets; print(leaflets.__file__)"],
                           env=env, cwd=elsewhere, capture_output=True, text=True)
    assert where.stdout.startswith(str(site))
    result = subprocess.run([sys.executable, "-m", "leaflets", "build", "mine"], env=env, cwd=elsewhere, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "build" / "leaflets" / "x.pdf").is_file()


def test_longest_file_name_the_filesystem_allows(tmp_path: Path) -> None:
    """The corpus has a 243-character entry name; its temporary output name must fit too."""
    name = "x" * 240 + ".md"
    write_entry(tmp_path / "entries", name, "# Long\n### Usage\nFine.\n")
    result = run("build", str(tmp_path / "entries"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / ("x" * 240 + ".pdf")).is_file()
