"""leaflets.toml: defaults, overrides and clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pytest

from leaflets.errors import ConfigError
from leaflets.project.config import DEFAULT_DISCLAIMER, load_config
from leaflets.project.project import Project
from leaflets.project.settings import read_settings, setting


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


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "leaflets.toml"
    path.write_text('organization = "typo"\n')
    with pytest.raises(ConfigError, match="did you mean 'organisation'"):
        load_config(path)
    path.write_text('booklet-title = "x"\n')
    with pytest.raises(ConfigError, match="did you mean 'booklet_title'"):
        load_config(path)
    path.write_text('zzz = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "did you mean" not in caught.value.message and "known keys: organisation" in caught.value.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("max_reading_grade = true\n", "key 'max_reading_grade' must be a number, not bool"),
        ('required_sections = ["usage", 3]\n', "key 'required_sections' must be a list of strings"),
        ('required_sections = ["storage"]\n', "names an unknown section 'storage'"),
        ('base_url = "ftp://x"\n', "key 'base_url' must be an http:// or https:// address"),
        ('base_url = "https://example.org/a b"\n', "key 'base_url' must be an http:// or https:// address"),
        ("review_period_years = 60\n", "key 'review_period_years' must be between 0 and 50, not 60"),
    ],
)
def test_each_declared_check_applies(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "leaflets.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert fragment in caught.value.message


def test_declarations_give_the_defaults_and_the_readme_lists_them() -> None:
    """One declaration per key: Config's defaults are the declared ones, and README documents each key."""
    from leaflets.project.config import Config
    from leaflets.project.settings import declared

    settings = declared(Config)
    assert "source" not in settings
    assert {name: s.default for name, s in settings.items()} == {
        name: getattr(Config(), name) for name in settings
    }
    assert all(s.help for s in settings.values())
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    toml_block = readme.split("### leaflets.toml", 1)[1].split("```", 2)[1]
    assert [line.split(" ", 1)[0] for line in toml_block.splitlines()[1:] if line] == list(settings)


@dataclass(frozen=True)
class Language:
    disclaimer: str = setting("", "the disclaimer in this language")
    required: bool = setting(False, "every entry needs a version in this language")


@dataclass(frozen=True)
class Printer:
    name: str = setting("", "printer name")
    copies: int = setting(1, "copies")


@dataclass(frozen=True)
class Sample:
    require_review: bool = setting(False, "warn without a reviewed date")
    printer: Printer = setting(Printer(), "the [printer] table")  # noqa: RUF009 - a frozen default table
    languages: Mapping[str, Language] = setting(MappingProxyType({}), "[languages.xx] tables")


def test_tables_and_tables_of_tables_are_read() -> None:
    """The kinds of setting the module docstring promises: flags, [tables] and [tables.xx]."""
    assert Sample().languages == {} and Sample().languages is not Sample().languages
    values = read_settings(Sample, {
        "require_review": True, "printer": {"name": "Front desk", "copies": 2},
        "languages": {"fr": {"disclaimer": "Avis", "required": True}},
    }, None)
    sample = Sample(**values)
    assert sample.require_review and sample.printer == Printer("Front desk", 2)
    assert sample.languages["fr"] == Language("Avis", True)
    for data, fragment in [
        ({"require_review": "yes"}, "key 'require_review' must be true or false, not str"),
        ({"printer": {"copies": 1.5}}, "key 'printer.copies' must be a whole number, not float"),
        ({"printer": {"nmae": "x"}}, "unknown key 'printer.nmae'; did you mean 'name'?"),
        ({"languages": {"fr": {"disclaimr": "x"}}}, "unknown key 'languages.fr.disclaimr'; did you mean 'disclaimer'?"),
        ({"languages": {"fr": "x"}}, "key 'languages.fr' must be a table, not str"),
    ]:
        with pytest.raises(ConfigError) as caught:
            read_settings(Sample, data, Path("leaflets.toml"))
        assert fragment in caught.value.message, caught.value.message


def test_paper_sizes_declared_once() -> None:
    from leaflets.project.paper import PAGE_SIZES, SIZES, paper, sheet_for

    assert paper("A4").height_px == pytest.approx(297 / 25.4 * 96)
    assert (paper("letter").width_pt, paper("letter").height_pt) == pytest.approx((612, 792))
    assert sheet_for("a5").landscape_pt == pytest.approx((841.89, 595.276), abs=0.01)
    assert sheet_for("a4").landscape_pt == pytest.approx((1190.55, 841.89), abs=0.01)
    assert sheet_for("letter").landscape_pt == pytest.approx((1224, 792))
    for name in PAGE_SIZES:
        sheet = sheet_for(name)
        assert sheet.landscape_pt[0] >= 2 * SIZES[name].width_pt - 0.01, "two pages fit side by side"
    with pytest.raises(KeyError):
        paper("tabloid")


def test_printer_is_a_cups_queue_name(tmp_path: Path) -> None:
    """`printer` is handed to `lp -d`: a name that could be read as an option or holds spaces is refused."""
    path = tmp_path / "leaflets.toml"
    path.write_text('printer = "counter-2"\n')
    assert load_config(path).printer == "counter-2"
    for bad in ("-o evil", "two words", "a/b", "-x"):
        path.write_text(f'printer = "{bad}"\n')
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert "printer" in caught.value.message
