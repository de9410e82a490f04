"""Imposition read back: every page lands on the sheet side and half the hand-written tables say.

The input PDFs are laid out by WeasyPrint (one distinct marker word per page, real
embedded fonts), imposed by leaflets, and read back with pdfplumber and pikepdf.
"""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from click.testing import CliRunner
from weasyprint import HTML

from leaflets.booklet.imposition import impose, imposed_path, sheet_sides
from leaflets.cli.main import main
from leaflets.errors import LeafletError, OutputError
from leaflets.project.paper import PAGE_SIZES, SIZES, sheet_for

from conftest import REPO

o: None = None  # a blank half

# Saddle stitch: front of sheet 1, back of sheet 1, front of sheet 2, ... as (left, right).
SADDLE: dict[int, list[tuple[int | None, int | None]]] = {
    1: [(o, 1), (o, o)],
    2: [(o, 1), (2, o)],
    3: [(o, 1), (2, 3)],
    4: [(4, 1), (2, 3)],
    5: [(o, 1), (2, o), (o, 3), (4, 5)],
    6: [(o, 1), (2, o), (6, 3), (4, 5)],
    7: [(o, 1), (2, 7), (6, 3), (4, 5)],
    8: [(8, 1), (2, 7), (6, 3), (4, 5)],
    9: [(o, 1), (2, o), (o, 3), (4, 9), (8, 5), (6, 7)],
    10: [(o, 1), (2, o), (10, 3), (4, 9), (8, 5), (6, 7)],
    11: [(o, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)],
    12: [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)],
    13: [(o, 1), (2, o), (o, 3), (4, 13), (12, 5), (6, 11), (10, 7), (8, 9)],
    14: [(o, 1), (2, o), (14, 3), (4, 13), (12, 5), (6, 11), (10, 7), (8, 9)],
    15: [(o, 1), (2, 15), (14, 3), (4, 13), (12, 5), (6, 11), (10, 7), (8, 9)],
    16: [(16, 1), (2, 15), (14, 3), (4, 13), (12, 5), (6, 11), (10, 7), (8, 9)],
    17: [(o, 1), (2, o), (o, 3), (4, 17), (16, 5), (6, 15), (14, 7), (8, 13), (12, 9), (10, 11)],
}

# 2up, cut and stack: side k holds page k (left) and page s + k (right), s sides in all.
TWO_UP: dict[int, list[tuple[int | None, int | None]]] = {
    1: [(1, o)],
    2: [(1, 2)],
    3: [(1, 3), (2, o)],
    4: [(1, 3), (2, 4)],
    5: [(1, 4), (2, 5), (3, o)],
    6: [(1, 4), (2, 5), (3, 6)],
    7: [(1, 5), (2, 6), (3, 7), (4, o)],
    8: [(1, 5), (2, 6), (3, 7), (4, 8)],
    9: [(1, 6), (2, 7), (3, 8), (4, 9), (5, o)],
    10: [(1, 6), (2, 7), (3, 8), (4, 9), (5, 10)],
    11: [(1, 7), (2, 8), (3, 9), (4, 10), (5, 11), (6, o)],
    12: [(1, 7), (2, 8), (3, 9), (4, 10), (5, 11), (6, 12)],
    13: [(1, 8), (2, 9), (3, 10), (4, 11), (5, 12), (6, 13), (7, o)],
    14: [(1, 8), (2, 9), (3, 10), (4, 11), (5, 12), (6, 13), (7, 14)],
    15: [(1, 9), (2, 10), (3, 11), (4, 12), (5, 13), (6, 14), (7, 15), (8, o)],
    16: [(1, 9), (2, 10), (3, 11), (4, 12), (5, 13), (6, 14), (7, 15), (8, 16)],
    17: [(1, 10), (2, 11), (3, 12), (4, 13), (5, 14), (6, 15), (7, 16), (8, 17), (9, o)],
}

TABLES = {"saddle": SADDLE, "2up": TWO_UP}
MM = 72 / 25.4
SHEETS_PT = {"a5": (297 * MM, 210 * MM), "a4": (420 * MM, 297 * MM), "letter": (17 * 72, 11 * 72)}
MARKER = re.compile(r"^MARK(\d\d)$")


def numbered_pdf(path: Path, pages: int, paper: str = "a5", rotate: int = 0) -> Path:
    """A ``pages``-page PDF of ``paper`` laid out by WeasyPrint; page k says MARKkk (and a line of filler)."""
    width, height = SIZES[paper].width, SIZES[paper].height
    body = "".join(
        f'<section><p>MARK{k:02d}</p><p>filler text on page {k}</p></section>' for k in range(1, pages + 1)
    )
    css = f"@page {{ size: {width} {height}; margin: 20mm }} section {{ break-after: page }} p {{ font: 14pt serif }}"
    HTML(string=f"<html><head><style>{css}</style></head><body>{body}</body></html>").write_pdf(path)
    if rotate:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            for page in pdf.pages:
                page.Rotate = rotate
            pdf.save(path)
    return path


@pytest.fixture(scope="module")
def seventeen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return numbered_pdf(tmp_path_factory.mktemp("input") / "seventeen.pdf", 17)


def first_pages(source: Path, count: int, path: Path) -> Path:
    with pikepdf.open(source) as pdf:
        del pdf.pages[count:]
        pdf.save(path)
    return path


def halves(page: pdfplumber.page.Page) -> tuple[list[int], list[int]]:
    """Marker words on the left and right half of a sheet side; no word may straddle the middle."""
    middle = page.width / 2
    left: list[int] = []
    right: list[int] = []
    for word in page.extract_words():
        match = MARKER.match(word["text"])
        assert word["x1"] <= middle or word["x0"] >= middle, f"{word['text']} straddles the middle"
        if match:
            (left if word["x1"] <= middle else right).append(int(match.group(1)))
    return left, right


def half_is_empty(page: pdfplumber.page.Page, side: int) -> bool:
    middle = page.width / 2
    box = (0, 0, middle, page.height) if side == 0 else (middle, 0, page.width, page.height)
    region = page.crop(box)
    return not (region.chars or region.rects or region.lines or region.curves or region.images)


def test_sheet_order_by_hand_table() -> None:
    for imposition, table in TABLES.items():
        for pages in range(1, 18):
            assert sheet_sides(pages, imposition) == table[pages], (imposition, pages)


@pytest.mark.parametrize("imposition", ["saddle", "2up"])
@pytest.mark.parametrize("pages", range(1, 18))
def test_imposed_pdf_puts_each_page_where_the_table_says(
    seventeen: Path, tmp_path: Path, imposition: str, pages: int
) -> None:
    source = first_pages(seventeen, pages, tmp_path / "in.pdf")
    output = tmp_path / "out.pdf"
    impose(source, output, imposition, "a5")
    expected = TABLES[imposition][pages]
    with pdfplumber.open(output) as pdf:
        assert len(pdf.pages) == len(expected)
        for number, (page, (left, right)) in enumerate(zip(pdf.pages, expected), start=1):
            assert (page.width, page.height) == pytest.approx(SHEETS_PT["a5"], abs=0.01)
            assert halves(page) == ([left] if left else [], [right] if right else []), f"sheet side {number}"
            for side, slot in enumerate((left, right)):
                assert half_is_empty(page, side) == (slot is None), f"sheet side {number}, half {side}"
    with pikepdf.open(output) as imposed:
        assert imposed.check_pdf_syntax() == []
        for sheet_side, (left, right) in zip(imposed.pages, expected):
            drawn = set(re.findall(rb"/P(\d+) Do", sheet_side.Contents.read_bytes()))
            assert drawn == {str(n).encode() for n in (left, right) if n}


def test_blank_sheet_side_is_empty(seventeen: Path, tmp_path: Path) -> None:
    impose(first_pages(seventeen, 1, tmp_path / "one.pdf"), tmp_path / "out.pdf", "saddle", "a5")
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        back = pdf.pages[1]
        assert back.Contents.read_bytes().strip() == b""
        assert len(back.Resources.XObject) == 0
    with pdfplumber.open(tmp_path / "out.pdf") as pdf:
        assert pdf.pages[1].extract_text() == ""


@pytest.mark.parametrize("paper", ["a5", "a4", "letter"])
@pytest.mark.parametrize("imposition", ["saddle", "2up"])
def test_sheet_twice_the_page_size_pages_unscaled(tmp_path: Path, paper: str, imposition: str) -> None:
    source = numbered_pdf(tmp_path / "in.pdf", 4, paper)
    output = tmp_path / "out.pdf"
    impose(source, output, imposition, paper)
    sheet_width, sheet_height = SHEETS_PT[paper]
    with pikepdf.open(source) as original:
        page_width, page_height = (float(v) for v in original.pages[0].MediaBox[2:])
    with pikepdf.open(output) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.MediaBox)
            assert (x1 - x0, y1 - y0) == pytest.approx((sheet_width, sheet_height), abs=0.01)
            matrices = re.findall(rb"q ([-\d. ]+) cm /P\d+ Do Q", page.Contents.read_bytes())
            assert len(matrices) == 2
            lefts = []
            for matrix in matrices:
                a, b, c, d, e, f = (float(v) for v in matrix.split())
                assert (a, b, c, d) == (1, 0, 0, 1)  # never enlarged, not shrunk when it fits
                assert f == pytest.approx((sheet_height - page_height) / 2, abs=0.01)  # centred vertically
                lefts.append(e)
            if imposition == "saddle":  # the two pages meet at the fold
                assert lefts == pytest.approx([sheet_width / 2 - page_width, sheet_width / 2], abs=0.01)
            else:  # each centred on its half, for cutting down the middle
                gap = (sheet_width / 2 - page_width) / 2
                assert lefts == pytest.approx([gap, sheet_width / 2 + gap], abs=0.01)


def test_pages_too_big_are_shrunk_to_fit_their_half(tmp_path: Path) -> None:
    source = numbered_pdf(tmp_path / "in.pdf", 2, "a4")
    impose(source, tmp_path / "out.pdf", "2up", "a5")  # A4 pages onto an A4 sheet: halves are A5
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        matrix = re.findall(rb"q ([-\d. ]+) cm", pdf.pages[0].Contents.read_bytes())[0]
    a, b, c, d, _e, _f = (float(v) for v in matrix.split())
    assert (b, c) == (0, 0)
    assert a == d == pytest.approx(min((297 / 2) / 210, 210 / 297), abs=1e-4)  # proportions kept
    with pdfplumber.open(tmp_path / "out.pdf") as pdf:
        page = pdf.pages[0]
        assert halves(page) == ([1], [2])
        for char in page.chars:
            assert 0 <= char["x0"] and char["x1"] <= page.width and 0 <= char["top"] and char["bottom"] <= page.height


def test_rotated_pages_keep_their_orientation_within_the_half(tmp_path: Path) -> None:
    source = numbered_pdf(tmp_path / "in.pdf", 2, "a5", rotate=90)
    impose(source, tmp_path / "out.pdf", "2up", "a5")
    with pdfplumber.open(tmp_path / "out.pdf") as pdf:
        page = pdf.pages[0]
        assert halves(page) == ([1], [2])
        assert all(not char["upright"] for char in page.chars)  # turned as a viewer shows the page
        assert all(char["x1"] <= page.width and char["bottom"] <= page.height for char in page.chars)


def test_other_paper_gets_a_sheet_two_pages_wide(seventeen: Path, tmp_path: Path) -> None:
    impose(first_pages(seventeen, 2, tmp_path / "in.pdf"), tmp_path / "out.pdf", "2up", "b5")
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        assert [float(v) for v in pdf.pages[0].MediaBox] == pytest.approx([0, 0, 2 * 148 * MM, 210 * MM], abs=0.01)


def test_same_input_same_bytes(seventeen: Path, tmp_path: Path) -> None:
    impose(seventeen, tmp_path / "one.pdf", "saddle", "a5")
    impose(seventeen, tmp_path / "two.pdf", "saddle", "a5")
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()


def test_unwritable_output_is_one_error_and_no_leftovers(seventeen: Path, tmp_path: Path) -> None:
    output = tmp_path / "missing" / "out.pdf"  # its folder does not exist
    with pytest.raises(OutputError) as raised:
        impose(seventeen, output, "saddle", "a5")
    assert "out.pdf" in str(raised.value) and "cannot write imposed booklet" in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_imposed_paths() -> None:
    assert imposed_path(Path("out/counter.pdf"), "saddle") == Path("out/counter-impose.pdf")
    assert imposed_path(Path("out/counter.pdf"), "2up") == Path("out/counter-2up.pdf")


def normalised(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize(("imposition", "suffix"), [("saddle", "impose"), ("2up", "2up")])
def test_booklet_of_three_entries_imposed_through_the_cli(tmp_path: Path, imposition: str, suffix: str) -> None:
    entries = [REPO / "entries" / name for name in ("ibuprofen.md", "metformin.md", "paracetamol.md")]
    output = tmp_path / "counter.pdf"
    result = CliRunner().invoke(main, [
        "booklet", *map(str, entries), "-o", str(output), "--paper", "a5", "--impose", imposition,
        "--project", str(REPO), "--jobs", "1",
    ])
    assert result.exit_code == 0, result.output
    imposed = tmp_path / f"counter-{suffix}.pdf"
    assert f"imposed {imposed}" in result.output
    with pdfplumber.open(output) as booklet:
        texts = [normalised(page.extract_text()) for page in booklet.pages]
    assert len(texts) >= 3
    expected = sheet_sides(len(texts), imposition)
    with pdfplumber.open(imposed) as pdf:
        assert len(pdf.pages) == len(expected)
        for page, sides in zip(pdf.pages, expected):
            assert (page.width, page.height) == pytest.approx(SHEETS_PT["a5"], abs=0.01)
            middle = page.width / 2
            for number, box in zip(sides, ((0, 0, middle, page.height), (middle, 0, page.width, page.height))):
                half = normalised(page.within_bbox(box).extract_text())
                assert half == (texts[number - 1] if number else ""), f"page {number}"
            assert len(page.chars) == sum(len(page.within_bbox(box).chars) for box in (
                (0, 0, middle, page.height), (middle, 0, page.width, page.height)))
    with pikepdf.open(imposed) as pdf:
        assert pdf.check_pdf_syntax() == []


def test_empty_pdf_is_one_error_and_nothing_written(tmp_path: Path) -> None:
    with pikepdf.new() as empty:
        empty.save(tmp_path / "empty.pdf")
    with pytest.raises(LeafletError) as raised:
        impose(tmp_path / "empty.pdf", tmp_path / "out.pdf", "saddle", "a5")
    assert str(raised.value) == f"{tmp_path / 'empty.pdf'}: error: has no pages to impose"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.pdf"]


def test_every_paper_has_a_standard_sheet_twice_its_size() -> None:
    for name in PAGE_SIZES:
        page = SIZES[name]
        sheet_width, sheet_height = sheet_for(name).landscape_pt
        assert (sheet_width, sheet_height) == pytest.approx(SHEETS_PT[name], abs=0.01)
        assert 2 * page.width_pt <= sheet_width <= 1.01 * 2 * page.width_pt, name
        assert page.height_pt <= sheet_height <= 1.01 * page.height_pt, name


def test_plain_install_pulls_no_heavy_imposition_stack() -> None:
    """What ``pip install leaflets`` brings (its requirements, followed through the installed ones) has none of them."""
    from importlib.metadata import PackageNotFoundError, requires

    def name(requirement: str) -> str:
        return re.split(r"[<>=!~\[; (]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    seen: set[str] = set()
    todo = ["leaflets"]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            requirements = requires(current) or []
        except PackageNotFoundError:
            continue
        todo += [name(r) for r in requirements if "extra ==" not in r and "extra==" not in r]
    assert {"pikepdf", "weasyprint"} <= seen
    assert seen & {"pdfimpose", "pymupdf", "numpy", "onnxruntime"} == set()
