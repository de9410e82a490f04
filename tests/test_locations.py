"""A leaflet's bytes do not depend on where its project lies (leaflets/project/locations.py).

One project, with a logo, an image beside an entry, a stylesheet that draws a
background image and sets a font of its own, a relative link and an entry
kept outside the project, is built by the real command in two folders; the
PDFs must be the same bytes and name neither folder. The ``leaflets://``
addresses are checked to refuse what ``file:`` addresses refuse.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from conftest import PINNED_EPOCH, REPO

LEAFLETS = str(Path(sys.executable).parent / "leaflets")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def leaflets(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH}
    return subprocess.run([LEAFLETS, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def make_project(folder: Path) -> None:
    """A project with every kind of file a leaflet embeds, and an entry outside it in ``folder/loose``."""
    from PIL import Image

    project = folder / "project"
    for sub in ("entries", "images", "styles/fonts"):
        (project / sub).mkdir(parents=True)
    (project / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\nlogo = "images/logo.png"\n')
    Image.new("RGB", (60, 20), (30, 30, 200)).save(project / "images" / "logo.png")
    Image.new("RGB", (12, 12), (30, 200, 30)).save(project / "images" / "band.png")
    Image.new("RGB", (40, 20), (200, 30, 30)).save(project / "entries" / "pill.png")
    font = FONT.read_bytes() if FONT.is_file() else None
    if font:
        (project / "styles" / "fonts" / "own.ttf").write_bytes(font)
    css = (REPO / "styles" / "leaflet.css").read_text() + (
        "\n.masthead { background: url(/images/band.png) repeat-x; }\n"  # from the project folder
        + ('@font-face { font-family: "Own Serif"; src: url(fonts/own.ttf); }\nh1 { font-family: "Own Serif"; }\n'
           if font else "")
    )
    (project / "styles" / "leaflet.css").write_text(css)
    text = (REPO / "entries" / "paracetamol.md").read_text()
    (project / "entries" / "picture.md").write_text(
        text + "\n![A red pill](pill.png) ![The logo](../images/logo.png)\n\nSee [ibuprofen](ibuprofen.md).\n"
    )
    loose = folder / "loose"
    loose.mkdir()
    Image.new("RGB", (20, 40), (200, 200, 30)).save(loose / "tablet.png")
    (loose / "outside.md").write_text(text + "\n![A yellow tablet](tablet.png)\n")


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("here") / "copy-one"
    make_project(first)
    second = tmp_path_factory.mktemp("there") / "a" / "deeper" / "copy-two"
    second.parent.mkdir(parents=True)
    shutil.copytree(first, second)
    for folder in (first, second):
        project = folder / "project"
        result = leaflets("build", project / "entries", folder / "loose", "--project", project,
                          "--out", folder / "out", "-q", cwd=folder)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    return first, second


def decompressed(path: Path) -> bytes:
    with pikepdf.open(path) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.generalized)
        return buffer.getvalue()


def test_the_same_project_in_two_folders_builds_the_same_bytes(two_builds: tuple[Path, Path]) -> None:
    first, second = two_builds
    for name in ("picture.pdf", "outside.pdf"):
        assert (first / "out" / name).read_bytes() == (second / "out" / name).read_bytes(), name
    with pikepdf.open(first / "out" / "picture.pdf") as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        fonts = {str(font.get("/BaseFont")) for page in pdf.pages for font in page.Resources.Font.values()}
    assert len(images) >= 3  # the logo, the pill and the masthead's band (the entry's logo is the same file)
    if FONT.is_file():
        assert any("Serif" in font for font in fonts), fonts  # the project's own @font-face font was embedded


def test_no_folder_of_the_project_is_named_in_the_pdf(two_builds: tuple[Path, Path]) -> None:
    for folder in two_builds:
        for name in ("picture.pdf", "outside.pdf"):
            data = decompressed(folder / "out" / name)
            assert str(folder).encode() not in data
            assert str(folder.resolve()).encode() not in data
            assert b"file:" not in data
            assert b"leaflets://" not in data


def test_a_relative_link_keeps_its_text_without_a_link(two_builds: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    path = two_builds[0] / "out" / "picture.pdf"
    assert "See ibuprofen." in "".join(page.extract_text() for page in PdfReader(path).pages)
    with pikepdf.open(path) as pdf:
        targets = [str(a.get("/A", {}).get("/URI", "")) for page in pdf.pages for a in page.get("/Annots", [])]
    assert not [t for t in targets if "ibuprofen" in t]


def test_leaflets_addresses_refuse_what_file_addresses_refuse(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "entries").mkdir(parents=True)
    (project / "styles").mkdir()
    (project / "leaflets.toml").write_text("")
    (tmp_path / "secret.png").write_bytes(b"not for leaflets")
    (project / "entries" / "escape.png").symlink_to(tmp_path / "secret.png")
    (project / "styles" / "leaflet.css").write_text(
        (REPO / "styles" / "leaflet.css").read_text()
        + "\nbody { background: url(leaflets://project/../../secret.png); }\n"
        + "h1 { background: url(leaflets://nowhere/x.png); }\n"
        + "h2 { background: url(../entries/escape.png); }\n"
    )
    text = (REPO / "entries" / "metformin.md").read_text()
    (project / "entries" / "m.md").write_text(text + "\n![x](leaflets://project/leaflets.toml)\n")
    result = leaflets("build", "--project", project, "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    entry = project / "entries" / "m.md"
    lines = result.stderr.splitlines()
    # The background images are fetched while the entry is laid out, so the refusals name the entry.
    assert f"{entry}: warning: refused to embed leaflets://project/../../secret.png: outside the folders a leaflet may embed from" in lines
    assert f"{entry}: warning: refused to embed leaflets://nowhere/x.png: outside the folders a leaflet may embed from" in lines
    assert f"{entry}: warning: refused to embed {tmp_path / 'secret.png'}: it is outside the project folder" in lines
    line = len(text.splitlines()) + 2
    assert f"{entry}:{line}: warning: refused to fetch leaflets://project/leaflets.toml: leaflets are built offline" in lines
    assert b"not for leaflets" not in decompressed(tmp_path / "out" / "m.pdf")


def test_an_image_a_stylesheet_names_from_the_project_folder_is_in_the_cache_key(tmp_path: Path) -> None:
    """``url(/images/band.png)`` is the project's images/band.png, for the renderer and the build cache alike."""
    from PIL import Image

    make_project(tmp_path)
    project = tmp_path / "project"
    command = ("build", project / "entries", "--project", project, "--out", tmp_path / "out")
    assert "1 built" in leaflets(*command, cwd=tmp_path).stderr
    assert "0 built, 1 up to date" in leaflets(*command, cwd=tmp_path).stderr
    Image.new("RGB", (12, 12), (200, 30, 200)).save(project / "images" / "band.png")
    again = leaflets(*command, cwd=tmp_path)
    assert "1 built, 0 up to date" in again.stderr, again.stderr
    assert "refused" not in again.stderr
