"""Page images of a plain leaflet for the counter's preview, drawn by poppler's pdftocairo.

A browser shows PNGs the same everywhere (no PDF plug-in, no frame that a
strict Content-Security-Policy would refuse), and they show the pages
exactly as the PDF prints. The PDF goes to pdftocairo on its standard input
and the image comes back on its standard output: no file is written.
"""

from __future__ import annotations

import subprocess

PREVIEW_DPI = 60
"""About 500 px wide for A4: the whole page fits a screen and its text is still recognisable."""
TIMEOUT_SECONDS = 30


class PreviewError(Exception):
    """pdftocairo is missing or failed."""


def page_png(pdf: bytes, page: int, dpi: int = PREVIEW_DPI) -> bytes:
    """Page ``page`` (1-based) of ``pdf`` as PNG bytes."""
    command = ["pdftocairo", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-", "-"]
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PreviewError(f"pdftocairo could not run: {exc}") from None
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise PreviewError(f"pdftocairo failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
