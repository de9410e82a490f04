"""Shared fixtures: the repository's own project, the corpus (when present), PDF readers."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from leaflets.doctor import characters as characters
from leaflets.build.builder import build_leaflets
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
BRANDED = REPO / "tests" / "branded"
"""A pharmacy project (organisation, contact, logo, base_url) used to build the examples branded."""
PINNED_EPOCH = "1767225600"
SEED = REPO.parent / "shared" / "seeds" / "clonazepam-escitalopram-oxalate.md"

# The package's list, spaced so a test can print it as words.
CORPUS_CHARACTERS = " ".join(characters.CORPUS_CHARACTERS)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SOURCE_DATE_EPOCH", PINNED_EPOCH)


@pytest.fixture(scope="session")
def repo_project() -> Project:
    return Project.load(REPO)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS} (it lives in ../shared beside the repository)")
    return CORPUS


@pytest.fixture(scope="session")
def seed() -> Path:
    if not SEED.is_file():
        pytest.skip(f"seed entry not present at {SEED}")
    return SEED


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory, repo_project: Project) -> Path:
    """The example entries built once into PDFs for the read-back tests."""
    out = tmp_path_factory.mktemp("examples")
    report = build_leaflets(None, out, repo_project, BuildOptions())
    assert report.ok, [r.error for r in report.results if r.error]
    return out


@pytest.fixture(scope="session")
def branded_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples built with tests/branded's settings, standard and large print side by side."""
    out = tmp_path_factory.mktemp("branded")
    project = Project.load(BRANDED)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
        for large in (False, True):
            report = build_leaflets([REPO / "entries"], out, project, BuildOptions(large_print=large))
            assert report.ok, [r.error for r in report.results if r.error]
    return out


def write_entry(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


@pytest.fixture
def entry_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "entries"
    folder.mkdir()
    return folder
