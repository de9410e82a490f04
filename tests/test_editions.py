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
from leaflets.build.editions import EditionChoice, EditionsError, parse_editions
from leaflets.source.entry import file_lang

BIN = Path(sys.executable).parent
EDITIONS = "paper=a4,letter large-print=no,yes lang=all"
STEMS = {  # edition name stem: what a plain build names the entry
    "paracetamol.en": "paracetamol", "paracetamol.es": "paracetamol.es", "paracetamol.fr": "paracetamol.fr",
    "sub/metformine.fr": "sub/metformine", "sub/paracetamol-mx.es-MX": "sub/paracetamol-mx",
}
OUTPUTS = len(STEMS) * 4


def leaflets(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH}
    return subprocess.run([str(BIN / "leaflets"), *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=900)


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An English entry and its translations: Spanish (``lang: es``), French with no ``lang`` line
    (the file name says it), an entry whose front matter says French, one in Mexican Spanish."""
    folder = tmp_path_factory.mktemp("entries")
    (folder / "sub").mkdir()
    for name in ("paracetamol.md", "paracetamol.es.md"):
        shutil.copy(REPO / "entries" / name, folder / name)
    french = (REPO / "entries" / "paracetamol.fr.md").read_text(encoding="utf-8")
    assert "\nlang: fr\n" in french
    (folder / "paracetamol.fr.md").write_text(french.replace("\nlang: fr\n", "\n", 1), encoding="utf-8")
    text = (REPO / "entries" / "metformin.md").read_text(encoding="utf-8")
    (folder / "sub" / "metformine.md").write_text(text.replace("---\n", "---\nlang: fr\n", 1), encoding="utf-8")
    spanish = (REPO / "entries" / "paracetamol.es.md").read_text(encoding="utf-8")
    assert "\nlang: es\n" in spanish
    (folder / "sub" / "paracetamol-mx.md").write_text(spanish.replace("\nlang: es\n", "\nlang: es-MX\n", 1), encoding="utf-8")
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
    assert parse_editions("lang=ES,zh-hans,pt-br", "en").langs == ("es", "zh-Hans", "pt-BR")
    for bad, message in [("paper=b7", "unknown paper"), ("size=a4", "unknown key"), ("paper", "KEY=VALUE"),
                         ("large-print=maybe", "no and yes"), ("lang=english!", "language tag"),
                         ("paper=a4 paper=letter", "twice"), ("paper=a4,,letter", "empty value"),
                         ("lang=", "empty value"), ("   ", "empty"), ("lang=all,fr", "lang=all")]:
        with pytest.raises(EditionsError, match=message):
            parse_editions(bad)
    with pytest.raises(EditionsError, match="--bilingual language"):
        parse_editions("lang=es,en-GB", "en")


@pytest.mark.parametrize("args", [
    ["--editions", "paper=b7"], ["--editions", "paper=a4", "--paper", "letter"], ["--editions", "paper=a4,,letter"],
    ["--editions", "paper=a4 paper=letter"], ["--editions", "size=a4"], ["--editions", ""],
    ["--editions", "lang=xx"], ["--editions", "lang=en", "--bilingual", "EN"],
])
def test_bad_editions_are_one_line_and_exit_2(entries: Path, tmp_path: Path, args: list[str]) -> None:
    result = leaflets("build", entries, "--out", tmp_path, *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("leaflets: error: "), result.stderr
    assert not list(tmp_path.rglob("*.pdf"))


def test_no_entry_in_the_language_names_it(tmp_path: Path) -> None:
    result = leaflets("build", REPO / "entries", "--out", tmp_path, "--editions", "lang=de,es")
    assert result.returncode == 2
    assert "no entry is in language de" in result.stderr and "zh-Hans" in result.stderr


def test_the_language_is_the_one_every_stage_prints_in(tmp_path: Path) -> None:
    """:func:`file_lang` is :func:`effective_lang`: front matter, else the file name, else the project."""
    cases = {
        "a.md": ("---\ntitle: X\nlang: 'pt-br'  # Brazil\n---\nbody\n", "en", "pt-BR"),
        "b.md": ("---\ntitle: X\n---\nlang: fr\n", "de", "de"),
        "c.md": ("no front matter\n", None, "en"),
        "d.fr.md": ("---\ntitle: X\n---\nbody\n", "en", "fr"),
        "e.zh-hans.md": ("---\ntitle: X\n---\nbody\n", "en", "zh-Hans"),
        "f.md": ('---\ntitle: X\n"l\\x61ng": es\n---\nbody\n', "en", "es"),
        "g.md": ("---\ntitle: X\nlang: [oops\n---\nbody\n", "en", "en"),
        "h.es.md": ("---\ntitle: X\nlang: es-MX\n---\nbody\n", "en", "es-MX"),
    }
    for name, (text, project_lang, expected) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert file_lang(tmp_path / name, project_lang) == expected, name
    os.mkfifo(tmp_path / "pipe.ar.md")  # nobody writes: reading must not wait
    assert file_lang(tmp_path / "pipe.ar.md", "en") == "ar"


def test_every_combination_is_built_named_and_equal_to_a_single_edition_build(
    entries: Path, all_editions: tuple[Path, str], tmp_path: Path
) -> None:
    out, stderr = all_editions
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf"))
    assert names == sorted(f"{stem}{suffix}.pdf" for stem in STEMS for suffix in ("", "-large", "-letter", "-letter-large"))
    assert f"{OUTPUTS} built, 0 up to date, 0 failed" in stderr
    single = leaflets("build", entries, "--out", tmp_path, "--paper", "letter", "--large-print")
    assert single.returncode == 0, single.stderr
    for stem, plain in STEMS.items():
        assert (out / f"{stem}-letter-large.pdf").read_bytes() == (tmp_path / f"{plain}-large.pdf").read_bytes()
    with pikepdf.open(out / "paracetamol.en-letter.pdf") as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 612, 792]
    with pikepdf.open(out / "paracetamol.en.pdf") as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox] == [0, 0, 595, 842]
    for stem in STEMS:
        with pikepdf.open(out / f"{stem}.pdf") as pdf:
            assert str(pdf.Root.Lang) == stem.rsplit(".", 1)[1], stem


def test_an_unchanged_second_run_builds_nothing_and_a_changed_entry_only_its_editions(
    entries: Path, all_editions: tuple[Path, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(all_editions[0], out, copy_function=shutil.copy2)
    again = leaflets("build", entries, "--out", out, "--editions", EDITIONS)
    assert f"0 built, {OUTPUTS} up to date, 0 failed" in again.stderr, again.stderr
    changed = tmp_path / "entries"
    shutil.copytree(entries, changed, copy_function=shutil.copy2)
    path = changed / "paracetamol.md"
    path.write_text(path.read_text() + "\nOne more line.\n")
    later = leaflets("build", changed, "--out", out, "--editions", EDITIONS)
    assert f"4 built, {OUTPUTS - 4} up to date, 0 failed" in later.stderr, later.stderr


def test_one_language_takes_its_regional_variants(entries: Path, tmp_path: Path) -> None:
    result = leaflets("build", entries, "--out", tmp_path, "--editions", "lang=ES large-print=yes")
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf")) == [
        "paracetamol.es-large.pdf", "sub/paracetamol-mx.es-MX-large.pdf",
    ]


def test_bilingual_editions_are_named_and_keyed_as_a_bilingual_build(entries: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("--out", out, "--editions", "paper=letter large-print=no,yes lang=fr", "--bilingual", "EN")
    result = leaflets("build", entries, *args)
    assert result.returncode == 1, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == [
        "paracetamol.fr+en-letter-large.pdf", "paracetamol.fr+en-letter.pdf",
    ]
    assert result.stderr.count("metformine.md: error: no en entry to pair with") == 1, result.stderr
    plain = leaflets("build", entries / "paracetamol.fr.md", "--out", tmp_path / "plain", "--paper", "letter",
                     "--bilingual", "en")
    assert plain.returncode == 0, plain.stderr
    assert (tmp_path / "plain" / "paracetamol.fr+en.pdf").read_bytes() == (out / "paracetamol.fr+en-letter.pdf").read_bytes()
    again = leaflets("build", entries, *args)
    assert "0 built, 2 up to date" in again.stderr, again.stderr


def test_two_entries_naming_one_edition_clash(tmp_path: Path) -> None:
    """``a.md`` in Spanish and ``a.es.md`` both name ``a.es.pdf``: the first is built, the other is one line
    for all its editions."""
    (tmp_path / "in").mkdir()
    shutil.copy(REPO / "entries" / "paracetamol.es.md", tmp_path / "in" / "a.es.md")
    shutil.copy(REPO / "entries" / "paracetamol.es.md", tmp_path / "in" / "a.md")
    result = leaflets("build", tmp_path / "in", "--out", tmp_path / "out", "--editions", "lang=es large-print=no,yes")
    assert result.returncode == 1
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["a.es-large.pdf", "a.es.pdf"]
    assert result.stderr.count("a.md: error: would be written to the same leaflets (a.es*) as ") == 1, result.stderr
    assert "2 built, 0 up to date, 2 failed" in result.stderr, result.stderr


def test_shards_of_editions_equal_the_whole_run(entries: Path, all_editions: tuple[Path, str], tmp_path: Path) -> None:
    for index in range(3):
        result = leaflets("build", entries, "--out", tmp_path, "--editions", EDITIONS, "--shard", f"{index}/3", "-q")
        assert result.returncode == 0, result.stderr
    built = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.pdf")}
    whole = {p.relative_to(all_editions[0]).as_posix(): p.read_bytes() for p in all_editions[0].rglob("*.pdf")}
    assert built == whole
    later = leaflets("build", entries, "--out", tmp_path, "--editions", EDITIONS)
    assert re.search(rf"^0 built, {OUTPUTS} up to date", later.stderr, re.M), later.stderr


def test_a_bad_entry_is_reported_once_not_once_per_edition(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.md").write_text("---\ntitle: [oops\n---\nbody\n")
    shutil.copy(REPO / "entries" / "ibuprofen.md", tmp_path / "in" / "ibuprofen.md")
    result = leaflets("build", tmp_path / "in", "--out", tmp_path / "out", "--editions", EDITIONS)
    assert result.returncode == 1
    assert result.stderr.count("broken.md:2: error: malformed front matter") == 1
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 4


def test_html_editions_have_their_stylesheets(tmp_path: Path) -> None:
    result = leaflets("build", REPO / "entries" / "ibuprofen.md", "--out", tmp_path, "--format", "html",
                      "--editions", "large-print=no,yes")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["ibuprofen.en-large.html", "ibuprofen.en.html"]
    hrefs = {href for page in tmp_path.glob("*.html")
             for href in re.findall(r'href="([^"]+\.css)"', page.read_text(encoding="utf-8"))}
    assert hrefs == {"_styles/leaflet.css", "_styles/large-print.css"}
    assert all((tmp_path / href).is_file() for href in hrefs)
