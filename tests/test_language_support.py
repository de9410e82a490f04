"""Languages leaflets does not ship: no Simplified texts for Traditional Chinese, and a warning before English ones.

A tag in another script is another language (``zh-Hant``, ``zh-TW`` are not
``zh-Hans``); an entry whose language has no catalog, shipped or the
project's, is printed with English fixed texts, so ``check`` says so and
``doctor`` tells the truth about each language. One leaflet is built and
read back; the rest runs without the engine.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from leaflets.build.builder import build_leaflets
from leaflets.check.checker import check_entries
from leaflets.doctor.languages import language_font_checks
from leaflets.project.catalogs import gettext_for, has_catalog
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project
from leaflets.source.language import same_language, script, shipped_language

from conftest import REPO
from pdfread import pdftotext

BODY = {
    "zh-Hant": "### 用途\n本品用於緩解頭痛、牙痛及經痛，也可退燒。請依照說明書服用。\n\n### 副作用\n少數人會出現皮疹。\n",
    "ja": "### 効能\n頭痛や歯の痛みをやわらげます。用法・用量を守ってお使いください。\n",
    "pt-BR": "### Uso\nAlivia dores de cabeça e febre. Tome com água, após as refeições.\n",
    "zh-Hans": "### 用途\n本品用于控制2型糖尿病患者的血糖。请随餐服用。\n",
    "es": "### Uso\nAlivia el dolor de cabeza y la fiebre. Tómelo con agua.\n",
}


def write(folder: Path, name: str, title: str, lang: str | None = None) -> Path:
    """An entry of our own; its language from the file name or, with ``lang``, its front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    front = f"title: {title}\nreviewed: 2026-05-01\n" + (f"lang: {lang}\n" if lang else "")
    key = lang or name.split(".")[-2]
    path = folder / name
    path.write_text(f"---\n{front}---\n\n# {title}\n\n{BODY[key]}", encoding="utf-8")
    return path


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-SG", "zh-Hans"),
    ("zh-Hant", None), ("zh-TW", None), ("zh-HK", None), ("zh_TW", None), ("zh-Hant-TW", None), ("ZH-HANT", None),
    ("es-MX", "es"), ("pt-BR", None), ("ja", None), ("sr-Latn", None),
])
def test_a_shipped_language_serves_only_its_own_script(tag: str, expected: str | None) -> None:
    assert shipped_language(tag) == expected


def test_scripts_split_languages() -> None:
    assert (script("zh-Hant"), script("zh-HK"), script("zh-Hans-CN"), script("zh"), script("es-419")) == (
        "Hant", "Hant", "Hans", "Hans", None)
    assert not same_language("zh-Hans", "zh-Hant") and not same_language("zh-TW", "zh-CN")
    assert not same_language("zh", "zh-Hant") and same_language("zh", "zh-CN") and same_language("zh", "zh-Hans")
    assert same_language("zh-Hant", "zh-Hant-TW") and same_language("es", "es-MX") and same_language("en", "en-Latn")
    assert same_language("pa-PK", "pa-Arab") and not same_language("pa-PK", "pa-IN")


def test_traditional_chinese_gets_no_simplified_texts(tmp_path: Path) -> None:
    assert gettext_for(None, "zh-Hant")("Disclaimer:") == "Disclaimer:"
    assert gettext_for(None, "zh-CN")("Disclaimer:") != "Disclaimer:"
    # A project catalog for zh-Hant is used; a zh-Hans one is not.
    assert not has_catalog(tmp_path, "zh-Hant") and has_catalog(tmp_path, "zh-CN") and has_catalog(None, "en-US")
    for lang, label in (("zh", "声明："), ("zh-Hans", "免责声明："), ("zh-Hant", "免責聲明：")):
        own = tmp_path / "locale" / lang / "LC_MESSAGES"
        own.mkdir(parents=True)
        (own / "leaflets.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                         f'msgid "Disclaimer:"\nmsgstr "{label}"\n', encoding="utf-8")
        assert has_catalog(tmp_path, "zh-Hant") == (lang == "zh-Hant")  # locale/zh/ is Simplified too
    assert gettext_for(tmp_path, "zh-Hant")("Disclaimer:") == "免責聲明："
    assert gettext_for(tmp_path, "zh-HK")("Disclaimer:") == "免責聲明："  # Hong Kong writes Traditional characters
    assert gettext_for(tmp_path, "zh-CN")("Disclaimer:") == "免责声明："
    assert gettext_for(tmp_path, "zh")("Disclaimer:") == "声明："


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project that requires zh-Hant translations, with a Simplified and a Traditional entry and others."""
    root = tmp_path_factory.mktemp("project")
    (root / "leaflets.toml").write_text('required_languages = ["zh-Hant"]\n', encoding="utf-8")
    entries = root / "entries"
    write(entries, "ibuprofen.md", "Ibuprofen", lang="pt-BR")  # front matter names the language
    write(entries, "paracetamol.zh-Hant.md", "對乙醯氨基酚")
    write(entries, "loxoprofen.ja.md", "ロキソプロフェン")
    write(entries, "paracetamol.es.md", "Paracetamol")
    write(entries, "metformin.zh-Hans.md", "二甲双胍")
    for name in ("paracetamol.md", "metformin.md"):
        (entries / name).write_bytes((REPO / "entries" / name).read_bytes())
    return Project.load(root)


def test_check_warns_of_english_fixed_texts_and_counts_no_simplified_translation(project: Project) -> None:
    report = check_entries(None, project, jobs=1)
    found = {(f.path.name, f.code): f for f in report.findings}
    unsupported = sorted(name for name, code in found if code == "unsupported-language")
    assert unsupported == ["ibuprofen.md", "loxoprofen.ja.md", "paracetamol.zh-Hant.md"]
    pt = found["ibuprofen.md", "unsupported-language"]
    assert pt.level == "warning" and pt.line == 4 and "pt-BR" in pt.message and "English" in pt.message
    assert f"{project.root / 'entries' / 'ibuprofen.md'}:4: warning: unsupported-language:" in pt.format()
    assert "ja" in found["loxoprofen.ja.md", "unsupported-language"].message
    # Metformin has a zh-Hans translation, which is no zh-Hant one; paracetamol has a zh-Hant one.
    assert "zh-Hant" in found["metformin.md", "missing-translation"].message
    assert ("paracetamol.md", "missing-translation") not in found


def test_a_traditional_leaflet_prints_english_fixed_texts_in_the_traditional_font(project: Project, tmp_path: Path) -> None:
    entry = project.root / "entries" / "paracetamol.zh-Hant.md"
    report = build_leaflets([entry], tmp_path, project, BuildOptions(), jobs=1)
    assert report.ok, [r.error for r in report.results if r.error]
    pdf = tmp_path / "paracetamol.zh-Hant.pdf"
    text = pdftotext(pdf)
    assert "Disclaimer:" in text and "免责声明" not in text  # English, never Simplified
    assert "緩解頭痛" in "".join(text.split())
    with pikepdf.open(pdf) as document:
        fonts = {str(font.get("/BaseFont", "")) for page in document.pages
                 for font in (page.Resources.get("/Font") or {}).values()}
        assert str(document.Root.Lang) == "zh-Hant"
    assert any("CJK-TC" in font for font in fonts) and not any("CJK-SC" in font for font in fonts), fonts


def test_doctor_says_something_true_of_each_language(project: Project) -> None:
    checks = {check.name: check for check in language_font_checks(project)}
    english = checks["language en"]
    assert english.status == "ok" and "covers all 0" not in english.detail and "94 printable ASCII" in english.detail
    traditional = checks["language zh-Hant"]
    assert "Noto Sans CJK TC" in traditional.detail and traditional.status == "warn"
    assert "English" in traditional.detail
    assert "Noto Sans CJK SC" in checks["language zh-Hans"].detail and checks["language zh-Hans"].status == "ok"

