"""The counter's speed: index build, search while typing, and a patient's copy against the engine floor.

    .venv/bin/python bench/serve.py [--corpus ../shared/corpus] [--titles 400] [--rounds 12] [--write]

1. Index at start-up: finding the corpus's entries and building the SQLite FTS5
   index from nothing into a fresh cache folder, then again with nothing
   changed (what every later start does), both in this process as
   ``leaflets serve`` does them.
2. Then the real server (``leaflets serve CORPUS``, the index from step 1):
   the time until it answers, and the first patient's copy right after.
3. Search while typing: every prefix (1 to 12 characters) of ``--titles``
   corpus titles spread over the alphabet, one ``/api/search`` request each,
   timed at the client: median, p95, max.
4. A patient's copy warm: ``POST /leaflet/ID.pdf`` with a patient's name and
   directions, alternating with the engine floor measured in this process in
   the same run: WeasyPrint alone turning the same HTML (patient box
   included, stylesheets linked) into a tagged PDF, with a warm font
   configuration. Medians over ``--rounds`` rounds of the example entries.

Timings are printed, never asserted; ``--write`` records the table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from servehelp import Server, free_port  # noqa: E402

from leaflets.parallel import usable_cpus  # noqa: E402
from leaflets.project.options import BuildOptions  # noqa: E402
from leaflets.project.project import Project  # noqa: E402
from leaflets.serve.counter import unique_sources  # noqa: E402
from leaflets.serve.index import INDEX_FILENAME, SearchIndex  # noqa: E402
from leaflets.serve.patient import PatientBox  # noqa: E402
from leaflets.source.discover import find_entries  # noqa: E402
from leaflets.source.entry import load_entry  # noqa: E402

EXAMPLES = ["paracetamol", "ibuprofen", "metformin", "salbutamol-inhaler", "amoxicillin-clavulanic-acid"]
PATIENT = PatientBox("Ann Example", "Take ONE tablet twice a day\nwith food", "Dr B. Sample", "", None)
MARKER = "<!-- serve benchmark -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--titles", type=int, default=400, help="corpus titles whose prefixes are typed")
    parser.add_argument("--rounds", type=int, default=12, help="rounds of the example entries for the patient's copy")
    parser.add_argument("--write", action="store_true", help="record the results in BENCHMARKS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="leaflets-bench-serve-") as temp:
        work = Path(temp)
        cache = work / "cache"
        cache.mkdir()

        # 1. the index, fresh and unchanged
        started, cpu = time.perf_counter(), _cpu_seconds()
        sources = unique_sources(find_entries([args.corpus, REPO / "entries"]))
        stats = SearchIndex(cache / INDEX_FILENAME).sync(list(sources.values()), jobs=usable_cpus())
        fresh, fresh_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        started, cpu = time.perf_counter(), _cpu_seconds()
        again = SearchIndex(cache / INDEX_FILENAME).sync(
            list(unique_sources(find_entries([args.corpus, REPO / "entries"])).values()), jobs=usable_cpus())
        unchanged, unchanged_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        assert again.parsed == 0, again
        rows.append((f"index built at start-up, {stats.entries} entries, nothing cached (wall; CPU of all processes)",
                     f"{fresh:.2f} s ({fresh_cpu:.1f} s CPU)", "< 10 s", _verdict(fresh < 10)))
        rows.append(("index at start-up, nothing changed", f"{unchanged:.2f} s ({unchanged_cpu:.2f} s CPU)", "< 1 s",
                     _verdict(unchanged < 1)))

        # 2. the real server, and its first patient's copy
        server, answered = _start(work, cache, [args.corpus, REPO / "entries"])
        try:
            started = time.perf_counter()
            first = _patient_copy(server, EXAMPLES[0])
            first_copy = time.perf_counter() - started
            rows.append(("server start until it answers (index current)", f"{answered:.2f} s", "", ""))
            rows.append(("first patient's copy after start-up", f"{first_copy * 1000:.0f} ms", "< 2 s",
                         _verdict(first_copy < 2)))

            # 3. search while typing
            titles = _titles(sources, args.titles)
            latencies = []
            for title in titles:
                for length in range(1, min(len(title), 12) + 1):
                    query = urllib.parse.quote(title[:length])
                    started = time.perf_counter()
                    status, _, _ = server.get(f"/api/search?q={query}")
                    latencies.append(time.perf_counter() - started)
                    assert status == 200
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            rows.append((f"search while typing: {len(latencies)} prefixes of {len(titles)} titles, p95 "
                         f"(median {statistics.median(latencies) * 1000:.1f} ms, max {latencies[-1] * 1000:.0f} ms)",
                         f"{p95 * 1000:.1f} ms", "< 50 ms", _verdict(p95 < 0.050)))

            # 4. warm patient's copies against the engine floor, alternating
            floor_times, copy_times = _copies_against_floor(server, args.rounds)
            floor, copy = statistics.median(floor_times), statistics.median(copy_times)
            rows.append(("engine floor: WeasyPrint alone on the same HTML (median)", f"{floor * 1000:.0f} ms",
                         "reference", ""))
            rows.append(("patient's copy, warm, POST to PDF received (median)",
                         f"{copy * 1000:.0f} ms ({copy / floor:.2f} ×)", "≤ 1.3 × floor", _verdict(copy <= 1.3 * floor)))
            assert first.startswith(b"%PDF")
        finally:
            server.stop()
    table = _table(rows, load, os.getloadavg()[0])
    print(table)
    if args.write:
        _write(table)
    return 0


def _start(work: Path, cache: Path, paths: list[Path]) -> tuple[Server, float]:
    """``leaflets serve`` on the corpus with the cache from step 1, timed until it answers a search."""
    port = free_port()
    log = work / "server.log"
    command = [str(Path(sys.executable).with_name("leaflets")), "serve", *map(str, paths), "--project", str(REPO),
               "--cache", str(cache), "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env={**os.environ, "TMPDIR": str(work)})
    server = Server(process, port, REPO, cache, work, log)
    while True:
        if process.poll() is not None:
            raise SystemExit(f"leaflets serve stopped:\n{log.read_text()}")
        try:
            if server.get("/api/search?q=a")[0] == 200:
                return server, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)


def _titles(sources: dict, count: int) -> list[str]:
    """``count`` titles spread evenly over the corpus (every Nth in id order)."""
    titles = []
    for source in sources.values():
        try:
            titles.append(load_entry(source.path).title)
        except Exception:  # noqa: BLE001 - an unreadable entry has no title to type
            continue
    step = max(1, len(titles) // count)
    return titles[::step][:count]


def _patient_copy(server: Server, identifier: str) -> bytes:
    status, _, data = server.post(f"/leaflet/{identifier}.pdf", {
        "patient_name": PATIENT.name, "directions": PATIENT.directions, "prescriber": PATIENT.prescriber})
    assert status == 200 and data.startswith(b"%PDF"), data[:300]
    return data


def _copies_against_floor(server: Server, rounds: int) -> tuple[list[float], list[float]]:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from leaflets.render.leaflet import LeafletRenderer
    from leaflets.serve.patient import patient_context

    project = Project.load(REPO)
    renderer = LeafletRenderer(project, BuildOptions())
    hrefs = [path.resolve().as_uri() for path in renderer.engine.stylesheet_paths]
    pages = {}
    for identifier in EXAMPLES:
        entry = load_entry(REPO / "entries" / f"{identifier}.md")
        _, context, _ = renderer.prepare(entry)
        context.update(patient_context(PATIENT))
        pages[identifier] = (renderer.templates.render(renderer.template, **context, stylesheet_hrefs=hrefs,
                                                       language_css=renderer.language_css(context["lang"])),
                             entry.path.resolve().parent.as_uri() + "/")
    font_config = FontConfiguration()
    for html, base in pages.values():  # warm the floor's fonts as the server's workers are warm
        weasyprint.HTML(string=html, base_url=base).write_pdf(font_config=font_config, pdf_tags=True)
    for identifier in EXAMPLES:
        _patient_copy(server, identifier)
    floor_times: list[float] = []
    copy_times: list[float] = []
    for round_number in range(rounds):
        for index, identifier in enumerate(EXAMPLES):
            html, base = pages[identifier]
            for turn in ((0, 1) if (round_number + index) % 2 else (1, 0)):
                started = time.perf_counter()
                if turn == 0:
                    weasyprint.HTML(string=html, base_url=base).write_pdf(font_config=font_config, pdf_tags=True)
                    floor_times.append(time.perf_counter() - started)
                else:
                    _patient_copy(server, identifier)
                    copy_times.append(time.perf_counter() - started)
    return floor_times, copy_times


def _cpu_seconds() -> float:
    """User and system CPU of this process and its finished children (the parsing workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _table(rows: list[tuple[str, str, str, str]], load_before: float, load_after: float) -> str:
    lines = [
        MARKER,
        f"`bench/serve.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {usable_cpus()} CPUs, "
        f"load average {load_before:.1f} before and {load_after:.1f} after:",
        "",
        "| | measured | target | result |",
        "|---|---|---|---|",
    ]
    lines += [f"| {what} | {value} | {target} | {result} |" for what, value, target, result in rows]
    return "\n".join(lines) + "\n"


def _write(table: str) -> None:
    path = REPO / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8")
    section = "## The counter (`leaflets serve`)\n\n"
    if MARKER in text:
        start = text.index(MARKER)
        end = text.find("\n## ", start)
        text = text[:start] + table + ("" if end == -1 else text[end:])
    else:
        text = text.rstrip("\n") + "\n\n" + section + table
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
