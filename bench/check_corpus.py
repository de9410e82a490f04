"""Time `leaflets check` over the corpus and print the summary counts per code.

Usage: .venv/bin/python bench/check_corpus.py [CORPUS] [--jobs N]

Runs the installed command exactly as a user would (a fresh process, JSON
output), so the figure includes start-up and the pronouncing dictionary load.
The machine's load average is printed beside the time, because on a shared
machine it moves the wall time more than anything in the code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    command = [str(Path(sys.executable).with_name("leaflets")), "check", str(args.corpus), "--format", "json"]
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(result.stderr)
    summary = json.loads(result.stdout)["summary"]
    print(f"command:        {' '.join(command)}")
    print(f"wall time:      {wall:.1f} s (load average before: {load_before:.2f}, CPUs: {os.cpu_count()})")
    print(f"entries:        {summary['entries']}")
    print(f"with errors:    {summary['with_errors']}")
    print(f"with warnings:  {summary['with_warnings']}")
    print(f"findings:       {summary['errors']} errors, {summary['warnings']} warnings")
    for code, count in summary["codes"].items():
        print(f"  {code:<16} {count}")


if __name__ == "__main__":
    main()
