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
from leaflets.source.vocabulary import TOPIC_WORDS, bold_label, heading

TOPICS: dict[str, re.Pattern[str]] = {
    "usage": re.compile(r"\b(usage|uses?|used for|indications?)\b", re.I),
    "dosage": re.compile(r"\b(dosage|doses?|dosing|administration|how to take)\b", re.I),
    "side_effects": re.compile(r"\b(side[- ]?effects?|adverse (effects|reactions))\b", re.I),
    "how_it_works": re.compile(r"\b(how (it|they|does it|do they) works?|mechanism)\b", re.I),
    "precautions": re.compile(r"\b(precautions?|warnings?|contraindications?)\b", re.I),
}
for _topic, _words in TOPIC_WORDS.items():
    # Words in other languages: plain substrings (word boundaries mean little in Chinese or Devanagari).
    TOPICS[_topic] = re.compile(
        TOPICS[_topic].pattern + "|" + "|".join(re.escape(word) for word in _words), re.I
    )

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

ASKS_OTHER = re.compile(
    # Spanish
    r"\bpor favor,? (?:proporcione|proporcióneme|indique|especifique|aclare|facilite)(?:me)?\b[^.]{0,60}?"
    r"\b(?:nombres?|detalles|información|productos?|marcas?|medicamentos?|fármacos?)\b"
    r"|\bnecesito (?:el|la|los|más)\b[^.]{0,60}\b(?:nombres?|detalles|información)\b"
    r"|\bno es un nombre completo\b"
    # French
    r"|\bveuillez (?:me )?(?:fournir|préciser|indiquer|donner|clarifier)\b[^.]{0,60}?"
    r"\b(?:noms?|détails|informations?|produits?|marques?|médicaments?)\b"
    r"|\bj['’]ai besoin (?:du|de la|des|de plus)\b[^.]{0,60}\b(?:noms?|détails|informations?)\b"
    r"|\bn['’]est pas un nom complet\b"
    # Arabic, Hindi, Chinese
    r"|(?:يرجى|من فضلك|الرجاء) (?:تقديم|تحديد|توضيح|ذكر|إعطاء)[^.؟]{0,60}(?:اسم|الاسم|معلومات|تفاصيل|المنتج)"
    r"|कृपया[^।.]{0,60}(?:पूरा नाम|नाम|जानकारी|विवरण)[^।.]{0,30}(?:बताएँ|बताएं|दें|प्रदान करें|स्पष्ट करें)"
    r"|请(?:提供|说明|明确|告诉我|具体说明|指明)[^。]{0,20}(?:名称|全称|名字|药名|信息|详情|品牌)",
    re.I,
)
"""The same request for a fuller name or more detail in the other shipped languages."""

DECLINES = re.compile(
    r"\bI (?:cannot|can ?not|can't|am unable to|'m unable to|could not|couldn't|was unable to) "
    r"(?:provide|find|create|give|generate|offer|locate|identify|supply)\b",
    re.I,
)
"""The writer, in the first person, declining to describe the medicine."""

DECLINES_OTHER = re.compile(
    r"\bno (?:puedo|podemos|me es posible|soy capaz de) (?:proporcionar|dar|ofrecer|encontrar|crear|generar|identificar|facilitar)\b"
    r"|\bje ne (?:peux|suis pas en mesure de) (?:pas )?(?:fournir|donner|trouver|créer|générer|identifier|proposer)\b"
    r"|\bje suis incapable de (?:fournir|donner|trouver)\b"
    r"|لا (?:أستطيع|يمكنني|أتمكن من) (?:تقديم|إعطاء|توفير|إيجاد|العثور|إنشاء)"
    r"|मैं[^।.]{0,60}(?:प्रदान|उपलब्ध|नहीं दे|नहीं बना|नहीं ढूंढ|नहीं ढूँढ)[^।.]{0,20}(?:सकता|सकती)"
    r"|我(?:无法|不能|没法)(?:提供|找到|给出|生成|识别)",
    re.I,
)

CANNOT_COVER = re.compile(
    r"\b(?:cannot|can ?not|could not) be (?:accurately |reliably |safely )?(?:provided|completed|given|described)\b"
    r"|\b(?:is|are|would be) (?:impossible|not possible)\b",
    re.I,
)
"""Impersonal statements that the leaflet's sections cannot be written."""

CANNOT_COVER_OTHER = re.compile(
    r"\bno se (?:puede|pueden|podría|podrían) (?:proporcionar|completar|dar|describir)\b"
    r"|\b(?:es|sería) imposible\b"
    r"|\bne (?:peut|peuvent|pourrait|pourraient) pas être (?:fourni|fournie|fournies|fournis|complété|complétée|décrit|décrite|donné|donnée)s?\b"
    r"|\b(?:est|serait) impossible\b"
    r"|لا يمكن (?:تقديم|إكمال|وصف)"
    r"|(?:प्रदान|पूरा|वर्णन) नहीं किया जा सकता"
    r"|无法(?:提供|完成|描述)",
    re.I,
)

_PATTERNS = (
    ("asks", ASKS, ("please", "i need", "complete")),
    ("declines", DECLINES, ("i can", "unable", "i could")),
    ("cannot-cover", CANNOT_COVER, ("cannot be", "can not be", "could not be", "possible")),
    ("asks", ASKS_OTHER, (
        "por favor", "necesito", "nombre completo", "veuillez", "besoin", "nom complet",
        "يرجى", "من فضلك", "الرجاء", "कृपया", "请",
    )),
    ("declines", DECLINES_OTHER, (
        "no puedo", "no podemos", "no me es", "no soy", "je ne", "incapable",
        "لا أستطيع", "لا يمكنني", "لا أتمكن", "मैं", "我无法", "我不能", "我没法",
    )),
    ("cannot-cover", CANNOT_COVER_OTHER, ("no se", "imposible", "pas être", "impossible", "لا يمكن", "नहीं किया जा सकता", "无法")),
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
                if not sentence.endswith(("?", "؟", "？")):
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
    begin = max(text.rfind(mark, 0, start) for mark in (". ", "\n", "? ", "! ", ": ", "。", "।", "؟ ", "：")) + 1
    stop = min(
        (i for i in (text.find(mark, end) for mark in (". ", "\n", "? ", "! ", "。", "।", "؟")) if i != -1), default=len(text)
    )
    sentence = " ".join(text[begin : stop + 1].split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"
