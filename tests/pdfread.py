"""Reading PDFs back the way a patient sees them: text per page and word positions."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pdfplumber
import pikepdf
from pypdf import PdfReader


@dataclass(frozen=True)
class PageText:
    number: int
    text: str
    words: list[dict]
    height: float
    width: float
    footer_top: float
    """Top (from the page top, in pt) of the footer, which starts with "Disclaimer:"."""


def pages(path: Path) -> list[PageText]:
    result = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
            footer_words = [w for w in words if w["text"] == "Disclaimer:" and w["top"] > page.height / 2]
            footer_top = min((w["top"] for w in footer_words), default=page.height)
            result.append(PageText(page.page_number, page.extract_text() or "", words, page.height, page.width, footer_top))
    return result


def metadata(path: Path) -> dict[str, str]:
    info = PdfReader(path).metadata or {}
    return {str(k): str(v) for k, v in info.items()}


def normalised(text: str) -> str:
    return " ".join(text.split())


def words_of(text: str) -> list[str]:
    """Words as a search would see them: lower case, punctuation dropped."""
    return re.findall(r"\w+", text.lower())


def missing_in_order(expected: list[str], found: list[str]) -> list[str]:
    """The words of ``expected`` that ``found`` lacks when read in order (empty: all there, in order)."""
    missing, position = [], 0
    for word in expected:
        try:
            position = found.index(word, position) + 1
        except ValueError:
            missing.append(word)
    return missing


def pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


_INLINE_TYPES = {"/Span", "/Link", "/NonStruct", "/Lbl", "/LBody"}


def structure_text(path: Path) -> list[tuple[str, str]]:
    """The text a screen reader gets: (block structure type, its text) in structure-tree order."""
    texts: dict[tuple[int, int], str] = {}
    line_of: dict[tuple[int, int], tuple[float, float]] = {}
    """Where each marked run starts and ends (page, baseline), to put a space at line breaks."""
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            for char in page.chars:
                if char.get("mcid") is not None:
                    key = (index, char["mcid"])
                    texts[key] = texts.get(key, "") + char["text"]
                    first = line_of.get(key, (index + char["bottom"] / 10000,) * 2)[0]
                    line_of[key] = (first, index + char["bottom"] / 10000)
    document = pikepdf.open(path)
    pages_by_object = {page.obj.objgen: index for index, page in enumerate(document.pages)}
    runs: list[list] = []

    def walk(element: pikepdf.Object, page: int | None, block: tuple) -> None:
        page = pages_by_object.get(element.Pg.objgen, page) if "/Pg" in element else page
        tag = str(element.get("/S"))
        if tag not in _INLINE_TYPES:
            block = (tag, element.objgen)
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        for kid in kids:
            if isinstance(kid, int) or (isinstance(kid, pikepdf.Object) and kid._type_code == pikepdf.ObjectType.integer):
                key = (page, int(kid))
                text = texts.get(key, "")
                if runs and runs[-1][0] == block:
                    new_line = key in line_of and abs(line_of[key][0] - runs[-1][2]) > 0.0008
                    runs[-1][1] += (" " if new_line else "") + text
                else:
                    runs.append([block, text, 0.0])
                if key in line_of:
                    runs[-1][2] = line_of[key][1]
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid, page, block)

    walk(document.Root.StructTreeRoot, None, ("", None))
    return [(block[0], text) for block, text, _ in runs]


def _tree_runs(path: Path, start: Any, inherit: Callable[[pikepdf.Object, Any], Any]) -> list[tuple[str, Any]]:
    """Each marked run of the structure tree, an element's own runs before those of its child elements:
    (its glyphs' text as pdfplumber reads it, the value ``inherit(element, value of its parent)`` gives its
    element, ``start`` above the root)."""
    texts: dict[tuple[int, int], str] = {}
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            for char in page.chars:
                if char.get("mcid") is not None:
                    texts[(index, char["mcid"])] = texts.get((index, char["mcid"]), "") + char["text"]
    runs: list[tuple[str, Any]] = []
    with pikepdf.open(path) as document:
        pages_by_object = {page.obj.objgen: index for index, page in enumerate(document.pages)}
        stack: list[tuple[pikepdf.Object, Any, int | None]] = [(document.Root.StructTreeRoot, start, None)]
        while stack:
            element, value, page = stack.pop()
            value = inherit(element, value)
            page = pages_by_object.get(element.Pg.objgen, page) if "/Pg" in element else page
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
            for kid in kids:
                number = isinstance(kid, int) or (isinstance(kid, pikepdf.Object) and kid._type_code == pikepdf.ObjectType.integer)
                if number and page is not None:
                    runs.append((texts.get((page, int(kid)), ""), value))
            stack.extend(
                (kid, value, page) for kid in reversed(kids) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid
            )
    return runs


def text_by_language(path: Path) -> dict[str, str]:
    """The tagged text of ``path`` by the language each run is read in: the /Lang of its nearest element
    that has one, else the document's (PDF 1.7 section 14.9.2); runs joined by spaces (an element's own
    runs before those of its child elements, so not quite reading order)."""
    with pikepdf.open(path) as document:
        lang = str(document.Root.Lang)
    found: dict[str, list[str]] = {}
    for text, run_lang in _tree_runs(path, lang, lambda element, inherited: str(element.Lang) if "/Lang" in element else inherited):
        found.setdefault(run_lang, []).append(text)
    return {run_lang: " ".join(" ".join(runs).split()) for run_lang, runs in found.items()}


def language_elements(path: Path) -> list[tuple[str, str, str]]:
    """(structure type, its /Lang, the language it would inherit) of every element with a /Lang of its own."""
    marked = []
    with pikepdf.open(path) as document:
        stack: list[tuple[pikepdf.Object, str]] = [(document.Root.StructTreeRoot, str(document.Root.Lang))]
        while stack:
            element, inherited = stack.pop()
            lang = inherited
            if "/Lang" in element and "/S" in element:
                lang = str(element.Lang)
                marked.append((str(element.S), lang, inherited))
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
            stack.extend((kid, lang) for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
    return marked


def tagged_runs(path: Path) -> list[tuple[str, str | None]]:
    """Each marked run of the structure tree (an element's own runs before those of its child elements):
    (its glyphs' text as pdfplumber reads it, the /ActualText of the nearest element that has one, else None)."""
    return _tree_runs(path, None, lambda element, above: str(element.ActualText) if "/ActualText" in element else above)
