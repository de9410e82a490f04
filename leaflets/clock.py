"""The build time, pinned by SOURCE_DATE_EPOCH for reproducible output.

Two builds of the same input must be byte-identical when SOURCE_DATE_EPOCH is
set (reproducible-builds.org), so every date the PDF carries comes from here.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone


def build_time() -> datetime:
    """SOURCE_DATE_EPOCH when set and valid, else now; always UTC, whole seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc).replace(microsecond=0)


def w3c_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
