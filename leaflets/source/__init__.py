"""Stage 1, the source: entry files found, read, parsed into front matter, Markdown and sections.

Also the review dates the entries carry. Imports nothing from a later stage.
"""
