"""The bottom margin fits the footer exactly, whether its height was known, predicted or measured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leaflets.source.entry import load_entry
from leaflets.errors import EntryError
from leaflets.layout.footer import FooterSizer, footer_shape, laid_out_height
from leaflets.render.leaflet import BuildOptions, LeafletRenderer
from leaflets.layout.linecount import StyledText
from leaflets.project.project import Project

from leaflets.source.entry import effective_lang

from conftest import REPO, write_entry
from pdfread import pages

WORDS = ("Always ask a pharmacist or doctor before starting, stopping or changing any medicine; "
         "this sheet is a summary, and the maker's leaflet inside the pack has the full details.").split()


def entry_with_disclaimer(folder: Path, name: str, disclaimer: str) -> Path:
    body = "\n\n".join(f"Paragraph {i} of the usage text, long enough to wrap onto a second line." for i in range(25))
    return write_entry(folder, f"{name}.md", f"# {name.title()}\n### Usage\n{body}\n\n**Disclaimer:** {disclaimer}\n")


def disclaimers(count: int) -> list[str]:
    """Disclaimers from a few words to several lines, some with bold and italic words."""
    texts = []
    for index in range(count):
        words = [WORDS[(index + k) % len(WORDS)] for k in range(6 + 9 * index)]
        if index % 3 == 1:
            words[2] = f"**{words[2]}**"
        if index % 4 == 2:
            words[-3] = f"*{words[-3]}*"
        texts.append(" ".join(words) + ".")
    return texts


def margin_of(html: str) -> float:
    return float(re.search(r"margin-bottom: ([\d.]+)px", html).group(1))


def lay_out(renderer: LeafletRenderer, path: Path):
    content, context, removed = renderer.prepare(load_entry(path))
    return renderer.lay_out(content, context, removed)


def test_shape_reads_paragraphs_runs_and_collapsed_whitespace() -> None:
    shape = footer_shape(
        '<p>outside</p><footer class="page-footer" role="contentinfo">\n'
        '  <div class="disclaimer"><p>Ask  a <strong>pharmacist</strong>\n first &amp; <em>always</em>.</p></div>\n'
        '  <div class="note"></div>\n'
        '  <p class="dates"> <span class="printed">Printed <time>1 May</time>.</span></p>\n'
        '</footer>'
    )
    assert shape is not None
    assert shape.signature == ("lang=", "footer.page-footer", "div.disclaimer(", "p.", ")", "div.note(", ")", "p.dates")
    disclaimer, dates = shape.paragraphs
    assert disclaimer == StyledText("Ask a pharmacist first & always.", ((6, 16, True, False), (25, 31, False, True)))
    assert dates.text == "Printed 1 May."


def test_shape_depends_on_the_document_language() -> None:
    """A footer in another language is set in other fonts: it is never predicted from this one."""
    footer = '<footer class="page-footer"><div class="disclaimer"><p>Texto.</p></div></footer>'
    spanish = footer_shape(f'<html lang="es" dir="ltr"><body>{footer}</body></html>')
    arabic = footer_shape(f'<html lang="ar" dir="rtl"><body>{footer}</body></html>')
    assert spanish is not None and arabic is not None and spanish.signature != arabic.signature


@pytest.mark.parametrize("inner", ["<ul><li>a list</li></ul>", "<p>line<br>break</p>", "<p>K<sup>+</sup></p>", "loose text"])
def test_shape_refuses_what_line_counts_cannot_predict(inner: str) -> None:
    assert footer_shape(f'<footer class="page-footer"><div class="disclaimer">{inner}</div></footer>') is None


def test_predictions_match_the_laid_out_footer(tmp_path: Path, repo_project: Project) -> None:
    """Footers of one to several lines, with bold and italic words, predicted without laying them out alone."""
    renderer = LeafletRenderer(repo_project, BuildOptions())
    heights = set()
    for index, text in enumerate(disclaimers(9)):
        laid_out = lay_out(renderer, entry_with_disclaimer(tmp_path, f"entry-{index}", text))
        footer = laid_out_height(laid_out.document)
        heights.add(round(footer, 1))
        assert margin_of(laid_out.html) == pytest.approx(footer + 19 + 38, abs=0.01)
    stats = renderer.footers.stats
    assert stats.measured == 1, "only the first footer should need laying out alone"
    assert stats.predicted == 8 and stats.relaid == 0
    assert len(heights) >= 4, "the disclaimers should span several footer heights"


def test_wrong_prediction_is_laid_out_again_to_the_same_result(tmp_path: Path, repo_project: Project, monkeypatch) -> None:
    entries = [entry_with_disclaimer(tmp_path, f"entry-{i}", text) for i, text in enumerate(disclaimers(3))]
    measured = LeafletRenderer(repo_project, BuildOptions())
    monkeypatch.setattr(FooterSizer, "predict", lambda self, shape: None)
    expected = [lay_out(measured, path).html for path in entries]
    assert measured.footers.stats.measured == 3

    wrong = LeafletRenderer(repo_project, BuildOptions())
    monkeypatch.setattr(FooterSizer, "predict", lambda self, shape: 30.0)
    got = [lay_out(wrong, path) for path in entries]
    assert [laid_out.html for laid_out in got] == expected
    assert wrong.footers.stats.relaid == 3
    for laid_out in got:
        assert margin_of(laid_out.html) == pytest.approx(laid_out_height(laid_out.document) + 19 + 38, abs=0.01)


def test_wrong_prediction_leaves_the_body_clear_of_the_footer(tmp_path: Path, repo_project: Project, monkeypatch) -> None:
    monkeypatch.setattr(FooterSizer, "predict", lambda self, shape: 5.0)
    renderer = LeafletRenderer(repo_project, BuildOptions())
    path = entry_with_disclaimer(tmp_path, "clear", disclaimers(6)[-1])
    out = tmp_path / "clear.pdf"
    out.write_bytes(renderer.render_file(path).data)
    for page in pages(out):
        body = [w for w in page.words if w["top"] < page.footer_top - 1]
        assert max(w["bottom"] for w in body) < page.footer_top - 5


def test_footer_too_long_is_refused_after_a_prediction(tmp_path: Path, repo_project: Project) -> None:
    renderer = LeafletRenderer(repo_project, BuildOptions(paper="a5"))
    lay_out(renderer, entry_with_disclaimer(tmp_path, "short", "Ask a pharmacist."))
    huge = entry_with_disclaimer(tmp_path, "huge", " ".join(WORDS * 40))
    with pytest.raises(EntryError) as caught:
        lay_out(renderer, huge)
    assert caught.value.code == "footer-too-long"
    assert str(huge) in str(caught.value)


def test_examples_need_one_footer_laid_out_alone(repo_project: Project) -> None:
    """The examples' footers differ in their review dates; all but the first in each language are predicted, and rightly.

    A footer in another language is set in other fonts, so it is measured once per language.
    """
    renderer = LeafletRenderer(repo_project, BuildOptions())
    paths = sorted((REPO / "entries").glob("*.md"))
    for path in paths:
        lay_out(renderer, path)
    stats = renderer.footers.stats
    languages = {effective_lang(load_entry(path), repo_project.config.lang) for path in paths}
    assert stats.measured == len(languages) and stats.relaid == 0


def test_line_counting_failure_falls_back_to_measuring(tmp_path: Path, repo_project: Project, monkeypatch) -> None:
    """If Pango below WeasyPrint's API changes, footers are measured by layout and leaflets still build."""
    from leaflets.layout.linecount import LineCounter

    def broken(self, paragraph, width):
        raise AttributeError("pango_layout_get_line_readonly")

    monkeypatch.setattr(LineCounter, "count", broken)
    renderer = LeafletRenderer(repo_project, BuildOptions())
    for index, text in enumerate(disclaimers(3)):
        laid_out = lay_out(renderer, entry_with_disclaimer(tmp_path, f"entry-{index}", text))
        assert margin_of(laid_out.html) == pytest.approx(laid_out_height(laid_out.document) + 19 + 38, abs=0.01)
    assert renderer.footers.stats.measured == 3 and renderer.footers.stats.relaid == 0
