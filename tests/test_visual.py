"""Visual regression: the example leaflets' pages against reviewed reference images.

A CSS or template change that moves the layout (margins, type sizes, the footer,
the masthead, page breaks) fails here. After reviewing the new look, regenerate
the references with:

    LEAFLETS_UPDATE_REFERENCES=1 ./run test tests/test_visual.py

The build date is pinned by SOURCE_DATE_EPOCH and every example entry sets its
``reviewed`` date, so the pages only change when the layout does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from conftest import REPO
from pageimages import difference, page_images, save_reference

REFERENCES = Path(__file__).parent / "visual"
UPDATE = os.environ.get("LEAFLETS_UPDATE_REFERENCES") == "1"
TOLERANCE = 0.003
"""Share of pixels that may change by more than one grey step: a moved line of text is well over this."""

CASES = [(name, False) for name in sorted(p.stem for p in (REPO / "entries").glob("*.md"))] + [("metformin", True)]


@pytest.mark.parametrize(("name", "large"), CASES, ids=[f"{n}{'-large' if is_large else ''}" for n, is_large in CASES])
def test_pages_match_reference_images(branded_build: Path, tmp_path: Path, name: str, large: bool) -> None:
    stem = name + ("-large" if large else "")
    images = page_images(branded_build / f"{stem}.pdf")
    references = sorted(REFERENCES.glob(f"{stem}-p*.png"))
    if UPDATE:
        for old in references:
            old.unlink()
        for number, image in enumerate(images, start=1):
            save_reference(image, REFERENCES / f"{stem}-p{number}.png")
        return
    assert references, f"no reference images for {stem}; create them with LEAFLETS_UPDATE_REFERENCES=1"
    assert len(images) == len(references), f"{stem}: {len(images)} pages, the reference has {len(references)}"

    for number, image in enumerate(images, start=1):
        reference = Image.open(REFERENCES / f"{stem}-p{number}.png")
        changed = difference(image, reference)
        if changed > TOLERANCE:
            image.save(tmp_path / f"{stem}-p{number}-actual.png")
        assert changed <= TOLERANCE, (
            f"{stem} page {number}: {changed:.2%} of pixels differ from tests/visual/{stem}-p{number}.png "
            f"(actual image: {tmp_path / f'{stem}-p{number}-actual.png'})"
        )
