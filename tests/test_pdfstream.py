"""The streaming PDF writer: pages copied with their resources, references renumbered, file valid."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from leaflets.pdf.stream import PdfStreamWriter, StructureMerge, copy_pages, write_number_tree


def make_part(path: Path, label: str) -> None:
    with pikepdf.Pdf.new() as pdf:
        font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
        for text in ("one", "two"):
            page = pdf.add_blank_page(page_size=(200, 100))
            page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
            page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 10 10 Td ({label} {text}) Tj ET".encode())
        link = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 50, 50]),
            Dest=Array([pdf.pages[1].obj, Name.Fit]), Contents=pikepdf.String("é ✓"),
        ))
        pdf.pages[0].obj.Annots = Array([link])
        pdf.save(path)


def test_parts_stream_into_one_valid_pdf(tmp_path: Path) -> None:
    make_part(tmp_path / "a.pdf", "A")
    make_part(tmp_path / "b.pdf", "B")
    output = tmp_path / "joined.pdf"
    with open(output, "wb") as handle:
        writer = PdfStreamWriter(handle)
        catalog, pages = writer.reserve(), writer.reserve()
        first = writer.reserve(4)
        numbers = list(range(first, first + 4))
        extra = writer.reserve()
        writer.write(extra, b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/Dest[%d 0 R/Fit]>>" % numbers[3])
        copy_pages(writer, tmp_path / "a.pdf", numbers[:2], pages, {1: [extra]})
        copy_pages(writer, tmp_path / "b.pdf", numbers[2:], pages, {})
        kids = b" ".join(b"%d 0 R" % n for n in numbers)
        writer.write(pages, b"<</Type/Pages/Kids[%s]/Count 4>>" % kids)
        writer.write(catalog, b"<</Type/Catalog/Pages %d 0 R>>" % pages)
        info = writer.reserve()
        writer.write(info, b"<</Title(joined)>>")
        writer.finish(catalog, info)

    with pikepdf.Pdf.open(output) as pdf:
        assert pdf.get_warnings() == [] and pdf.check_pdf_syntax() == []
        texts = [page.Contents.read_bytes().decode() for page in pdf.pages]
        assert [t.split("(")[1].split(")")[0] for t in texts] == ["A one", "A two", "B one", "B two"]
        own_link = pdf.pages[0].Annots[0]
        assert own_link.Dest[0].objgen == pdf.pages[1].obj.objgen
        assert str(own_link.Contents) == "é ✓"
        added = pdf.pages[1].Annots[0]
        assert added.Dest[0].objgen == pdf.pages[3].obj.objgen
        assert pdf.pages[0].Resources.Font.F1.objgen == pdf.pages[1].Resources.Font.F1.objgen
        assert pdf.pages[0].Resources.Font.F1.objgen != pdf.pages[2].Resources.Font.F1.objgen
        assert all(page.Parent.objgen == pdf.Root.Pages.objgen for page in pdf.pages)


def make_tagged_part(path: Path, label: str) -> None:
    """Two pages, each a /P with one marked run, a link annotation on the first, and a RoleMap."""
    with pikepdf.Pdf.new() as pdf:
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root, K=Array()))
        nums = Array()
        for index, text in enumerate(("one", "two")):
            page = pdf.add_blank_page(page_size=(200, 100))
            page.obj.StructParents = index
            page.obj.Contents = pdf.make_stream(f"/P <</MCID 0>> BDC BT ({label} {text}) Tj ET EMC".encode())
            paragraph = pdf.make_indirect(Dictionary(
                Type=Name.StructElem, S=Name(f"/{label}Para"), P=document, Pg=page.obj, K=Array([0])
            ))
            document.K.append(paragraph)
            nums.extend([index, Array([paragraph])])
        link = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 50, 50]), StructParent=2,
            Dest=Array([pdf.pages[1].obj, Name.Fit]), Contents=pikepdf.String(f"{label} link"),
        ))
        pdf.pages[0].obj.Annots = Array([link])
        element = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Link, P=document, Pg=pdf.pages[0].obj))
        element.K = Array([Dictionary(Type=Name.OBJR, Obj=link, Pg=pdf.pages[0].obj)])
        document.K.append(element)
        nums.extend([2, element])
        root.K = document
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
        root.RoleMap = Dictionary({f"/{label}Para": Name.P})
        pdf.Root.StructTreeRoot = root
        pdf.save(path)


def test_structure_trees_merge_with_keys_moved(tmp_path: Path) -> None:
    make_tagged_part(tmp_path / "a.pdf", "A")
    make_tagged_part(tmp_path / "b.pdf", "B")
    output = tmp_path / "joined.pdf"
    with open(output, "wb") as handle:
        writer = PdfStreamWriter(handle)
        catalog, pages = writer.reserve(), writer.reserve()
        first = writer.reserve(4)
        numbers = list(range(first, first + 4))
        structure = StructureMerge(root=writer.reserve(), document=writer.reserve())
        copy_pages(writer, tmp_path / "a.pdf", numbers[:2], pages, {}, structure)
        copy_pages(writer, tmp_path / "b.pdf", numbers[2:], pages, {}, structure)
        writer.write(pages, b"<</Type/Pages/Kids[%s]/Count 4>>" % b" ".join(b"%d 0 R" % n for n in numbers))
        tree = write_number_tree(writer, structure.parent_tree, leaf_size=2)
        kids = b" ".join(b"%d 0 R" % n for n in structure.kids)
        writer.write(structure.document, b"<</Type/StructElem/S/Document/P %d 0 R/K[%s]>>" % (structure.root, kids))
        role_map = b"".join(Name(name).unparse() + role for name, role in structure.role_map.items())
        writer.write(structure.root, b"<</Type/StructTreeRoot/K %d 0 R/ParentTree %d 0 R/RoleMap<<%s>>>>" % (
            structure.document, tree, role_map))
        writer.write(catalog, b"<</Type/Catalog/Pages %d 0 R/StructTreeRoot %d 0 R>>" % (pages, structure.root))
        info = writer.reserve()
        writer.write(info, b"<<>>")
        writer.finish(catalog, info)

    assert structure.next_key == 6
    with pikepdf.Pdf.open(output) as pdf:
        assert pdf.get_warnings() == [] and pdf.check_pdf_syntax() == []
        root = pdf.Root.StructTreeRoot
        assert dict(root.RoleMap.items()) == {"/APara": Name.P, "/BPara": Name.P}
        document = root.K
        assert [str(kid.S) for kid in document.K] == ["/APara", "/APara", "/Link", "/BPara", "/BPara", "/Link"]
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        assert [int(page.StructParents) for page in pdf.pages] == [0, 1, 3, 4]
        links = [pdf.pages[0].Annots[0], pdf.pages[2].Annots[0]]
        assert [int(link.StructParent) for link in links] == [2, 5]
        leaves = {}
        for kid in root.ParentTree.Kids:
            nums = kid.Nums
            leaves.update({int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)})
        assert sorted(leaves) == [0, 1, 2, 3, 4, 5]
        for key, page in zip([0, 1, 3, 4], pdf.pages):
            assert leaves[key][0].Pg.objgen == page.obj.objgen
        for key, link in zip([2, 5], links):
            assert leaves[key].K[0].Obj.objgen == link.objgen
        assert links[1].Dest[0].objgen == pdf.pages[3].obj.objgen


def test_cached_page_references_agree_and_follow_new_pages() -> None:
    """pydyf internal the booklet relies on: ``PDF.page_references`` is a property over the page tree."""
    import pydyf

    from leaflets.pdf.pagerefs import cached_page_references

    pdf = pydyf.PDF()
    for _ in range(3):
        page = pydyf.Dictionary({"Type": "/Page"})
        pdf.add_page(page)
    plain = pdf.page_references
    with cached_page_references():
        assert pdf.page_references == plain and len(plain) == 3
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert len(pdf.page_references) == 4 and pdf.page_references[:3] == plain
    assert isinstance(pydyf.PDF.__dict__["page_references"], property)
    assert pdf.page_references == pydyf.PDF.page_references.fget(pdf)
