"""Stage 2, HTML: what the templates are given beyond the sections (the online link and QR code)."""
