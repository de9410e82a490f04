"""One test per WeasyPrint internal leaflets uses (leaflets/layout/weasy.py), on real layouts.

When a WeasyPrint upgrade moves one of them, the test named for it fails here,
rather than a footer being mismeasured or a page number stamped in the wrong place.
"""

from __future__ import annotations

from typing import Any

import pytest
import weasyprint

from leaflets.layout import weasy
from leaflets.layout.linecount import StyledText, line_counter
from leaflets.pdf.tagging import finish_structure

HTML = """<!DOCTYPE html>
<html lang="en"><head><style>
@page { size: 200mm 150mm; margin: 20mm 20mm 40mm 20mm; @bottom-center { content: element(footer); } }
body { margin: 0; font: 12pt "DejaVu Sans"; }
.page-footer { position: running(footer); font-size: 9pt; }
.page-footer .page-number::before { content: "Page 1 of 1 "; font-weight: bold; }
#block { margin: 10px 0; padding: 5px; border: 1px solid black; height: 100px; width: 300px; }
</style></head><body>
<footer class="page-footer"><p class="dates">Printed today.</p><p class="page-number"><span>Pharmacy</span></p></footer>
<div id="block" class="target other" data-entry="7"><p class="inner">Inside the target.</p></div>
<p class="para">A paragraph long enough to break into several lines when it is laid out in a narrow column of text.</p>
</body></html>"""


@pytest.fixture(scope="module")
def document() -> Any:
    return weasyprint.HTML(string=HTML).render()


@pytest.fixture(scope="module")
def page(document: Any) -> Any:
    return document.pages[0]


def test_page_box_is_the_root_of_the_page(page: Any) -> None:
    root = weasy.page_box(page)
    assert root is page._page_box
    assert type(root).__name__ == "PageBox"
    assert weasy.children(root), "the page box holds the body and margin boxes"


def test_margin_box_class_name_and_running_footer(page: Any) -> None:
    margins = list(weasy.margin_boxes(page))
    assert margins and all(type(box).__name__ == "MarginBox" for box in margins)
    footers = [box for margin in margins for box in weasy.iter_boxes(margin, "page-footer")]
    assert len(footers) == 1, "the running footer is laid out inside a margin box"


def test_block_line_and_text_box_class_names(page: Any) -> None:
    para = next(weasy.page_boxes(page, "para"))
    assert weasy.is_box(para, "BlockBox")
    lines = weasy.children(para)
    assert lines and all(weasy.is_box(line, "LineBox") for line in lines)
    texts = [child for line in lines for child in weasy.children(line) if weasy.is_box(child, "TextBox")]
    assert texts and "paragraph" in weasy.box_text(texts[0])


def test_element_tag_and_pseudo_element_tag(page: Any) -> None:
    number = next(weasy.page_boxes(page, "page-number"))
    assert weasy.element_tag(number) == "p"
    tags = set()

    def walk(box: Any) -> None:
        tags.add(weasy.element_tag(box))
        for child in weasy.children(box):
            walk(child)

    walk(number)
    assert "p::before" in tags, "generated content is tagged 'p::before'"


def test_element_attributes_and_class_matching(page: Any) -> None:
    target = next(weasy.page_boxes(page, "target"))
    assert weasy.element_attribute(target, "data-entry") == "7"
    assert weasy.element_attribute(target, "id") == "block"
    assert weasy.has_class(target, "other") and not weasy.has_class(target, "targ")
    assert [weasy.element_tag(b) for b in weasy.page_boxes(page, "inner")] == ["p"]
    assert list(weasy.iter_boxes(target, "inner")), "iter_boxes searches inside a box too"


def test_computed_style_values(page: Any) -> None:
    footer = next(weasy.page_boxes(page, "page-footer"))
    assert float(weasy.computed(footer, "font_size")) == pytest.approx(12.0)  # 9pt in px
    generated = _first(weasy.page_boxes(page, "page-number"), lambda b: weasy.element_tag(b).endswith("::before"))
    assert int(weasy.computed(generated, "font_weight")) == 700
    assert weasy.computed(generated, "font_style") == "normal"
    assert weasy.computed_style(footer)["font_size"] == weasy.computed(footer, "font_size")


def test_geometry_methods(page: Any) -> None:
    block = next(weasy.page_boxes(page, "target"))
    assert weasy.box_height(block) == pytest.approx(100)
    assert weasy.margin_height(block) == pytest.approx(100 + 2 * 5 + 2 * 1 + 2 * 10)
    x, y, width = weasy.content_box(block)
    left_margin_px = 20 / 25.4 * 96
    assert (x, width) == pytest.approx((left_margin_px + 1 + 5, 300))
    bx, by, bwidth, bheight = weasy.border_box(block)
    assert (bx, bwidth, bheight) == pytest.approx((left_margin_px, 312, 112))
    assert y == pytest.approx(by + 6)


def test_pango_layout_and_declared_attribute_functions(page: Any) -> None:
    ffi, pango, attributes, layout_class, to_units = weasy.pango_bindings()
    assert to_units == 1024
    text = next(b for b in _walk(next(weasy.page_boxes(page, "para"))) if weasy.is_box(b, "TextBox"))
    layout = layout_class(weasy.computed_style(text))
    pango.pango_layout_set_width(layout.layout, int(200 * to_units))
    layout.set_text("one two three four five six seven eight nine ten eleven twelve")
    assert pango.pango_layout_get_line_readonly(layout.layout, 1) != ffi.NULL, "breaks into lines"
    assert attributes.pango_attr_weight_new(700) != ffi.NULL
    assert attributes.pango_attr_style_new(2) != ffi.NULL


def test_line_counter_agrees_with_layout(page: Any) -> None:
    para = next(weasy.page_boxes(page, "para"))
    text = next(b for b in _walk(para) if weasy.is_box(b, "TextBox"))
    counter = line_counter(weasy.computed_style(text))
    assert counter is not None, "Pango reached through WeasyPrint's bindings"
    laid_out = len(weasy.children(para))
    words = " ".join(weasy.box_text(b) for b in _walk(para) if weasy.is_box(b, "TextBox"))
    assert counter.count(StyledText(" ".join(words.split())), weasy.content_box(para)[2]) == laid_out
    assert counter.count(StyledText("bold", ((0, 4, True, False),)), 500) == 1
    words = " ".join(["mmmm"] * 40)  # bold only where a run says: one bold word fits as before, all bold does not
    assert counter.count(StyledText(words), 400) == counter.count(StyledText(words, ((0, 4, True, False),)), 400)
    assert counter.count(StyledText(words, ((0, len(words), True, False),)), 400) > counter.count(StyledText(words), 400)


def test_text_libraries_for_doctor() -> None:
    ffi = weasy.text_libraries()
    assert ffi.pango.pango_version() >= 14400
    assert hasattr(ffi, "harfbuzz") and hasattr(ffi, "harfbuzz_subset")
    assert callable(ffi._dlopen)


def test_finisher_receives_weasyprints_structure_tree() -> None:
    """pdf/tagging.py edits the tagged PDF WeasyPrint hands a finisher: StructTreeRoot, K, ParentTree/Nums."""
    seen: dict[str, Any] = {}

    def finisher(document: Any, pdf: Any) -> None:
        objects = pdf.objects
        tree = objects[int(pdf.catalog["StructTreeRoot"].split(b" ", 1)[0])]
        parent_tree = objects[int(tree["ParentTree"].split(b" ", 1)[0])]
        seen.update(kids=tree["K"], nums=parent_tree["Nums"], pages=pdf.page_references)
        finish_structure(document, pdf)

    document = weasyprint.HTML(string=HTML).render(pdf_tags=True, pdf_variant="pdf/ua-1")
    data = document.write_pdf(pdf_variant="pdf/ua-1", finisher=finisher)
    assert data.startswith(b"%PDF") and seen["kids"] and len(seen["nums"]) >= 2 and len(seen["pages"]) == 1


def test_structure_elements_remember_the_language_of_their_box() -> None:
    """WeasyPrint's ``_build_box_tree`` yields each box's elements; the wrapper notes the box's ``lang`` on them
    (and keeps each page's text boxes by MCID), and the finisher turns a change of language into /Lang, only
    where it changes."""
    import io

    import pikepdf

    assert weasy.record_element_languages() is True
    assert weasy.record_element_languages() is True  # installing twice changes nothing
    html = (
        '<html lang="es"><body><p>Uso del medicamento.</p>'
        '<div lang="ar" dir="rtl"><h3>الجرعة</h3><p>قرص واحد <span lang="en">Paracetamol</span> يوميا.</p></div>'
        '<p>Tome <span lang="fr">le comprimé</span> con agua.</p></body></html>'
    )
    noted: list[tuple[str, str | None]] = []
    texts: dict[tuple[int, int], str] = {}

    def finisher(document: Any, pdf: Any) -> None:
        texts.update(weasy.marked_texts(pdf))
        noted.extend(
            (str(obj["S"]), weasy.element_language(obj)) for obj in pdf.objects
            if isinstance(obj, dict) and obj.get("Type") == "/StructElem"
        )
        finish_structure(document, pdf)

    document = weasyprint.HTML(string=html).render(pdf_tags=True, pdf_variant="pdf/ua-1")
    data = document.write_pdf(pdf_variant="pdf/ua-1", finisher=finisher)
    assert ("/Div", "ar") in noted and ("/H3", "ar") in noted and ("/P", "es") in noted and ("/Span", "fr") in noted
    # The page's text boxes by (page, MCID), in logical order: what /ActualText of right-to-left runs is made from.
    assert "الجرعة" in texts.values() and "le comprimé" in texts.values() and {page for page, _ in texts} == {0}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "es"
        marked, stack = [], [pdf.Root.StructTreeRoot.K[0]]
        while stack:
            element = stack.pop()
            if "/Lang" in element:
                marked.append((str(element.S), str(element.Lang)))
            kids = element.get("/K")
            stack.extend(k for k in (kids if isinstance(kids, pikepdf.Array) else [kids]) if isinstance(k, pikepdf.Dictionary) and "/S" in k)
    assert sorted(marked) == [("/Div", "ar"), ("/Span", "en"), ("/Span", "fr")]


def _walk(box: Any) -> list[Any]:
    found = [box]
    for child in weasy.children(box):
        found += _walk(child)
    return found


def _first(boxes: Any, test: Any) -> Any:
    return next(b for box in boxes for b in _walk(box) if test(b))


def test_large_fonts_are_subset_in_one_pass_with_the_same_glyphs() -> None:
    """The replaced subsetter keeps every glyph a CJK document shows, embedded, and leaves small fonts to WeasyPrint."""
    import io

    import pikepdf
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts

    assert weasy.subset_large_fonts_in_one_pass() is True
    assert getattr(fonts.Font._harfbuzz_subset, "leaflets_one_pass", False)
    assert weasy.subset_large_fonts_in_one_pass() is True  # installing twice changes nothing
    html = '<html lang="zh-Hans"><body style="font-family: \'Noto Sans CJK SC\'">对乙酰氨基酚 用法用量 副作用</body></html>'
    data = weasyprint.HTML(string=html).write_pdf()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        fonts_used = list(pdf.pages[0].Resources.Font.values())
        descendant = fonts_used[0].DescendantFonts[0]
        assert "Noto-Sans-CJK-SC" in str(descendant.BaseFont)
        program = descendant.FontDescriptor.get("/FontFile3") or descendant.FontDescriptor.get("/FontFile2")
        embedded = TTFont(io.BytesIO(program.read_bytes()))
    assert embedded["maxp"].numGlyphs > weasy.LARGE_FONT_GLYPHS  # glyph ids kept (RETAIN_GIDS) ...
    assert len(data) < 1_000_000  # ... but only the used outlines: not the 16 MB face


def test_pango_bindings_load_without_asking_find_library() -> None:
    """Each name cffi misses runs ``ldconfig``, ``gcc`` and ``ld`` (about 0.1 s a process): the soname comes first."""
    import subprocess
    import sys

    script = (
        "import ctypes.util, weasyprint\n"
        "calls = []\n"
        "original = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: calls.append(name) or original(name)\n"
        "from leaflets.layout.weasy import pango_bindings\n"
        "assert pango_bindings()[2].pango_attr_weight_new\n"
        "print(len(calls))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "0"


ARABIC = "يخفف الباراسيتامول الألم الخفيف إلى المتوسط، مثل الصداع وألم الأسنان \u2068Paracetamol 500 mg\u2069 ويخفض الحرارة. "
RTL_PAGES = {
    "plain": f"""<html lang="ar" dir="rtl"><body style="font: 12pt 'Noto Naskh Arabic'; width: 110mm">
        <h2>الجرعة</h2><p>{ARABIC * 6}</p><p><strong>البالغون:</strong> {ARABIC * 3}</p>
        <ul><li>{ARABIC * 2}</li><li>طفح جلدي أو حكة</li></ul></body></html>""",
    "floats": f"""<html lang="ar" dir="rtl"><body style="font: 12pt 'Noto Naskh Arabic'; width: 110mm">
        <div style="float: left; width: 30mm; height: 12mm"></div><div style="float: right; width: 25mm; height: 40mm"></div>
        <p style="text-align: justify">{ARABIC * 8}</p></body></html>""",
    "tall inline": f"""<html lang="ar" dir="rtl"><body style="font: 12pt 'Noto Naskh Arabic'; width: 110mm">
        <div style="float: inline-start; width: 20mm; height: 8mm"></div>
        <p>{ARABIC} <span style="font-size: 24pt">كبير</span> {ARABIC * 2}
        <span style="display: inline-block; width: 8mm; height: 14mm"></span> {ARABIC}</p></body></html>""",
}


def _geometry(box: Any) -> list[tuple[Any, ...]]:
    found = [(type(box).__name__, weasy.element_tag(box), getattr(box, "text", None),
              *(round(getattr(box, name, 0) or 0, 4) for name in ("position_x", "position_y", "width", "height")))]
    for child in weasy.children(box):
        found += _geometry(child)
    return found


def test_right_to_left_lines_are_laid_out_once_with_the_same_result() -> None:
    """WeasyPrint laid each right-to-left line out twice; the rewritten condition once, where no float is near,
    and the pages come out the same as with WeasyPrint's own function, floats or not."""
    from weasyprint.layout import inline

    assert weasy.lay_out_rtl_lines_once() is True
    patched = inline.get_next_linebox
    assert patched.leaflets_rtl_once and weasy.lay_out_rtl_lines_once() is True and inline.get_next_linebox is patched
    original, split = patched.leaflets_original, inline.split_inline_box
    for name, html in RTL_PAGES.items():
        results = {}
        for function in (original, patched):
            counts = {"lines": 0, "splits": 0}

            def next_line(*args: Any, _function: Any = function, _counts: Any = counts, **kwargs: Any) -> Any:
                _counts["lines"] += 1
                return _function(*args, **kwargs)

            def split_line(context: Any, box: Any, *args: Any, _counts: Any = counts, **kwargs: Any) -> Any:
                _counts["splits"] += weasy.is_box(box, "LineBox")
                return split(context, box, *args, **kwargs)

            inline.get_next_linebox, inline.split_inline_box = next_line, split_line
            try:
                pages = weasyprint.HTML(string=html).render().pages
            finally:
                inline.get_next_linebox, inline.split_inline_box = patched, split
            results[function] = ([_geometry(weasy.page_box(page)) for page in pages], counts)
        (before, was), (after, now) = results[original], results[patched]
        assert after == before, f"{name}: the pages changed"
        assert was["lines"] == now["lines"] > 5
        if name == "plain":
            assert (was["splits"], now["splits"]) == (2 * was["lines"], now["lines"]), "each line once, not twice"
        else:  # floats in the block: the loop runs as WeasyPrint wrote it, taller lines laid out again
            assert now == was and (name != "tall inline" or now["splits"] > now["lines"]), name


def test_page_links_list_the_links_and_dropping_some_leaves_the_others() -> None:
    """``Page.links`` holds ``(type, target, rectangle, box)``; links left out of it are not written to the PDF."""
    import io

    import pikepdf

    from leaflets.project.locations import SCHEME

    html = ('<p><a href="leaflets://project/entries/x.md">a file</a> and <a href="https://example.org/">a site</a>'
            ' and <a href="#here">here</a></p><p id="here">Here.</p>')
    document = weasyprint.HTML(string=html).render()
    targets = [(link[0], link[1]) for link in document.pages[0].links]
    assert ("external", "leaflets://project/entries/x.md") in targets and ("internal", "here") in targets
    assert weasy.drop_links(document, SCHEME) == 1
    with pikepdf.open(io.BytesIO(document.write_pdf())) as pdf:
        uris = [str(a.A.URI) for a in pdf.pages[0].get("/Annots", []) if "/A" in a]
    assert uris == ["https://example.org/"]


CJK_PAGE = """<html lang="zh-Hans"><body style="font: 12pt 'Noto Sans CJK SC', 'DejaVu Sans'">
    <h2>用法用量</h2><p>对乙酰氨基酚用于缓解轻度至中度疼痛，例如头痛和牙痛，并可退热。Paracetamol 500 mg ½ ∞</p></body></html>"""
LATIN_PAGE = """<html lang="en"><body style="font: 12pt 'DejaVu Sans'"><b>Dose</b> <p>Take one tablet.</p></body></html>"""


def test_font_files_are_read_only_when_their_bytes_are_needed() -> None:
    """A CJK face's file (the whole 19.5 MB collection) is no longer copied for every font of every
    PDF: only the subsets are read out, and the PDFs are byte for byte what WeasyPrint wrote before,
    subset or embedded whole (``full_fonts``, which does read the face)."""
    from weasyprint.pdf import fonts

    assert weasy.read_font_files_when_needed() is True
    patched = fonts.get_hb_object_data
    assert patched.leaflets_when_needed and weasy.read_font_files_when_needed() is True and fonts.get_hb_object_data is patched
    weasy.subset_large_fonts_in_one_pass()
    read: list[int] = []
    original_bytes = weasy.FaceBytes.bytes

    def counted(face_bytes: Any) -> Any:
        content = original_bytes(face_bytes)
        read.append(len(content or b""))
        return content

    cases = [(CJK_PAGE, {}), (LATIN_PAGE, {}), (LATIN_PAGE, {"full_fonts": True})]
    weasy.FaceBytes.bytes = counted  # type: ignore[method-assign]
    try:
        now = [weasyprint.HTML(string=html).write_pdf(**options) for html, options in cases]
    finally:
        weasy.FaceBytes.bytes = original_bytes  # type: ignore[method-assign]
    descriptor = fonts.Font.__dict__["file_content"]
    fonts.get_hb_object_data = patched.leaflets_original
    del fonts.Font.file_content
    try:
        before = [weasyprint.HTML(string=html).write_pdf(**options) for html, options in cases]
    finally:
        fonts.get_hb_object_data, fonts.Font.file_content = patched, descriptor
    assert now == before
    assert read and max(read) < 2_000_000, "no whole CJK face read"
    assert len(read) >= 5  # the subsets: CJK regular and bold, DejaVu Sans and Bold; DejaVu whole


def test_large_fonts_are_subset_without_vertical_metrics() -> None:
    """A CJK face's subset keeps what a horizontal PDF uses: no vmtx/vhea/VORG (252 kB of glyph-id-long tables)."""
    import io

    import pikepdf
    from fontTools.ttLib import TTFont

    from leaflets.layout.engine import LayoutEngine  # noqa: F401 - installs the subsetting of large fonts

    assert weasy.subset_large_fonts_in_one_pass()
    data = weasyprint.HTML(string=CJK_PAGE).write_pdf()
    tables = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for font in pdf.pages[0].Resources.Font.values():
            for descendant in font.get("/DescendantFonts", []):
                stream = descendant.FontDescriptor.get("/FontFile3")
                if stream is not None:
                    tables.append(set(TTFont(io.BytesIO(stream.read_bytes())).keys()))
    assert tables, "a CJK font is embedded"
    for found in tables:
        assert "CFF " in found and "hmtx" in found and not found & {"vmtx", "vhea", "VORG"}
