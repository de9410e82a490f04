"""leaflets.toml: defaults, overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaflets.project.config import DEFAULT_DISCLAIMER, load_config
from leaflets.errors import ConfigError
from leaflets.project.project import Project


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "leaflets.toml")
    assert config.disclaimer == DEFAULT_DISCLAIMER
    assert config.paper == "a4" and config.lang == "en"


def test_values_are_read(tmp_path: Path) -> None:
    path = tmp_path / "leaflets.toml"
    path.write_text('organisation = "Riverside Pharmacy"\ndisclaimer = "Ask us."\nnote = "Check it."\npaper = "A5"\nlang = "fr"\n')
    config = load_config(path)
    assert (config.organisation, config.disclaimer, config.note, config.paper, config.lang) == (
        "Riverside Pharmacy", "Ask us.", "Check it.", "a5", "fr",
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('organization = "typo"\n', "unknown key 'organization'"),
        ("paper = 4\n", "key 'paper' must be a string"),
        ('paper = "b5"\n', "key 'paper' must be one of"),
        ("disclaimer = true\n", "key 'disclaimer' must be a string"),
        ('disclaimer = "  "\n', "key 'disclaimer' must not be empty"),
        ("organisation = \n", "invalid TOML"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "leaflets.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert fragment in caught.value.message
    assert str(path) in caught.value.diagnostic()


def test_project_falls_back_to_built_in_resources(tmp_path: Path) -> None:
    project = Project.load(tmp_path)
    assert project.stylesheet("leaflet.css").is_file()
    assert any((d / "leaflet.html").is_file() for d in project.template_dirs)
    own = tmp_path / "styles"
    own.mkdir()
    (own / "leaflet.css").write_text("html { font-size: 12pt }")
    assert Project.load(tmp_path).stylesheet("leaflet.css") == (own / "leaflet.css").resolve()
