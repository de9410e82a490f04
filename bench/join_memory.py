"""Peak memory of joining tagged parts, as the booklet's last stage does, for growing page counts.

    .venv/bin/python bench/join_memory.py TAGGED.pdf [COPIES...]

Streams COPIES copies of a tagged PDF (a booklet from `leaflets booklet`
will do: it has one structure tree) into one file with
:func:`leaflets.pdf.stream.copy_pages` and :class:`StructureMerge`, each
count in a fresh process, and prints pages, seconds and that process's peak
resident memory. Flat memory means the join does not hold the parts.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pikepdf

from leaflets.pdf.stream import PdfStreamWriter, StructureMerge, copy_pages, write_number_tree


def join(part: Path, copies: int) -> None:
    with pikepdf.open(part) as pdf:
        count = len(pdf.pages)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, open(Path(folder) / "joined.pdf", "wb") as handle:
        writer = PdfStreamWriter(handle)
        catalog, pages = writer.reserve(), writer.reserve()
        first = writer.reserve(count * copies)
        numbers = list(range(first, first + count * copies))
        structure = StructureMerge(root=writer.reserve(), document=writer.reserve())
        for copy in range(copies):
            copy_pages(writer, part, numbers[copy * count : (copy + 1) * count], pages, {}, structure)
        writer.write(pages, b"<</Type/Pages/Kids[%s]/Count %d>>" % (b" ".join(b"%d 0 R" % n for n in numbers), len(numbers)))
        tree = write_number_tree(writer, structure.parent_tree)
        kids = b" ".join(b"%d 0 R" % n for n in structure.kids)
        writer.write(structure.document, b"<</Type/StructElem/S/Document/P %d 0 R/K[%s]>>" % (structure.root, kids))
        writer.write(structure.root, b"<</Type/StructTreeRoot/K %d 0 R/ParentTree %d 0 R>>" % (structure.document, tree))
        writer.write(catalog, b"<</Type/Catalog/Pages %d 0 R/StructTreeRoot %d 0 R>>" % (pages, structure.root))
        info = writer.reserve()
        writer.write(info, b"<<>>")
        writer.finish(catalog, info)
        size = handle.tell()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count * copies:6d} pages, {len(writer.offsets):8d} objects, {time.perf_counter() - started:6.1f} s, "
          f"peak RSS {peak:5.0f} MB, file {size / 2**20:6.1f} MB", flush=True)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        join(Path(argv[1]), int(argv[2]))
        return
    part = argv[0]
    for copies in argv[1:] or ["10", "100", "400"]:
        subprocess.run([sys.executable, __file__, "--one", part, copies], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
