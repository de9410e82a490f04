"""Dot leaders drawn as one run of text a line (leaflets.layout.leaders), in the same places."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pikepdf

from leaflets.layout.engine import LayoutEngine
from leaflets.layout.fetcher import ProjectFetcher
from leaflets.project.project import Project

from conftest import REPO

HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>
@page { size: A5; margin: 20mm; }
body { font: 11pt/1.45 "DejaVu Sans", sans-serif; }
p { margin: 0 0 2mm; }
.title::after { content: leader(". "); }
</style></head><body>
<p><span class="title">Amoxicillin</span><span class="page">12</span></p>
<p><span class="title">Salbutamol inhaler and a long title</span><span class="page">140</span></p>
<p><span class="title">Ibuprofen</span><span class="page">7</span></p>
</body></html>"""


def test_leaders_are_one_run_a_line_with_the_dots_on_one_grid(tmp_path: Path) -> None:
    project = Project.load(REPO)
    engine = LayoutEngine(project, ())
    document = engine.render(HTML, project.root, ProjectFetcher(project.trusted_dirs), tagged=False)
    data = engine.write_part_pdf(document)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        placed = sum(1 for _operands, operator in pikepdf.parse_content_stream(pdf.pages[0]) if str(operator) == "Tm")
    assert placed <= 3 * 3, "title, leader and number: a text matrix each a line, not one a dot"
    with pdfplumber.open(io.BytesIO(data)) as plumber:
        chars = plumber.pages[0].chars
    lines: dict[float, list[dict]] = {}
    for char in chars:
        lines.setdefault(round(char["top"], 1), []).append(char)
    assert len(lines) == 3
    columns = []
    for row in lines.values():
        text = "".join(char["text"] for char in row)
        dots = [char for char in row if char["text"] == "."]
        number = [char for char in row if char["text"].isdigit()]
        assert len(dots) >= 5 and text.rstrip("0123456789").rstrip(". ").strip() in text, text
        steps = [b["x0"] - a["x0"] for a, b in zip(dots, dots[1:])]
        assert max(steps) - min(steps) < 0.05, "evenly spaced"
        assert dots[-1]["x1"] <= number[0]["x0"] and number[0]["x0"] - dots[-1]["x1"] < 2 * steps[0]
        columns.append(dots)
    step = [b["x0"] - a["x0"] for a, b in zip(columns[0], columns[0][1:])][0]
    for dots in columns[1:]:
        for dot in dots:
            offset = (dot["x0"] - columns[0][0]["x0"]) / step
            assert abs(offset - round(offset)) * step < 0.2, "dots of every line stand in the same columns"
