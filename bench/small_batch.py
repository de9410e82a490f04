"""Speed on a small batch: every Nth corpus entry, floor, ``--jobs 1``, build and booklet taken in turn.

    .venv/bin/python bench/small_batch.py [--corpus ../shared/corpus] [--every 100] [--repeat 3]

On the 200-entry sample (bench/build_speed.py) the per-run costs of the tool
(imports, the first footer of each shape laid out alone, worker start-up, the
cache, git) are spread over 200 leaflets; on 60 they weigh three times as much.
This script takes entry i*N of the sorted corpus (``--every``, default 100: 65
entries, of which the complete leaflets are built), writes their HTML once,
then runs, ``--repeat`` times in turn so that a burst of load from another user
weighs on every row alike:

1. engine floor: WeasyPrint alone in one process (as in bench/build_speed.py);
2. ``leaflets build --jobs 1``;  3. ``leaflets build`` (every CPU);
4. ``leaflets booklet`` of the same entries.

Each row is its own process; wall time and CPU time (user + system of the
process and every child it waited for, from ``wait4``) are reported as the
median over the repeats, with the ratios the targets are about: (2)/(1) ≤ 1.10
and (4)/(3) ≤ 1.2, on wall time and on CPU time. On a loaded shared machine
the CPU ratio is the steadier one. The run-by-run figures are printed under
the table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from build_speed import BIN, Run, machine, measure  # noqa: E402

ROWS = ("floor", "jobs1", "all", "booklet")
LABELS = {
    "floor": "1. engine floor: WeasyPrint alone, one process",
    "jobs1": "2. `leaflets build --jobs 1`",
    "all": "3. `leaflets build` (every CPU)",
    "booklet": "4. `leaflets booklet`",
}


def copy_every(corpus: Path, every: int, folder: Path) -> int:
    """Copy entry i*every of the sorted corpus into ``folder``, keeping the letter folders."""
    from leaflets.source.discover import find_entries

    sources = find_entries([corpus])
    chosen = sources[::every]
    for source in chosen:
        target = folder / source.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.path, target)
    return len(chosen)


def commands(row: str, html: Path, entries: Path, work: Path, attempt: int) -> list[str]:
    leaflets = str(BIN / "leaflets")
    if row == "floor":
        return [sys.executable, str(REPO / "bench" / "build_speed.py"), "--engine-floor", str(html), str(work / f"floor-{attempt}")]
    if row == "jobs1":
        return [leaflets, "build", str(entries), "--out", str(work / f"jobs1-{attempt}"), "--jobs", "1", "--quiet"]
    if row == "all":
        return [leaflets, "build", str(entries), "--out", str(work / f"all-{attempt}"), "--quiet"]
    return [leaflets, "booklet", str(entries), "--output", str(work / f"booklet-{attempt}.pdf")]


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(run, attribute) for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--every", type=int, default=100, help="take every Nth entry of the sorted corpus (default 100)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the rows in turn (default 3)")
    parser.add_argument("--only", help="comma-separated rows (floor,jobs1,all,booklet)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus} (--corpus)", file=sys.stderr)
        return 2
    rows = [row for row in ROWS if not args.only or row in args.only.split(",")]
    load_before = os.getloadavg()
    measured: dict[str, list[Run]] = {row: [] for row in rows}
    with tempfile.TemporaryDirectory(prefix="leaflets-small-") as temp:
        work = Path(temp)
        entries, html = work / "entries", work / "html"
        count = copy_every(args.corpus, args.every, entries)
        measure([str(BIN / "leaflets"), "build", str(entries), "--out", str(html), "--format", "html", "--quiet"])
        built = len(list(html.rglob("*.html")))
        print(f"{count} entries, {built} complete leaflets", file=sys.stderr)
        for attempt in range(max(1, args.repeat)):
            order = rows if attempt % 2 == 0 else rows[::-1]
            for row in order:
                run = measure(commands(row, html, entries, work, attempt))
                measured[row].append(run)
                print(f"  round {attempt + 1} {row}: {run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU", file=sys.stderr)
    load_after = os.getloadavg()
    lines = [
        f"`{Path(sys.executable).name} bench/small_batch.py --every {args.every} --repeat {args.repeat}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {count} entries (every {args.every}th of the sorted "
        f"corpus), {built} built. Machine: {machine()}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        "",
        f"| median of {args.repeat} | wall time | CPU time (user + sys, children included) |",
        "|---|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {LABELS[row]} | {median(measured[row], 'seconds'):.2f} s | {median(measured[row], 'cpu_seconds'):.2f} s |")
    lines.append("")

    def ratio(top: str, bottom: str, target: float) -> None:
        if top not in measured or bottom not in measured:
            return
        for attribute, name in (("seconds", "wall"), ("cpu_seconds", "CPU")):
            value = median(measured[top], attribute) / median(measured[bottom], attribute)
            each = ", ".join(f"{a / b:.3f}" for a, b in zip(
                (getattr(run, attribute) for run in measured[top]), (getattr(run, attribute) for run in measured[bottom])))
            lines.append(f"- {top}/{bottom} {name}: **{value:.3f}** (target ≤ {target}: "
                         f"{'pass' if value <= target else 'FAIL'}); round by round {each}")

    ratio("jobs1", "floor", 1.10)
    ratio("booklet", "all", 1.2)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
