"""What the structure pass (leaflets/tagging.py) adds to writing a PDF.

Usage: .venv/bin/python bench/structure_pass.py [ENTRY.md ...] [--repeat N]
Prints, per entry, the median milliseconds of WeasyPrint's write_pdf alone and
with finish_structure as its finisher, so the pass's share of the build can be judged.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from leaflets.source.entry import load_entry
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.layout.engine import PDF_VARIANT
from leaflets.render.leaflet import LeafletRenderer
from leaflets.project.project import Project
from leaflets.source.sections import normalise
from leaflets.pdf.tagging import finish_structure

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("entries", nargs="*", type=Path, default=sorted((ROOT / "entries").glob("*.md")))
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    renderer = LeafletRenderer(Project.load(ROOT))
    print(f"{'entry':40} {'pages':>5} {'write_pdf ms':>12} {'structure ms':>12} {'share':>6}")
    for path in args.entries:
        entry = load_entry(path)
        context, _ = renderer.context(normalise(entry))
        html = renderer.templates.render(renderer.template, **context, stylesheet_hrefs=[])
        document = renderer.engine.render(html, path.resolve().parent, ProjectFetcher(renderer.project.trusted_dirs))
        write, finish = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            document.write_pdf(pdf_variant=PDF_VARIANT)
            middle = time.perf_counter()
            document.write_pdf(pdf_variant=PDF_VARIANT, finisher=finish_structure)
            write.append(middle - started)
            finish.append(time.perf_counter() - middle)
        w = statistics.median(write) * 1000
        f = statistics.median(finish) * 1000 - w
        print(f"{path.name:40} {len(document.pages):5} {w:12.1f} {f:12.1f} {f / (w + f):6.0%}")


if __name__ == "__main__":
    main()
