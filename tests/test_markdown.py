"""Markdown rendering and the raw-HTML allowlist."""

from __future__ import annotations

from pathlib import Path
import re

from leaflets.source.markdown import render_markdown


def test_inline_allowlist_kept_without_attributes() -> None:
    html = str(render_markdown('H<sub class="x">2</sub>O, 10<sup onclick="y">6</sup>, <i>in vitro</i>, a<br>b').html)
    assert "H<sub>2</sub>O" in html
    assert "10<sup>6</sup>" in html
    assert "<i>in vitro</i>" in html
    assert "<br>" in html
    assert "onclick" not in html and "class" not in html


def test_other_html_dropped_and_recorded_with_line() -> None:
    rendered = render_markdown(
        "Line one\n\n<script>alert(1)</script> text <span style=\"color:red\">red</span>\n\n<div>block <b>b</b></div>\n\n<img src=x onerror=y>\n",
        first_line=10,
    )
    html = str(rendered.html)
    assert "<script" not in html and "<span" not in html and "<div" not in html and "<img" not in html
    assert "<b>b</b>" in html and "red" in html
    assert {(r.tag, r.line) for r in rendered.removed} == {("script", 12), ("span", 12), ("div", 14), ("img", 16)}


def test_template_syntax_is_text() -> None:
    assert "{{ 7*7 }}" in str(render_markdown("Dose {{ 7*7 }} {% if x %}").html)


def test_tables_render() -> None:
    html = str(render_markdown("| Form | Dose |\n|---|---|\n| Tablet | 5 mg |\n").html)
    assert "<table>" in html and "<td>Tablet</td>" in html


def test_nested_headings_sit_below_the_section_heading() -> None:
    html = str(render_markdown("#### Children\ntext", heading_level=3).html)
    assert "<h3>Children</h3>" in html


def test_javascript_links_are_not_links() -> None:
    html = str(render_markdown("[x](javascript:alert(1)) [y](https://example.org)").html)
    assert "javascript:" not in html.split("[x]")[0]
    assert 'href="https://example.org"' in html


def test_bold_only_paragraph_is_a_lead_in() -> None:
    assert '<p class="lead-in"><strong>Common:</strong></p>' in str(render_markdown("**Common:**\n\n* a").html)


def test_links_to_a_section_by_its_name_in_any_language() -> None:
    """``#name`` links reach the section by id, key or heading, without accents or case; others are reported."""
    from leaflets.source.entry import parse_entry
    from leaflets.source.sections import normalise, section_anchors

    text = (
        "---\ntitle: Ejemplol\nlang: es\n---\n### Uso\nVea la [dosis](#Dosificación), [la posología](#dosage), "
        "[antes](#section-3-precautions), [x](#nada) y [ref][r].\n\n[r]: #PRECAUCIONES\n\n"
        "### Dosificación\nUna al día.\n\n### Precauciones\nSin alcohol.\n\n### الجرعة\nنص.\n"
    )
    content = normalise(parse_entry(text, Path("x.es.md")))
    anchors = section_anchors([(section, None) for section in content.sections])
    usage = content.sections[0]
    rendered = render_markdown(usage.markdown, usage.line, usage.heading_level, anchors=anchors)
    html = str(rendered.html)
    assert html.count('href="#section-2-dosage"') == 2
    assert html.count('href="#section-3-precautions"') == 2
    assert [(d.line, d.broken_link) for d in rendered.dropped] == [(6, True)] and "#nada" in rendered.dropped[0].message
    assert anchors["الجرعة"].startswith("section-4-")


def test_unspaced_scripts_are_not_long_words() -> None:
    """Chinese, Japanese and Thai break between characters or by dictionary: a long paragraph is no long word."""
    import unicodedata

    chinese = "对乙酰氨基酚用于缓解轻度至中度疼痛，如头痛、牙痛和痛经，也用于退烧。请按照说明书用药，或者咨询药剂师和医生。" * 2
    japanese = "この薬は関節のいたみやずつうをやわらげます。用法・用量を守って正しくお使いください。気になることがあれば薬剤師に相談してください。"
    thai = "ยานี้ใช้บรรเทาอาการปวดศีรษะปวดข้อและลดไข้ควรรับประทานหลังอาหารทันทีและดื่มน้ำตามมากๆ"
    for text in (chinese, japanese, thai, f"**{thai[:40]}**{thai[40:]}", f"{thai} {'a' * 20}"):
        rendered = render_markdown(text)
        assert rendered.dropped == (), text
        assert "\u200b" not in str(rendered.html), text
        assert unicodedata.normalize("NFC", rendered.text) == unicodedata.normalize("NFC", text.replace("**", ""))
    # A long Latin word is still broken, but never between a letter and its accent or vowel sign.
    for word in (unicodedata.normalize("NFD", "é" * 40), "कृष्ण" * 15, "a" * 29 + "\u0301" * 3 + "b" * 40):
        rendered = render_markdown(word)
        assert "longer than a line" in rendered.dropped[0].message
        pieces = str(rendered.html)[3:-5].split("\u200b")
        assert len(pieces) > 1 and "".join(pieces) == word
        assert all(unicodedata.category(piece[0])[0] != "M" and piece[-1] != "\u094d" for piece in pieces), pieces


def test_compounds_are_held_together_by_a_span_not_cutting_marks() -> None:
    import unicodedata

    html = str(render_markdown("Take 1-2 tablets of β-lactamase <b>x</b>").html)
    assert '<span class="nowrap">1-2</span>' in html and '<span class="nowrap">β-lactamase</span>' in html
    decomposed = unicodedata.normalize("NFD", "Café-au-lait spots; नमक-मिर्च; e\u0301-x")
    html = str(render_markdown(decomposed).html)
    assert '<span class="nowrap">au-lait</span>' in html
    # A span never ends before, or starts with, a mark that belongs to a letter outside it.
    assert all(unicodedata.category(mark)[0] != "M" for mark in re.findall(r"</span>(.)", html)), html
    assert all(unicodedata.category(mark)[0] != "M" for mark in re.findall(r'<span class="nowrap">(.)', html)), html
    assert decomposed in html.replace('<span class="nowrap">', "").replace("</span>", "")


def test_anchor_names_fold_accents_but_keep_vowel_signs_and_tone_marks() -> None:
    from leaflets.source.markdown import anchor_key

    assert anchor_key("Dosificación") == anchor_key("#dosificacion".lstrip("#")) == anchor_key("Dosifica\u0301cion")
    assert anchor_key("Side_Effects") == anchor_key("side effects") == "side-effects"
    assert anchor_key("काम") != anchor_key("किम") and anchor_key("ข้าว") != anchor_key("ขาว")
