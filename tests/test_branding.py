"""Dates, the QR code to the online version, and the pharmacy's branding, read back from the PDFs."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from click.testing import CliRunner
from pyzbar.pyzbar import decode

from leaflets.build.builder import build_leaflets
from leaflets.cli.main import main
from leaflets.project.config import load_config
from leaflets.errors import ConfigError
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project

from conftest import BRANDED, REPO, write_entry
from pdfread import normalised, pages, structure_text

BASE_URL = "https://leaflets.example.org/riverside"


def qr_codes(pdf: Path, page: int = 0) -> list[str]:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[page].render(scale=150 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return [code.data.decode() for code in decode(image)]


def build(project: Project, entry: Path, out: Path, **options) -> Path:
    report = build_leaflets([entry], out, project, BuildOptions(**options))
    assert report.ok, [r.error for r in report.results]
    return report.results[0].output


@pytest.mark.parametrize("name", ["metformin", "paracetamol"])
def test_dates_on_every_page(branded_build: Path, name: str) -> None:
    reviewed = {"metformin": "15 September 2025", "paracetamol": "1 June 2026"}[name]
    for edition in (name, f"{name}-large"):
        for page in pages(branded_build / f"{edition}.pdf"):
            text = normalised(page.text)
            assert f"Last reviewed {reviewed}." in text, f"{edition} page {page.number}"
            assert "Printed 1 January 2026." in text


def test_next_review_printed_when_set(tmp_path: Path, repo_project: Project) -> None:
    entry = write_entry(tmp_path, "n.md", "---\ntitle: N\nreviewed: 2025-02-03\nnext_review: 2027-02-03\n---\n### Usage\nText.\n")
    text = normalised(pages(build(repo_project, entry, tmp_path / "out"))[0].text)
    assert "Last reviewed 3 February 2025. Next review 3 February 2027. Printed 1 January 2026." in text


@pytest.mark.parametrize("name", ["metformin", "salbutamol-inhaler"])
def test_qr_code_decodes_to_the_online_version(branded_build: Path, name: str) -> None:
    url = f"{BASE_URL}/{name}.html"
    assert qr_codes(branded_build / f"{name}.pdf") == [url]
    assert qr_codes(branded_build / f"{name}-large.pdf") == [url]
    tagged = "".join(text for _, text in structure_text(branded_build / f"{name}.pdf")).replace(" ", "")
    assert f"Readthisleafletonline:{url.removeprefix('https://')}" in tagged, "no short address beside the code"
    assert qr_codes(branded_build / f"{name}.pdf", page=1) == [], "the code belongs on the first page only"


def test_front_matter_url_wins_and_folders_stay_in_the_address(tmp_path: Path) -> None:
    project = Project.load(BRANDED)
    own = write_entry(tmp_path / "in", "a/own.md", "---\ntitle: Own\nurl: https://example.net/own\n---\n### Usage\nText.\n")
    nested = write_entry(tmp_path / "in", "b/nested one.md", "# Nested\n### Usage\nText.\n")
    report = build_leaflets([tmp_path / "in"], tmp_path / "out", project, BuildOptions())
    assert report.ok
    assert qr_codes(tmp_path / "out" / "a" / "own.pdf") == ["https://example.net/own"]
    assert qr_codes(tmp_path / "out" / "b" / "nested one.pdf") == [f"{BASE_URL}/b/nested%20one.html"]
    assert own.exists() and nested.exists()


def test_invalid_url_names_the_line(tmp_path: Path, repo_project: Project) -> None:
    entry = write_entry(tmp_path, "u.md", "---\ntitle: U\nurl: www.example.org\n---\n### Usage\nText.\n")
    report = build_leaflets([entry], tmp_path / "out", repo_project, BuildOptions())
    assert report.results[0].error == (
        f"{entry}:3: error: front matter 'url' must be an http:// or https:// address, not 'www.example.org'"
    )


def test_no_url_no_code(example_build: Path) -> None:
    assert qr_codes(example_build / "metformin.pdf") == []
    assert "online" not in pages(example_build / "metformin.pdf")[0].text


def test_branding_on_first_page_only(branded_build: Path) -> None:
    read = pages(branded_build / "ibuprofen.pdf")
    contact = "12 Mill Lane, Riverside RS1 4AB · 01234 567890"
    tagged = [text for _, text in structure_text(branded_build / "ibuprofen.pdf") if text]
    assert tagged[:2] == ["RIVERSIDE PHARMACY", contact]
    assert all("Mill Lane" not in page.text for page in read[1:])
    assert all("Riverside Pharmacy" in page.text for page in read), "organisation in every footer"


def test_missing_or_outside_logo_is_an_error_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text('logo = "images/logo.png"\n')
    with pytest.raises(ConfigError) as caught:
        Project.load(tmp_path)
    assert "key 'logo'" in caught.value.message and "images/logo.png" in caught.value.message
    assert caught.value.path == tmp_path / "leaflets.toml"
    outside = tmp_path.parent / "outside-logo.svg"
    outside.write_text((BRANDED / "logo.svg").read_text())
    (tmp_path / "leaflets.toml").write_text(f'logo = "../{outside.name}"\n')
    with pytest.raises(ConfigError, match="key 'logo'.*outside the project folder"):
        Project.load(tmp_path)


def test_cli_reports_missing_logo(tmp_path: Path) -> None:
    (tmp_path / "leaflets.toml").write_text('logo = "nope.svg"\n')
    result = CliRunner().invoke(main, ["build", "--project", str(tmp_path), str(REPO / "entries" / "metformin.md"),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "leaflets.toml: error: key 'logo': file nope.svg not found" in result.output


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("contact = 5\n", "key 'contact' must be a string"),
        ('base_url = "leaflets.example.org"\n', "key 'base_url' must be an http:// or https:// address"),
        ("review_period_years = 0\n", "key 'review_period_years' must be between 0 and 50"),
        ('review_period_years = "3"\n', "key 'review_period_years' must be a number"),
    ],
)
def test_new_settings_are_validated(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "leaflets.toml").write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        load_config(tmp_path / "leaflets.toml")


def test_new_settings_are_read() -> None:
    config = load_config(BRANDED / "leaflets.toml")
    assert (config.logo, config.base_url, config.review_period_years) == ("logo.svg", BASE_URL, 3)
    assert config.contact.startswith("12 Mill Lane")


def test_cli_large_print_writes_suffixed_file_beside_the_standard_one(tmp_path: Path) -> None:
    entry = REPO / "entries" / "paracetamol.md"
    runner = CliRunner()
    for extra in ([], ["--large-print"]):
        result = runner.invoke(main, ["build", str(entry), "--out", str(tmp_path), "-q", *extra])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["paracetamol-large.pdf", "paracetamol.pdf"]


def test_large_print_html_links_both_stylesheets(tmp_path: Path, repo_project: Project) -> None:
    out = build(repo_project, REPO / "entries" / "metformin.md", tmp_path, format="html", large_print=True)
    assert out.name == "metformin-large.html"
    html = out.read_text()
    assert html.index("_styles/leaflet.css") < html.index("_styles/large-print.css")
    assert (tmp_path / "_styles" / "large-print.css").is_file()
