"""How often the footer height is predicted right, so a leaflet is laid out once.

    .venv/bin/python bench/footer_prediction.py [--corpus ../shared/corpus] [--every N]

Lays out (without writing PDFs) every Nth corpus entry in sorted order in one
process, as one build worker would, and prints how each footer's height was
found: known (the same footer seen before), predicted and right, predicted and
wrong (laid out again), or laid out alone and measured (no footer of its shape
seen yet, or one with lists, images or mixed type sizes). With ``--every 1``
that is the whole corpus.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets.source.discover import find_entries  # noqa: E402
from leaflets.source.entry import load_entry  # noqa: E402
from leaflets.errors import LeafletError  # noqa: E402
from leaflets.render.leaflet import BuildOptions, LeafletRenderer  # noqa: E402
from leaflets.project.project import Project  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--every", type=int, default=5, help="lay out every Nth entry (default 5)")
    args = parser.parse_args()
    sources = find_entries([args.corpus])[:: max(1, args.every)]
    renderer = LeafletRenderer(Project.load(REPO), BuildOptions())
    refused = 0
    started = time.perf_counter()
    for source in sources:
        try:
            content, context, removed = renderer.prepare(load_entry(source.path), source.relative)
            renderer.lay_out(content, context, removed)
        except LeafletError:
            refused += 1
    seconds = time.perf_counter() - started
    stats = renderer.footers.stats
    laid_out = len(sources) - refused
    right = stats.predicted - stats.relaid
    print(f"{len(sources)} entries (every {args.every}th of {args.corpus}), {refused} refused, "
          f"{laid_out} laid out in {seconds:.1f} s")
    print(f"footer height known: {stats.known}; predicted: {stats.predicted} "
          f"({right} right, {stats.relaid} laid out again); measured alone: {stats.measured}")
    if stats.predicted:
        print(f"predictions right: {right / stats.predicted:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
