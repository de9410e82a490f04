"""Which characters the configured fonts can print, so ``check`` warns before a box prints.

The fonts are the families the project's stylesheets name (``font-family`` and
the ``font`` shorthand, in every stylesheet the project can see, the built-in
ones included), each resolved the way Pango resolves it, with ``fc-match``, plus
the project's own ``@font-face`` files. A character none of them has would be
drawn from whatever font fontconfig finds, or as an empty box (.notdef).
The character maps are read with fontTools, once per process, and kept on disk
by file, size and modification time (a CJK font's map takes a quarter of a
second to read). Nothing here imports WeasyPrint.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from leaflets.project.project import Project

GENERIC_FAMILIES = frozenset({"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math", "emoji"})
CSS_WIDE_KEYWORDS = frozenset({"inherit", "initial", "unset", "revert", "revert-layer"})
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;{}]+)", re.I)
_FONT_SHORTHAND = re.compile(r"(?<![-\w])font\s*:\s*[^;{}]*?\d[\w.%]*(?:\s*/\s*[\w.%]+)?\s+([^;{}]+)", re.I)
_FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.I)
_FACE_SOURCE = re.compile(r"""url\(\s*['"]?([^'")\s]+)""", re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_IGNORED_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
"""Controls, format characters (bidi isolates, joiners), spaces and combining marks: shaped or never drawn alone."""


@dataclass(frozen=True)
class FontFile:
    family: str
    path: str
    index: int


def stylesheet_families(project: Project) -> tuple[list[str], list[Path]]:
    """Every family named in the project's stylesheets (first mention first), and its @font-face files."""
    families: list[str] = []
    faces: list[Path] = []
    for folder in reversed(project.style_dirs):
        for path in sorted(folder.glob("*.css")):
            try:
                text = _COMMENT.sub(" ", path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            for block in _FONT_FACE.findall(text):
                for source in _FACE_SOURCE.findall(block):
                    candidate = (path.parent / source).resolve()
                    if ":" not in source and candidate.is_relative_to(project.root) and candidate.is_file():
                        faces.append(candidate)
            text = _FONT_FACE.sub(" ", text)
            for value in [*_FONT_FAMILY.findall(text), *_FONT_SHORTHAND.findall(text)]:
                for name in value.split(","):
                    family = re.sub(r"!\s*important", "", name).strip().strip("\"'")
                    if family and family.lower() not in CSS_WIDE_KEYWORDS and family not in families:
                        families.append(family)
    return families, faces


def resolve_family(family: str) -> FontFile | None:
    """The file fontconfig gives for ``family`` when it has that family (any font for a generic name)."""
    program = shutil.which("fc-match")
    if program is None:
        return None
    try:
        result = subprocess.run(
            [program, "-f", "%{file}\t%{index}\t%{family}", family], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = result.stdout.split("\t")
    if result.returncode != 0 or len(parts) != 3:
        return None
    path, index, names = parts
    exact = family.lower() in GENERIC_FAMILIES or family.lower() in (n.strip().lower() for n in names.split(","))
    return FontFile(names.split(",")[0], path, int(index or 0)) if exact else None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leaflets" / "cmaps"


def character_map(path: str, index: int = 0) -> frozenset[int]:
    """The code points a font file has glyphs for, from the disk cache when the file is unchanged."""
    try:
        stat = os.stat(path)
    except OSError:
        return frozenset()
    return _character_map(path, index, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _character_map(path: str, index: int, size: int, mtime: int) -> frozenset[int]:
    key = hashlib.sha256(f"{path}\0{index}\0{size}\0{mtime}".encode()).hexdigest()[:32]
    cached = _cache_dir() / f"{key}.json"
    try:
        ranges = json.loads(cached.read_text(encoding="ascii"))
        return frozenset(code for start, end in ranges for code in range(start, end + 1))
    except (OSError, ValueError, TypeError):
        pass
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(path, lazy=True, fontNumber=index)
        codes = frozenset((font.getBestCmap() or {}).keys())
    except (OSError, TTLibError, ValueError, AssertionError):
        return frozenset()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(_ranges(codes)), encoding="ascii")
        os.replace(temporary, cached)
    except OSError:
        pass  # a read-only home only costs the next run the same quarter second
    return codes


def _ranges(codes: frozenset[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


@dataclass(frozen=True)
class Coverage:
    """What the configured fonts can print: their files and the union of their character maps."""

    fonts: tuple[FontFile, ...]
    characters: frozenset[int]

    def lacks(self, char: str) -> bool:
        return ord(char) not in self.characters and unicodedata.category(char) not in _IGNORED_CATEGORIES


def configured_coverage(project: Project) -> Coverage:
    """The fonts the project's stylesheets name, resolved, and every character they have between them."""
    families, faces = stylesheet_families(project)
    fonts = [font for font in (resolve_family(family) for family in families) if font is not None]
    fonts += [FontFile(path.stem, str(path), 0) for path in faces]
    characters: set[int] = set()
    for font in dict.fromkeys(fonts):
        characters |= character_map(font.path, font.index)
    return Coverage(tuple(dict.fromkeys(fonts)), frozenset(characters))


def missing_characters(text: str, coverage: Coverage, first_line: int = 1) -> list[tuple[str, int]]:
    """Each character of ``text`` no configured font has, with the file line it first appears on."""
    found: dict[str, int] = {}
    for offset, line in enumerate(text.split("\n")):
        for char in line:
            if char not in found and coverage.lacks(char):
                found[char] = first_line + offset
    return list(found.items())
