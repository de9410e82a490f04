"""The characters real entries use that a font could lack.

Every non-ASCII character class found in the corpus of real entries: what a
leaflet's fonts must cover (``leaflets doctor`` checks them, the PDF tests
print them).
"""

CORPUS_CHARACTERS = "≥≤²³₂₃⁺⁻βµμαγéö½°±×®–—’…"
