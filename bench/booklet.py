"""Time a booklet build and measure its memory, the worker processes included.

    .venv/bin/python bench/booklet.py [--compare-build] -- PATHS... [leaflets booklet options]

Prints wall time, peak resident memory of the main process, the peak of the
sum over the main process and its workers (sampled every 0.2 s), the page
count, and the machine's load average before and after. /usr/bin/time -v
reports only the largest single process, not that sum. With --compare-build,
also times `leaflets build` of the same PATHS (to a temporary folder) and
prints the ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

LEAFLETS = str(Path(sys.executable).with_name("leaflets"))


def measure(command: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_main = peak_tree = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            sizes = []
            for member in tree:
                try:
                    sizes.append(member.memory_info().rss)
                except psutil.Error:
                    pass
            peak_main = max(peak_main, sizes[0] if sizes else 0)
            peak_tree = max(peak_tree, sum(sizes))
        except psutil.Error:
            pass
        time.sleep(0.2)
    stderr = process.stderr.read() if process.stderr else ""
    return {
        "seconds": time.perf_counter() - started,
        "main_mb": peak_main / 2**20,
        "tree_mb": peak_tree / 2**20,
        "status": process.returncode,
        "last_line": stderr.strip().splitlines()[-1] if stderr.strip() else "",
        "failures": sum(1 for line in stderr.splitlines() if ": error: " in line),
    }


def main(argv: list[str]) -> None:
    compare = "--compare-build" in argv
    args = [a for a in argv if a not in ("--compare-build", "--")]
    paths = [a for a in args if not a.startswith("-") and Path(a).exists()]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        output = str(Path(folder) / "booklet.pdf")
        booklet = measure([LEAFLETS, "booklet", *args, "-o", output])
        from pypdf import PdfReader
        pages = len(PdfReader(output).pages) if Path(output).exists() else 0
    print(f"booklet: {booklet['seconds']:.1f} s wall, peak RSS main {booklet['main_mb']:.0f} MB, "
          f"main + workers {booklet['tree_mb']:.0f} MB, {pages} pages, {booklet['failures']} failed entries, "
          f"exit {booklet['status']}")
    print(f"  {booklet['last_line']}")
    if compare:
        with tempfile.TemporaryDirectory() as folder:
            build = measure([LEAFLETS, "build", *paths, "--out", folder, "-q"])
        print(f"build:   {build['seconds']:.1f} s wall, main + workers {build['tree_mb']:.0f} MB")
        print(f"ratio booklet/build: {booklet['seconds'] / build['seconds']:.2f}")
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min), {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main(sys.argv[1:])
