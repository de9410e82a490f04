"""``leaflets doctor`` per language: which font a language's text is set in, and whether it covers the language.

For each shipped language the stylesheets' ``:lang()`` rules name a font stack
(``[lang]:lang(ar) { font-family: "Noto Naskh Arabic", "DejaVu Sans", ... }``);
the language's characters are its catalog's texts (every fixed string a leaflet
in that language prints, the translated disclaimer and note) plus the letters
of its script. The first installed family of the stack is the font used; the
check fails when the stack's installed fonts together miss a character, which
would print from an unrelated fallback font or as an empty box.
"""

from __future__ import annotations

from leaflets.doctor.checks import Check, FontConfig, font_stack_rules, stack_for
from leaflets.project.catalogs import has_catalog, translations
from leaflets.project.cldr import babel_available
from leaflets.project.project import Project
from leaflets.source.language import SHIPPED_LANGUAGES, primary, shipped_language

SCRIPT_LETTERS: dict[str, str] = {
    "ar": "".join(chr(c) for c in range(0x0621, 0x064B)) + "٠١٢٣٤٥٦٧٨٩،؛؟",
    "hi": "".join(chr(c) for c in (*range(0x0905, 0x093A), *range(0x093E, 0x094E))) + "।०१२३४५६७८९",
    "es": "áéíóúüñÁÉÍÓÚÜÑ¿¡",
    "fr": "àâçéèêëîïôûùüÿœæÀÂÇÉÈÊËÎÏÔÛÙÜŸŒÆ«»",
    "zh": "，。：；（）、“”",
}
"""Letters of each script beyond those its catalog happens to use."""
ASCII_PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))
"""What a language whose texts are plain ASCII (English) needs of its font."""


def language_characters(project: Project, lang: str) -> str:
    """The characters a leaflet in ``lang`` prints for sure: its catalog's texts and its script's letters."""
    catalog = translations(project.root, lang)
    messages = getattr(catalog, "_catalog", {})
    # The messages themselves print where the catalog has no translation (all of English's).
    texts = [str(text) for pair in messages.items() for text in pair if isinstance(text, str)]
    chars = set("".join(texts)) | set(SCRIPT_LETTERS.get(primary(lang), ""))
    return "".join(sorted(char for char in chars if char.isprintable() and not char.isspace() and not char.isascii()))


def language_font_checks(project: Project) -> list[Check]:
    """One check per shipped language and per other language the project names (its ``lang``,
    ``required_languages``, ``[languages.X]``): the font used and whether the stack covers the
    language's characters. A language no catalog translates is a warning: its fixed texts print in English."""
    fontconfig = FontConfig.load()
    if fontconfig is None:
        return [Check("language fonts", "fail", "fontconfig cannot be loaded")]
    rules = font_stack_rules(project)
    checks = []
    config = project.config
    named = [config.lang, *(getattr(config, "required_languages", ()) or ()), *(getattr(config, "languages", None) or {})]
    for lang in dict.fromkeys([*SHIPPED_LANGUAGES, *(lang for lang in named if shipped_language(lang) != lang)]):
        stack = stack_for(rules, lang) or ("sans-serif",)
        characters = language_characters(project, lang)
        ascii_only = not characters  # English: its texts have no other characters, so check the ASCII ones
        if ascii_only:
            characters = ASCII_PRINTABLE
        installed = [font for font in (fontconfig.resolve(family, characters) for family in stack) if font.exact]
        name = f"language {lang}"
        if not installed:
            checks.append(Check(name, "fail", f"none of {', '.join(stack)} is installed"))
            continue
        used = installed[0]
        missing = "".join(char for char in characters if all(char in font.missing for font in installed))
        if missing:
            checks.append(Check(name, "fail", f"{used.family} ({used.file}) and its fallbacks lack {' '.join(missing)}"))
        elif used.missing:
            fallback = ", ".join(dict.fromkeys(font.family for font in installed[1:]))
            checks.append(Check(
                name, "ok", f"{used.family} ({used.file}); {len(used.missing)} of {len(characters)} characters from {fallback}",
            ))
        else:
            what = "printable ASCII characters (its fixed texts use no others)" if ascii_only else "characters"
            checks.append(Check(name, "ok", f"{used.family} ({used.file}), covers all {len(characters)} {what}"))
        if not has_catalog(project.root, lang):
            last = checks[-1]
            checks[-1] = Check(name, "warn" if last.status == "ok" else last.status,
                               f"{last.detail}; no message catalog, built in or in locale/{lang}/: its fixed texts print in English")
    return checks


def locale_data_check(project: Project) -> Check:
    """Where dates and language names come from, and whether the project's languages have them.

    A plain install has CLDR for the shipped languages only (frozen from Babel);
    a project in another language needs the ``locales`` extra, or its dates
    print in English.
    """
    if babel_available():
        import babel

        return Check("locale data", "ok", f"Babel {babel.__version__}: dates and language names for every CLDR locale")
    config = project.config
    wanted = dict.fromkeys([config.lang, *config.required_languages, *config.languages])
    uncovered = [lang for lang in wanted if shipped_language(lang) is None]
    if uncovered:
        return Check("locale data", "warn", f"no CLDR data for {', '.join(uncovered)} without Babel: their dates print in "
                     "English; pip install 'leaflets[locales]'")
    return Check("locale data", "ok", f"CLDR for {', '.join(SHIPPED_LANGUAGES)} (frozen from Babel); "
                 "pip install 'leaflets[locales]' for other languages")
