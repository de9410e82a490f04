"""Page images for visual regression: small, greyscale, posterised to four levels.

40 dpi shows the layout (margins, headings, tables, footer, QR code) but not the
glyph shapes, and four grey levels keep each reference PNG at a few KB and make
the comparison indifferent to anti-aliasing differences between machines.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from PIL import Image, ImageChops

DPI = 40
LEVELS = 4


def page_images(pdf: Path, dpi: int = DPI) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return [_posterise(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")) for page in document]
    finally:
        document.close()


def _posterise(image: Image.Image) -> Image.Image:
    step = 256 // LEVELS
    return image.point(lambda value: min(value // step, LEVELS - 1) * (255 // (LEVELS - 1)))


def save_reference(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("P", palette=Image.ADAPTIVE, colors=LEVELS).save(path, optimize=True)


def difference(actual: Image.Image, reference: Image.Image) -> float:
    """Share of pixels (0..1) whose grey level differs by more than one posterisation step."""
    if actual.size != reference.size:
        return 1.0
    delta = ImageChops.difference(actual, reference.convert("L"))
    histogram = delta.histogram()
    threshold = 255 // (LEVELS - 1)
    changed = sum(histogram[threshold + 1:])
    return changed / (actual.size[0] * actual.size[1])
