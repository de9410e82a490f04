"""The one vocabulary of section labels, headings and bold labels, as every stage reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaflets.check.classify import leaflet_topics
from leaflets.errors import ConfigError
from leaflets.project.config import config_from_mapping
from leaflets.source.entry import load_entry, parse_entry
from leaflets.source.fields import front_matter_line, key_lines
from leaflets.source.sections import normalise
from leaflets.source.vocabulary import CANONICAL_LABELS, bold_label, footer_kind, heading, section_key

from conftest import write_entry


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# Title", (1, "Title")),
        ("   ### Usage ###", (3, "Usage")),
        ("#", (1, "")),
        ("#Usage", None),
        ("    # indented code", None),
        ("####### seven", None),
    ],
)
def test_heading(line: str, expected: tuple[int, str] | None) -> None:
    assert heading(line) == expected


@pytest.mark.parametrize(
    ("line", "in_list", "label", "rest"),
    [
        ("**Usage:** Pain.", False, "Usage", "Pain."),
        ("**Usage**: Pain.", False, "Usage", "Pain."),
        ("* **Usage:** Pain.", False, None, None),
        ("* **Usage:** Pain.", True, "Usage", "Pain."),
        ("  1. **Dosage:** One.", True, "Dosage", "One."),
        ("**Bold** sentence.", True, None, None),
    ],
)
def test_bold_label(line: str, in_list: bool, label: str | None, rest: str | None) -> None:
    match = bold_label(line, in_list=in_list)
    assert (match and match.group("label"), match and match.group("rest")) == (label, rest)


def test_footer_kind() -> None:
    assert footer_kind("**Disclaimer:** Not advice.") == "disclaimer"
    assert footer_kind("**NOTE**: may be out of date") == "note"
    assert footer_kind("* **Note:** in a list") is None


def test_config_required_sections_use_the_same_labels() -> None:
    """A label sections recognise is accepted by leaflets.toml, and an unknown one names the known keys."""
    config = config_from_mapping({"required_sections": ["Side-effects", "mechanism of action", "faqs"]})
    assert config.required_sections == ("side_effects", "how_it_works", "faqs")
    assert section_key("Dosage and administration") == "dosage"
    with pytest.raises(ConfigError, match=", ".join(CANONICAL_LABELS)):
        config_from_mapping({"required_sections": ["Storage"]})


def test_sections_and_classify_agree(tmp_path: Path) -> None:
    """A heading entry and a bold-label entry give the same sections and topics."""
    headings = write_entry(tmp_path, "h.md", "# Testamol\n\n## Usage:\nPain.\n\n## Side effects\nNausea.\n")
    labels = write_entry(tmp_path, "b.md", "# Testamol\n\n**Usage:** Pain.\n\n**Side effects:** Nausea.\n")
    for path in (headings, labels):
        content = normalise(load_entry(path))
        assert [s.key for s in content.sections] == ["usage", "side_effects"]
        assert leaflet_topics(content) == {"usage", "side_effects"}


def test_front_matter_lines_one_reader(tmp_path: Path) -> None:
    text = "---\ntitle: T\n'url': https://example.org\nreviewed: 2024-01-02\n---\n# T\n\n**Usage:** x\n"
    entry = parse_entry(text, tmp_path / "e.md", text.encode())
    assert key_lines(text, entry.body_line) == {"title": 2, "url": 3, "reviewed": 4}
    assert front_matter_line(entry, "reviewed") == 4
    assert front_matter_line(entry, "next_review") is None
