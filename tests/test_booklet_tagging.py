"""The booklet as one tagged PDF, read back with pikepdf and pdfplumber.

Every marked-content sequence on every page is either reachable from the one
structure tree (through the parent tree) or an artifact; each entry is its
own /Part with its title heading; page numbers and repeated footers are
artifacts; links inside an entry still lead to its own headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from pypdf import PdfReader

from leaflets.booklet.make import BookletOptions, build_booklet
from leaflets.project.project import Project
from leaflets.render.leaflet import BuildOptions

from conftest import BRANDED, REPO, write_entry

EXAMPLES = ["amoxicillin-clavulanic-acid.md", "ibuprofen.md", "metformin.md"]
EXAMPLE_TITLES = ["Amoxicillin + Clavulanic Acid", "Ibuprofen", "Metformin"]
PAGE_NUMBER = re.compile(r"Page \d+ of \d+")
LONG_USAGE = "Take it with water, with or without food, and keep to the dose on the label. " * 9


@dataclass
class Tree:
    """A tagged PDF's structure tree, indexed for the checks."""

    pdf: pikepdf.Pdf
    elements: list[pikepdf.Object]
    reachable: set[tuple[int, int]]
    parent_tree: dict[int, pikepdf.Object]
    page_of: dict[tuple[int, int], int]

    def kids(self, element: pikepdf.Object) -> list[pikepdf.Object]:
        kids = element.get("/K")
        return list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []

    def below(self, element: pikepdf.Object) -> list[pikepdf.Object]:
        """Every structure element under ``element``, in reading (document) order."""
        found = []
        for kid in self.kids(element):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                found.extend(self.below(kid))
        return found

    def mcids(self, element: pikepdf.Object, page: int | None = None) -> set[tuple[int, int]]:
        """(page, MCID) of the marked content under ``element``."""
        page = self.page_of.get(element.Pg.objgen, page) if "/Pg" in element else page
        found = set()
        for kid in self.kids(element):
            if isinstance(kid, int):
                assert page is not None
                found.add((page, kid))
            elif isinstance(kid, pikepdf.Dictionary) and "/MCID" in kid:
                found.add((self.page_of[kid.Pg.objgen] if "/Pg" in kid else page, int(kid.MCID)))
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found |= self.mcids(kid, page)
        return found


def read_tree(pdf: pikepdf.Pdf) -> Tree:
    page_of = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    root = pdf.Root.StructTreeRoot
    elements, stack = [], [root]
    while stack:
        element = stack.pop()
        kids = element.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                elements.append(kid)
                stack.append(kid)
    parent_tree: dict[int, pikepdf.Object] = {}
    nodes = [root.ParentTree]
    while nodes:
        node = nodes.pop()
        nums = node.get("/Nums", pikepdf.Array())
        for index in range(0, len(nums), 2):
            parent_tree[int(nums[index])] = nums[index + 1]
        nodes.extend(node.get("/Kids", ()))
    return Tree(pdf, elements, {element.objgen for element in elements}, parent_tree, page_of)


@dataclass(frozen=True)
class Marked:
    """What a page's content stream marks: MCIDs, and text or XObjects drawn outside any tagged or artifact content."""

    mcids: set[int]
    untagged: list[str]
    artifact_draws: list[str]
    """XObjects drawn inside /Artifact marked content."""


def marked_content(page: pikepdf.Page) -> Marked:
    mcids: set[int] = set()
    untagged: list[str] = []
    artifact_draws: list[str] = []
    stack: list[tuple[str, int | None]] = []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "BDC":
            tag, properties = operands
            mcid = int(properties["/MCID"]) if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties else None
            if mcid is not None:
                assert mcid not in mcids, f"MCID {mcid} used twice on a page"
                mcids.add(mcid)
            stack.append((str(tag), mcid))
        elif op == "BMC":
            stack.append((str(operands[0]), None))
        elif op == "EMC":
            stack.pop()
        elif op in ("Tj", "TJ", "'", '"', "Do"):
            in_artifact = any(tag == "/Artifact" for tag, _ in stack)
            tagged = any(mcid is not None for _, mcid in stack)
            if op == "Do" and in_artifact:
                artifact_draws.append(str(operands[0]))
            if not (in_artifact or tagged):
                untagged.append(f"{op} {operands[0] if op == 'Do' else ''}")
    assert not stack, "marked content left open at the end of the page"
    return Marked(mcids, untagged, artifact_draws)


def build(folder: Path, paths: list[Path], **choices: object) -> Path:
    output = folder / "booklet.pdf"
    report = build_booklet(paths, output, Project.load(REPO), None, BookletOptions(**choices), jobs=2)  # type: ignore[arg-type]
    assert report.ok, [result.error for result in report.results if result.error]
    return output


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("tagged"), [REPO / "entries" / name for name in EXAMPLES])


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A duplex booklet: two entries in one chunk whose links name the same section (by id, and by heading), and a French entry."""
    folder = tmp_path_factory.mktemp("linked")
    entries = folder / "entries"
    entries.mkdir()
    for name, title, target in (("alpha.md", "Alphacaine", "section-3-precautions"), ("beta.md", "Betacaine", "Précautions")):
        write_entry(entries, name, f"""
            ---
            title: {title}
            ---

            # {title}

            ### Usage
            {title} eases pain. Read the [precautions](#{target}) before you take it.

            {LONG_USAGE}

            {LONG_USAGE}

            {LONG_USAGE}

            {LONG_USAGE}

            {LONG_USAGE}

            ### Side Effects
            - Headache
            - Dry mouth

            ### Precautions
            {title}: do not take more than 8 tablets in 24 hours.
            """)
    write_entry(entries, "gamma.md", """
        ---
        title: Gammacaine
        lang: fr
        ---

        # Gammacaine

        ### Usage
        Gammacaine soulage la douleur.

        ### Side Effects
        Maux de tête.

        ### Precautions
        Pas plus de 8 comprimés par jour.
        """)
    # An English booklet: the French-only medicine comes in through the fallback language.
    return build(folder, [entries], duplex=True, lang="en", fallback="fr")


def check_every_mark_reachable(path: Path) -> Tree:
    """Every MCID on every page has a parent-tree entry naming an element of the tree that holds it;
    all other text and drawings sit in artifacts."""
    pdf = pikepdf.open(path)
    tree = read_tree(pdf)
    claimed: set[tuple[int, int]] = set()
    for element in tree.elements:
        claimed |= tree.mcids(element)
    for index, page in enumerate(pdf.pages):
        marked = marked_content(page)
        assert marked.untagged == [], f"page {index + 1}: content neither tagged nor artifact: {marked.untagged[:3]}"
        if not marked.mcids:
            continue
        assert "/StructParents" in page.obj, f"page {index + 1} has marked content but no /StructParents"
        parents = tree.parent_tree[int(page.obj.StructParents)]
        for mcid in marked.mcids:
            element = parents[mcid]
            assert isinstance(element, pikepdf.Dictionary), f"page {index + 1} MCID {mcid}: no parent-tree entry"
            assert element.objgen in tree.reachable, f"page {index + 1} MCID {mcid}: element not in the tree"
            assert (index, mcid) in tree.mcids(element), f"page {index + 1} MCID {mcid}: element does not hold it"
        assert {mcid for page_index, mcid in claimed if page_index == index} <= marked.mcids
    return tree


def test_booklet_is_one_tagged_document(examples: Path) -> None:
    with pikepdf.open(examples) as pdf:
        tree = read_tree(pdf)
        assert len(tree.elements) > 50
        assert str(pdf.Root.Lang) == "en"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert str(pdf.docinfo.Title) == "Medicine information leaflets"
        metadata = pdf.open_metadata()
        assert metadata["pdfuaid:part"] == "1"
        assert metadata["dc:title"] == "Medicine information leaflets"
        document = pdf.Root.StructTreeRoot.K
        assert str(document.S) == "/Document"
        kinds = [str(kid.S) for kid in document.K]
        assert kinds == ["/Part"] * (2 + len(EXAMPLES))


def test_every_marked_content_is_reachable_from_the_tree(examples: Path, linked: Path) -> None:
    for path in (examples, linked):
        check_every_mark_reachable(path)


def test_each_entry_is_a_part_with_its_title_heading(examples: Path) -> None:
    with pikepdf.open(examples) as pdf, pdfplumber.open(examples) as plumber:
        tree = read_tree(pdf)
        text: dict[tuple[int, int], str] = {}
        for index, page in enumerate(plumber.pages):
            for char in page.chars:
                if char.get("mcid") is not None:
                    text[(index, char["mcid"])] = text.get((index, char["mcid"]), "") + char["text"]
        parts = list(pdf.Root.StructTreeRoot.K.K)[2:]
        assert [str(part.T) for part in parts] == EXAMPLE_TITLES
        for part, title in zip(parts, EXAMPLE_TITLES):
            below = tree.below(part)
            headings = [element for element in below if str(element.S) == "/H1"]
            assert len(headings) == 1
            heading_text = "".join(text.get(key, "") for key in sorted(tree.mcids(headings[0])))
            assert heading_text == title
            kinds = {str(element.S) for element in below}
            assert {"/H2", "/P", "/L", "/LI"} <= kinds, kinds
            part_text = " ".join(text.get(key, "") for key in sorted(tree.mcids(part)))
            assert part_text.count("Disclaimer:") == 1, "the footer is read once per entry"


def test_tables_of_an_entry_keep_their_structure(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    for name in ("one.md", "two.md"):
        write_entry(entries, name, f"""
            ---
            title: Table {name[:3]}
            ---

            # Table {name[:3]}

            ### Dosage
            | Age | Dose |
            |---|---|
            | Adults | 500 mg |
            | Children | 250 mg |

            ### Usage
            For pain.

            ### Side Effects
            Rare.

            ### Precautions
            None known.
            """)
    path = build(tmp_path, [entries])
    with pikepdf.open(path) as pdf:
        tree = read_tree(pdf)
        kinds = [str(element.S) for element in tree.elements]
        assert kinds.count("/Table") == 2 and "/TH" in kinds and "/TD" in kinds
        ids = [str(element.ID) for element in tree.elements if "/ID" in element]
        assert ids and len(ids) == len(set(ids)), "table header IDs stay unique across parts"
        for element in tree.elements:
            if str(element.S) == "/TD" and "/A" in element and "/Headers" in element.A:
                assert {str(header) for header in element.A.Headers} <= set(ids)


def test_page_numbers_and_repeated_footers_are_artifacts(examples: Path, linked: Path) -> None:
    for path in (examples, linked):
        with pikepdf.open(path) as pdf:
            tree = read_tree(pdf)
            parts = list(pdf.Root.StructTreeRoot.K.K)
            first_pages = {min(page for page, _ in tree.mcids(part)) for part in parts[:1] + parts[2:]}
            for page in pdf.pages:
                draws = marked_content(page).artifact_draws
                assert len(draws) == 1 and draws[0].startswith("/LeafletsStamp"), "the page number is drawn as an artifact"
        with pdfplumber.open(path) as plumber:
            for index, page in enumerate(plumber.pages):
                words = page.extract_words(extra_attrs=["mcid", "tag"])
                numbers = [w for w in words if w["text"] == "Page"]
                assert len(numbers) == 1 and numbers[0]["tag"] == "Artifact" and numbers[0]["mcid"] is None
                assert PAGE_NUMBER.search(page.extract_text())
                # The French entry's footer is in French ("Avertissement :").
                disclaimer = [w for w in words if w["text"] in ("Disclaimer:", "Avertissement")]
                assert len(disclaimer) == 1, f"page {index + 1}"
                footer = [c for c in page.chars if c["top"] >= disclaimer[0]["top"] - 1 and c["bottom"] < numbers[0]["top"]]
                if index in first_pages:
                    assert all(c["mcid"] is not None for c in footer), f"page {index + 1}: the footer is read here, once"
                else:
                    assert all(c["mcid"] is None for c in footer), f"page {index + 1}: a repeated footer is in the tree"


def test_internal_links_lead_to_the_entrys_own_heading(linked: Path) -> None:
    reader = PdfReader(linked)
    page_index = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    texts = [page.extract_text() for page in reader.pages]
    starts = {title: next(i for i, text in enumerate(texts) if text.lstrip().startswith(title)) for title in ("Alphacaine", "Betacaine")}
    found = {}
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            destination = annotation.get("/Dest")
            if annotation.get("/Contents") != "section-3-precautions":
                continue
            if destination is not None:
                target = page_index[destination[0].idnum]
                title = "Alphacaine" if index < starts["Betacaine"] else "Betacaine"
                found[title] = target
                assert target > starts[title], "the precautions are on a later page of the same entry"
                assert f"{title}: do not take more" in texts[target]
    assert set(found) == {"Alphacaine", "Betacaine"}


def test_links_are_tagged_with_their_annotations(examples: Path, linked: Path) -> None:
    for path in (examples, linked):
        with pikepdf.open(path) as pdf:
            tree = read_tree(pdf)
            count = 0
            for page in pdf.pages:
                for annotation in page.obj.get("/Annots", ()):
                    count += 1
                    assert "/Contents" in annotation and str(annotation.Contents)
                    element = tree.parent_tree[int(annotation.StructParent)]
                    assert str(element.S) == "/Link" and element.objgen in tree.reachable
                    objrs = [kid for kid in tree.kids(element) if isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid]
                    assert [objr.Obj.objgen for objr in objrs] == [annotation.objgen]
            assert count >= len(EXAMPLES)


def test_contents_are_a_toc_of_links(examples: Path) -> None:
    with pikepdf.open(examples) as pdf:
        tree = read_tree(pdf)
        contents = list(pdf.Root.StructTreeRoot.K.K)[1]
        below = tree.below(contents)
        items = [element for element in below if str(element.S) == "/TOCI"]
        assert len(items) == len(EXAMPLES)
        assert any(str(element.S) == "/TOC" for element in below)
        for item in items:
            assert [str(kid.S) for kid in tree.kids(item) if "/S" in kid][-1] == "/Link"
        annotations = list(pdf.pages[1].obj.Annots)
        assert [str(annotation.Contents) for annotation in annotations] == EXAMPLE_TITLES
        page_of = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        for item, annotation in zip(items, annotations):
            slot = item
            while [kid for kid in tree.kids(slot) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]:
                slot = [kid for kid in tree.kids(slot) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid][-1]
            # The printed page number is a stamp (an artifact); the tree reads it from the slot's /ActualText.
            assert str(slot.ActualText) == str(page_of[annotation.Dest[0].objgen] + 1)


def test_entry_language_set_where_it_differs(linked: Path) -> None:
    with pikepdf.open(linked) as pdf:
        parts = {str(part.get("/T")): part for part in pdf.Root.StructTreeRoot.K.K}
        assert str(parts["Gammacaine"].Lang) == "fr"
        assert "/Lang" not in parts["Alphacaine"] and str(pdf.Root.Lang) == "en"


def test_duplex_blank_pages_are_all_artifact(linked: Path) -> None:
    with pdfplumber.open(linked) as plumber:
        blank = [i for i, page in enumerate(plumber.pages) if all(c["mcid"] is None for c in page.chars)]
    with pikepdf.open(linked) as pdf:
        tree = read_tree(pdf)
        claimed = {page for element in tree.elements for page, _ in tree.mcids(element)}
        assert blank, "duplex leaves blank pages"
        for index in blank:
            assert index not in claimed
            assert not marked_content(pdf.pages[index]).mcids


def test_bookmarks_unchanged(examples: Path) -> None:
    reader = PdfReader(examples)
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == ["Contents", *EXAMPLE_TITLES]
    assert reader.get_destination_page_number(top[0]) == 1


def test_branded_large_print_figures_keep_alternative_text(tmp_path: Path) -> None:
    """The logo and QR code of each entry's first page are /Figure elements with /Alt, in that entry's part."""
    output = tmp_path / "branded.pdf"
    report = build_booklet(
        [REPO / "entries" / "metformin.md", REPO / "entries" / "ibuprofen.md"], output, Project.load(BRANDED),
        BuildOptions(large_print=True), BookletOptions(), jobs=2,
    )
    assert report.ok
    check_every_mark_reachable(output)
    with pikepdf.open(output) as pdf:
        tree = read_tree(pdf)
        for part, title in zip(list(pdf.Root.StructTreeRoot.K.K)[2:], ["Ibuprofen", "Metformin"]):
            figures = [element for element in tree.below(part) if str(element.S) == "/Figure"]
            alternatives = sorted(str(figure.Alt) for figure in figures)
            assert alternatives == [f"QR code linking to https://leaflets.example.org/riverside/{title.lower()}.html",
                                    "Riverside Pharmacy logo"]
