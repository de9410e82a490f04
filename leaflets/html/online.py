"""The online version of a leaflet: its address and the QR code that leads there.

An entry's ``url`` front matter wins; otherwise the address is the project's
``base_url`` plus the entry's path with ``.html`` in place of ``.md`` (the
file ``leaflets build --format html`` writes at that path, so publishing an
HTML build under ``base_url`` makes every printed code work). No address, no
code: a leaflet never prints a code that leads nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

import segno

from leaflets.source.entry import Entry
from leaflets.errors import EntryError, short_repr
from leaflets.source.fields import front_matter_line, is_web_address


@dataclass(frozen=True)
class OnlineLink:
    url: str
    short: str
    """The address without its scheme, as printed beside the code."""
    qr_data_uri: str
    """The QR code as an SVG ``data:`` URL: vector, so it prints sharp at any size."""


def online_url(entry: Entry, base_url: str, relative: PurePath | None) -> str | None:
    """The entry's own ``url``, else ``base_url`` + ``relative`` as .html, else None."""
    own = entry.metadata.get("url")
    if own is not None:
        if not isinstance(own, str) or not is_web_address(own):
            raise EntryError(
                f"front matter 'url' must be an http:// or https:// address, not {short_repr(own)}",
                entry.path, front_matter_line(entry, "url"),
            )
        return own.strip()
    if not base_url:
        return None
    page = PurePath(relative or entry.path.name).with_suffix(".html")
    return base_url.rstrip("/") + "/" + quote(page.as_posix())


class QrCodeTooLong(ValueError):
    """The address holds more than a QR code can: the leaflet goes without its code (a warning)."""


def online_link(url: str | None) -> OnlineLink | None:
    """The link and QR code for ``url``; raises :class:`QrCodeTooLong` when no QR code can hold it."""
    if url is None:
        return None
    try:
        code = segno.make_qr(url, error="m")
    except (segno.DataOverflowError, ValueError):
        raise QrCodeTooLong(
            f"the address is {len(url):,} characters, more than a QR code holds: the QR code and address are left out"
        ) from None
    data_uri = code.svg_data_uri(scale=1, border=4, dark="#000", light="#fff", svgclass=None, lineclass=None)
    return OnlineLink(url, re.sub(r"^https?://", "", url), data_uri)
