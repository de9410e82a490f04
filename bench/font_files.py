"""What reading font files only when needed saves, Chinese against English, in one process.

    .venv/bin/python bench/font_files.py [--rounds 8]

The paracetamol example in English and in Chinese (zh-Hans) is written out at
one to four times its text (as bench/languages.py does) and rendered by one
renderer, with :func:`leaflets.layout.weasy.read_font_files_when_needed` on
and off in turns (WeasyPrint's own eager copy of each font's file restored in
between), so both settings see the same load on a shared machine. Times are
the process's CPU time, the least of ``--rounds`` renders each. A line fitted
through (filled pages, CPU seconds) gives each setting's cost of a leaflet
filling ``--pages`` pages; English with the change on is the floor. The PDF
bytes of both settings are compared too (with SOURCE_DATE_EPOCH pinned, so
the dates in them agree).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from languages import REPEATS, filled_pages, fit, lengthened  # noqa: E402

from leaflets.build.builder import new_renderer  # noqa: E402
from leaflets.layout import weasy  # noqa: E402
from leaflets.project.options import BuildOptions  # noqa: E402
from leaflets.project.project import Project  # noqa: E402
from leaflets.source.entry import load_entry  # noqa: E402

LANGUAGES = {"en": "paracetamol.md", "zh-Hans": "paracetamol.zh-Hans.md"}


def switch(on: bool, installed: tuple[Any, Any]) -> None:
    """Font files read when needed (``on``) or, as WeasyPrint does, copied for every font of every PDF."""
    from weasyprint.pdf import fonts

    patched, descriptor = installed
    if on:
        fonts.get_hb_object_data, fonts.Font.file_content = patched, descriptor
    else:
        fonts.get_hb_object_data = patched.leaflets_original
        if "file_content" in fonts.Font.__dict__:
            del fonts.Font.file_content


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--pages", type=int, default=4, help="the filled pages every line is read at")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    renderer = new_renderer(Project.load(REPO), BuildOptions())
    from weasyprint.pdf import fonts

    weasy.read_font_files_when_needed()
    installed = (fonts.get_hb_object_data, fonts.Font.__dict__["file_content"])
    with tempfile.TemporaryDirectory() as folder:
        for lang in LANGUAGES:
            (Path(folder) / lang).mkdir()
        paths = {
            (lang, repeat): lengthened(REPO / "entries" / name, Path(folder) / lang, repeat)
            for lang, name in LANGUAGES.items() for repeat in REPEATS
        }
        filled = {key: filled_pages(renderer.lay_out(*renderer.prepare(load_entry(path))).document)
                  for key, path in paths.items()}
        cpu: dict[tuple[bool, str, int], list[float]] = {}
        data: dict[tuple[bool, str, int], bytes] = {}
        for on in (True, False):  # warm-up, both settings
            switch(on, installed)
            for key, path in paths.items():
                data[(on, *key)] = renderer.render_file(path).data
        for round_number in range(args.rounds):
            for on in ((True, False) if round_number % 2 == 0 else (False, True)):
                switch(on, installed)
                for key, path in paths.items():
                    started = time.process_time()
                    renderer.render_file(path)
                    cpu.setdefault((on, *key), []).append(time.process_time() - started)
        switch(True, installed)
    same = all(data[(True, *key)] == data[(False, *key)] for key in paths)
    print(f"CPU ms per leaflet (least of {args.rounds} rounds) at 1-4x the example's text; "
          f"fitted cost of {args.pages} filled pages; PDFs the same with and without: {same}")
    floor_line = fit([(filled[("en", r)], min(cpu[(True, "en", r)])) for r in REPEATS])
    floor = floor_line[0] + floor_line[1] * args.pages
    print(f"{'language':<9} {'when needed':<12} {'filled pages':>20} {'CPU ms':>23} {f'{args.pages} pages ms':>11} "
          f"{'x English':>10}")
    for lang in LANGUAGES:
        for on in (False, True):
            intercept, slope = fit([(filled[(lang, r)], min(cpu[(on, lang, r)])) for r in REPEATS])
            at = intercept + slope * args.pages
            times = "/".join(f"{min(cpu[(on, lang, r)]) * 1000:.0f}" for r in REPEATS)
            pages = "/".join(f"{filled[(lang, r)]:.1f}" for r in REPEATS)
            print(f"{lang:<9} {'yes' if on else 'no':<12} {pages:>20} {times:>23} {at * 1000:>11.0f} {at / floor:>10.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
