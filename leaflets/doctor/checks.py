"""``leaflets doctor``: is this machine able to build good leaflets, and fast?

Each check gives a status: ``ok``; ``warn`` for what still works but badly (no
HarfBuzz subsetting makes ``write_pdf`` several times slower); ``fail`` for
what is required (WeasyPrint and its libraries, fonts that cover the corpus
characters, a writable output folder). The command exits 1 when any check fails.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal

from leaflets import __version__
from leaflets.doctor.characters import CORPUS_CHARACTERS
from leaflets.errors import LeafletError
from leaflets.files import RefusedFile, read_regular
from leaflets.project.options import STYLESHEETS
from leaflets.project.project import Project

Status = Literal["ok", "warn", "fail"]

CSS_WIDE_KEYWORDS = {"inherit", "initial", "unset", "revert", "revert-layer"}
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math", "emoji"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status:<5} {self.name}: {self.detail}"


@dataclass(frozen=True)
class ResolvedFont:
    """What fontconfig gives for a family name: the family it chose, its file, and the characters it lacks."""

    family: str
    file: str
    missing: str
    exact: bool


def run_checks(project: Project, out_dir: Path) -> list[Check]:
    """Every check, in the order a reader would fix them."""
    checks = [Check("leaflets", "ok", f"{__version__} (Python {platform.python_version()})")]
    checks.extend(engine_checks())
    if all(check.status != "fail" for check in checks):
        checks.extend(font_checks(project))
        from leaflets.doctor.languages import language_font_checks, locale_data_check

        checks.extend(language_font_checks(project))
        checks.append(locale_data_check(project))
    checks.append(output_check(out_dir))
    return checks


def engine_checks() -> list[Check]:
    """WeasyPrint, Pango and HarfBuzz versions, and whether WeasyPrint will subset fonts with HarfBuzz."""
    try:
        import weasyprint

        from leaflets.layout.weasy import text_libraries

        ffi = text_libraries()
    except (ImportError, OSError) as exc:
        return [Check("WeasyPrint", "fail", f"cannot be loaded: {exc}")]
    pango = ffi.pango.pango_version()
    checks = [
        Check("WeasyPrint", "ok", weasyprint.__version__),
        Check("Pango", "ok", f"{pango // 10000}.{pango // 100 % 100}.{pango % 100}"),
        Check("HarfBuzz", "ok", harfbuzz_version()),
    ]
    # WeasyPrint's own test (weasyprint/pdf/fonts.py): the library loaded, and HarfBuzz >= 4.1.0.
    if ffi.harfbuzz_subset is not None and ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        checks.append(Check("HarfBuzz subsetting", "ok", "available (hb_subset); fonts are subset fast"))
    else:
        checks.append(Check(
            "HarfBuzz subsetting", "warn",
            "not available: WeasyPrint falls back to fontTools and write_pdf is about 5x slower; "
            "install libharfbuzz-subset0 (HarfBuzz >= 4.1.0)",
        ))
    return checks


def harfbuzz_version() -> str:
    library = _load_library("harfbuzz", "libharfbuzz.so.0")
    if library is None:
        return "unknown"
    library.hb_version_string.restype = ctypes.c_char_p
    return library.hb_version_string().decode("ascii")


def font_checks(project: Project, characters: str = CORPUS_CHARACTERS) -> list[Check]:
    """One check per distinct font-family list in the project's stylesheets.

    The font a list resolves to is its first family that is installed (or a
    generic family's match); it must cover every corpus character, or those
    characters print from a fallback font, or as empty boxes. Lists chosen for
    one language with ``:lang()`` (Arabic, Devanagari, CJK fonts) are checked
    against that language's characters instead (:mod:`leaflets.doctor.languages`).
    """
    try:
        stacks, faces = font_stacks(project)
    except LeafletError as exc:
        return [Check("fonts", "fail", exc.diagnostic())]
    except (OSError, UnicodeDecodeError) as exc:
        return [Check("fonts", "fail", f"cannot read a stylesheet: {exc}")]
    fontconfig = FontConfig.load()
    if fontconfig is None:
        return [Check("fonts", "fail", "fontconfig cannot be loaded")]
    checks = []
    language_stacks = {stack for lang, stack in font_stack_rules(project).items() if lang and lang != "en"}
    for stack in stacks:
        if stack in language_stacks:
            continue
        name = f"font {', '.join(stack)}"
        candidates = (
            _font_face(family, faces[family.lower()], characters) if family.lower() in faces
            else fontconfig.resolve(family, characters)
            for family in stack
        )
        resolved = next((font for font in candidates if font.exact), None)
        if resolved is None:
            checks.append(Check(name, "fail", "none of these fonts is installed"))
        elif resolved.missing:
            checks.append(Check(name, "fail", f"{resolved.family} ({resolved.file}) lacks {' '.join(resolved.missing)}"))
        else:
            checks.append(Check(name, "ok", f"{resolved.family} ({resolved.file}), covers all {len(characters)} corpus characters"))
    return checks


def font_stacks(project: Project) -> tuple[list[tuple[str, ...]], dict[str, Path]]:
    """The distinct ``font-family`` lists the project's stylesheets use, and the files of their @font-face families.

    Every stylesheet the project can see counts (leaflet, booklet, overrides),
    each name resolved as a build resolves it.
    """
    import tinycss2

    stacks: list[tuple[str, ...]] = []
    faces: dict[str, Path] = {}
    names = sorted({*STYLESHEETS, *(path.name for folder in project.style_dirs for path in folder.glob("*.css"))})
    for name in names:
        path = project.stylesheet(name)
        try:
            text = read_regular(path, project.trusted_dirs).decode("utf-8", "replace")
        except RefusedFile:
            continue  # build reports it; the other stylesheets still say which fonts they use
        rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
        for declaration, in_face in _declarations(rules):
            if declaration.lower_name == "font-family" and not in_face:
                families = _families(tinycss2.serialize(declaration.value))
                if families and families[0].lower() not in CSS_WIDE_KEYWORDS and families not in stacks:
                    stacks.append(families)
        faces.update(_font_faces(rules, path.parent))
    return stacks, faces


def font_stack_rules(project: Project) -> dict[str, tuple[str, ...]]:
    """The ``font-family`` stack per language tag the stylesheets choose with ``:lang(xx)`` ("" for the root's).

    Keys are the tags as written, lower case (``zh``, ``zh-hant``): see :func:`stack_for`.

    The last rule wins, as in the cascade (the project's stylesheets come after the built-in ones).
    """
    import tinycss2

    found: dict[str, tuple[str, ...]] = {}
    names = sorted({*STYLESHEETS, *(path.name for folder in project.style_dirs for path in folder.glob("*.css"))})
    for name in names:
        path = project.stylesheet(name)
        rules = tinycss2.parse_stylesheet(path.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True)
        for rule in rules:
            if rule.type != "qualified-rule":
                continue
            prelude = tinycss2.serialize(rule.prelude)
            languages = re.findall(r":lang\(\s*([A-Za-z-]+)\s*\)", prelude)
            if not languages and not re.fullmatch(r"\s*(html|\[lang\]|:root)\s*", prelude):
                continue
            for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                if declaration.type == "declaration" and declaration.lower_name == "font-family":
                    families = _families(tinycss2.serialize(declaration.value))
                    for lang in languages or [""]:
                        found[lang.lower()] = families
    return found


def _declarations(nodes: list[Any], in_face: bool = False) -> Iterator[tuple[Any, bool]]:
    """Every declaration, however deeply nested (@media, @page margin boxes), and whether it is in @font-face."""
    import tinycss2

    for node in nodes:
        if node.type == "declaration":
            yield node, in_face
        elif node.type in ("qualified-rule", "at-rule") and node.content is not None:
            face = in_face or (node.type == "at-rule" and node.lower_at_keyword == "font-face")
            yield from _declarations(
                tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True), face
            )


def _font_faces(rules: list[Any], folder: Path) -> dict[str, Path]:
    import tinycss2

    faces = {}
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        family, source = None, None
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if declaration.type != "declaration":
                continue
            if declaration.lower_name == "font-family":
                family = "".join(_families(tinycss2.serialize(declaration.value))[:1])
            elif declaration.lower_name == "src":
                source = next((token.value for token in declaration.value if token.type == "url"), None)
        if family and source and ":" not in source:
            faces[family.lower()] = folder / source
    return faces


def _families(value: str) -> tuple[str, ...]:
    value = re.sub(r"!\s*important\s*$", "", value.strip(), flags=re.IGNORECASE)
    return tuple(part.strip().strip("\"'") for part in value.split(",") if part.strip())


def _font_face(family: str, path: Path, characters: str) -> ResolvedFont:
    """An @font-face font: its file's character map, read with fontTools."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        cmap = TTFont(path, lazy=True, fontNumber=0).getBestCmap() or {}
    except (OSError, TTLibError) as exc:
        return ResolvedFont(family, f"{path}: {exc}", characters, False)
    return ResolvedFont(family, str(path), "".join(char for char in characters if ord(char) not in cmap), True)


class FontConfig:
    """Just enough of fontconfig (the library Pango asks) to resolve a family and read its character set."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.lib = library
        for name, restype, argtypes in (
            ("FcInitLoadConfigAndFonts", ctypes.c_void_p, []),
            ("FcNameParse", ctypes.c_void_p, [ctypes.c_char_p]),
            ("FcConfigSubstitute", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]),
            ("FcDefaultSubstitute", None, [ctypes.c_void_p]),
            ("FcFontMatch", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]),
            ("FcPatternGetString", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]),
            ("FcPatternGetCharSet", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]),
            ("FcCharSetHasChar", ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32]),
            ("FcPatternDestroy", None, [ctypes.c_void_p]),
        ):
            function = getattr(library, name)
            function.restype = restype
            function.argtypes = argtypes
        self.config = library.FcInitLoadConfigAndFonts()

    @classmethod
    def load(cls) -> "FontConfig | None":
        library = _load_library("fontconfig", "libfontconfig.so.1")
        return cls(library) if library is not None else None

    def resolve(self, family: str, characters: str) -> ResolvedFont:
        """The font fontconfig picks for ``family``; ``exact`` when it is that family (or ``family`` is generic)."""
        pattern = self.lib.FcNameParse(family.encode("utf-8"))
        self.lib.FcConfigSubstitute(self.config, pattern, 0)  # FcMatchPattern
        self.lib.FcDefaultSubstitute(pattern)
        result = ctypes.c_int()
        match = self.lib.FcFontMatch(self.config, pattern, ctypes.byref(result))
        self.lib.FcPatternDestroy(pattern)
        if not match:
            return ResolvedFont(family, "", characters, False)
        try:
            families = list(self._strings(match, b"family"))
            files = list(self._strings(match, b"file"))
            charset = ctypes.c_void_p()
            has_charset = self.lib.FcPatternGetCharSet(match, b"charset", 0, ctypes.byref(charset)) == 0
            missing = "".join(
                char for char in characters if not (has_charset and self.lib.FcCharSetHasChar(charset, ord(char)))
            )
        finally:
            self.lib.FcPatternDestroy(match)
        exact = family.lower() in GENERIC_FAMILIES or family.lower() in (name.lower() for name in families)
        return ResolvedFont(families[0] if families else family, files[0] if files else "", missing, exact)

    def _strings(self, pattern: int, key: bytes) -> Iterator[str]:
        index = 0
        value = ctypes.c_char_p()
        while self.lib.FcPatternGetString(pattern, key, index, ctypes.byref(value)) == 0:
            yield (value.value or b"").decode("utf-8", "replace")
            index += 1


def output_check(out_dir: Path) -> Check:
    """Whether builds can write ``out_dir``; a folder that does not exist yet needs a writable parent."""
    existing = out_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    name = f"output folder {out_dir}"
    if not existing.is_dir():
        return Check(name, "fail", f"cannot be created: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        return Check(name, "fail", f"not writable: no write permission on {existing}")
    return Check(name, "ok", "writable" if existing == out_dir else f"will be created in {existing}")


def _load_library(name: str, fallback: str) -> ctypes.CDLL | None:
    for candidate in (ctypes.util.find_library(name), fallback):
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
    return None


def stack_for(rules: dict[str, tuple[str, ...]], lang: str) -> tuple[str, ...] | None:
    """The stack ``:lang()`` gives ``lang``: the rule for its longest matching prefix (``zh-hant`` before ``zh``)."""
    subtags = lang.replace("_", "-").lower().split("-")
    for length in range(len(subtags), 0, -1):
        stack = rules.get("-".join(subtags[:length]))
        if stack:
            return stack
    return rules.get("")
