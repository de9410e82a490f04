"""--editions: every paper × print size × language in one run, one key per output, with --shard too.

Each output must be exactly what a single-edition build makes (same bytes
under SOURCE_DATE_EPOCH), named NAME.LANG[-PAPER][-large].pdf, and an
unchanged second run builds nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from conftest import PINNED_EPOCH, REPO
from leaflets.build.editions import EditionChoice, EditionsError, entry_lang, parse_editions

BIN = Path(sys.executable).parent
EDITIONS = "paper=a4,letter large-print=no,yes lang=all"


def leaflets(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH}
    return subprocess.run([str(BIN / "leaflets"), *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=900)


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three examples in English and one in French (its front matter says so)."""
    folder = tmp_path_factory.mktemp("entries")
    for name in ("ibuprofen.md", "paracetamol.md", "salbutamol-inhaler.md"):
        shutil.copy(REPO / "entries" / name, folder / name)
    text = (REPO / "entries" / "metformin.md").read_text(encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "metformine.md").write_text(text.replace("---\n", "---\nlang: fr\n", 1), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def all_editions(entries: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("editions")
    result = leaflets("build", entries, "--out", out, "--editions", EDITIONS)
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def test_parse_editions() -> None:
    assert parse_editions(EDITIONS) == EditionChoice(("a4", "letter"), (False, True), None)
    assert parse_editions("lang=en,fr paper=A5") == EditionChoice(("a5",), (False,), ("en", "fr"))
    for bad, message in [("paper=b7", "unknown paper"), ("size=a4", "unknown key"), ("paper", "KEY=VALUE"),
                         ("large-print=maybe", "no and yes"), ("lang=english!", "language tag"),
                         ("paper=a4 paper=letter", "twice")]:
        with pytest.raises(EditionsError, match=message):
            parse_editions(bad)


def test_bad_editions_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args in (["--editions", "paper=b7"], ["--editions", "paper=a4", "--paper", "letter"]):
        result = leaflets("build", REPO / "entries", "--out", tmp_path, *args)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("leaflets: error: ")
    assert not list(tmp_path.rglob("*.pdf"))


def test_entry_language_is_read_from_the_front_matter_line(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: X\nlang: 'pt-BR'  # Brazil\n---\nbody\n")
    (tmp_path / "b.md").write_text("---\ntitle: X\n---\nlang: fr\n")
    (tmp_path / "c.md").write_text("no front matter\n")
    assert entry_lang(tmp_path / "a.md", "en") == "pt-BR"
    assert entry_lang(tmp_path / "b.md", "de") == "de"
    assert entry_lang(tmp_path / "c.md", None) == "en"


def test_every_combination_is_built_named_and_equal_to_a_single_edition_build(
    entries: Path, all_editions: tuple[Path, str], tmp_path: Path
) -> None:
    out, stderr = all_editions
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))
    stems = ["ibuprofen.en", "paracetamol.en", "salbutamol-inhaler.en", "sub/metformine.fr"]
    assert names == sorted(f"{stem}{suffix}.pdf" for stem in stems for suffix in ("", "-large", "-letter", "-letter-large"))
    assert "16 built, 0 up to date, 0 failed" in stderr
    single = leaflets("build", entries, "--out", tmp_path, "--paper", "letter", "--large-print")
    assert single.returncode == 0, single.stderr
    for stem in stems:
        name, lang = stem.rsplit(".", 1)
        assert (out / f"{stem}-letter-large.pdf").read_bytes() == (tmp_path / f"{name}-large.pdf").read_bytes()
    with pikepdf.open(out / "ibuprofen.en-letter.pdf") as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 612, 792]
    with pikepdf.open(out / "ibuprofen.en.pdf") as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 595, 842]


def test_an_unchanged_second_run_builds_nothing_and_a_changed_entry_only_its_editions(
    entries: Path, all_editions: tuple[Path, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(all_editions[0], out, copy_function=shutil.copy2)
    again = leaflets("build", entries, "--out", out, "--editions", EDITIONS)
    assert "0 built, 16 up to date, 0 failed" in again.stderr, again.stderr
    changed = tmp_path / "entries"
    shutil.copytree(entries, changed, copy_function=shutil.copy2)
    path = changed / "paracetamol.md"
    path.write_text(path.read_text() + "\nOne more line.\n")
    later = leaflets("build", changed, "--out", out, "--editions", EDITIONS)
    assert "4 built, 12 up to date, 0 failed" in later.stderr, later.stderr


def test_one_language_only(entries: Path, tmp_path: Path) -> None:
    result = leaflets("build", entries, "--out", tmp_path, "--editions", "lang=fr large-print=yes")
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf")) == ["sub/metformine.fr-large.pdf"]


def test_shards_of_editions_equal_the_whole_run(entries: Path, all_editions: tuple[Path, str], tmp_path: Path) -> None:
    for index in range(3):
        result = leaflets("build", entries, "--out", tmp_path, "--editions", EDITIONS, "--shard", f"{index}/3", "-q")
        assert result.returncode == 0, result.stderr
    built = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.pdf")}
    whole = {p.relative_to(all_editions[0]).as_posix(): p.read_bytes() for p in all_editions[0].rglob("*.pdf")}
    assert built == whole
    later = leaflets("build", entries, "--out", tmp_path, "--editions", EDITIONS)
    assert re.search(r"^0 built, 16 up to date", later.stderr, re.M), later.stderr


def test_a_bad_entry_is_reported_once_not_once_per_edition(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.md").write_text("---\ntitle: [oops\n---\nbody\n")
    shutil.copy(REPO / "entries" / "ibuprofen.md", tmp_path / "in" / "ibuprofen.md")
    result = leaflets("build", tmp_path / "in", "--out", tmp_path / "out", "--editions", EDITIONS)
    assert result.returncode == 1
    assert result.stderr.count("broken.md:2: error: malformed front matter") == 1
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 4
