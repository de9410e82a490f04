"""PDF metadata: language from the entry or settings, author from settings."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from leaflets.build.builder import build_leaflets
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project

from conftest import write_entry
from pdfread import metadata


def test_language_and_author(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\nlang = "fr"\n')
    project = Project.load(tmp_path)
    german = write_entry(tmp_path / "entries", "de.md", "---\ntitle: Ibuprofen\nlang: de\n---\n### Usage\nText.\n")
    default = write_entry(tmp_path / "entries", "fr.md", "---\ntitle: Paracétamol\n---\n### Usage\nTexte.\n")
    report = build_leaflets([german, default], tmp_path / "out", project, BuildOptions(), jobs=1)
    assert report.ok
    de_pdf, fr_pdf = (r.output for r in report.results)
    assert str(PdfReader(de_pdf).trailer["/Root"]["/Lang"]) == "de"
    assert str(PdfReader(fr_pdf).trailer["/Root"]["/Lang"]) == "fr"
    info = metadata(fr_pdf)
    assert info["/Author"] == "Riverside Pharmacy"
    assert info["/Title"] == "Paracétamol"
