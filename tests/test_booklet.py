"""Booklets read back: contents numbers, bookmarks and links agree with where titles really are."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import leaflets.booklet.front
from leaflets.booklet.make import BookletOptions, BookletReport, build_booklet
from leaflets.booklet.front import ContentsGroup, contents_parts, plan_pages
from leaflets.booklet.chunks import LaidOutEntry, Slot
from leaflets.cli.main import main
from leaflets.project.config import DEFAULT_DISCLAIMER, DEFAULT_NOTE
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project
from leaflets.booklet.selection import initial
from leaflets.source.titles import title_key

from conftest import REPO, write_entry

EXAMPLE_TITLES = ["Amoxicillin + Clavulanic Acid", "Ibuprofen", "Metformin", "Paracetamol", "Salbutamol Inhaler"]
CONTENTS_LINE = re.compile(r"^(?P<title>.+?)\s*(?:\.\s*){3,}(?P<page>\d+)$")
FOOTER_DISCLAIMER = "Disclaimer:"


@dataclass(frozen=True)
class Booklet:
    path: Path
    report: BookletReport
    texts: list[str]
    """Text of every page, lines in reading order."""
    big_text: list[str]
    """Per page, the words set at 18 pt or more (entry titles), joined by spaces."""


def read_booklet(path: Path, report: BookletReport) -> Booklet:
    texts, big = [], []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            texts.append(page.extract_text() or "")
            words = page.extract_words(extra_attrs=["size"])
            big.append(" ".join(w["text"] for w in words if w["size"] >= 18))
    return Booklet(path, report, texts, big)


def contents(booklet: Booklet) -> list[tuple[int, str, int]]:
    """(booklet page index, title, printed page number) of every contents line."""
    found = []
    for index, text in enumerate(booklet.texts):
        for line in text.splitlines():
            match = CONTENTS_LINE.match(line.strip())
            if match:
                found.append((index, match.group("title"), int(match.group("page"))))
    return found


def make(tmp_path: Path, paths: list[Path] | None = None, name: str = "booklet.pdf", jobs: int = 2,
         options: BuildOptions | None = None, **choices: object) -> Booklet:
    project = Project.load(REPO)
    output = tmp_path / name
    report = build_booklet(paths, output, project, options, BookletOptions(**choices), jobs=jobs)  # type: ignore[arg-type]
    return read_booklet(output, report)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Booklet:
    return make(tmp_path_factory.mktemp("booklet"))


@pytest.fixture(scope="module")
def duplex(tmp_path_factory: pytest.TempPathFactory) -> Booklet:
    return make(tmp_path_factory.mktemp("duplex"), duplex=True)


def entry_pages(booklet: Booklet) -> dict[str, int]:
    return {result.source.path.stem: result.pages for result in booklet.report.results if result.pages}


def test_contents_numbers_are_the_pages_where_titles_appear(examples: Booklet) -> None:
    lines = contents(examples)
    assert [title for _, title, _ in lines] == EXAMPLE_TITLES
    for _, title, number in lines:
        assert title in examples.big_text[number - 1], f"{title} is not set large on page {number}"
        assert title not in examples.big_text[number - 2]


def test_contents_grouped_under_initial_letters(examples: Booklet) -> None:
    contents_text = examples.texts[1].splitlines()
    for title in EXAMPLE_TITLES:
        heading = contents_text.index(title[0])
        assert CONTENTS_LINE.match(contents_text[heading + 1]).group("title") == title  # type: ignore[union-attr]


def test_bookmarks_point_at_entry_pages_with_sections_nested(examples: Booklet) -> None:
    reader = PdfReader(examples.path)
    numbers = {title: number for _, title, number in contents(examples)}
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == ["Contents", *EXAMPLE_TITLES]
    assert reader.get_destination_page_number(top[0]) == 1
    children = [item for item in reader.outline if isinstance(item, list)]
    assert len(children) == len(EXAMPLE_TITLES)
    for item, sections in zip(top[1:], children):
        start = reader.get_destination_page_number(item) + 1
        assert start == numbers[item.title]
        labels = [section.title for section in sections]
        assert "Usage" in " ".join(labels) and len(labels) >= 4
        for section in sections:
            page = reader.get_destination_page_number(section)
            assert section.title.split(" (")[0] in examples.texts[page]
            assert start - 1 <= page < start - 1 + 10


def test_contents_lines_link_to_entry_pages(examples: Booklet) -> None:
    reader = PdfReader(examples.path)
    page_index = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    contents_page = reader.pages[1]
    targets = []
    for annotation in contents_page.get("/Annots", []):
        annotation = annotation.get_object()
        assert annotation["/Subtype"] == "/Link"
        targets.append(page_index[annotation["/Dest"][0].idnum] + 1)
    assert targets == [number for _, _, number in contents(examples)]


def test_every_page_has_the_footer_and_its_number(examples: Booklet) -> None:
    total = len(examples.texts)
    for number, text in enumerate(examples.texts, start=1):
        flat = " ".join(text.split())
        assert "Disclaimer:" in flat and "Note:" in flat, f"page {number}"
        assert f"Page {number} of {total}" in flat


def test_cover_and_contents_carry_the_default_footer_entries_their_own(examples: Booklet) -> None:
    for text in examples.texts[:2]:
        assert " ".join(DEFAULT_DISCLAIMER.split()[:8]) in " ".join(text.split())
    ibuprofen = contents(examples)[1][2]
    entry_footer = " ".join(examples.texts[ibuprofen - 1].split())
    assert "This leaflet is for general information only. It is not medical advice." in entry_footer
    assert " ".join(DEFAULT_NOTE.split()[:6]) not in entry_footer


def test_cover_names_title_date_and_count(examples: Booklet) -> None:
    cover = " ".join(examples.texts[0].split())
    assert "Medicine information leaflets" in cover
    assert "Entries 5" in cover
    assert "Built 1 January 2026" in cover  # SOURCE_DATE_EPOCH from conftest


def test_running_header_names_the_entry(examples: Booklet) -> None:
    starts = [number for _, _, number in contents(examples)] + [len(examples.texts) + 1]
    for title, start, end in zip(EXAMPLE_TITLES, starts, starts[1:]):
        for index in range(start - 1, end - 1):
            assert examples.texts[index].splitlines()[0].strip() == title


def test_page_count_is_the_sum_of_the_parts(examples: Booklet, example_build: Path) -> None:
    leaflet_pages = sum(len(PdfReader(path).pages) for path in example_build.glob("*.pdf") if "." not in path.stem)
    contents_pages = len({index for index, _, _ in contents(examples)})
    assert len(examples.texts) == 1 + contents_pages + leaflet_pages
    assert examples.report.pages == len(examples.texts)


def test_metadata(examples: Booklet) -> None:
    reader = PdfReader(examples.path)
    assert reader.metadata.title == "Medicine information leaflets"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_duplex_starts_entries_on_odd_pages_with_blank_pages_between(duplex: Booklet, examples: Booklet) -> None:
    pages = entry_pages(examples)
    numbers = [number for _, _, number in contents(duplex)]
    assert all(number % 2 == 1 for number in numbers)
    assert numbers[0] == 5  # cover, blank, contents, blank
    expected_blanks = {2, 4}
    ends = [numbers[0] - 1]
    for number, count in zip(numbers, pages.values()):
        if number - 1 > ends[-1]:
            expected_blanks.add(number - 1)
        ends.append(number + count - 1)
    for number, text in enumerate(duplex.texts, start=1):
        body = text.split(FOOTER_DISCLAIMER)[0].strip()
        assert (body == "") == (number in expected_blanks), f"page {number}: {body[:60]!r}"
    assert len(duplex.texts) == 1 + 1 + sum(pages.values()) + len(expected_blanks)
    assert len(duplex.texts) == ends[-1]


def test_list_file_sets_order_without_letter_groups(tmp_path: Path) -> None:
    listing = tmp_path / "order.txt"
    listing.write_text(
        f"# counter booklet\n\n{REPO}/entries/paracetamol.md\n  {REPO}/entries/ibuprofen.md  \n# last\n"
        f"{REPO}/entries/amoxicillin-clavulanic-acid.md\n"
    )
    booklet = make(tmp_path, list_file=listing)
    assert [title for _, title, _ in contents(booklet)] == ["Paracetamol", "Ibuprofen", "Amoxicillin + Clavulanic Acid"]
    assert "\nP\n" not in booklet.texts[1]


def test_list_file_names_missing_lines(tmp_path: Path) -> None:
    write_entry(tmp_path, "a.md", "# Alpha\n### Usage\nFine.\n")
    listing = tmp_path / "list.txt"
    listing.write_text("a.md\n\n# comment\nmissing.md\na.md\n")
    result = CliRunner().invoke(main, ["booklet", "--list", str(listing), "-o", str(tmp_path / "b.pdf")])
    assert result.exit_code == 1
    assert f"{listing}:4: error: no such entry file: missing.md" in result.output
    assert f"{listing}:5: error: a.md is already listed on line 1" in result.output
    assert not (tmp_path / "b.pdf").exists()


def test_list_and_paths_together_is_a_usage_error(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("x.md\n")
    result = CliRunner().invoke(main, ["booklet", str(tmp_path), "--list", str(listing)])
    assert result.exit_code == 2


def test_title_order_ignores_case_and_accents(tmp_path: Path) -> None:
    for name, title in [("1.md", "zinc"), ("2.md", "Éfavirenz"), ("3.md", "abacavir"), ("4.md", "Ergocalciferol"),
                        ("5.md", "emtricitabine"), ("6.md", "Zidovudine")]:
        write_entry(tmp_path / "entries", name, f"---\ntitle: {title}\n---\n### Usage\nText.\n")
    booklet = make(tmp_path, [tmp_path / "entries"])
    assert [t for _, t, _ in contents(booklet)] == [
        "abacavir", "Éfavirenz", "emtricitabine", "Ergocalciferol", "Zidovudine", "zinc"
    ]


def test_bad_entries_left_out_exit_1_booklet_written(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    write_entry(entries, "good.md", "# Good\n### Usage\nFine.\n")
    write_entry(entries, "broken.md", "---\ntitle: [oops\n---\nBody\n")
    write_entry(entries, "empty.md", "---\ntitle: Empty\n---\n")
    output = tmp_path / "b.pdf"
    result = CliRunner().invoke(main, ["booklet", str(entries), "-o", str(output), "--project", str(REPO)])
    assert result.exit_code == 1
    assert f"{entries / 'broken.md'}:2: error: malformed front matter" in result.output
    assert f"{entries / 'empty.md'}:4: error: entry has no body text" in result.output
    assert "1 entries in" in result.output and "2 failed" in result.output
    booklet = read_booklet(output, BookletReport())
    assert [t for _, t, _ in contents(booklet)] == ["Good"]
    assert len(booklet.texts) == 3


def test_empty_selection_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    output = tmp_path / "b.pdf"
    result = CliRunner().invoke(main, ["booklet", str(tmp_path / "empty"), "-o", str(output)])
    assert result.exit_code == 1
    assert "no entries selected" in result.output
    assert not output.exists()


def test_nothing_buildable_is_an_error(tmp_path: Path) -> None:
    write_entry(tmp_path / "e", "empty.md", "---\ntitle: Empty\n---\n")
    result = CliRunner().invoke(main, ["booklet", str(tmp_path / "e"), "-o", str(tmp_path / "b.pdf")])
    assert result.exit_code == 1
    assert "no entry could be built" in result.output
    assert not (tmp_path / "b.pdf").exists()


def test_saddle_imposition_two_a5_pages_per_a4_side(tmp_path: Path) -> None:
    output = tmp_path / "small.pdf"
    result = CliRunner().invoke(main, [
        "booklet", str(REPO / "entries"), "-o", str(output), "--paper", "a5", "--impose", "saddle",
        "--project", str(REPO), "--title", "Counter copy", "--subtitle", "Riverside",
    ])
    assert result.exit_code == 0, result.output
    pages = len(PdfReader(output).pages)
    imposed = PdfReader(tmp_path / "small-impose.pdf")
    sheets = math.ceil(pages / 4)
    assert len(imposed.pages) == 2 * sheets
    for sheet_side in imposed.pages:
        box = sheet_side.mediabox
        assert (round(box.width), round(box.height)) == (842, 595)  # A4 landscape: two A5 pages side by side
    source = PdfReader(output).pages[0].mediabox
    assert (round(source.width), round(source.height)) == (420, 595)
    outer = " ".join(imposed.pages[0].extract_text().split())
    assert f"Page 1 of {pages}" in outer
    assert (f"Page {pages} of" in outer) == (pages % 4 == 0)  # else the outer side's left page is padding
    cover = PdfReader(output).pages[0].extract_text()
    assert "Counter copy" in cover and "Riverside" in cover


def test_contents_in_several_parts_keep_numbers_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leaflets.booklet.front, "CONTENTS_PART_LINES", 2)
    booklet = make(tmp_path, jobs=1)
    lines = contents(booklet)
    assert [title for _, title, _ in lines] == EXAMPLE_TITLES
    assert len({index for index, _, _ in lines}) == 3
    for _, title, number in lines:
        assert title in booklet.big_text[number - 1]
    links = [annot for page in PdfReader(booklet.path).pages[1:4] for annot in page.get("/Annots", [])]
    assert len(links) == 5


def test_own_disclaimer_on_that_entrys_pages_only(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    write_entry(entries, "a.md", "# Alpha\n### Usage\nFine.\n\n**Disclaimer:** Alpha's own warning text.\n")
    write_entry(entries, "b.md", "# Beta\n### Usage\nFine.\n")
    booklet = make(tmp_path, [entries])
    flat = [" ".join(text.split()) for text in booklet.texts]
    alpha, beta = (number for _, _, number in contents(booklet))
    assert "Alpha's own warning text." in flat[alpha - 1]
    assert "Alpha's own warning text." not in flat[beta - 1]
    assert " ".join(DEFAULT_DISCLAIMER.split()[:8]) in flat[beta - 1]


def test_title_key_and_initials() -> None:
    assert title_key("  Éfavirenz  TABLETS") == "efavirenz tablets"
    assert initial("ökologisch") == "O"
    assert initial("5-Fluorouracil") == "#"


def test_contents_parts_split_long_groups_as_continued() -> None:
    entries = [LaidOutEntry(i, title, (Slot(0, 0),), ()) for i, title in enumerate(["A1", "A2", "A3", "B1"])]
    parts = contents_parts(entries, grouped=True, part_lines=2)
    assert parts == [
        (ContentsGroup("A", False, parts[0][0].lines),),
        (ContentsGroup("A", True, parts[1][0].lines), ContentsGroup("B", False, parts[1][1].lines)),
    ]
    assert [line.title for line in parts[1][0].lines] == ["A3"]


def test_plan_pages_duplex() -> None:
    plan = plan_pages(3, [2, 3, 1], duplex=True)
    assert plan.starts == (5, 7, 11)
    assert plan.blank_before == (True, False, True)
    assert plan.total == 11


def test_booklet_file_is_well_formed(examples: Booklet) -> None:
    import pikepdf

    with pikepdf.Pdf.open(examples.path) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert pdf.get_warnings() == []
        assert len(pdf.pages) == len(examples.texts)


@pytest.mark.corpus
def test_corpus_sample_bookmarks_links_and_titles_agree(tmp_path: Path, corpus: Path, seed: Path) -> None:
    booklet = make(tmp_path, [corpus / "j", corpus / "y", corpus / "w", seed])
    assert booklet.report.ok, [r.error for r in booklet.report.results if r.error]
    reader = PdfReader(booklet.path)
    page_index = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    starts = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)][1:]
    assert len(starts) == 17
    for item, start in zip([i for i in reader.outline if not isinstance(i, list)][1:], starts):
        assert " ".join(item.title.split()) in booklet.big_text[start]
    links = [
        page_index[annotation.get_object()["/Dest"][0].idnum]
        for page in reader.pages[1:starts[0]] for annotation in page.get("/Annots", [])
    ]
    assert links == starts
    flat = [" ".join(text.split()) for text in booklet.texts]
    assert all(f"Page {n} of {len(flat)}" in text and "Disclaimer:" in text for n, text in enumerate(flat, 1))


def test_cover_texts_and_author_from_settings(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text(
        'organisation = "Riverside Pharmacy"\nbooklet_title = "Counter leaflets"\nbooklet_subtitle = "Spring edition"\n'
    )
    write_entry(tmp_path / "entries", "a.md", "# Alpha\n### Usage\nFine.\n")
    output = tmp_path / "b.pdf"
    report = build_booklet(None, output, Project.load(tmp_path), jobs=1)
    assert report.ok and report.pages == 3
    cover = " ".join(PdfReader(output).pages[0].extract_text().split())
    assert "RIVERSIDE PHARMACY" in cover.upper() and "Counter leaflets" in cover and "Spring edition" in cover
    info = PdfReader(output).metadata
    assert (info.title, info.author, info.subject) == ("Counter leaflets", "Riverside Pharmacy", "Spring edition")
    xmp = PdfReader(output).xmp_metadata
    assert xmp.dc_creator == ["Riverside Pharmacy"] and xmp.dc_language == ["en"]


def test_fresh_workers_per_batch_of_chunks_keep_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leaflets.booklet.make

    monkeypatch.setattr(leaflets.booklet.make, "CHUNK_ENTRIES", 1)
    monkeypatch.setattr(leaflets.booklet.make, "CHUNKS_PER_WORKER", 1)
    booklet = make(tmp_path, jobs=2)
    lines = contents(booklet)
    assert [title for _, title, _ in lines] == EXAMPLE_TITLES
    for _, title, number in lines:
        assert title in booklet.big_text[number - 1]


def part_languages(path: Path) -> dict[str, str | None]:
    """Each entry /Part's title and /Lang, read from the booklet's structure tree."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        kids = pdf.Root.StructTreeRoot.K
        document = kids[0] if isinstance(kids, pikepdf.Array) else kids
        return {
            str(kid.T): (str(kid.Lang) if "/Lang" in kid else None)
            for kid in document.K if isinstance(kid, pikepdf.Dictionary) and "/T" in kid
        }


def pdftotext(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_named_translation_comes_in_its_own_language(tmp_path: Path) -> None:
    spanish, english = REPO / "entries" / "paracetamol.es.md", REPO / "entries" / "ibuprofen.md"
    output = tmp_path / "b.pdf"
    result = CliRunner().invoke(main, ["booklet", str(spanish), str(english), "-o", str(output), "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "2 entries in" in result.output and "left out" not in result.output
    booklet = read_booklet(output, BookletReport())
    assert [t for _, t, _ in contents(booklet)] == ["Ibuprofen", "Paracetamol (in Spanish)"]
    text = pdftotext(output)
    assert "Efectos secundarios" in text and "Ibuprofen" in text
    assert part_languages(output)["Paracetamol"] == "es" and part_languages(output)["Ibuprofen"] is None


def test_booklet_of_named_translations_only(tmp_path: Path) -> None:
    entries = REPO / "entries"
    output = tmp_path / "b.pdf"
    result = CliRunner().invoke(main, ["booklet", str(entries / "paracetamol.es.md"), str(entries / "paracetamol.fr.md"),
                                       "-o", str(output), "--project", str(REPO), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    booklet = read_booklet(output, BookletReport())
    assert sorted(t for _, t, _ in contents(booklet)) == ["Paracetamol (in Spanish)", "Paracétamol (in French)"]
    languages = part_languages(output)
    assert languages["Paracetamol"] == "es" and languages["Paracétamol"] == "fr"


def test_folder_keeps_the_project_language_and_says_what_it_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    for name, title in (("zinc.md", "Zinc"), ("zinc.es.md", "Zinc ES"), ("niacin.fr.md", "Niacine")):
        write_entry(folder, name, f"# {title}\n### Usage\nTake it with water.\n")
    output = tmp_path / "b.pdf"
    args = ["booklet", str(folder), "-o", str(output), "--project", str(REPO), "--jobs", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert [t for _, t, _ in contents(read_booklet(output, BookletReport()))] == ["Zinc"]
    assert ("2 entries in other languages left out (es 1, fr 1): the booklet takes each medicine in English (en); "
            "1 medicine has none in English (en) (--lang en --fallback LANG adds them)") in result.output
    # the same folder with the Spanish file named too: both, and not "up to date" from the run before
    result = CliRunner().invoke(main, [*args, str(folder / "zinc.es.md")])
    assert result.exit_code == 0, result.output
    assert "up to date" not in result.output and "1 entry in other languages left out (fr 1)" in result.output
    assert [t for _, t, _ in contents(read_booklet(output, BookletReport()))] == ["Zinc", "Zinc ES (in Spanish)"]


def test_no_entry_in_the_language_says_so(tmp_path: Path) -> None:
    output = tmp_path / "b.pdf"
    result = CliRunner().invoke(main, ["booklet", str(REPO / "entries"), "--lang", "de", "-o", str(output),
                                       "--project", str(REPO)])
    assert result.exit_code == 1
    assert re.search(r"error: no entry in German \(de\) among \d+ entries \(en \d+, ar 1, es 1, fr 1, hi 1, zh-Hans 1\)",
                     result.output), result.output
    assert "--fallback LANG includes other languages" in result.output and "could be built" not in result.output
    assert not output.exists()


def test_chunks_share_out_evenly_over_the_workers() -> None:
    from leaflets.booklet.make import CHUNK_ENTRIES, chunk_bounds

    for entries in (1, 2, 5, 24, 25, 65, 100, 6411):
        for jobs in (1, 2, 3, 4):
            bounds = chunk_bounds(entries, jobs)
            sizes = [end - start for start, end in bounds]
            assert [start for start, _ in bounds] == [0, *(end for _, end in bounds[:-1])] and bounds[-1][1] == entries
            assert max(sizes) <= CHUNK_ENTRIES and max(sizes) - min(sizes) <= 1, (entries, jobs, sizes)
            assert len(bounds) % jobs == 0 or len(bounds) == entries, (entries, jobs, len(bounds))
    assert [end - start for start, end in chunk_bounds(65, 2)] == [11, 11, 10, 11, 11, 11]
    assert chunk_bounds(0, 2) == []
