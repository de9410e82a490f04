"""What leaflets adds to WeasyPrint per entry, with the machine's ups and downs taken out.

    .venv/bin/python bench/overhead.py [--corpus ../shared/corpus] [--count 200]

bench/build_speed.py times whole commands one after the other, so a burst of
load from another user lands on one row and not the other. This script runs
both in one process, entry by entry, in alternating order: WeasyPrint alone
turning the entry's own HTML (from ``--format html``) into a tagged PDF, as the
engine floor does, and ``build_one`` doing everything ``leaflets build --jobs 1``
does for the entry. It prints the milliseconds an entry for each and the ratio;
process start-up (about 0.2 s a run more imports for leaflets) is not in it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets.build.builder import BuildJob, build_leaflets, build_one, new_renderer  # noqa: E402
from leaflets.source.discover import find_entries  # noqa: E402
from leaflets.project.options import BuildOptions  # noqa: E402
from leaflets.project.project import Project  # noqa: E402

from build_speed import SAMPLE, copy_sample  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--count", type=int, default=200, help=f"entries of {SAMPLE.name} to use")
    args = parser.parse_args()
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    project = Project.load(REPO)
    with tempfile.TemporaryDirectory(prefix="leaflets-overhead-") as temp:
        work = Path(temp)
        copy_sample(args.corpus, work / "entries")
        sources = find_entries([work / "entries"])[: args.count]
        build_leaflets([work / "entries"], work / "html", project, BuildOptions(format="html"), jobs=1)
        renderer = new_renderer(project, BuildOptions())
        font_config = FontConfiguration()
        floor = ours = 0.0
        timed = 0
        for index, source in enumerate(sources):
            html = work / "html" / source.relative.with_suffix(".html")
            if not html.exists():
                continue  # refused by the build: nothing for the floor to render
            timed += 1
            for turn in ((0, 1) if index % 2 else (1, 0)):
                started = time.perf_counter()
                if turn == 0:
                    weasyprint.HTML(filename=str(html)).write_pdf(
                        str(work / "floor.pdf"), font_config=font_config, pdf_tags=True)
                    floor += time.perf_counter() - started
                else:
                    build_one(renderer, BuildJob(source, work / "pdf"))
                    ours += time.perf_counter() - started
    print(f"{timed} entries: WeasyPrint alone {floor / timed * 1000:.1f} ms an entry, "
          f"leaflets build_one {ours / timed * 1000:.1f} ms, ratio {ours / floor:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
