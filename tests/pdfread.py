"""Reading PDFs back the way a patient sees them: text per page and word positions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pdfplumber
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
