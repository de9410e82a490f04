"""The streaming PDF writer: pages copied with their resources, references renumbered, file valid."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from leaflets.pdf.stream import PdfStreamWriter, copy_pages


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
