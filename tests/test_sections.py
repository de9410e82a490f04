"""Normalising sections: both entry styles, the seed, odd corpus shapes, footer texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaflets.source.entry import load_entry
from leaflets.source.sections import normalise
from leaflets.source.vocabulary import canonical_key

from conftest import write_entry


def keys(path: Path) -> list[str]:
    return [section.key for section in normalise(load_entry(path)).sections]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Usage", ("usage", "Usage", "")),
        ("Usage:", ("usage", "Usage", "")),
        ("Side Effects (Individual Components)", ("side_effects", "Side Effects", "Individual Components")),
        ("FAQs (Addressing potential combined-use concerns):", ("faqs", "FAQs", "Addressing potential combined-use concerns")),
        ("**How it Works:**", ("how_it_works", "How it Works", "")),
        ("Mechanism of Action", ("how_it_works", "Mechanism of Action", "")),
        ("Alprazolam", (None, "Alprazolam", "")),
    ],
)
def test_canonical_key(label: str, expected: tuple) -> None:
    assert canonical_key(label) == expected


def test_heading_style(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "h.md", """
        ---
        title: Testamol
        ---

        # Testamol
        ### Generic Name:
        Testamol

        ### Usage (Individual Components)
        For tests.

        ### Dosage
        **Adults:** 5 mg.

        #### Children
        Ask a doctor.

        ### Storage
        Keep dry.

        ### Side Effects
        * Headache

        **Note:** This list is not complete.

        ### FAQs
        **Q: Is it real?**
        A: No.

        **Disclaimer:** Educational only.

        **Note:** This may not be accurate; consult a professional.
    """)
    content = normalise(load_entry(path))
    assert content.style == "headings"
    assert [s.key for s in content.sections] == [
        "generic_name", "usage", "dosage", "storage", "side_effects", "faqs",
    ]
    usage = content.section("usage")
    assert usage.label == "Usage" and usage.qualifier == "Individual Components"
    assert "#### Children" in content.section("dosage").markdown
    assert "This list is not complete" in content.section("side_effects").markdown
    assert content.section("storage").known is False
    assert content.disclaimer.markdown == "Educational only."
    assert path.read_text().split("\n")[content.disclaimer.line - 1].startswith("**Disclaimer:**")
    assert content.note.markdown.startswith("This may not be accurate")
    assert all("Testamol\n" not in s.markdown or s.key == "generic_name" for s in content.sections)
    assert not any("# Testamol" in s.markdown for s in content.sections)


def test_section_lines_point_into_the_file(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "lines.md", "---\ntitle: L\n---\n# L\n### Usage\nFirst line.\n\n### Dosage\n\nTwice.\n")
    content = normalise(load_entry(path))
    lines = path.read_text().split("\n")
    for section in content.sections:
        first_text = next(i for i, text in enumerate(section.markdown.split("\n")) if text.strip())
        assert lines[section.line - 1 + first_text] == section.markdown.split("\n")[first_text]
        assert lines[section.heading_line - 1].startswith("### ")


def test_seed_bold_label_style(seed: Path) -> None:
    content = normalise(load_entry(seed))
    assert content.style == "bold-labels"
    assert [s.key for s in content.sections] == ["generic_name", "usage", "side_effects", "how_it_works", "faqs"]
    assert content.section("usage").markdown.strip().startswith("This combination is *not* a standard")
    assert "**Clonazepam:**" in content.section("side_effects").markdown
    assert content.disclaimer.markdown.startswith("This information is for educational purposes only")
    assert "may not be accurate" in content.note.markdown
    assert content.title == "Clonazepam + Escitalopram Oxalate"


def test_mixed_combination_entry_keeps_component_sections(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "combo.md", """
        # A + B
        Intro about both.

        ### A

        **Usage:** A is used for pain.

        ### B

        **Usage:** B is used for sleep.

        ### FAQs (Combined Use):
        * **Q: Together?** A: Ask.
    """)
    content = normalise(load_entry(path))
    assert [s.key for s in content.sections] == ["intro", "a", "b", "faqs"]
    assert "**Usage:** A is used" in content.section("a").markdown
    assert content.section("faqs").qualifier == "Combined Use"


def test_not_a_leaflet_body_is_one_intro_section(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "x.md", "---\ntitle: Omega-\n---\n\n# Omega-\nPlease provide the full name.\n")
    content = normalise(load_entry(path))
    assert content.style == "plain"
    assert [s.key for s in content.sections] == ["intro"]
    assert content.disclaimer is None and content.note is None


def test_note_inside_body_stays_and_trailing_note_moves(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "n.md", """
        # N
        ### Usage
        Text.

        **Note:** Stays in usage.

        ### Precautions
        Care.

        **Note:** For general knowledge; not medical advice.
    """)
    content = normalise(load_entry(path))
    assert "Stays in usage" in content.section("usage").markdown
    assert content.note.markdown.startswith("For general knowledge")
    assert "general knowledge" not in content.section("precautions").markdown


def test_headings_inside_fenced_code_are_not_sections(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "f.md", "# F\n### Usage\n```\n### Dosage\n```\n")
    assert keys(path) == ["usage"]


@pytest.mark.corpus
def test_odd_corpus_entries(corpus: Path) -> None:
    mixed = normalise(load_entry(corpus / "m" / "mebeverine-alprazolam.md"))
    assert [s.key for s in mixed.sections][:3] == ["intro", "mebeverine", "alprazolam"]
    assert mixed.section("faqs").qualifier.startswith("Addressing")
    abacavir = normalise(load_entry(corpus / "a" / "abacavir.md"))
    assert [s.key for s in abacavir.sections] == [
        "generic_name", "usage", "dosage", "side_effects", "how_it_works", "precautions", "faqs",
    ]
    assert "not an exhaustive list" in abacavir.section("side_effects").markdown
    assert abacavir.note is None and abacavir.disclaimer is not None


def test_heading_with_text_after_the_label(entry_dir: Path) -> None:
    path = write_entry(entry_dir, "g.md", "# B + M\n### Generic Name: Benazepril + Metolazone\n\n### Usage:\nFor blood pressure.\n")
    content = normalise(load_entry(path))
    assert [s.key for s in content.sections] == ["generic_name", "usage"]
    assert content.section("generic_name").markdown.strip() == "Benazepril + Metolazone"
