"""The CLDR copy frozen from Babel prints what Babel prints, and a plain install works without Babel."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import format_date

from leaflets.project.cldr import format_long_date, frozen_language_name, refresh
from leaflets.source.language import SHIPPED_LANGUAGES, babel_locale, primary

REPO = Path(__file__).resolve().parent.parent
DAYS = [date(2026, month, day) for month in range(1, 13) for day in (1, 9, 10, 28)] + [date(999, 12, 31), date(2031, 1, 5)]


def test_frozen_file_matches_installed_babel() -> None:
    assert refresh(check_only=True), "leaflets/locale/cldr.json is stale: python -m leaflets.project.cldr refresh"


@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
def test_frozen_long_dates_equal_babel(lang: str) -> None:
    locale = Locale.parse(babel_locale(lang))
    for day in DAYS:
        assert format_long_date(day, lang) == format_date(day, format="long", locale=locale), (lang, day)


@pytest.mark.parametrize("in_language", SHIPPED_LANGUAGES)
def test_frozen_language_names_equal_babel(in_language: str) -> None:
    locale = Locale.parse(babel_locale(in_language))
    for lang in SHIPPED_LANGUAGES:
        expected = locale.languages.get(lang.replace("-", "_")) or locale.languages[primary(lang)]
        assert frozen_language_name(lang, in_language) == expected


def test_without_babel(tmp_path: Path) -> None:
    """As after a plain ``pip install .``: dates, names and the renderer's imports need no Babel;
    a project's .po catalog is one clear error naming the file, a .mo still works."""
    po = tmp_path / "locale" / "es" / "LC_MESSAGES" / "leaflets.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "Contents"\nmsgstr "Índice"\n', encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys
        sys.modules["babel"] = None  # as if not installed: any import of it raises ImportError
        from datetime import date
        from pathlib import Path
        from leaflets.errors import ConfigError
        from leaflets.project.cldr import babel_available, language_name
        from leaflets.project.dates import long_date
        from leaflets.project.catalogs import translations
        import leaflets.render.leaflet, leaflets.booklet.make  # noqa: E401
        assert not babel_available()
        print(long_date(date(2026, 2, 10), "es"), long_date(date(2026, 2, 10), "zh-Hans"), long_date(date(2026, 2, 10), "es-MX"))
        print(language_name("en", "es"), language_name("zh", "fr"))
        print(translations(None, "es").gettext("Contents"))
        try:
            translations(Path({str(tmp_path)!r}), "es")
        except ConfigError as exc:
            print(exc)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "10 de febrero de 2026 2026年2月10日 10 de febrero de 2026"
    assert lines[1] == "inglés chinois"
    assert lines[2] == "Índice"
    assert "leaflets.po" in lines[3] and "pip install 'leaflets[locales]'" in lines[3]


def test_doctor_names_the_locale_data(tmp_path: Path) -> None:
    """doctor says where dates come from; without Babel, a project language outside the shipped ones is a warning."""
    (tmp_path / "leaflets.toml").write_text('lang = "pt"\n', encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys
        sys.modules["babel"] = None
        from pathlib import Path
        from leaflets.doctor.languages import locale_data_check
        from leaflets.project.project import Project
        print(locale_data_check(Project.load(Path({str(tmp_path)!r}))).line())
        print(locale_data_check(Project.load(Path({str(REPO)!r}))).line())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    without_pt, shipped = result.stdout.splitlines()
    assert without_pt.startswith("warn") and "pt" in without_pt and "leaflets[locales]" in without_pt
    assert shipped.startswith("ok") and "zh-Hans" in shipped
