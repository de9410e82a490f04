"""Where a booklet spends CPU time that a build of the same entries does not: both profiled in one process.

    .venv/bin/python bench/booklet_profile.py [--corpus ../shared/corpus] [--every 100] [--top 25] [--stages]

Takes entry i*N of the sorted corpus (as bench/small_batch.py does), then
runs ``build_leaflets`` and ``build_booklet`` with ``jobs=1`` (everything in
this process, so cProfile sees it all) under cProfile with the process's CPU
clock (``time.process_time``), so load from other users of the machine does
not count. A warm-up build of two entries first loads fonts and modules for
both. Prints each run's CPU time, their ratio, the functions by own CPU time
(shares of the run) side by side, and the booklet's stages by cumulative time.

cProfile slows Python code several times more than the C code below it, so
its shares overstate the booklet's own Python work; ``--stages`` instead times
the booklet's stages (and the build's) with ``time.process_time`` alone, no
profiler, the build and the booklet taken in turn ``--repeat`` times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from small_batch import copy_every  # noqa: E402

STAGES = (
    ("render_chunk", "lay out the entries (chunks)"),
    ("finish", "tagging finisher of the chunk/front parts"),
    ("lay_out_front_part", "cover and contents"),
    ("stamp_pages", "stamping page numbers"),
    ("overlay", "  of which laying out the overlay"),
    ("_stamp_artifact", "  of which adding the stamp forms"),
    ("assemble", "joining (stream, structure merge)"),
    ("_titles", "reading titles, language selection"),
    ("booklet_key", "booklet key"),
    ("build_one", "build: one leaflet"),
    ("write_pdf", "WeasyPrint write_pdf"),
    ("render_pdf", "WeasyPrint render_pdf"),
    ("layout", "WeasyPrint layout"),
)


def profiled(run: object) -> tuple[float, pstats.Stats]:
    profile = cProfile.Profile(time.process_time)
    started = time.process_time()
    profile.runcall(run)  # type: ignore[arg-type]
    seconds = time.process_time() - started
    return seconds, pstats.Stats(profile)


def own_times(stats: pstats.Stats) -> dict[str, tuple[float, float, int]]:
    """function label -> (own time, cumulative time, calls)."""
    table: dict[str, tuple[float, float, int]] = {}
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename.split("site-packages/")[-1].replace(str(REPO) + "/", "")
        label = f"{short}:{line}({name})"
        table[label] = (own, cumulative, calls)
    return table


def by_name(table: dict[str, tuple[float, float, int]], name: str) -> tuple[float, int]:
    """The largest cumulative time among functions called ``name`` (the outermost), and its calls."""
    found = [(cum, calls) for label, (_own, cum, calls) in table.items() if label.endswith(f"({name})")]
    return max(found, default=(0.0, 0))


def timed_stages(work: Path, project: object, repeat: int) -> None:
    """CPU time of each stage of the booklet and of the build, no profiler, both in this process (``jobs=1``)."""
    import functools

    import leaflets.booklet.make as make
    import leaflets.booklet.stamping as stamping
    import leaflets.build.builder as builder

    spent: dict[str, float] = {}

    def wrap(module: object, name: str, label: str) -> None:
        function = getattr(module, name)

        @functools.wraps(function)
        def timed(*args: object, **kwargs: object) -> object:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - started

        setattr(module, name, timed)

    for name, label in (("render_chunk", "entries laid out in chunks (written, tagged)"),
                        ("lay_out_front_part", "cover and contents"), ("stamp_pages", "numbering"),
                        ("assemble", "joining, structure trees merged"), ("_titles", "titles and languages read"),
                        ("booklet_key", "booklet key")):
        wrap(make, name, label)
    wrap(stamping.Stamper, "overlay", "  of numbering: laying out the numbers")
    wrap(builder, "build_one", "leaflets laid out and written")
    for _round in range(repeat):
        for kind in ("build", "booklet"):
            spent.clear()
            started = time.process_time()
            if kind == "build":
                builder.build_leaflets([work / "entries"], work / "out", project, jobs=1, force=True)  # type: ignore[arg-type]
            else:
                make.build_booklet([work / "entries"], work / "booklet.pdf", project, jobs=1, force=True)  # type: ignore[arg-type]
            total = time.process_time() - started
            print(f"{kind:7} {total:6.2f} s CPU")
            for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
                print(f"    {label:45} {seconds:6.2f} s {100 * seconds / total:5.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", type=Path, help="write the two profiles as DUMP-build.prof and DUMP-booklet.prof")
    parser.add_argument("--stages", action="store_true", help="time the stages without the profiler instead")
    parser.add_argument("--repeat", type=int, default=2, help="with --stages: rounds of build and booklet (default 2)")
    args = parser.parse_args()

    from leaflets.booklet.make import build_booklet
    from leaflets.build.builder import build_leaflets
    from leaflets.project.project import Project

    project = Project.load(REPO)
    with tempfile.TemporaryDirectory(prefix="leaflets-profile-") as temp:
        work = Path(temp)
        count = copy_every(args.corpus, args.every, work / "entries")
        copy_every(args.corpus, args.every * 40, work / "warm")
        build_leaflets([work / "warm"], work / "warm-out", project, jobs=1)
        build_booklet([work / "warm"], work / "warm.pdf", project, jobs=1)
        if args.stages:
            print(f"{count} entries, every {args.every}th of the sorted corpus; CPU time of this process (jobs=1)")
            timed_stages(work, project, args.repeat)
            return 0
        build_seconds, build_stats = profiled(
            lambda: build_leaflets([work / "entries"], work / "out", project, jobs=1, force=True))
        booklet_seconds, booklet_stats = profiled(
            lambda: build_booklet([work / "entries"], work / "booklet.pdf", project, jobs=1, force=True))
        if args.dump:
            build_stats.dump_stats(f"{args.dump}-build.prof")
            booklet_stats.dump_stats(f"{args.dump}-booklet.prof")
    print(f"{count} entries, every {args.every}th of the sorted corpus; CPU time of this process (jobs=1)")
    print(f"build   {build_seconds:7.2f} s")
    print(f"booklet {booklet_seconds:7.2f} s   ratio {booklet_seconds / build_seconds:.3f}")
    build, booklet = own_times(build_stats), own_times(booklet_stats)
    print("\nStages (cumulative CPU, share of the run):")
    for name, label in STAGES:
        for title, table, total in (("booklet", booklet, booklet_seconds), ("build", build, build_seconds)):
            seconds, calls = by_name(table, name)
            if calls:
                print(f"  {title:7} {label:45} {seconds:6.2f} s {100 * seconds / total:5.1f} %  ({calls} calls)")
    print(f"\nOwn CPU time by function, booklet's top {args.top} against the build (share of each run):")
    ranked = sorted(booklet.items(), key=lambda item: -item[1][0])[: args.top]
    for label, (own, _cum, calls) in ranked:
        other = build.get(label, (0.0, 0.0, 0))
        print(f"  {100 * own / booklet_seconds:5.1f} % {own:6.2f} s | build {100 * other[0] / build_seconds:5.1f} % "
              f"{other[0]:6.2f} s  {label} ({calls} / {other[2]} calls)")
    print("\nCumulative CPU time the booklet spends in functions the build barely calls (> 1 % of the booklet):")
    extra = []
    for label, (_own, cum, _calls) in booklet.items():
        other = build.get(label, (0.0, 0.0, 0))
        difference = cum - other[1] * booklet_seconds / build_seconds
        if difference > 0.01 * booklet_seconds and "leaflets/" in label:
            extra.append((difference, label, cum, other[1]))
    for difference, label, cum, other_cum in sorted(extra, reverse=True)[: args.top]:
        print(f"  +{difference:6.2f} s  booklet {cum:6.2f} s, build {other_cum:6.2f} s  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
