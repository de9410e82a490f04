"""Loading entries: front matter, title, language and every kind of bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leaflets.source.entry import MAX_ENTRY_BYTES, effective_lang, load_entry
from leaflets.errors import EntryError

from conftest import write_entry


def test_title_and_lang_from_front_matter(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "a.md", """
        ---
        title: Atenolol
        lang: de
        ---
        # Something else
        Text.
    """)
    entry = load_entry(path)
    assert entry.title == "Atenolol"
    assert entry.lang == "de"
    assert entry.body_line == 5


def test_title_from_first_heading_when_front_matter_has_none(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "a.md", "# Bisoprolol\n\nText.\n")
    entry = load_entry(path)
    assert entry.title == "Bisoprolol"
    assert entry.title_from_heading
    assert entry.lang == "en"


def test_effective_lang_front_matter_then_project_then_english(entry_dir: Path) -> None:
    own = load_entry(write_entry(entry_dir, "own.md", "---\nlang: pt-BR\n---\n# Dipirona\n\nTexto.\n"))
    none = load_entry(write_entry(entry_dir, "none.md", "# Bisoprolol\n\nText.\n"))
    assert effective_lang(own, "fr") == "pt-BR"
    assert effective_lang(none, "fr") == "fr"
    assert effective_lang(none, None) == effective_lang(none, "") == "en"


def test_bom_and_crlf_are_accepted(entry_dir: Path) -> None:
    path = entry_dir / "crlf.md"
    path.write_bytes("\ufeff---\r\ntitle: Café ≥ 2\r\n---\r\n\r\n### Usage\r\nText.\r\n".encode("utf-8"))
    entry = load_entry(path)
    assert entry.title == "Café ≥ 2"
    assert "\r" not in entry.body


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("---\ntitle: A\nbad: [unclosed\n---\nBody\n", 3, "malformed front matter"),
        ("---\ntitle: A\n  - x: [\n---\nBody\n", 3, "malformed front matter"),
        ("---\n- a list\n- not a mapping\n---\nBody\n", 2, "must be a mapping"),
        ("---\ntitle: A\n---\n\n   \n", 4, "no body text"),
    ],
)
def test_bad_front_matter_and_body_name_the_line(entry_dir: Path, text: str, line: int, message: str) -> None:
    path = entry_dir / "bad.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EntryError) as caught:
        load_entry(path)
    assert message in caught.value.message
    assert caught.value.line == line
    assert caught.value.diagnostic().startswith(f"{path}:{line}: error: ")


def test_missing_title(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "t.md", "---\nlayout: x\n---\nJust text, no heading.\n")
    with pytest.raises(EntryError, match="no title"):
        load_entry(path)


def test_not_utf8_names_line(entry_dir: Path) -> None:
    path = entry_dir / "latin1.md"
    path.write_bytes("---\ntitle: A\n---\nCaf\u00e9\n".encode("latin-1"))
    with pytest.raises(EntryError) as caught:
        load_entry(path)
    assert "not valid UTF-8" in caught.value.message
    assert caught.value.line == 4


def test_file_over_one_megabyte_is_refused(entry_dir: Path) -> None:
    path = entry_dir / "huge.md"
    path.write_bytes(b"# Huge\n" + b"x" * MAX_ENTRY_BYTES)
    with pytest.raises(EntryError, match="over 1,000,000 bytes"):
        load_entry(path)


def test_unreadable_file(entry_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_entry(entry_dir, "locked.md", "# Locked\nText\n")

    real_open = os.open

    def refuse(name: object, *args: object, **kwargs: object) -> int:
        if str(name) == str(path.resolve()):
            raise PermissionError(13, "Permission denied")
        return real_open(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(EntryError, match="cannot read file: Permission denied"):
        load_entry(path)


def test_folder_in_place_of_file(entry_dir: Path) -> None:
    folder = entry_dir / "folder.md"
    folder.mkdir()
    with pytest.raises(EntryError, match="cannot read file"):
        load_entry(folder)


def test_bad_lang(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "l.md", "---\ntitle: A\nlang: 12\n---\nText\n")
    with pytest.raises(EntryError, match="lang"):
        load_entry(path)


def test_impossible_date_names_its_key_and_line(entry_dir: Path) -> None:
    """The key-line reader shared with check finds the bad date, quoted key or not."""
    path = write_entry(entry_dir, "d.md", "---\ntitle: T\n'next_review': 2025-02-30\n---\n# T\n\nText.\n")
    with pytest.raises(EntryError) as caught:
        load_entry(path)
    assert (caught.value.line, "'next_review' is not a valid date" in caught.value.message) == (3, True)
