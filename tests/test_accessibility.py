"""Leaflets a patient can read: PDF/UA tagging, real text, type sizes, line length, contrast, large print."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from leaflets.build.builder import build_leaflets
from leaflets.source.entry import load_entry
from leaflets.render.leaflet import BuildOptions
from leaflets.source.markdown import render_markdown
from leaflets.project.project import Project
from leaflets.source.sections import normalise

from leaflets.source.language import suffix_language

from conftest import REPO, write_entry
from pdfread import missing_in_order, normalised, pages, pdftotext, structure_text, words_of

EXAMPLES = sorted(p.stem for p in (REPO / "entries").glob("*.md") if suffix_language(p) is None)
"""The English examples; their translations (paracetamol.es.md ...) are read back by tests/test_i18n.py."""
STYLES = [REPO / "styles" / "leaflet.css", REPO / "styles" / "large-print.css"]


def entry_words(path: Path) -> list[str]:
    """Every word of the entry's title and section text, in file order."""
    content = normalise(load_entry(path))
    text = [content.entry.title] + [render_markdown(s.markdown).text for s in content.sections]
    return words_of(" ".join(text))


def reachable(element: pikepdf.Object, seen: set) -> set:
    seen.add(element.objgen)
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if isinstance(kids, pikepdf.Dictionary) else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            reachable(kid, seen)
    return seen


def structure_types(pdf: pikepdf.Pdf) -> list[str]:
    found: list[str] = []

    def walk(element: pikepdf.Object) -> None:
        found.append(str(element.get("/S")))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid)

    walk(pdf.Root.StructTreeRoot.K[0])
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_ua_catalog_language_title_and_structure(branded_build: Path, name: str) -> None:
    with pikepdf.open(branded_build / f"{name}.pdf") as pdf:
        root = pdf.Root
        assert str(root.Lang) == "en"
        assert bool(root.MarkInfo.Marked) is True
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert 'pdfuaid:part="1"' in root.Metadata.read_bytes().decode()
        assert pdf.pdf_version == "1.7"
        types = structure_types(pdf)
        for needed in ("/Document", "/Art", "/H1", "/H2", "/P", "/L", "/LI", "/Figure"):
            assert needed in types, f"{needed} missing from the structure tree of {name}"
        figures = [e for e in pdf.objects if isinstance(e, pikepdf.Dictionary) and e.get("/S") == "/Figure"]
        assert all("/Alt" in figure for figure in figures)
        assert any(f"riverside/{name}.html" in str(figure.Alt) for figure in figures), "QR code has no alt text"


@pytest.mark.parametrize("name", ["metformin", "ibuprofen"])
def test_every_character_is_tagged_or_an_artifact(branded_build: Path, name: str) -> None:
    """Body and the first footer in the structure tree; repeated footers and running headers are artifacts."""
    path = branded_build / f"{name}.pdf"
    with pikepdf.open(path) as pdf:
        tree = pdf.Root.StructTreeRoot
        in_tree = reachable(tree.K[0], set())
        nums = tree.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        footer_tops = [page.footer_top for page in pages(path)]
        with pdfplumber.open(path) as plumber:
            assert len(plumber.pages) >= 2
            for index, page in enumerate(plumber.pages):
                footer_top = footer_tops[index] - 1
                for char in page.chars:
                    if char["mcid"] is None:
                        assert char["tag"] == "Artifact", f"untagged {char['text']!r} on page {index + 1}"
                    else:
                        element = parents[index][char["mcid"]]
                        assert element.objgen in in_tree, f"{char['text']!r} on page {index + 1} is not in the tree"
                footer = [c for c in page.chars if c["top"] >= footer_top]
                if index == 0:
                    assert all(c["mcid"] is not None for c in footer)
                else:
                    assert all(c["tag"] == "Artifact" for c in footer)


@pytest.mark.parametrize("name", EXAMPLES)
def test_screen_reader_order_has_every_word_and_the_footer_once(branded_build: Path, name: str) -> None:
    runs = structure_text(branded_build / f"{name}.pdf")
    text = " ".join(t for _, t in runs)
    assert not missing_in_order(entry_words(REPO / "entries" / f"{name}.md"), words_of(text))
    assert text.count("Disclaimer:") == 1
    assert text.index("Disclaimer:") > text.index(load_entry(REPO / "entries" / f"{name}.md").title)
    assert ("/H1", "Metformin") in runs if name == "metformin" else True


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdftotext_finds_every_word_in_reading_order(branded_build: Path, name: str) -> None:
    text = pdftotext(branded_build / f"{name}.pdf")
    assert not missing_in_order(entry_words(REPO / "entries" / f"{name}.md"), words_of(text))
    assert not re.search("[\ufb00-\ufb06]", text), "a ligature glyph replaced letters"


def test_ligatures_and_hyphenation_do_not_break_search(tmp_path: Path, repo_project: Project) -> None:
    words = "office fluid affinity efficient offline flask" + " hydrochlorothiazide" * 12
    entry = write_entry(tmp_path, "search.md", f"# Search\n### Usage\n{words} {words}\n")
    report = build_leaflets([entry], tmp_path / "out", repo_project, BuildOptions())
    text = pdftotext(report.results[0].output)
    for word in ("office", "fluid", "affinity", "efficient", "offline", "flask"):
        assert text.count(word) == 2, word
    assert text.count("hydrochlorothiazide") == 24, "a word was hyphenated or split across lines"


def test_bookmarks_are_title_and_sections(branded_build: Path) -> None:
    with pikepdf.open(branded_build / "metformin.pdf") as pdf:
        with pdf.open_outline() as outline:
            top = outline.root
            assert [item.title for item in top] == ["Metformin"]
            labels = [item.title for item in top[0].children]
    assert labels[:4] == ["Generic name", "Usage", "Dosage", "Side effects"]
    assert "Frequently asked questions" in labels


def _grey(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("stylesheet", STYLES, ids=lambda p: p.name)
def test_stylesheet_colours_are_greys_with_aaa_contrast(stylesheet: Path) -> None:
    css = stylesheet.read_text()
    colours = [_grey(c) for c in re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", css)]
    assert not re.search(r"\b(rgb|hsl)a?\(|\b(red|green|blue|orange|yellow)\b", css), "named or functional colours"
    for rgb in colours:
        assert rgb[0] == rgb[1] == rgb[2], f"{rgb} is not a grey: meaning must not depend on colour"
    text_colours = [_grey(c) for c in re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", css)]
    backgrounds = [_grey(c) for c in re.findall(r"background:\s*(#[0-9a-fA-F]{3,6})", css)] + [(255, 255, 255)]
    for text in text_colours:
        for background in backgrounds:
            ratio = contrast(tuple(c / 255 for c in text), tuple(c / 255 for c in background))
            assert ratio >= 7, f"text {text} on {background}: {ratio:.1f}:1"


@pytest.mark.parametrize("name", EXAMPLES)
def test_printed_text_colours_meet_aaa(branded_build: Path, name: str) -> None:
    with pdfplumber.open(branded_build / f"{name}.pdf") as pdf:
        colours = {tuple(c["non_stroking_color"] or (0,)) for page in pdf.pages for c in page.chars}
    for colour in colours:
        rgb = colour * 3 if len(colour) == 1 else colour
        assert len(set(rgb)) == 1 and contrast(rgb, (1, 1, 1)) >= 7, colour


def body_chars(path: Path) -> list[dict]:
    """Characters between the running header and the footer of every page."""
    chars = []
    for page in pages(path):
        with pdfplumber.open(path) as pdf:
            plumber = pdf.pages[page.number - 1]
            chars.extend(c for c in plumber.chars if c["top"] < page.footer_top - 1 and c["tag"] != "Artifact" and c["text"].strip())
    return chars


def line_lengths(path: Path, size: float) -> list[int]:
    """Characters (spaces included) in the full-width lines of body text set at ``size``."""
    lines = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for line in page.extract_text_lines():
                glyphs = [c for c in line["chars"] if c["text"].strip()]
                if glyphs and all(abs(c["size"] - size) < 0.3 and "Bold" not in c["fontname"] for c in glyphs):
                    lines.append((len(line["text"]), line["x1"] - line["x0"]))
    widest = max(width for _, width in lines)
    return [count for count, width in lines if width > 0.85 * widest]


@pytest.mark.parametrize("name", EXAMPLES)
def test_body_type_size_and_line_length(branded_build: Path, name: str) -> None:
    path = branded_build / f"{name}.pdf"
    sizes = [round(c["size"], 1) for c in body_chars(path)]
    assert min(sizes) >= 10, f"body text at {min(sizes)} pt"
    body_size = statistics.mode(sizes)
    assert body_size == 12
    with pdfplumber.open(path) as pdf:
        assert min(c["size"] for page in pdf.pages for c in page.chars) >= 8.99, "footer or header under 9 pt"
    full = line_lengths(path, body_size)
    assert len(full) >= 10
    assert 60 <= statistics.median(full) <= 70, f"median {statistics.median(full)} characters per line"


@pytest.mark.parametrize("paper", ["letter", "a5"])
def test_line_length_on_other_papers(tmp_path: Path, repo_project: Project, paper: str) -> None:
    report = build_leaflets([REPO / "entries" / "ibuprofen.md"], tmp_path, repo_project, BuildOptions(paper=paper))
    median = statistics.median(line_lengths(report.results[0].output, 12))
    low, high = (60, 70) if paper == "letter" else (50, 60)
    assert low <= median <= high, f"median {median} characters per line on {paper}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_large_print_edition(branded_build: Path, name: str) -> None:
    """Side by side with the standard file; 16 pt or more, one left-aligned column, footer clear of the text."""
    standard, large = branded_build / f"{name}.pdf", branded_build / f"{name}-large.pdf"
    assert standard.is_file() and large.is_file()
    chars = body_chars(large)
    sizes = [round(c["size"], 1) for c in chars]
    assert min(sizes) >= 16, f"large print has text at {min(sizes)} pt"
    assert statistics.mode(sizes) == 18
    read = pages(large)
    assert len(read) > len(pages(standard))
    for page in read:
        body = [w for w in page.words if w["top"] < page.footer_top - 1]
        assert max(w["bottom"] for w in body) < page.footer_top - 5
        assert f"Page {page.number} of {len(read)}" in normalised(page.text)
        assert "Disclaimer:" in page.text
    lines = _lines(c for c in chars if abs(c["size"] - 18) < 0.3)
    left = min(start for start, _ in lines)
    at_left_edge = [start for start, _ in lines if start < left + 12 * 72 / 25.4]
    assert len(at_left_edge) >= 0.8 * len(lines), "body lines do not start at one left edge: more than one column?"
    right_edges = [end for _, end in lines]
    assert max(right_edges) - statistics.median(right_edges) > 20, "lines end flush right: justified, not left aligned"


def _lines(chars) -> list[tuple[float, float]]:
    """(first x, last x) of each line of ``chars``."""
    extent: dict[tuple[int, int], tuple[float, float]] = {}
    for char in chars:
        key = (char["page_number"], round(char["top"]))
        start, end = extent.get(key, (char["x0"], char["x1"]))
        extent[key] = (min(start, char["x0"]), max(end, char["x1"]))
    return list(extent.values())


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("paper", ["a4", "a5"])
def test_corpus_sample_in_large_print(corpus: Path, tmp_path: Path, repo_project: Project, paper: str) -> None:
    """Long corpus disclaimers still fit the large-print footer, on A5 too."""
    sample = sorted(corpus.glob("*/*.md"))[::800]
    report = build_leaflets(sample, tmp_path, repo_project, BuildOptions(paper=paper, large_print=True))
    assert not [r.error for r in report.results if r.error]
    for result in report.results:
        assert result.output.name.endswith("-large.pdf")
        assert min(round(c["size"], 1) for c in body_chars(result.output)) >= 16
