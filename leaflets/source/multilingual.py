"""Label words in every supported language: section headings, bold labels, footer labels.

A Spanish entry writes ``### Efectos secundarios``, a French one ``**Posologie :**``,
a Chinese one ``**免责声明：**``; all map to the same canonical keys as the English
words, so templates, checks and booklets never care which language the author
wrote in. Words are recognised in every language whatever the entry's
language (a Spanish entry quoting an English heading still works); a project
adds its own per language in leaflets.toml (``[languages.es.labels]``).
"""

from __future__ import annotations

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
    "es": {"disclaimer": ("aviso", "aviso legal", "aviso importante", "descargo de responsabilidad", "exención de responsabilidad"), "note": ("nota",)},
    "fr": {"disclaimer": ("avertissement", "clause de non-responsabilité", "avis de non-responsabilité"), "note": ("note", "remarque")},
    "ar": {"disclaimer": ("إخلاء مسؤولية", "إخلاء المسؤولية", "تنويه"), "note": ("ملاحظة", "ملحوظة")},
    "hi": {"disclaimer": ("अस्वीकरण",), "note": ("टिप्पणी", "नोट")},
    "zh": {"disclaimer": ("免责声明", "免责条款"), "note": ("说明", "注", "备注")},
}
"""Bold labels that mark the footer's disclaimer and accuracy note, per language."""

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "usage": ("uso", "usos", "indicaciones", "utilisation", "indications", "الاستخدام", "الاستعمال", "उपयोग", "用途", "适应症"),
    "dosage": ("dosis", "posología", "posologie", "الجرعة", "खुराक", "用法", "用量", "剂量"),
    "side_effects": ("efectos secundarios", "efectos adversos", "effets indésirables", "effets secondaires", "الآثار الجانبية", "الأعراض الجانبية", "दुष्प्रभाव", "副作用", "不良反应"),
    "how_it_works": ("cómo actúa", "cómo funciona", "mode d'action", "mode d’action", "كيف يعمل", "آلية العمل", "कैसे काम", "作用原理", "作用机制"),
    "precautions": ("precauciones", "advertencias", "précautions", "mises en garde", "الاحتياطات", "التحذيرات", "सावधानि", "सावधानी", "注意事项", "警告"),
}
"""Words that show a label is about a leaflet topic (for telling leaflets from refusals), beside the English ones."""


def section_aliases() -> dict[str, str]:
    """Every built-in non-English heading word mapped to its canonical key."""
    return {word: key for words in SECTION_WORDS.values() for key, aliases in words.items() for word in aliases}


def footer_aliases() -> dict[str, str]:
    return {word: kind for words in FOOTER_WORDS.values() for kind, aliases in words.items() for word in aliases}
