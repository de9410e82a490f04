"""The words and shapes that mark a leaflet's sections: labels, aliases, headings, bold labels.

Sections (splitting an entry), classify (is this a leaflet at all?), check
(which required section is missing) and config (``required_sections``) all
have to agree on what "Side effects" is called and on what a heading or a
``**Usage:**`` label looks like; this module is the one place that says it.
It imports nothing from the package, so the settings can use it without
pulling in entry loading or Markdown.
"""

from __future__ import annotations

import re

CANONICAL_LABELS: dict[str, str] = {
    "generic_name": "Generic name",
    "usage": "Usage",
    "dosage": "Dosage",
    "side_effects": "Side effects",
    "how_it_works": "How it works",
    "precautions": "Precautions",
    "faqs": "Frequently asked questions",
}
"""Each section key with the label a leaflet prints for it, in reading order."""

ALIASES: dict[str, str] = {
    "generic name": "generic_name",
    "generic names": "generic_name",
    "generic": "generic_name",
    "usage": "usage",
    "uses": "usage",
    "use": "usage",
    "indications": "usage",
    "what it is used for": "usage",
    "dosage": "dosage",
    "dosages": "dosage",
    "dose": "dosage",
    "doses": "dosage",
    "dosing": "dosage",
    "dosage and administration": "dosage",
    "how to take it": "dosage",
    "side effects": "side_effects",
    "side-effects": "side_effects",
    "adverse effects": "side_effects",
    "adverse reactions": "side_effects",
    "how it works": "how_it_works",
    "how does it work": "how_it_works",
    "mechanism of action": "how_it_works",
    "precautions": "precautions",
    "precaution": "precautions",
    "warnings and precautions": "precautions",
    "precautions and warnings": "precautions",
    "faqs": "faqs",
    "faq": "faqs",
    "frequently asked questions": "faqs",
}
"""Label text as authors write it (lower case, ``&`` as ``and``) -> section key."""

FOOTER_LABELS: dict[str, str] = {"disclaimer": "disclaimer", "note": "note"}
"""Bold labels whose paragraphs move to the page footer, by lower-case label."""

HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
"""An ATX heading line (CommonMark): up to three spaces, 1-6 ``#``, the text, an optional closing run."""

BOLD_LABEL = re.compile(
    r"^(?P<bullet>[ \t]*(?:[*+-]|\d+[.)])[ \t]+)?\*\*(?P<label>[^*\n]{1,80}?)[ \t]*"
    r"(?::[ \t]*\*\*|\*\*[ \t]*:)[ \t]*(?P<rest>.*)$"
)
"""A bold label opening a line: ``**Usage:** text`` or ``**Usage**: text``, optionally as a list item.

``bullet`` is set when the label follows a list marker (``* **Usage:** ...``):
such labels describe one component inside a section and never open one.
"""

_QUALIFIER = re.compile(r"^(?P<name>.*?)[ \t]*\((?P<qualifier>[^()]*)\)[ \t]*$")


def heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` when ``line`` is a heading, else None."""
    match = HEADING.match(line)
    if match is None:
        return None
    return len(match.group("hashes")), (match.group("text") or "").strip()


def bold_label(line: str, in_list: bool = False) -> re.Match[str] | None:
    """The bold-label match of ``line`` (groups ``label`` and ``rest``); list items only with ``in_list``."""
    match = BOLD_LABEL.match(line)
    if match is None or (match.group("bullet") and not in_list):
        return None
    return match


def canonical_key(label: str) -> tuple[str | None, str, str]:
    """Map a heading or bold label to ``(key or None, name, qualifier)``."""
    text = re.sub(r"[*_`]", "", label).strip()
    text = text.rstrip(":").strip()
    qualifier = ""
    match = _QUALIFIER.match(text)
    if match and match.group("name"):
        text, qualifier = match.group("name").rstrip(":").strip(), match.group("qualifier").strip()
    normal = re.sub(r"\s+", " ", text.lower().replace("&", "and")).strip()
    return ALIASES.get(normal), text, qualifier


def section_key(name: str) -> str | None:
    """A section key from a key (``side_effects``) or any label for it (``Side effects``), else None."""
    return name if name in CANONICAL_LABELS else canonical_key(name)[0]


def footer_kind(line: str) -> str | None:
    """``disclaimer`` or ``note`` when ``line`` opens a footer paragraph (``**Disclaimer:** ...``)."""
    match = bold_label(line)
    if match is None:
        return None
    return FOOTER_LABELS.get(match.group("label").strip().lower())
