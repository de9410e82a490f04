"""Telling a patient leaflet from text that only looks like an entry.

The corpus holds pages written as replies to whoever asked for them rather
than leaflets for a patient: requests for a fuller medicine name ("Please
provide the generic name ..."), refusals ("I cannot provide information on a
combination of ..."), and component round-ups that say the leaflet sections
cannot be written. What they share, and what real leaflets never lack, is
structure: no leaflet section (usage, dosage, side effects, how it works,
precautions) under any heading or bold label, or at most a couple of them
beside a sentence that declines or asks for more. That is what is detected
here, from the text alone.

Sections are counted from every heading and bold label, not only the ones
:func:`leaflets.source.sections.normalise` turns into leaflet sections, so entries
that describe each component under its own name ("**Melatonin**" followed by
"* **Usage:** ...") still count as the leaflets they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leaflets.source.sections import LeafletContent
from leaflets.source.vocabulary import bold_label, heading

TOPICS: dict[str, re.Pattern[str]] = {
    "usage": re.compile(r"\b(usage|uses?|used for|indications?)\b", re.I),
    "dosage": re.compile(r"\b(dosage|doses?|dosing|administration|how to take)\b", re.I),
    "side_effects": re.compile(r"\b(side[- ]?effects?|adverse (effects|reactions))\b", re.I),
    "how_it_works": re.compile(r"\b(how (it|they|does it|do they) works?|mechanism)\b", re.I),
    "precautions": re.compile(r"\b(precautions?|warnings?|contraindications?)\b", re.I),
}
MAX_SECTIONS_BESIDE_REFUSAL = 2
"""A page that declines or asks for more may still name this many sections and not be a leaflet."""

ASKS = re.compile(
    r"\bplease (?:provide|specify|clarify)(?! (?:your|the|a) (?:doctor|pharmacist|nurse|dentist|midwife|health))"
    r"(?: me)?(?: with)? (?:the |its |a |more |further |which )?"
    r"(?:[\w'-]+ ){0,3}(?:names?|details|information|products?|brands?|medications?|medicines?|drugs?)\b"
    r"|\bI need (?:the|a|more)\b[^.]{0,60}\b(?:names?|details|information)\b"
    r"|\bis not a complete\b[^.]{0,40}\bname\b",
    re.I,
)
"""Asking the reader for input: a leaflet tells, it never asks for the medicine's name."""

DECLINES = re.compile(
    r"\bI (?:cannot|can ?not|can't|am unable to|'m unable to|could not|couldn't|was unable to) "
    r"(?:provide|find|create|give|generate|offer|locate|identify|supply)\b",
    re.I,
)
"""The writer, in the first person, declining to describe the medicine."""

CANNOT_COVER = re.compile(
    r"\b(?:cannot|can ?not|could not) be (?:accurately |reliably |safely )?(?:provided|completed|given|described)\b"
    r"|\b(?:is|are|would be) (?:impossible|not possible)\b",
    re.I,
)
"""Impersonal statements that the leaflet's sections cannot be written."""

_PATTERNS = (
    ("asks", ASKS, ("please", "i need", "complete")),
    ("declines", DECLINES, ("i can", "unable", "i could")),
    ("cannot-cover", CANNOT_COVER, ("cannot be", "can not be", "could not be", "possible")),
)
"""Each pattern with words it cannot match without, checked first because most sections have none."""


@dataclass(frozen=True)
class Signal:
    """A sentence that asks or declines, with its file line."""

    kind: str
    quote: str
    line: int


@dataclass(frozen=True)
class Verdict:
    """Why an entry is not a leaflet, and the line that shows it best."""

    reason: str
    line: int


def leaflet_topics(content: LeafletContent) -> set[str]:
    """The leaflet sections the entry covers under any heading or bold label."""
    topics = {s.key for s in content.sections if s.key in TOPICS}
    for line in content.entry.body.split("\n"):
        found = heading(line)
        match = None if found else bold_label(line, in_list=True)
        label = found[1] if found else match.group("label") if match else ""
        if not label:
            continue
        named = {topic for topic, pattern in TOPICS.items() if pattern.search(label)}
        if len(named) == 1:
            topics |= named
    return topics


def signals(content: LeafletContent) -> list[Signal]:
    """Sentences in the leaflet text (not the footer) that ask for input or decline, in file order.

    Questions are left out: "What if I cannot find my inhaler?" is the patient speaking.
    """
    found: list[Signal] = []
    for section in content.sections:
        text = section.markdown.replace("*", "").replace("_", " ")
        lower = text.lower()
        for kind, pattern, hints in _PATTERNS:
            if not any(hint in lower for hint in hints):
                continue
            for match in pattern.finditer(text):
                sentence = _sentence_around(text, match.start(), match.end())
                if not sentence.endswith("?"):
                    line = section.line + text.count("\n", 0, match.start())
                    found.append(Signal(kind, sentence, line))
    return sorted(found, key=lambda s: s.line)


def not_a_leaflet(content: LeafletContent) -> Verdict | None:
    """A verdict when ``content`` is not a patient leaflet, else None."""
    topics = leaflet_topics(content)
    found = signals(content)
    asks = [s for s in found if s.kind == "asks"]
    declines = [s for s in found if s.kind != "asks"]
    words = sum(len(s.markdown.split()) for s in content.sections)
    if asks and len(topics) <= MAX_SECTIONS_BESIDE_REFUSAL:
        return Verdict(f"asks for more information instead of describing a medicine: \"{asks[0].quote}\"", asks[0].line)
    if declines and len(topics) <= MAX_SECTIONS_BESIDE_REFUSAL:
        covered = f"only {len(topics)} leaflet section{'s' if len(topics) != 1 else ''}" if topics else "no leaflet sections"
        return Verdict(f"declines to describe the medicine and has {covered}: \"{declines[0].quote}\"", declines[0].line)
    if not topics:
        first = content.sections[0].line if content.sections else content.entry.body_line
        return Verdict(
            f"has no leaflet sections (usage, dosage, side effects, how it works, precautions) in {words} words of text",
            first,
        )
    return None


def requester_text(content: LeafletContent) -> Signal | None:
    """In a real leaflet, the first sentence addressed to whoever asked for it rather than the patient."""
    return next((s for s in signals(content) if s.kind in ("asks", "declines")), None)


def _sentence_around(text: str, start: int, end: int, limit: int = 100) -> str:
    begin = max(text.rfind(mark, 0, start) for mark in (". ", "\n", "? ", "! ", ": ")) + 1
    stop = min((i for i in (text.find(mark, end) for mark in (". ", "\n", "? ", "! ")) if i != -1), default=len(text))
    sentence = " ".join(text[begin : stop + 1].split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"
