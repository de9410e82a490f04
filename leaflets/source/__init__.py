"""Stage 1, the source: entry files found, read, parsed into front matter, Markdown and labelled sections, with their review dates. Imports nothing from a later stage."""
