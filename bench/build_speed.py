"""Build speed of 200 corpus entries against the engine floor and the naive way, in one table.

    .venv/bin/python bench/build_speed.py [--corpus ../shared/corpus] [--write]

Rows, all measured in this run on this machine, each command in its own process
(so process start and imports count, as they do for a user):

1. engine floor: WeasyPrint alone (one process, one FontConfiguration) turning
   the tool's own HTML for the 200 entries (``leaflets build --format html``) into PDFs;
2. ``leaflets build --jobs 1``;  3. ``leaflets build`` (every CPU);
4. the same build again, nothing changed;  5. ``leaflets booklet`` of the 200;
6. the naive way: the ``weasyprint`` command once per HTML file.

Every PDF is written with the same options (tagged PDF) so the rows compare the
same work. Rows 1 and 2, whose ratio is the tightest target, are measured
``--repeat`` times (default 5) taking turns, and each reports its median run, so
a burst of load from another user weighs on both rather than on one. CPU time (user + system, all processes of the row) shows how much a
loaded machine distorted the wall times. Peak memory is the largest resident set of any process of the row
(the build's main process or any worker), from ``wait4``. ``--write`` puts the
table, the machine and the command into BENCHMARKS.md under "Build speed".

The sample (bench/sample-200.txt) is every 32nd-or-so entry of the corpus in
sorted order: ``--resample`` rewrites it from the corpus the same way.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "bench" / "sample-200.txt"
BENCHMARKS = REPO / "BENCHMARKS.md"
SAMPLE_SIZE = 200
MEMORY_LIMIT_MB = 400
TABLE_START, TABLE_END = "<!-- build-speed: table -->", "<!-- /build-speed: table -->"
BIN = Path(sys.executable).parent


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_mb: float
    status: int


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and the peak RSS of the command's largest process (itself or a reaped descendant)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.returncode:
        print(f"  {' '.join(command[:3])} ... exited {process.returncode}: {errors.strip()[-300:]}", file=sys.stderr)
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def measure_many(commands: list[list[str]]) -> Run:
    runs = [measure(command) for command in commands]
    failed = next((run.status for run in runs if run.status), 0)
    return Run(sum(run.seconds for run in runs), sum(run.cpu_seconds for run in runs),
               max(run.peak_mb for run in runs), failed)


def engine_floor(html_dir: str, pdf_dir: str) -> None:
    """Row 1, run in its own process: WeasyPrint only, one FontConfiguration for every file."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    for html in sorted(Path(html_dir).rglob("*.html")):
        target = Path(pdf_dir) / html.relative_to(html_dir).with_suffix(".pdf")
        target.parent.mkdir(parents=True, exist_ok=True)
        weasyprint.HTML(filename=str(html)).write_pdf(str(target), font_config=font_config, pdf_tags=True)


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda run: run.seconds)
    return ordered[(len(ordered) - 1) // 2]


def floor_against_one_job(
    html: Path, entries: Path, work: Path, repeat: int, only: set[str] | None
) -> tuple[dict[str, Run], str]:
    """Rows 1 and 2, alternating ``repeat`` times: a shared machine's load then weighs on both alike."""
    measured: dict[str, list[Run]] = {"floor": [], "jobs1": []}
    for attempt in range(max(1, repeat)):
        if only is None or "floor" in only:
            print(f"measuring floor ({attempt + 1}/{repeat}) ...", file=sys.stderr)
            measured["floor"].append(measure(
                [sys.executable, __file__, "--engine-floor", str(html), str(work / f"floor-{attempt}")]))
        if only is None or "jobs1" in only:
            print(f"measuring jobs1 ({attempt + 1}/{repeat}) ...", file=sys.stderr)
            measured["jobs1"].append(measure(
                [str(BIN / "leaflets"), "build", str(entries), "--out", str(work / f"jobs1-{attempt}"), "--jobs", "1", "--quiet"]))
    parts = [f"{name} " + ", ".join(f"{run.seconds:.2f}" for run in runs) + " s" for name, runs in measured.items() if runs]
    if measured["floor"] and measured["jobs1"]:
        ratios = [one.seconds / floor.seconds for floor, one in zip(measured["floor"], measured["jobs1"])]
        parts.append("(2)/(1) run by run " + ", ".join(f"{ratio:.3f}" for ratio in ratios))
    note = f"Rows 1 and 2, each run in turn: {'; '.join(parts)}."
    print(note, file=sys.stderr)
    return {name: median_run(runs) for name, runs in measured.items() if runs}, note


def resample(corpus: Path) -> None:
    sys.path.insert(0, str(REPO))
    from leaflets.source.discover import find_entries

    entries = [source.relative.as_posix() for source in find_entries([corpus])]
    chosen = [entries[index * len(entries) // SAMPLE_SIZE] for index in range(SAMPLE_SIZE)]
    header = (f"# {SAMPLE_SIZE} corpus entries, relative to the corpus: entry i*N//{SAMPLE_SIZE} of the N sorted "
              f"entries (bench/build_speed.py --resample)\n")
    SAMPLE.write_text(header + "\n".join(chosen) + "\n")


def copy_sample(corpus: Path, folder: Path) -> int:
    names = [line for line in SAMPLE.read_text().splitlines() if line and not line.startswith("#")]
    for name in names:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / name, target)
    return len(names)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    return f"nproc {len(os.sched_getaffinity(0))} ({os.cpu_count()} CPUs), {cpu}, Python {platform.python_version()}"


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def table(runs: dict[str, Run], cpus: int, repeat: int) -> list[str]:
    floor, one, all_cpus = runs["floor"], runs["jobs1"], runs["all"]
    median = f" (median of {repeat})" if repeat > 1 else ""

    def time_cell(run: Run) -> str:
        return f"failed (exit {run.status})" if run.status not in (0, 1) else f"{run.seconds:.2f} s"

    rows = [
        (f"1. engine floor: WeasyPrint alone, one process{median}", floor, "reference", ""),
        (f"2. `leaflets build --jobs 1`{median}", one, f"≤ 1.10 × (1): {one.seconds / floor.seconds:.2f} ×",
         verdict(one.seconds <= 1.10 * floor.seconds)),
        (f"3. `leaflets build` ({cpus} CPUs)", all_cpus, f"≥ 1.7 × faster than (2): {one.seconds / all_cpus.seconds:.2f} ×",
         verdict(one.seconds / all_cpus.seconds >= 1.7) if cpus >= 2 else "n/a (1 CPU)"),
        ("4. the same build again, nothing changed", runs["again"], "< 1 s", verdict(runs["again"].seconds < 1.0)),
    ]
    booklet = runs["booklet"]
    if booklet.status not in (0, 1):  # 1: entries refused as in build, booklet still written
        rows.append(("5. `leaflets booklet` of the 200", booklet, "≤ 1.2 × (3)", "not measured"))
    else:
        rows.append(("5. `leaflets booklet` of the 200", booklet, f"≤ 1.2 × (3): {booklet.seconds / all_cpus.seconds:.2f} ×",
                     verdict(booklet.seconds <= 1.2 * all_cpus.seconds)))
    naive = runs["naive"]
    rows.append(("6. naive: `weasyprint` once per HTML file", naive, f"≥ 3 × slower than (3): {naive.seconds / all_cpus.seconds:.1f} ×",
                 verdict(naive.seconds >= 3 * all_cpus.seconds)))
    lines = ["| | wall time | entries/s | CPU time | peak RSS of a process | target (wall time) | result |",
             "|---|---:|---:|---:|---:|---|---|"]
    for label, run, target, result in rows:
        rate = f"{SAMPLE_SIZE / run.seconds:.1f}" if run.status in (0, 1) and run.seconds else "–"
        memory = f"{run.peak_mb:.0f} MB ({verdict(run.peak_mb < MEMORY_LIMIT_MB)} < {MEMORY_LIMIT_MB})" if rate != "–" else "–"
        lines.append(f"| {label} | {time_cell(run)} | {rate} | {run.cpu_seconds:.1f} s | {memory} | {target} | {result} |")
    return lines


def write_benchmarks(block: str) -> None:
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    marked = f"{TABLE_START}\n{block}\n{TABLE_END}"
    if TABLE_START in text and TABLE_END in text:
        before, rest = text.split(TABLE_START, 1)
        text = before + marked + rest.split(TABLE_END, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## Build speed\n\n{marked}\n"
    BENCHMARKS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--write", action="store_true", help="put the table into BENCHMARKS.md")
    parser.add_argument("--resample", action="store_true", help="rewrite bench/sample-200.txt from the corpus")
    parser.add_argument("--repeat", type=int, default=5, metavar="N",
                        help="measure rows 1 and 2 N times, alternating, and report each one's median (default 5)")
    parser.add_argument("--only", help="comma-separated rows to measure (floor,jobs1,all,again,booklet,naive); "
                        "prints the figures without the table, for quick comparisons")
    parser.add_argument("--engine-floor", nargs=2, metavar=("HTML_DIR", "PDF_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_floor:
        engine_floor(*args.engine_floor)
        return 0
    if args.resample:
        resample(args.corpus)
        return 0
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus} (--corpus)", file=sys.stderr)
        return 2
    cpus = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()
    leaflets = [str(BIN / "leaflets")]
    with tempfile.TemporaryDirectory(prefix="leaflets-bench-") as temp:
        work = Path(temp)
        entries = work / "entries"
        count = copy_sample(args.corpus, entries)
        html = work / "html"
        print(f"{count} entries; writing their HTML ...", file=sys.stderr)
        measure([*leaflets, "build", str(entries), "--out", str(html), "--format", "html", "--quiet"])
        html_files = sorted(html.rglob("*.html"))

        def naive_pdf(path: Path) -> Path:
            target = work / "naive" / path.relative_to(html).with_suffix(".pdf")
            target.parent.mkdir(parents=True, exist_ok=True)
            return target

        runs: dict[str, Run] = {}
        repeats_note = ""
        only = set(args.only.split(",")) if args.only else None
        if only is None or only & {"floor", "jobs1"}:
            measured, repeats_note = floor_against_one_job(html, entries, work, args.repeat, only)
            runs.update(measured)
        steps = [
            ("all", lambda: measure([*leaflets, "build", str(entries), "--out", str(work / "all"), "--quiet"])),
            ("again", lambda: measure([*leaflets, "build", str(entries), "--out", str(work / "all"), "--quiet"])),
            ("booklet", lambda: measure([*leaflets, "booklet", str(entries), "--output", str(work / "booklet.pdf")])),
            ("naive", lambda: measure_many([
                [str(BIN / "weasyprint"), "--pdf-tags", str(path), str(naive_pdf(path))] for path in html_files
            ])),
        ]
        for name, step in steps:
            if only is not None and name not in only:
                continue
            print(f"measuring {name} ...", file=sys.stderr)
            runs[name] = step()
    load_after = os.getloadavg()
    if only is not None:
        for name, run in runs.items():
            print(f"{name}: {run.seconds:.2f} s wall, {run.cpu_seconds:.1f} s CPU, {run.peak_mb:.0f} MB")
        if "floor" in runs and "jobs1" in runs:
            print(f"jobs1 / floor = {runs['jobs1'].seconds / runs['floor'].seconds:.3f}")
        return 0
    lines = table(runs, cpus, args.repeat)
    command = f"{Path(sys.executable).relative_to(REPO) if Path(sys.executable).is_relative_to(REPO) else sys.executable} bench/build_speed.py"
    block = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `{command}` "
        f"({count} entries from bench/sample-200.txt).",
        "",
        f"Machine: {machine()}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"(1-minute).",
        "",
        *lines,
        *(["", repeats_note] if repeats_note else []),
    ])
    print(block)
    if args.write:
        write_benchmarks(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
