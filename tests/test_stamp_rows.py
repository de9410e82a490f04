"""Page numbers laid out as rows of one overlay page, cut apart and drawn over their slots (booklet stamping)."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from leaflets.booklet.chunks import Slot
from leaflets.booklet.stamping import PlacedPage, Stamp, Stamper, StampJob, stamp_forms
from leaflets.pdf.textrows import split_rows
from leaflets.project.options import BuildOptions
from leaflets.project.paper import paper
from leaflets.project.project import Project
from leaflets.project.template_names import CONTENTS_PAGE

from conftest import REPO

PAGES = 14


@pytest.fixture(scope="module")
def stamper() -> Stamper:
    return Stamper(Project.load(REPO), BuildOptions())


def job(rtl: bool = False, lang: str = "en") -> StampJob:
    """Pages whose slots move about (and change size) from page to page; the second page has two contents numbers."""
    pages = []
    for index in range(PAGES):
        slot = Slot(1000.0 + 7 * index, 40.0 + 3 * index, 10.6667 + (index % 3), 50.0 + 2 * index, rtl)
        stamps = (
            (Stamp(CONTENTS_PAGE, Slot(200.0, 90.0, 14.6667), str(40 + index)),
             Stamp(CONTENTS_PAGE, Slot(230.0, 90.0, 14.6667), str(140 + index)))
            if index == 1 else ()
        )
        pages.append(PlacedPage(Path("part.pdf"), index, slot, index + 3, stamps))
    return StampJob(tuple(pages), 99, Path("numbered.pdf"), lang)


def stamped(folder: Path, stamper: Stamper, stamp_job: StampJob, sheet_height: float, name: str) -> list[list[dict]]:
    """Blank A4 pages with the job's stamps drawn on; the words pdfplumber reads on each."""
    size = paper("a4")
    width, height = size.width_pt, size.height_pt
    overlay = stamper.overlay(stamp_job, sheet_height)
    path = folder / name
    with pikepdf.Pdf.new() as pdf:
        for _ in stamp_job.pages:
            pdf.add_blank_page(page_size=(width, height))
        pages = list(pdf.pages)
        for index, (page, form) in enumerate(zip(pages, stamp_forms(pdf, overlay, pages))):
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({f"/S{index}": form}))
            page.contents_add(pdf.make_stream(b"q /S%d Do Q" % index))
        pdf.save(path)
    with pdfplumber.open(path) as plumber:
        return [
            [{key: word[key] if key == "text" else round(word[key], 2) for key in ("text", "x0", "x1", "top", "bottom")}
             for word in page.extract_words(keep_blank_chars=True)]
            for page in plumber.pages
        ]


def test_rows_cut_from_one_sheet_land_where_page_sized_sheets_put_them(tmp_path: Path, stamper: Stamper) -> None:
    one = stamped(tmp_path, stamper, job(), 14000, "one.pdf")
    overlay = stamper.overlay(job(), 14000)
    assert overlay.rows_per_sheet == PAGES + 2
    few = stamped(tmp_path, stamper, job(), 3 * overlay.row_height, "few.pdf")  # three rows to a sheet: six sheets
    assert stamper.overlay(job(), 3 * overlay.row_height).rows_per_sheet == 3
    assert one == few
    for index, words in enumerate(one):
        slot = job().pages[index].slot
        number = [word for word in words if word["text"].startswith("Page")]
        assert [word["text"] for word in number] == [f"Page {index + 3} of 99"]
        assert abs(number[0]["x1"] - (595.28 - slot.right * 0.75)) < 0.5, "set flush right against the slot's end"
        assert slot.top * 0.75 - 1 < number[0]["top"] < (slot.top + slot.font_size * 1.3) * 0.75
        assert [word["text"] for word in words if word not in number] == (["41", "141"] if index == 1 else [])
    contents = one[1][:2]
    assert [round(word["x1"]) for word in contents] == [round(595.28 - 90 * 0.75)] * 2
    assert contents[0]["top"] < 200 * 0.75 + 12 < contents[1]["top"]


def test_right_to_left_numbers_start_at_the_slots_left_end(tmp_path: Path, stamper: Stamper) -> None:
    pages = stamped(tmp_path, stamper, job(rtl=True, lang="ar"), 14000, "ar.pdf")
    for index, words in enumerate(pages):
        slot = job(rtl=True).pages[index].slot
        line = [word for word in words if word["top"] > 700]
        assert line and abs(min(word["x0"] for word in line) - slot.left * 0.75) < 0.5
        assert str(index + 3) in " ".join(word["text"] for word in line)


def test_a_sheet_painting_more_than_text_is_refused(tmp_path: Path) -> None:
    with pikepdf.Pdf.new() as pdf:
        pdf.add_blank_page(page_size=(200, 200))
        page = pdf.pages[0]
        page.contents_add(pdf.make_stream(b"0 0 0 rg 10 10 50 50 re f"))
        with pytest.raises(RuntimeError, match="more than text"):
            split_rows(page, 20.0, 5)
        page.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 1 0 0 1 10 5 Tm (low) Tj ET")
        with pytest.raises(RuntimeError, match="outside its 5 rows"):
            split_rows(page, 20.0, 5)  # baseline 5 pt from the bottom: row 13 of 20 px (15 pt) rows
        page.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 1 0 0 1 10 190 Tm (top) Tj 1 0 0 1 10 175 Tm (next) Tj ET")
        first, second, *rest = split_rows(page, 20.0, 5)
        assert b"(top)" in first and b"(next)" not in first and b"/F1 12 Tf" in second and b"(next)" in second
        assert rest == [b"", b"", b""]


def test_a_project_stamp_template_drawing_more_than_text_is_one_clear_error(tmp_path: Path) -> None:
    """An overridden booklet/stamp.html that paints a rule under each number names itself, no traceback."""
    from leaflets.booklet.make import build_booklet
    from leaflets.errors import ConfigError

    from conftest import write_entry

    (tmp_path / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\n')
    template = tmp_path / "templates" / "booklet" / "stamp.html"
    template.parent.mkdir(parents=True)
    built_in = (REPO / "templates" / "booklet" / "stamp.html").read_text()
    template.write_text(built_in.replace("</style>", "p.stamp { border-bottom: 1px solid black; }\n</style>"))
    write_entry(tmp_path / "entries", "a.md", "# Alpha\n### Usage\nFine.\n")
    output = tmp_path / "b.pdf"
    with pytest.raises(ConfigError) as raised:
        build_booklet(None, output, Project.load(tmp_path), jobs=1)
    assert raised.value.path == template and "more than text" in raised.value.message
    assert not output.exists()
