"""Comparing titles the way a reader looks them up: without case, accents or extra spaces.

One rule for both places titles are matched: the booklet sorts and groups its
entries by it ("Éfavirenz" files under E beside "efavirenz"), and ``check``
calls two entries whose titles match by it duplicates, since a reader could
not tell them apart in the contents.
"""

from __future__ import annotations

import unicodedata


def title_key(title: str) -> str:
    """Sort and match key for a title: accents stripped, case folded, spacing normalised."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
