"""Leaflets in the patient's language, read back from real PDFs.

The paracetamol leaflet exists in six languages in entries/; these tests build
them (branded, so the masthead and QR caption print too) and check what a
patient gets: every glyph present and embedded, the document language, no
English fixed text left in another language, the footer on every page,
Arabic set right to left, Chinese kept inside the margins, Spanish booklets in
Spanish order, and catalogs that translate every message the templates use.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from click.testing import CliRunner

from leaflets.booklet.collation import collation_key, fallback_key, initial_letter
from leaflets.booklet.make import BookletOptions, build_booklet
from leaflets.build.builder import build_leaflets
from leaflets.check.checker import check_entries
from leaflets.check.classify import not_a_leaflet
from leaflets.cli.main import main
from leaflets.project.catalogs import BUILTIN_LOCALE_DIR, compile_builtin, gettext_for
from leaflets.project.config import DEFAULT_DISCLAIMER
from leaflets.project.dates import long_date
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project
from leaflets.project.templating import css_counters
from leaflets.source.entry import effective_lang, load_entry
from leaflets.source.language import SHIPPED_LANGUAGES, base_stem, suffix_language
from leaflets.source.sections import normalise

from conftest import BRANDED, PINNED_EPOCH, REPO, write_entry
from pdfread import language_elements, pdftotext, tagged_runs, text_by_language

LANGUAGES = ["es", "fr", "ar", "hi", "zh-Hans"]
ALL = ["en", *LANGUAGES]
MM = 72 / 25.4
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def stem(lang: str) -> str:
    return "paracetamol" if lang == "en" else f"paracetamol.{lang}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six paracetamol leaflets, built with the branded project's settings."""
    out = tmp_path_factory.mktemp("languages")
    paths = [REPO / "entries" / f"{stem(lang)}.md" for lang in ALL]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
        report = build_leaflets(paths, out, Project.load(BRANDED), BuildOptions(), jobs=2)
    assert report.ok, [r.error for r in report.results if r.error]
    return out


def page_texts(path: Path) -> list[str]:
    """Text of each page in logical order (pdftotext), bidi control marks removed."""
    return [BIDI_CONTROLS.sub("", page) for page in pdftotext(path).split("\f") if page.strip()]


def shown_glyph_ids(path: Path) -> list[tuple[str, int]]:
    """(font name, glyph id) of every glyph drawn with a two-byte (Identity-H) font."""
    shown = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            fonts = page.Resources.get("/Font", {})
            font = None
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("Tf"):
                    font = fonts.get(operands[0])
                elif operator in (pikepdf.Operator("Tj"), pikepdf.Operator("TJ")) and font is not None:
                    items = operands[0] if operator == pikepdf.Operator("TJ") else [operands[0]]
                    name = str(font.get("/BaseFont"))
                    for item in items:
                        if isinstance(item, pikepdf.String):
                            data = bytes(item)
                            shown.extend((name, int.from_bytes(data[i : i + 2], "big")) for i in range(0, len(data), 2))
    return shown


# -- fonts, glyphs, document language --------------------------------------------------------


@pytest.mark.parametrize("lang", ALL)
def test_every_font_is_embedded_and_no_glyph_is_missing(built: Path, lang: str) -> None:
    path = built / f"{stem(lang)}.pdf"
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    for row in rows:
        assert " yes yes yes " in row, f"{lang}: font not embedded as a subset with ToUnicode: {row}"
    glyphs = shown_glyph_ids(path)
    assert glyphs, f"{lang}: no text found"
    notdef = [name for name, gid in glyphs if gid == 0]
    assert not notdef, f"{lang}: {len(notdef)} .notdef glyphs (missing characters) in {set(notdef)}"


@pytest.mark.parametrize(("lang", "family"), [
    ("ar", "Noto-Naskh-Arabic"), ("hi", "Noto-Sans-Devanagari"), ("zh-Hans", "Noto-Sans-CJK-SC"), ("es", "DejaVu-Sans"),
])
def test_each_script_is_set_in_its_font(built: Path, lang: str, family: str) -> None:
    listing = subprocess.run(["pdffonts", str(built / f"{stem(lang)}.pdf")], capture_output=True, text=True).stdout
    assert family in listing


@pytest.mark.parametrize("lang", ALL)
def test_document_language_is_the_entry_language(built: Path, lang: str) -> None:
    with pikepdf.open(built / f"{stem(lang)}.pdf") as pdf:
        assert str(pdf.Root.Lang) == lang


def test_html_carries_lang_and_direction(tmp_path: Path) -> None:
    paths = [REPO / "entries" / "paracetamol.ar.md", REPO / "entries" / "paracetamol.zh-Hans.md"]
    report = build_leaflets(paths, tmp_path, Project.load(REPO), BuildOptions(format="html"), jobs=1)
    assert report.ok
    arabic = (tmp_path / "paracetamol.ar.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl"' in arabic
    assert "\u2068500 mg" not in arabic  # doses are written in Arabic in this entry ...
    assert "\u2068Paracetamol\u2069" in arabic  # ... and its Latin name is isolated
    chinese = (tmp_path / "paracetamol.zh-Hans.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans" dir="ltr"' in chinese
    assert '"第 " counter(page) " 页，共 " counter(pages) " 页"' in chinese


# -- fixed texts --------------------------------------------------------------------------------


def english_fragments(lang: str) -> set[str]:
    """Pieces of the English fixed texts that must not appear in a leaflet in ``lang``."""
    translate = gettext_for(None, lang)
    pieces = set()
    for msgid in catalog_messages():
        translated = translate(msgid)
        for piece in re.split(r"%\(\w+\)s", msgid):
            piece = piece.strip(" :.()")
            if len(piece) >= 4 and piece not in translated:
                pieces.add(piece)
    return pieces


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_english_fixed_text_in_another_language(built: Path, lang: str) -> None:
    text = " ".join(" ".join(page_texts(built / f"{stem(lang)}.pdf")).split())
    fragments = english_fragments(lang)
    assert {"Disclaimer", "Last reviewed", "Printed", "Side effects", "Read this leaflet online"} <= fragments
    found = sorted(fragment for fragment in fragments if fragment in text)
    assert not found, f"{lang}: English fixed text in the leaflet: {found}"


def page_word(lang: str) -> str:
    """A word of the translated "Page N of M" that text extraction reads back whatever the script."""
    message = gettext_for(None, lang)("Page %(page)s of %(pages)s")
    return max(re.split(r"%\(\w+\)s|[\s，]", message), key=len)


@pytest.mark.parametrize("lang", ALL)
def test_footer_on_every_page_in_every_language(built: Path, lang: str) -> None:
    translate = gettext_for(None, lang)
    label = translate("Disclaimer:").rstrip(":： \u00a0")
    pages = page_texts(built / f"{stem(lang)}.pdf")
    assert len(pages) >= 2, "the examples are long enough for a second page"
    for number, text in enumerate(pages, start=1):
        squeezed = "".join(text.split())
        assert "".join(label.split()) in squeezed, f"{lang} page {number}: no '{label}'"
        last = [line for line in text.splitlines() if line.strip()][-1]
        assert page_word(lang) in last and str(number) in last and str(len(pages)) in last, f"{lang} page {number}: {last!r}"
        if lang != "hi":  # pdftotext reads some Devanagari vowel signs in another order
            expected = translate("Page %(page)s of %(pages)s") % {"page": number, "pages": len(pages)}
            assert "".join(expected.split()) in squeezed, f"{lang} page {number}"


def test_dates_in_the_language_long_form() -> None:
    day = date(2026, 2, 10)
    assert long_date(day, "en") == "10 February 2026"
    assert long_date(day, "es") == "10 de febrero de 2026"
    assert long_date(day, "fr") == "10 février 2026"
    assert long_date(day, "zh-Hans") == "2026年2月10日"
    assert "2026" in long_date(day, "ar") and "فبراير" in long_date(day, "ar")
    assert long_date(day, "xx-unknown") == "10 February 2026"


def test_page_counters_follow_the_translation_word_order() -> None:
    assert css_counters("Página %(page)s de %(pages)s") == '"Página " counter(page) " de " counter(pages)'
    assert css_counters("%(pages)s में से पृष्ठ %(page)s") == 'counter(pages) " में से पृष्ठ " counter(page)'
    assert css_counters('Say "%(page)s"') == '"Say \\22 " counter(page) "\\22 "'


def test_footer_dates_are_in_the_language(built: Path) -> None:
    assert "Última revisión: 1 de junio de 2026." in " ".join(page_texts(built / "paracetamol.es.pdf")[0].split())
    assert "最近审核：2026年6月1日。" in "".join(page_texts(built / "paracetamol.zh-Hans.pdf")[0].split())


# -- scripts and layout -----------------------------------------------------------------------


def test_arabic_reads_right_to_left(built: Path) -> None:
    """Short lines (title and section headings) end at the right margin; the footer and running header are mirrored."""
    with pdfplumber.open(built / "paracetamol.ar.pdf") as pdf:
        page = pdf.pages[0]
        right_margin = page.width - 29 * MM
        words = page.extract_words(extra_attrs=["size"])
        headings = [w for w in words if w["size"] >= 14]
        lines: dict[int, list[dict]] = {}
        for word in headings:
            lines.setdefault(round(word["top"]), []).append(word)
        assert len(lines) >= 4
        for top, line in lines.items():
            right = max(w["x1"] for w in line)
            left = min(w["x0"] for w in line)
            assert abs(right - right_margin) < 3, f"heading line at {top} ends at {right:.1f}, margin {right_margin:.1f}"
            assert left > page.width / 2, f"heading line at {top} starts at {left:.1f}: not a short right-aligned line"
        bottom = max(w["top"] for w in words)
        last_line = [w for w in words if abs(w["top"] - bottom) < 3]
        numbers = [w for w in last_line if re.fullmatch(r"\d+", w["text"])]
        assert numbers and max(w["x1"] for w in numbers) < page.width / 2, "page number not on the left"
        organisation = [w for w in last_line if w["text"] == "Pharmacy"]
        assert organisation and organisation[0]["x0"] > page.width / 2, "organisation not on the right"
        header = pdf.pages[1].extract_words()
        running_organisation = [w for w in header if w["text"] == "Riverside" and w["top"] < 18 * MM]
        assert running_organisation and running_organisation[0]["x0"] > page.width / 2, "running header not mirrored"
        title = [w for w in header if w["top"] < 18 * MM and w["text"] != "Riverside" and w["text"] != "Pharmacy"]
        assert title and max(w["x1"] for w in title) < page.width / 2, "running title not on the left"


ARABIC_LETTER = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufefc]")


def test_arabic_runs_carry_their_text_in_logical_order(built: Path) -> None:
    """Glyphs are drawn in visual order, so pdfplumber reads the page backwards; every tagged run with
    Arabic letters has /ActualText with the text as written, brackets the right way round."""
    entry = load_entry(REPO / "entries" / "paracetamol.ar.md")
    runs = tagged_runs(built / "paracetamol.ar.pdf")
    arabic = [(glyphs, actual) for glyphs, actual in runs if ARABIC_LETTER.search(glyphs)]
    assert len(arabic) > 20 and all(actual is not None for _glyphs, actual in arabic)
    actual_texts = [actual for _glyphs, actual in arabic if actual is not None]
    assert (entry.title[::-1], entry.title) in arabic  # the title as pdfplumber reads it, and as written
    assert gettext_for(None, "ar")("Dosage") in actual_texts
    joined = " ".join(actual_texts)
    assert "باراسيتامول (Paracetamol)، ويُسمّى" in joined and not BIDI_CONTROLS.search(joined)
    body = " ".join(entry.body.split())
    start = actual_texts.index(entry.title)
    for actual in actual_texts[start + 2 : start + 8]:  # body text: the source's words, in the source's order
        words = re.findall(r"[\u0600-\u06ff]+", actual)
        assert words and " ".join(words) in " ".join(re.findall(r"[\u0600-\u06ff]+", body)), actual
    assert not [actual for _glyphs, actual in tagged_runs(built / "paracetamol.es.pdf") if actual is not None]


def test_bilingual_with_arabic_keeps_english_brackets_in_actual_text(bilingual: Path) -> None:
    """The glyph of ")" drawn mirrored for "(" in the Arabic text maps to "(" in the whole file; the English
    part's runs with brackets carry /ActualText as written."""
    runs = tagged_runs(bilingual / "paracetamol.ar+en.pdf")
    english = [(glyphs, actual) for glyphs, actual in runs if "also called acetaminophen" in glyphs]
    assert english and all(actual is not None and "(also called acetaminophen in some countries)" in actual
                           for _glyphs, actual in english)
    assert all(actual is None for glyphs, actual in runs if glyphs == "Usage")  # nothing to correct: left alone


def chinese_entry(folder: Path) -> Path:
    sentence = "请在医生或药剂师的指导下服用本药，每次服用后至少间隔四小时，如出现皮疹、呼吸困难或面部肿胀，请立即停药并就医。"
    body = "\n\n".join([
        "### 用途\n" + sentence * 6,
        "### 用法用量\n" + "成人每次服用500毫克至1克（Paracetamol-500片剂一至两片），" + sentence * 4,
        "### 注意事项\n" + "* " + sentence * 2 + "\n* " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 4 + sentence,
        "### 副作用\n" + sentence * 5,
    ])
    return write_entry(folder, "long.zh-Hans.md", f"---\ntitle: 长句测试药\n---\n\n# 长句测试药\n\n{body}\n")


def test_no_chinese_line_runs_past_the_margin(tmp_path: Path) -> None:
    entry = chinese_entry(tmp_path / "entries")
    report = build_leaflets([entry], tmp_path / "out", Project.load(REPO), BuildOptions(), jobs=1)
    assert report.ok, [r.error for r in report.results]
    with pdfplumber.open(tmp_path / "out" / "long.zh-Hans.pdf") as pdf:
        assert len(pdf.pages) >= 2
        for page in pdf.pages:
            left, right = 29 * MM, page.width - 29 * MM
            chars = [c for c in page.chars if c["text"].strip()]
            assert chars
            past = [c["text"] for c in chars if c["x1"] > right + 0.5 or c["x0"] < left - 0.5]
            assert not past, f"page {page.page_number}: {len(past)} characters outside the margins: {''.join(past[:20])}"
            body_lines = {round(c["top"]) for c in chars if "\u4e00" <= c["text"] <= "\u9fff"}
            assert len(body_lines) > 5


def to_unicode(path: Path, family: str) -> dict[int, str]:
    """Glyph id -> text, from the ToUnicode maps of the fonts whose name contains ``family``."""
    found: dict[int, str] = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                if family not in str(font.get("/BaseFont")) or "/ToUnicode" not in font:
                    continue
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                    for gid, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                        found[int(gid, 16)] = bytes.fromhex(text).decode("utf-16-be")
                for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                    for start, end, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                        first = int.from_bytes(bytes.fromhex(text), "big")
                        for offset, gid in enumerate(range(int(start, 16), int(end, 16) + 1)):
                            found[gid] = chr(first + offset)
    return found


def test_hindi_conjuncts_are_shaped(built: Path) -> None:
    """Conjuncts join their consonants: the virama (्) is rarely drawn as a glyph of its own.

    Unshaped Devanagari draws one visible virama per virama in the text
    ("स्वास्थ्य" as स ् व ा ...); HarfBuzz shaping turns most of them into half
    forms and ligatures, which read back as the whole cluster.
    """
    path = built / "paracetamol.hi.pdf"
    text = pdftotext(path)
    assert "स्वास्थ्य" in text  # a conjunct-heavy word reads back whole
    names = to_unicode(path, "Devanagari")
    glyphs = [gid for name, gid in shown_glyph_ids(path) if "Devanagari" in name]
    assert glyphs and 0 not in glyphs
    viramas_in_text = text.count("\u094d")
    lone_viramas = sum(1 for gid in glyphs if names.get(gid) == "\u094d")
    assert viramas_in_text > 50
    assert lone_viramas < 0.25 * viramas_in_text, (lone_viramas, viramas_in_text)


# -- entries in other languages -----------------------------------------------------------------


def test_language_from_file_name_and_front_matter(tmp_path: Path) -> None:
    spanish = write_entry(tmp_path, "warfarina.es.md", "# Warfarina\n\n### Uso\nTexto.\n")
    refined = write_entry(tmp_path, "x.zh.md", "---\nlang: zh-Hans\n---\n# 药\n\n### 用途\n文本。\n")
    plain = write_entry(tmp_path, "aspirin.md", "# Aspirin\n\n### Usage\nText.\n")
    dotted = write_entry(tmp_path, "vitamin.b12.md", "# B12\n\n### Usage\nText.\n")
    assert effective_lang(load_entry(spanish), "en") == "es"
    assert effective_lang(load_entry(refined), "en") == "zh-Hans"
    assert effective_lang(load_entry(plain), "fr") == "fr"
    assert effective_lang(load_entry(dotted), "en") == "en" and suffix_language(dotted) is None
    assert base_stem(spanish) == "warfarina"
    contradicting = write_entry(tmp_path, "y.es.md", "---\nlang: fr\n---\n# Y\n\n### Uso\nTexto.\n")
    result = CliRunner().invoke(main, ["check", str(contradicting)])
    assert result.exit_code == 1
    assert f"{contradicting}:2: error: bad-front-matter: front matter 'lang' is 'fr' but the file name says 'es'" in result.output


@pytest.mark.parametrize(("name", "text"), [
    ("es.es.md", "# A\n\n### Uso\nx\n\n### Dosis\nx\n\n### Efectos secundarios\nx\n\n**Aviso:** d\n\n**Nota:** n\n"),
    ("fr.fr.md", "# A\n\n**Utilisation :** x\n\n**Posologie :** x\n\n**Effets indésirables :** x\n\n**Avertissement :** d\n"),
    ("ar.ar.md", "# أ\n\n### الاستخدام\nx\n\n### الجرعة\nx\n\n### الآثار الجانبية:\nx\n\n**إخلاء مسؤولية:** d\n"),
    ("hi.hi.md", "# अ\n\n### उपयोग\nx\n\n### खुराक\nx\n\n### दुष्प्रभाव\nx\n\n**अस्वीकरण:** d\n"),
    ("zh.zh-Hans.md", "# 药\n\n**用途：** x\n\n**用法用量：** x\n\n**副作用：** x\n\n**免责声明：** d\n\n**说明：** n\n"),
])
def test_sections_and_footer_labels_in_every_language(tmp_path: Path, name: str, text: str) -> None:
    content = normalise(load_entry(write_entry(tmp_path, name, text)))
    assert [s.key for s in content.sections if s.known] == ["usage", "dosage", "side_effects"]
    assert content.disclaimer is not None and content.disclaimer.markdown == "d"
    assert not_a_leaflet(content) is None


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("a.es.md", "# Medicamento\n\nPor favor, proporcione el nombre completo del medicamento para poder ayudarle.\n", "asks for more"),
    ("b.es.md", "# Combinación\n\n### Uso\nNo puedo proporcionar información sobre esta combinación de medicamentos.\n", "declines"),
    ("c.fr.md", "# Médicament\n\nVeuillez préciser le nom complet du médicament.\n", "asks for more"),
    ("d.fr.md", "# Association\n\nJe ne peux pas fournir d'informations sur cette association.\n", "declines"),
    ("e.zh-Hans.md", "# 药\n\n请提供药品的完整名称。\n", "asks for more"),
    ("f.ar.md", "# دواء\n\nلا أستطيع تقديم معلومات عن هذا الدواء.\n", "declines"),
    ("g.hi.md", "# दवा\n\nकृपया दवा का पूरा नाम बताएँ।\n", "asks for more"),
])
def test_refusals_and_requests_are_caught_in_every_language(tmp_path: Path, name: str, text: str, reason: str) -> None:
    verdict = not_a_leaflet(normalise(load_entry(write_entry(tmp_path, name, text))))
    assert verdict is not None and verdict.reason.startswith(reason), verdict


def test_project_label_words_and_default_texts_per_language(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text(textwrap.dedent("""
        [languages.es]
        disclaimer = "Texto legal propio de la farmacia."
        [languages.es.labels]
        usage = ["indicación principal"]
        disclaimer = ["advertencia legal"]
    """), encoding="utf-8")
    entries = tmp_path / "entries"
    own = write_entry(entries, "a.es.md", "# A\n\n### Indicación principal\nTexto.\n\n### Dosis\nUno.\n\n**Advertencia legal:** Propia.\n")
    default = write_entry(entries, "b.es.md", "# B\n\n### Uso\nTexto.\n\n### Dosis\nUno.\n")
    french = write_entry(entries, "c.fr.md", "# C\n\n### Utilisation\nTexte.\n")
    project = Project.load(tmp_path)
    report = build_leaflets(None, tmp_path / "out", project, BuildOptions(), jobs=1)
    assert report.ok, [r.error for r in report.results]
    first = " ".join(pdftotext(tmp_path / "out" / "a.es.pdf").split())
    assert "Uso Texto." in first and "Aviso: Propia." in first
    second = " ".join(pdftotext(tmp_path / "out" / "b.es.pdf").split())
    assert "Aviso: Texto legal propio de la farmacia." in second
    third = " ".join(pdftotext(tmp_path / "out" / "c.fr.pdf").split())
    assert "Avertissement : Cette fiche donne uniquement des informations générales" in third
    assert own.exists() and default.exists() and french.exists()


def test_project_catalog_overrides_a_message(tmp_path: Path) -> None:
    folder = tmp_path / "locale" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "leaflets.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Page %(page)s of %(pages)s"\nmsgstr "Pág. %(page)s/%(pages)s"\n', encoding="utf-8",
    )
    entry = write_entry(tmp_path / "entries", "a.es.md", "# A\n\n### Uso\nTexto.\n")
    report = build_leaflets([entry], tmp_path / "out", Project.load(tmp_path), BuildOptions(), jobs=1)
    assert report.ok
    text = " ".join(pdftotext(tmp_path / "out" / "a.es.pdf").split())
    assert "Pág. 1/1" in text and "Aviso:" in text  # overridden, and the rest still from the built-in catalog


@pytest.mark.parametrize(("po", "expected"), [
    ('msgid "Page"\nnonsense line\nmsgstr "Page"\n', ": error: invalid message catalog: "),
    ('msgid "Printed %(date)s."\nmsgstr "Imprimé le %(jour)s."\n', ":1: error: translation of 'Printed %(date)s.' uses %(jour)s"),
])
def test_broken_project_catalog_is_one_clear_error(tmp_path: Path, po: str, expected: str) -> None:
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "leaflets.po").write_text(po, encoding="utf-8")
    write_entry(tmp_path / "entries", "a.fr.md", "# A\n\n### Utilisation\nTexte.\n")
    result = CliRunner().invoke(main, ["build", "--project", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{folder / 'leaflets.po'}{expected}" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out" / "a.fr.pdf").exists()


# -- check --------------------------------------------------------------------------------------


def test_example_entries_check_clean_in_every_language() -> None:
    report = check_entries([REPO / "entries"], Project.load(REPO), jobs=1)
    assert report.ok
    assert [f.format() for f in report.findings] == []


def test_translation_outdated_and_missing_translation(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text('required_languages = ["es", "fr"]\n', encoding="utf-8")
    entries = tmp_path / "entries"
    write_entry(entries, "a.md", "---\nreviewed: 2026-03-01\n---\n# A\n\n### Usage\nText.\n")
    write_entry(entries, "a.es.md", "---\nreviewed: 2025-12-01\n---\n# A\n\n### Uso\nTexto.\n")
    report = check_entries(None, Project.load(tmp_path), jobs=1)
    codes = {(f.path.name, f.code, f.line) for f in report.findings}
    assert ("a.es.md", "translation-outdated", 2) in codes
    assert ("a.md", "missing-translation", 1) in codes
    messages = [f.message for f in report.findings if f.code == "missing-translation"]
    assert messages == ["no fr translation (a.fr.md beside it); required_languages lists fr"]


def test_missing_glyph_is_a_warning_naming_the_character(tmp_path: Path) -> None:
    entry = write_entry(tmp_path, "a.md", "# A\n\n### Usage\nText with \ue000 in it.\n")
    report = check_entries([entry], Project.load(REPO), jobs=1)
    found = [f for f in report.findings if f.code == "missing-glyph"]
    assert len(found) == 1 and found[0].line == 4 and "U+E000" in found[0].message
    assert "weasyprint" not in subprocess.run(
        [sys.executable, "-c", "import sys, leaflets.check.checker, leaflets.check.glyphs; print(' '.join(sys.modules))"],
        capture_output=True, text=True,
    ).stdout


def test_reading_level_per_language(tmp_path: Path) -> None:
    long_spanish = (
        "La administración concomitante de anticoagulantes orales incrementa significativamente la probabilidad "
        "de complicaciones hemorrágicas, especialmente en pacientes con insuficiencia renal."
    )
    hard = write_entry(tmp_path, "a.es.md", f"# A\n\n### Uso\n{long_spanish} {long_spanish}\n\n### Dosis\nUno.\n")
    long_arabic = " ".join(["يجب"] * 60) + "."
    wordy = write_entry(tmp_path, "b.ar.md", f"# أ\n\n### الاستخدام\n{long_arabic}\n\n### الجرعة\nقرص.\n")
    report = check_entries([hard, wordy], Project.load(REPO), jobs=1)
    messages = {f.path.name: f.message for f in report.findings if f.code == "reading-level"}
    assert "Fernández-Huerta" in messages["a.es.md"]
    assert messages["b.ar.md"].startswith("sentences average")


# -- bilingual and booklets ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``build entries/ --bilingual en``: each translation of paracetamol with the English beside it."""
    out = tmp_path_factory.mktemp("bilingual")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
        result = CliRunner().invoke(main, ["build", str(REPO / "entries"), "--bilingual", "en", "--out", str(out), "-j", "2"])
    assert result.exit_code == 0, result.output
    return out


def test_bilingual_edition_pairs_sections_each_in_its_language(bilingual: Path, tmp_path: Path) -> None:
    names = sorted(p.name for p in bilingual.glob("*.pdf"))
    assert names == [f"paracetamol.{lang}+en.pdf" for lang in sorted(LANGUAGES)]
    text = " ".join(pdftotext(bilingual / "paracetamol.es+en.pdf").split())
    assert text.index("Uso") < text.index("Usage") < text.index("Dosis") < text.index("Dosage")
    html_out = tmp_path / "html"
    CliRunner().invoke(main, ["build", str(REPO / "entries" / "paracetamol.ar.md"), "--bilingual", "en", "--format", "html",
                              "--out", str(html_out)])
    html = (html_out / "paracetamol.ar+en.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl"' in html and html.count('<div class="parallel" lang="en" dir="ltr">') >= 6


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bilingual_parts_are_tagged_with_their_language(bilingual: Path, lang: str) -> None:
    """The English parts' structure elements carry /Lang en; the first language's inherit the document's /Lang."""
    path = bilingual / f"paracetamol.{lang}+en.pdf"
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == lang
    marked = language_elements(path)
    # /Lang only where the language changes: on each section's English part and the English title, nowhere else.
    assert all((own, inherited) == ("en", lang) for _kind, own, inherited in marked), marked
    kinds = [kind for kind, _own, _inherited in marked]
    assert kinds.count("/Div") >= 6 and kinds.count("/Span") == 1
    texts = text_by_language(path)
    assert set(texts) == {lang, "en"}
    english = load_entry(REPO / "entries" / "paracetamol.md")
    for label in ("Generic name", "Usage", "Dosage", "Side effects"):
        assert label in texts["en"] and label not in texts[lang]
    assert "a common medicine for pain and fever" in texts["en"] and english.title in texts["en"]
    own_label = gettext_for(None, lang)("Dosage")
    squeezed = "".join(texts[lang].split())
    assert "".join(own_label.split())[:: -1 if lang == "ar" else 1] in squeezed  # pdfplumber reads Arabic reversed
    assert "".join(gettext_for(None, lang)("Disclaimer:").split())[:: -1 if lang == "ar" else 1] in squeezed


def write_spanish_set(folder: Path) -> None:
    for name, title in [("zinc", "Zinc"), ("name", "Ñame"), ("nuez", "Nuez"), ("acido", "Ácido fólico"), ("oxigeno", "Oxígeno")]:
        write_entry(folder, f"{name}.es.md", f"# {title}\n\n### Uso\nTexto.\n\n### Dosis\nUna.\n")
    write_entry(folder, "beta.md", "# Betamethasone\n\n### Usage\nText.\n\n### Dosage\nOne.\n")
    write_entry(folder, "zinc.md", "# Zinc\n\n### Usage\nText.\n\n### Dosage\nOne.\n")


def outline_titles(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        return [item.title for item in outline.root]


def test_spanish_booklet_in_spanish_order_with_fallback(tmp_path: Path) -> None:
    write_spanish_set(tmp_path / "e")
    output = tmp_path / "es.pdf"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
        report = build_booklet([tmp_path / "e"], output, Project.load(tmp_path), BuildOptions(),
                               BookletOptions(lang="es", fallback="en"), jobs=2)
    assert report.ok
    assert outline_titles(output) == ["Índice", "Ácido fólico", "Betamethasone", "Nuez", "Ñame", "Oxígeno", "Zinc"]
    pages = page_texts(output)
    cover, contents = " ".join(pages[0].split()), " ".join(pages[1].split())
    assert "Folletos de información sobre medicamentos" in cover and "1 de enero de 2026" in cover
    assert "Betamethasone (en inglés)" in contents and "Zinc (en" not in contents
    assert "Ñ" in [line.strip() for line in pages[1].splitlines()]
    assert all("Página" in page for page in pages)
    with pikepdf.open(output) as pdf:
        assert str(pdf.Root.Lang) == "es"
        parts = {str(part.get("/T")): part for part in pdf.Root.StructTreeRoot.K.K}
        assert str(parts["Betamethasone"].Lang) == "en", "the entry included in English through --fallback"
        assert all("/Lang" not in parts[title] for title in ("Zinc", "Ñame", "Ácido fólico"))
    # The English entry's part, and its title on the contents line; nothing else changes language.
    assert sorted(language_elements(output)) == [("/Part", "en", "es"), ("/Span", "en", "es")]
    texts = text_by_language(output)
    assert "Usage" in texts["en"] and "Betamethasone" in texts["en"] and "Uso" in texts["es"]
    assert "Usage" not in texts["es"] and "Uso" not in texts["en"] and "Betamethasone" not in texts["es"]


def test_booklet_without_lang_is_in_the_project_language(tmp_path: Path) -> None:
    write_spanish_set(tmp_path / "e")
    output = tmp_path / "en.pdf"
    report = build_booklet([tmp_path / "e"], output, Project.load(tmp_path), BuildOptions(), BookletOptions(), jobs=1)
    assert report.ok
    assert outline_titles(output) == ["Contents", "Betamethasone", "Zinc"]


def test_collation_keys() -> None:
    titles = ["Zinc", "Ñame", "nuez", "Ácido", "abacavir", "Éter", "Nuez"]
    assert sorted(titles, key=lambda t: fallback_key(t, "es")) == ["abacavir", "Ácido", "Éter", "nuez", "Nuez", "Ñame", "Zinc"]
    assert sorted(titles, key=lambda t: fallback_key(t, "en")) == ["abacavir", "Ácido", "Éter", "Ñame", "nuez", "Nuez", "Zinc"]
    assert initial_letter("Ñame", "es") == "Ñ" and initial_letter("Ñame", "en") == "N" and initial_letter("Ácido", "es") == "A"
    assert collation_key("x", "es")  # ICU or the fallback, whichever this Python has


# -- catalogs -----------------------------------------------------------------------------------


def catalog_messages() -> set[str]:
    """Every message ``pybabel extract`` finds in the templates and the Python code (babel.cfg)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(REPO / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(str(REPO), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_extraction_finds_the_messages() -> None:
    messages = catalog_messages()
    for expected in ("Page %(page)s of %(pages)s", "Disclaimer:", "Contents", "Usage", "Read this leaflet online:",
                     "Printed %(date)s.", "Last reviewed %(date)s.", DEFAULT_DISCLAIMER):
        assert expected in messages


@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
def test_every_message_is_translated_in_every_shipped_language(lang: str) -> None:
    from babel.messages.pofile import read_po

    with open(BUILTIN_LOCALE_DIR / lang / "LC_MESSAGES" / "leaflets.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(catalog_messages() - set(translated))
    assert not missing, f"{lang}: no translation for {missing}"
    for msgid in ("Updated %(date)s.", "Last reviewed %(date)s."):  # both review wordings, whichever prints
        assert msgid in translated
    for msgid, text in translated.items():
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", text)), f"{lang}: {msgid!r}"


def test_compiled_catalogs_match_their_sources() -> None:
    assert compile_builtin(check_only=True) == [], "run: python -m leaflets.project.catalogs compile"


# -- accessibility in every language ----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tagged_pdf_in_every_language(built: Path, lang: str) -> None:
    """PDF/UA structure as in English; the disclaimer is read once by a screen reader, after the leaflet."""
    from pdfread import structure_text

    path = built / f"{stem(lang)}.pdf"
    with pikepdf.open(path) as pdf:
        assert bool(pdf.Root.MarkInfo.Marked) and bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        assert str(pdf.docinfo.get("/Title")) == load_entry(REPO / "entries" / f"{stem(lang)}.md").title
    runs = structure_text(path)
    kinds = {kind for kind, _ in runs}
    assert {"/H1", "/H2", "/P"} <= kinds
    # pdfplumber reads glyphs in drawing order, which for Arabic is visual (right to left reversed);
    # reading each run backwards gives the logical order a screen reader's bidi pass gives.
    rtl = lang == "ar"
    text = BIDI_CONTROLS.sub("", "".join(t[::-1] if rtl else t for _, t in runs))
    label = "".join(gettext_for(None, lang)("Disclaimer:").split())
    squeezed = "".join(text.split())
    assert squeezed.count(label) == 1
    assert squeezed.index(label) > squeezed.index("".join(load_entry(REPO / "entries" / f"{stem(lang)}.md").title.split()))


def test_hyphenated_compounds_are_only_held_together_in_spaced_scripts() -> None:
    from leaflets.source.markdown import render_markdown

    html = str(render_markdown("服用（对乙酰氨基酚-500片剂一至两片），每天1-2次。β-lactamase").html)
    assert '<span class="nowrap">1-2</span>' in html or "1-2" in html
    assert "nowrap\">对乙酰" not in html and "片剂一至两片</span>" not in html
    assert '<span class="nowrap">β-lactamase</span>' in html


def test_bilingual_booklet_in_spanish(tmp_path: Path) -> None:
    output = tmp_path / "es+en.pdf"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
        result = CliRunner().invoke(main, ["booklet", str(REPO / "entries"), "--lang", "es", "--bilingual", "en",
                                           "-o", str(output), "-j", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert outline_titles(output) == ["Índice", "Paracetamol"]
    text = " ".join(" ".join(page_texts(output)).split())
    assert text.index("Uso") < text.index("Usage") < text.index("Dosis") < text.index("Dosage")
    assert "Página 1 de" in text and "Page 1 of" not in text
    with pikepdf.open(output) as pdf:
        assert str(pdf.Root.Lang) == "es" and "/Lang" not in pdf.Root.StructTreeRoot.K.K[-1]  # the entry is in Spanish
    marked = language_elements(output)
    assert marked and all((own, inherited) == ("en", "es") for _kind, own, inherited in marked), marked
    texts = text_by_language(output)
    assert "Usage" in texts["en"] and "Dosage" in texts["en"] and "Uso" in texts["es"] and "Dosis" in texts["es"]
    assert "Usage" not in texts["es"] and "Uso" not in texts["en"]
