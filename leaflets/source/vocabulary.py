"""The words and shapes that mark a leaflet's sections: labels, aliases, headings, bold labels.

Sections (splitting an entry), classify (is this a leaflet at all?), check
(which required section is missing) and config (``required_sections``) all
have to agree on what "Side effects" is called and on what a heading or a
``**Usage:**`` label looks like; this module is the one place that says it.
It imports nothing from the package, so the settings can use it without
pulling in entry loading or Markdown.

Labels are recognised in every supported language, whatever the entry's
language (a Spanish entry quoting an English heading still works): English
in :data:`ALIASES`, the others in :data:`SECTION_WORDS` and
:data:`FOOTER_WORDS`, with ASCII or full-width colons (``**用法用量：**``) and
French spacing before the colon (``**Posologie :**``). A project adds words
per language in leaflets.toml (``[languages.es] labels``), passed here as
``extra`` aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

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

SECTION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "generic_name": ("nombre genérico", "nombre generico", "nombres genéricos", "principio activo"),
        "usage": ("uso", "usos", "indicaciones", "para qué se utiliza", "para qué sirve", "utilización"),
        "dosage": ("dosis", "posología", "posologia", "dosificación", "cómo tomarlo", "cómo tomar", "modo de empleo"),
        "side_effects": ("efectos secundarios", "efectos adversos", "reacciones adversas", "efectos indeseados"),
        "how_it_works": ("cómo actúa", "cómo funciona", "mecanismo de acción", "como actua", "como funciona"),
        "precautions": ("precauciones", "advertencias y precauciones", "advertencias", "precaución"),
        "faqs": ("preguntas frecuentes", "preguntas más frecuentes"),
    },
    "fr": {
        "generic_name": ("nom générique", "dénomination commune", "noms génériques"),
        "usage": ("utilisation", "utilisations", "indications", "à quoi sert-il", "usage"),
        "dosage": ("posologie", "dose", "doses", "comment le prendre", "mode d'administration", "mode d’administration"),
        "side_effects": ("effets indésirables", "effets secondaires"),
        "how_it_works": ("mode d'action", "mode d’action", "comment agit-il", "comment ça marche", "mécanisme d'action", "mécanisme d’action"),
        "precautions": ("précautions", "mises en garde et précautions", "mises en garde", "précautions d'emploi", "précautions d’emploi"),
        "faqs": ("questions fréquentes", "foire aux questions", "questions courantes"),
    },
    "ar": {
        "generic_name": ("الاسم العلمي", "الاسم العام", "الاسم الجنيس"),
        "usage": ("الاستخدام", "الاستخدامات", "دواعي الاستعمال", "الاستعمال"),
        "dosage": ("الجرعة", "الجرعات", "طريقة الاستعمال", "الجرعة وطريقة الاستعمال"),
        "side_effects": ("الآثار الجانبية", "الأعراض الجانبية", "الآثار الجانبيه"),
        "how_it_works": ("كيف يعمل الدواء", "كيف يعمل", "آلية العمل", "آلية عمل الدواء"),
        "precautions": ("الاحتياطات", "التحذيرات والاحتياطات", "التحذيرات", "احتياطات"),
        "faqs": ("أسئلة شائعة", "الأسئلة الشائعة", "الأسئلة المتكررة"),
    },
    "hi": {
        "generic_name": ("जेनेरिक नाम", "सामान्य नाम"),
        "usage": ("उपयोग", "इस्तेमाल", "उपयोग के कारण"),
        "dosage": ("खुराक", "मात्रा", "खुराक और सेवन विधि"),
        "side_effects": ("दुष्प्रभाव", "साइड इफेक्ट", "साइड इफ़ेक्ट", "साइड इफेक्ट्स", "साइड इफ़ेक्ट्स"),
        "how_it_works": ("यह कैसे काम करती है", "यह कैसे काम करता है", "कैसे काम करती है", "कैसे काम करता है", "कार्य प्रणाली"),
        "precautions": ("सावधानियाँ", "सावधानियां", "सावधानी", "चेतावनी और सावधानियाँ"),
        "faqs": ("अक्सर पूछे जाने वाले प्रश्न", "सामान्य प्रश्न", "अक्सर पूछे जाने वाले सवाल"),
    },
    "zh": {
        "generic_name": ("通用名", "通用名称", "药品名称"),
        "usage": ("用途", "适应症", "功能主治", "用于"),
        "dosage": ("用法用量", "剂量", "用量", "用法"),
        "side_effects": ("副作用", "不良反应"),
        "how_it_works": ("作用原理", "作用机制", "药理作用", "如何起作用"),
        "precautions": ("注意事项", "警告", "警示"),
        "faqs": ("常见问题", "常见问题解答"),
    },
}
"""Heading and label words per language (primary subtag) and canonical section key, lower case."""

FOOTER_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "disclaimer": ("aviso", "aviso legal", "aviso importante", "descargo de responsabilidad", "exención de responsabilidad"),
        "note": ("nota",),
    },
    "fr": {"disclaimer": ("avertissement", "clause de non-responsabilité", "avis de non-responsabilité"), "note": ("note", "remarque")},
    "ar": {"disclaimer": ("إخلاء مسؤولية", "إخلاء المسؤولية", "تنويه"), "note": ("ملاحظة", "ملحوظة")},
    "hi": {"disclaimer": ("अस्वीकरण",), "note": ("टिप्पणी", "नोट")},
    "zh": {"disclaimer": ("免责声明", "免责条款"), "note": ("说明", "注", "备注")},
}
"""Bold labels that mark the footer's disclaimer and accuracy note, per language."""

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "usage": ("uso", "usos", "indicaciones", "utilisation", "indications", "الاستخدام", "الاستعمال", "उपयोग", "用途", "适应症"),
    "dosage": ("dosis", "posología", "posologie", "الجرعة", "खुराक", "用法", "用量", "剂量"),
    "side_effects": (
        "efectos secundarios", "efectos adversos", "effets indésirables", "effets secondaires",
        "الآثار الجانبية", "الأعراض الجانبية", "दुष्प्रभाव", "副作用", "不良反应",
    ),
    "how_it_works": (
        "cómo actúa", "cómo funciona", "mode d'action", "mode d’action", "كيف يعمل", "آلية العمل", "कैसे काम", "作用原理", "作用机制",
    ),
    "precautions": (
        "precauciones", "advertencias", "précautions", "mises en garde", "الاحتياطات", "التحذيرات", "सावधानि", "सावधानी",
        "注意事项", "警告",
    ),
}
"""Words that show a label is about a leaflet topic (for telling leaflets from refusals), beside the English ones."""

ALIASES.update({word: key for words in SECTION_WORDS.values() for key, aliases in words.items() for word in aliases})

FOOTER_LABELS: dict[str, str] = {
    "disclaimer": "disclaimer", "note": "note",
    **{word: kind for words in FOOTER_WORDS.values() for kind, aliases in words.items() for word in aliases},
}
"""Bold labels whose paragraphs move to the page footer, by lower-case label, in every language."""

COLONS = ":："
"""A label ends with an ASCII or a full-width colon."""
_LABEL_END = ":： \t\u00a0\u202f"

HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
"""An ATX heading line (CommonMark): up to three spaces, 1-6 ``#``, the text, an optional closing run."""

BOLD_LABEL = re.compile(
    r"^(?P<bullet>[ \t]*(?:[*+-]|\d+[.)])[ \t]+)?\*\*(?P<label>[^*\n]{1,80}?)[ \t\u00a0\u202f]*"
    r"(?:[:：][ \t]*\*\*|\*\*[ \t\u00a0\u202f]*[:：])[ \t]*(?P<rest>.*)$"
)
"""A bold label opening a line: ``**Usage:** text`` or ``**Usage**: text``, optionally as a list item.

``bullet`` is set when the label follows a list marker (``* **Usage:** ...``):
such labels describe one component inside a section and never open one.
"""

_QUALIFIER = re.compile(r"^(?P<name>.*?)[ \t]*[(（](?P<qualifier>[^()（）]*)[)）][ \t]*$")


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


def canonical_key(label: str, extra: Mapping[str, str] | None = None) -> tuple[str | None, str, str]:
    """Map a heading or bold label to ``(key or None, name, qualifier)``; ``extra`` holds a project's own words."""
    text = re.sub(r"[*_`]", "", label).strip()
    text = text.rstrip(_LABEL_END).strip()
    qualifier = ""
    match = _QUALIFIER.match(text)
    if match and match.group("name"):
        text, qualifier = match.group("name").rstrip(_LABEL_END).strip(), match.group("qualifier").strip()
    normal = re.sub(r"\s+", " ", text.lower().replace("&", "and")).strip()
    key = ALIASES.get(normal)
    if key is None and extra:
        key = extra.get(normal)
    return key, text, qualifier


def section_key(name: str) -> str | None:
    """A section key from a key (``side_effects``) or any label for it (``Side effects``), else None."""
    return name if name in CANONICAL_LABELS else canonical_key(name)[0]


def footer_kind(line: str, extra: Mapping[str, str] | None = None) -> str | None:
    """``disclaimer`` or ``note`` when ``line`` opens a footer paragraph (``**Disclaimer:** ...``, ``**Aviso:**``)."""
    match = bold_label(line)
    if match is None:
        return None
    label = match.group("label").strip(_LABEL_END).lower()
    return FOOTER_LABELS.get(label) or (extra or {}).get(label)


@dataclass(frozen=True)
class ProjectWords:
    """A project's own label words (leaflets.toml ``[languages.xx] labels``), lower case -> key or footer kind."""

    sections: Mapping[str, str] = field(default_factory=dict)
    footer: Mapping[str, str] = field(default_factory=dict)


NO_PROJECT_WORDS = ProjectWords()
