"""The class names, ids and attributes the Python code looks for in the templates, named once.

Templates and CSS hold the look, but a few elements are found again in the
laid-out pages by Python: the footer is measured and tagged, the booklet's
page-number slots are found and stamped, the contents lines become links.
A project that overrides a template must keep these names; templates/README.md
documents each one, and tests/test_template_names.py checks every name here
still appears in the built-in templates.
"""

from __future__ import annotations

PAGE_FOOTER = "page-footer"
"""Class of the running footer (templates/partials/footer.html): measured to size the bottom
margin, predicted by leaflets.layout.footer, read once by the PDF structure tree."""

PAGE_NUMBER = "page-number"
"""Class of the footer paragraph that ends in "Page N of M"; in a booklet its content box is
the empty slot the page number is stamped into."""

CONTENTS_ENTRY = "contents-entry"
"""Class of one line of the booklet contents (templates/booklet/contents.html): its box becomes
the link to the entry."""

CONTENTS_PAGE = "contents-page"
"""Class of the blank slot in a contents line that receives the entry's first page number; also
the stamp kind, so the stamp overlay prints it with class ``stamp-contents-page``."""

ENTRY_ATTRIBUTE = "data-entry"
"""Attribute of a contents line holding the entry's position in the booklet."""

BLANK_PAGE_ID = "booklet-blank"
"""Id of the cover's blank last page (templates/booklet/cover.html), found by its anchor."""

STAMP_PAGE_NUMBER = "stamp-page-number"
"""Class of the "Page N of M" stamp in templates/booklet/stamp.html."""

CLASS_NAMES: tuple[str, ...] = (PAGE_FOOTER, PAGE_NUMBER, CONTENTS_ENTRY, CONTENTS_PAGE, STAMP_PAGE_NUMBER)
"""Every name above used as a class."""
ATTRIBUTES: tuple[str, ...] = (ENTRY_ATTRIBUTE,)
IDS: tuple[str, ...] = (BLANK_PAGE_ID,)
