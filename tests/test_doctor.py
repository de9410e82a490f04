"""leaflets doctor: reports the engine, fonts and output folder; exits 1 when something required is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools import subset

from leaflets.doctor import checks as doctor
from leaflets.doctor.characters import CORPUS_CHARACTERS
from leaflets.project.project import Project

from conftest import REPO


def statuses(checks: list[doctor.Check]) -> dict[str, str]:
    return {check.name: check.status for check in checks}


def font_check(project: Project, stack: str) -> doctor.Check:
    """The check of one font-family list (built-in stylesheets such as a booklet's add others)."""
    return next(check for check in doctor.font_checks(project) if check.name == f"font {stack}")


def project_with_css(tmp_path: Path, css: str) -> Project:
    (tmp_path / "styles").mkdir(exist_ok=True)
    (tmp_path / "styles" / "leaflet.css").write_text(css)
    return Project.load(tmp_path)


def test_this_machine_is_ready(tmp_path: Path, repo_project: Project) -> None:
    result = subprocess.run([sys.executable, "-m", "leaflets", "doctor", "--project", str(REPO), "--out", str(tmp_path / "new")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    names = [line.split(":")[0].split(None, 1)[1] for line in lines]
    assert names[:5] == ["leaflets", "WeasyPrint", "Pango", "HarfBuzz", "HarfBuzz subsetting"]
    assert all(line.startswith("ok ") for line in lines), result.stdout
    body_font = next(line for line in lines if line.startswith("ok    font DejaVu Sans, "))
    assert "DejaVuSans.ttf" in body_font and f"covers all {len(CORPUS_CHARACTERS)} corpus characters" in body_font
    assert lines[-1] == f"ok    output folder {tmp_path / 'new'}: will be created in {tmp_path}"


def test_versions_are_reported() -> None:
    import weasyprint

    checks = {check.name: check for check in doctor.engine_checks()}
    assert checks["WeasyPrint"].detail == weasyprint.__version__
    assert checks["Pango"].detail.count(".") == 2 and checks["HarfBuzz"].detail.count(".") == 2


def test_missing_subsetting_is_a_warning_not_a_failure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    checks = doctor.run_checks(Project.load(REPO), tmp_path)
    subsetting = next(check for check in checks if check.name == "HarfBuzz subsetting")
    assert subsetting.status == "warn" and "libharfbuzz-subset0" in subsetting.detail
    assert "fail" not in statuses(checks).values()


def test_engine_that_cannot_load_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    checks = doctor.run_checks(Project.load(REPO), tmp_path)
    assert statuses(checks)["WeasyPrint"] == "fail"
    assert not any(check.name.startswith("font ") for check in checks)


def test_font_that_is_not_installed_fails(tmp_path: Path) -> None:
    project = project_with_css(tmp_path, 'body { font-family: "No Such Family Anywhere"; }\n')
    assert font_check(project, "No Such Family Anywhere").line() == (
        "fail  font No Such Family Anywhere: none of these fonts is installed")


def test_first_installed_family_is_the_one_checked(tmp_path: Path) -> None:
    project = project_with_css(tmp_path, '@page { @bottom-center { font-family: "No Such Family", "DejaVu Serif", serif; } }\n')
    check = font_check(project, "No Such Family, DejaVu Serif, serif")
    assert check.status == "ok" and check.detail.startswith("DejaVu Serif (")


def test_font_lacking_corpus_characters_fails(tmp_path: Path) -> None:
    font = tmp_path / "styles" / "ascii.ttf"
    font.parent.mkdir()
    fontconfig = doctor.FontConfig.load()
    assert fontconfig is not None
    options = subset.Options()
    source = subset.load_font(fontconfig.resolve("sans-serif", "").file, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="abcdefghijklmnopqrstuvwxyz½")
    subsetter.subset(source)
    source.save(str(font))
    project = project_with_css(tmp_path, '@font-face { font-family: Thin; src: url(ascii.ttf); }\nbody { font-family: Thin, sans-serif; }\n')
    check = font_check(project, "Thin, sans-serif")
    assert check.status == "fail" and check.detail.startswith(f"Thin ({font}) lacks ")
    missing = check.detail.split(" lacks ")[1].split()
    assert "½" not in missing and missing == [char for char in CORPUS_CHARACTERS if char != "½"]


def test_fontconfig_missing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor.FontConfig, "load", classmethod(lambda cls: None))
    assert [check.line() for check in doctor.font_checks(Project.load(REPO))] == [
        "fail  fonts: fontconfig cannot be loaded"]


def test_output_folder_that_cannot_be_written_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert doctor.output_check(blocker / "out").line() == (
        f"fail  output folder {blocker / 'out'}: cannot be created: {blocker} is not a folder")
    monkeypatch.setattr(doctor.os, "access", lambda path, mode: False)
    assert doctor.output_check(tmp_path).status == "fail"


def test_exit_status_is_1_when_a_check_fails(tmp_path: Path) -> None:
    shutil.copytree(REPO / "styles", tmp_path / "styles")
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = subprocess.run([sys.executable, "-m", "leaflets", "doctor", "--project", str(tmp_path), "--out", str(blocker / "x")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("fail  output folder")
    assert "Traceback" not in result.stderr
