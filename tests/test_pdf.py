"""End to end: build PDFs and read them back as a patient would see them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from leaflets.build.builder import build_leaflets
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project

from conftest import CORPUS_CHARACTERS, REPO, write_entry
from pdfread import metadata, normalised, pages

EXAMPLES = sorted(p.stem for p in (REPO / "entries").glob("*.md"))


def build_one(project: Project, entry: Path, out: Path, **options) -> Path:
    report = build_leaflets([entry], out, project, BuildOptions(**options))
    assert report.ok, [r.error for r in report.results]
    return report.results[0].output


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_page_has_footer_clear_of_body(example_build: Path, name: str) -> None:
    pdf = example_build / f"{name}.pdf"
    read = pages(pdf)
    for page in read:
        text = normalised(page.text)
        assert "Disclaimer:" in text and "Note:" in text, f"page {page.number} lacks the footer"
        assert page.footer_top < page.height - 20
        body = [w for w in page.words if w["top"] < page.footer_top - 1]
        footer = [w for w in page.words if w["top"] >= page.footer_top - 1]
        assert body, "no body text above the footer"
        assert max(w["bottom"] for w in body) < page.footer_top - 5, f"body text runs into the footer on page {page.number}"
        assert f"Page {page.number} of {len(read)}" in normalised(" ".join(w["text"] for w in footer))


def test_examples_cover_several_pages_and_styles(example_build: Path) -> None:
    counts = {name: len(PdfReader(example_build / f"{name}.pdf").pages) for name in EXAMPLES}
    assert max(counts.values()) >= 2, counts


@pytest.mark.parametrize("name", EXAMPLES)
def test_metadata(example_build: Path, name: str) -> None:
    info = metadata(example_build / f"{name}.pdf")
    title = next(line for line in (REPO / "entries" / f"{name}.md").read_text().splitlines() if line.startswith("title:"))
    assert info["/Title"] == title.split(":", 1)[1].strip()
    assert info["/Creator"].startswith("leaflets")
    assert info["/CreationDate"].startswith("D:2026")
    reader = PdfReader(example_build / f"{name}.pdf")
    assert str(reader.trailer["/Root"]["/Lang"]) == "en"


def test_title_not_repeated_and_sections_in_order(example_build: Path) -> None:
    text = normalised(" ".join(p.text for p in pages(example_build / "ibuprofen.pdf")))
    assert text.count("Ibuprofen ") >= 1
    order = [text.index(label) for label in (
        "Generic name", "Usage", "Dosage", "Side effects", "Precautions", "Storage", "Frequently asked questions",
    )]
    assert order == sorted(order)
    assert "### " not in text and "**" not in text


def test_fonts_embedded_and_corpus_characters_survive(tmp_path: Path, repo_project: Project) -> None:
    entry = write_entry(tmp_path, "chars.md", f"""
        ---
        title: Characters
        ---
        ### Usage
        {CORPUS_CHARACTERS} H<sub>2</sub>O 10<sup>6</sup>
    """)
    pdf = build_one(repo_project, entry, tmp_path / "out")
    text = pages(pdf)[0].text
    for char in CORPUS_CHARACTERS.split():
        assert char in text, f"{char!r} lost"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes yes " in row for row in rows), fonts
    assert "DejaVu" in fonts


def test_template_syntax_in_entry_prints_literally(tmp_path: Path, repo_project: Project) -> None:
    entry = write_entry(tmp_path, "t.md", "---\ntitle: T\n---\n### Usage\nDose {{ 7*7 }} daily.\n")
    text = normalised(pages(build_one(repo_project, entry, tmp_path / "out"))[0].text)
    assert "{{ 7*7 }}" in text and "49" not in text


def test_entry_disclaimer_and_note_replace_defaults(tmp_path: Path, repo_project: Project) -> None:
    entry = write_entry(tmp_path, "d.md", """
        # D
        ### Usage
        Text.

        **Disclaimer:** Custom entry disclaimer.

        **Note:** Custom accuracy note.
    """)
    text = normalised(pages(build_one(repo_project, entry, tmp_path / "out"))[0].text)
    assert "Disclaimer: Custom entry disclaimer." in text
    assert "Note: Custom accuracy note." in text
    assert text.count("Custom entry disclaimer") == 1


def test_long_custom_disclaimer_still_fits(tmp_path: Path) -> None:
    long_text = " ".join(["This long disclaimer from the pharmacy must be printed in full on every page."] * 12)
    (tmp_path / "leaflets.toml").write_text(f'disclaimer = "{long_text}"\norganisation = "Riverside"\n')
    project = Project.load(tmp_path)
    body = "\n\n".join(f"Paragraph {i} of the usage text, long enough to wrap onto a second line of the page." for i in range(80))
    entry = write_entry(tmp_path, "long.md", f"# Long\n### Usage\n{body}\n")
    pdf = build_one(project, entry, tmp_path / "out")
    read = pages(pdf)
    assert len(read) >= 3
    for page in read:
        body_words = [w for w in page.words if w["top"] < page.footer_top - 1]
        assert max(w["bottom"] for w in body_words) < page.footer_top - 5
        assert normalised(page.text).count("printed in full on every page") == 12
        assert f"Page {page.number} of {len(read)}" in normalised(page.text)


@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792)), ("a5", (420, 595))])
def test_paper_sizes(tmp_path: Path, repo_project: Project, paper: str, size: tuple[int, int]) -> None:
    pdf = build_one(repo_project, REPO / "entries" / "paracetamol.md", tmp_path, paper=paper)
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_body_and_footer_type_sizes(example_build: Path) -> None:
    import pdfplumber

    with pdfplumber.open(example_build / "paracetamol.pdf") as pdf:
        page = pdf.pages[0]
        footer_top = min(w["top"] for w in page.extract_words() if w["text"] == "Disclaimer:")
        body = [c["size"] for c in page.chars if c["top"] < footer_top and c["text"].strip()]
        footer = [c["size"] for c in page.chars if c["top"] >= footer_top and c["text"].strip()]
    assert min(body) >= 10 * 0.99 or sorted(body)[len(body) // 20] >= 10, "body text under 10 pt"
    assert min(footer) >= 7


def test_reproducible_with_source_date_epoch(tmp_path: Path, repo_project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build_one(repo_project, REPO / "entries" / "metformin.md", tmp_path / "one")
    second = build_one(repo_project, REPO / "entries" / "metformin.md", tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()
    assert metadata(first)["/CreationDate"].startswith("D:20231114")


def test_resources_outside_project_and_network_are_refused(tmp_path: Path) -> None:
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n")
    styles = project_dir / "styles"
    styles.mkdir()
    (styles / "leaflet.css").write_text(
        (REPO / "styles" / "leaflet.css").read_text()
        + f'\nbody {{ background: url("file://{secret}"); }}\nh1 {{ background: url("http://127.0.0.1:9/track.png"); }}\n'
    )
    entry = write_entry(project_dir / "entries", "x.md", f"# X\n### Usage\n![passwd](/etc/passwd) ![s]({secret}) ![n](http://127.0.0.1:9/x.png)\n")
    project = Project.load(project_dir)
    report = build_leaflets([entry], tmp_path / "out", project, BuildOptions())
    result = report.results[0]
    assert result.status == "built"
    warnings = "\n".join(result.warnings)
    assert str(entry) in warnings
    assert "/etc/passwd" in warnings and "outside the project" in warnings
    assert "127.0.0.1:9" in warnings and "offline" in warnings
    data = result.output.read_bytes()
    assert b"root:x:0:0" not in data


def test_html_format_writes_what_weasyprint_receives(tmp_path: Path, repo_project: Project) -> None:
    report = build_leaflets([REPO / "entries"], tmp_path, repo_project, BuildOptions(format="html"))
    assert report.ok
    html = (tmp_path / "paracetamol.html").read_text()
    assert '<link rel="stylesheet" href="_styles/leaflet.css">' in html
    assert (tmp_path / "_styles" / "leaflet.css").read_text() == (REPO / "styles" / "leaflet.css").read_text()
    assert re.search(r"<title>Paracetamol</title>", html)
    assert "margin-bottom:" in html


@pytest.mark.corpus
def test_corpus_sample_builds(corpus: Path, tmp_path: Path, repo_project: Project) -> None:
    sample = sorted(corpus.glob("*/*.md"))[::400]
    report = build_leaflets(sample, tmp_path, repo_project, BuildOptions())
    failures = [r.error for r in report.results if r.status == "failed"]
    assert not failures
    for result in report.results:
        for page in pages(result.output):
            assert "Disclaimer:" in page.text and "Note:" in page.text


def test_file_identifier_is_in_the_trailer_and_follows_the_input(tmp_path: Path, repo_project: Project) -> None:
    """The /ID names the leaflet's HTML (first half) and the file's bytes (second half); the file stays valid."""
    import pikepdf

    first = build_one(repo_project, REPO / "entries" / "paracetamol.md", tmp_path / "one")
    again = build_one(repo_project, REPO / "entries" / "paracetamol.md", tmp_path / "two")
    other = build_one(repo_project, REPO / "entries" / "ibuprofen.md", tmp_path / "one")
    assert first.read_bytes() == again.read_bytes()
    with pikepdf.open(first) as pdf, pikepdf.open(other) as different:
        assert pdf.check_pdf_syntax() == []
        permanent, changing = (bytes(part) for part in pdf.trailer.ID)
        assert len(permanent) == len(changing) == 16
        assert bytes(different.trailer.ID[0]) != permanent
    assert len(PdfReader(first, strict=True).pages) >= 1
