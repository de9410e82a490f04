"""Every WeasyPrint internal leaflets relies on, in one place, each tested by tests/test_weasy_internals.py.

WeasyPrint's public API lays out and writes documents; it does not say where
a laid-out element ended up or how Pango broke its lines. leaflets needs both:
the footer is measured and predicted, booklet page numbers are stamped into
slots found on the page, contents lines become links. Those answers come from
WeasyPrint's box tree and its Pango bindings, which may change in any
release. Everything of that kind goes through this module and nowhere else,
and each internal has a test of its own, so a WeasyPrint upgrade that moves
one fails loudly in one place instead of misplacing a page number.

Internals used (see each function for the details):

- ``Page._page_box``: the root box of a laid-out page (:func:`page_box`).
- Box attributes: ``children``, ``element`` / ``element_tag`` (``p::before``
  for generated content), ``style[...]`` (computed values), ``width`` /
  ``height``, ``margin_height()``, ``content_box_x()`` / ``content_box_y()``,
  ``border_box_x()`` / ``border_box_y()`` / ``border_width()`` / ``border_height()``,
  ``TextBox.text``.
- Box class names ``MarginBox``, ``BlockBox``, ``LineBox``, ``TextBox``
  (:func:`is_box`), compared by name so no private module is imported.
- ``weasyprint.text.line_break.Layout`` and ``weasyprint.text.ffi`` (``ffi``,
  ``pango``, ``harfbuzz``, ``harfbuzz_subset``, ``TO_UNITS``, ``_dlopen``),
  plus two Pango functions declared here through cffi (:func:`pango_bindings`), and the first
  fields of ``PangoAttribute``, declared here too (:func:`set_attribute_range`).
- ``weasyprint.pdf.fonts.Font._harfbuzz_subset`` (with ``hb_face``, ``missing``
  and ``file_content``) and ``weasyprint.pdf.fonts.get_hb_object_data``: replaced for fonts of more than
  :data:`LARGE_FONT_GLYPHS` glyphs by :func:`subset_large_fonts_in_one_pass`.
- ``weasyprint.pdf.fonts.get_hb_object_data`` as that module calls it (``Font.__init__`` reads
  the face's file with it, the subsetter its result) and ``Font.file_content``: read when first
  needed by :func:`read_font_files_when_needed`.
- The source of ``weasyprint.layout.inline.get_next_linebox``: one condition of it is
  rewritten by :func:`lay_out_rtl_lines_once` (:data:`RTL_LINE_CONDITION`).
- ``weasyprint.pdf.tags._build_box_tree(box, parent, pdf, page_number, nums, annotations, tags)``,
  the generator that makes the structure elements of a box and yields them, called first with each
  page's box while ``tags`` still maps every marked box of the page to its ``{"mcid": ...}``; and the
  computed style ``lang`` (the HTML ``lang`` attribute, inherited): wrapped by
  :func:`record_element_languages`.

- ``Page.links`` (documented, a list of ``(type, target, rectangle, box)``), filtered by
  :func:`drop_links`.

Also relied on, though not private: the tagged-PDF objects WeasyPrint hands
a ``finisher`` (``StructTreeRoot`` with ``K`` and ``ParentTree``), edited by
:mod:`leaflets.pdf.tagging`; the internals test covers that shape too.

Nothing here imports WeasyPrint at module level, so importing the box helpers
costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

BoxKind = Literal["PageBox", "MarginBox", "BlockBox", "LineBox", "TextBox"]


def page_box(page: Any) -> Any:
    """The root box of a laid-out ``weasyprint.Page`` (private ``_page_box``): its children are the
    page's margin boxes (running header and footer) and the body's boxes."""
    return page._page_box


def is_box(box: Any, kind: BoxKind) -> bool:
    """Whether ``box`` is of WeasyPrint's class ``kind`` (``weasyprint.formatting_structure.boxes``)."""
    return type(box).__name__ == kind


def children(box: Any) -> list[Any]:
    """A box's child boxes; empty for text and replaced boxes, which have none."""
    return list(getattr(box, "children", ()) or ())


def element_tag(box: Any) -> str:
    """The tag of the element a box was made for: ``p``, or ``p::before`` for generated content; ``""`` for anonymous boxes."""
    return getattr(box, "element_tag", "") or ""


def element_attribute(box: Any, name: str) -> str | None:
    """Attribute ``name`` of the box's element (``box.element``, an ElementTree element), if any."""
    element = getattr(box, "element", None)
    return None if element is None else element.get(name)


def has_class(box: Any, css_class: str) -> bool:
    """Whether the box was made for an element (not a pseudo-element) carrying ``css_class``."""
    tag = element_tag(box)
    return bool(tag) and "::" not in tag and css_class in (element_attribute(box, "class") or "").split()


def computed(box: Any, name: str) -> Any:
    """A computed style value of the box (``box.style[name]``, e.g. ``font_size`` in px, ``font_weight``)."""
    return box.style[name]


def computed_style(box: Any) -> Any:
    """The box's whole computed style (``box.style``), as WeasyPrint's Pango ``Layout`` is built from."""
    return box.style


def box_height(box: Any) -> float:
    """The height of the box's content area in CSS px (for a line box: the line's height)."""
    return float(box.height)


def margin_height(box: Any) -> float:
    """The box's height with padding, borders and margins, in CSS px."""
    return float(box.margin_height())


def content_box(box: Any) -> tuple[float, float, float]:
    """``(x, y, width)`` of the box's content area on the page, in CSS px from the top left."""
    return float(box.content_box_x()), float(box.content_box_y()), float(box.width)


def border_box(box: Any) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of the box's border area on the page, in CSS px from the top left."""
    return float(box.border_box_x()), float(box.border_box_y()), float(box.border_width()), float(box.border_height())


def box_text(box: Any) -> str:
    """The text a ``TextBox`` sets."""
    return str(box.text)


def iter_boxes(box: Any, css_class: str) -> Iterator[Any]:
    """Every box, depth first, whose element carries ``css_class`` (pseudo-element boxes excluded);
    the boxes inside a match are not searched."""
    if has_class(box, css_class):
        yield box
        return
    for child in children(box):
        yield from iter_boxes(child, css_class)


def page_boxes(page: Any, css_class: str) -> Iterator[Any]:
    """Boxes with ``css_class`` on a laid-out page (margin boxes, so running footers, included) or inside a box."""
    return iter_boxes(page_box(page) if hasattr(page, "_page_box") else page, css_class)


def margin_boxes(page: Any) -> Iterator[Any]:
    """The page's margin boxes (where running headers and footers are laid out)."""
    return (box for box in children(page_box(page)) if is_box(box, "MarginBox"))


def drop_links(document: Any, scheme: str) -> int:
    """Remove from a laid-out document the links whose target is a ``scheme:`` address; how many.

    A relative link in an entry (``[see](ibuprofen.md)``) resolves to a file of the project, which a
    reader of the PDF cannot open: it would only put an address into the bytes. The text stays.
    """
    prefix = scheme.lower() + ":"
    dropped = 0
    for page in document.pages:
        kept = [link for link in page.links if not (link[0] == "external" and str(link[1]).lower().startswith(prefix))]
        dropped += len(page.links) - len(kept)
        page.links = kept
    return dropped


PANGO_NAMES = ("libpango-1.0.so.0", "libpango-1.0-0", "pango-1.0-0", "pango-1.0", "libpango-1.0.dylib", "libpango-1.0-0.dll")
"""Names to load Pango by, the Linux soname first. cffi tries a name containing a dot with
``dlopen`` before ``ctypes.util.find_library``, which runs ``ldconfig -p``, ``gcc`` and ``ld``
for every name it misses: WeasyPrint's order (``libpango-1.0-0`` first) cost about 0.1 s of
wall time and a dozen child processes per process that counts footer lines."""


def pango_bindings() -> tuple[Any, Any, Any, Any, float]:
    """``(ffi, pango, attributes, Layout, TO_UNITS)``: WeasyPrint's cffi handle and Pango library, a
    library with the two attribute constructors WeasyPrint does not declare
    (``pango_attr_weight_new``, ``pango_attr_style_new``), its ``Layout`` class (built from a
    computed style; ``.layout`` is the PangoLayout, ``.set_text`` sets its text) and Pango units per px.

    Raises whatever loading fails with (ImportError, AttributeError, OSError, cffi errors); callers
    fall back to measuring by layout.
    """
    import cffi
    from weasyprint.text import ffi as weasy_ffi
    from weasyprint.text.line_break import Layout

    extra = cffi.FFI()
    extra.include(weasy_ffi.ffi)
    extra.cdef("""
        PangoAttribute * pango_attr_weight_new (PangoWeight weight);
        PangoAttribute * pango_attr_style_new (PangoStyle style);
    """)
    attributes = weasy_ffi._dlopen(extra, *PANGO_NAMES)
    return weasy_ffi.ffi, weasy_ffi.pango, attributes, Layout, weasy_ffi.TO_UNITS


_ATTRIBUTE_FIELDS: Any = None


def set_attribute_range(attribute: Any, start: int, end: int) -> None:
    """Set a ``PangoAttribute``'s ``start_index`` and ``end_index`` (UTF-8 byte offsets).

    The fields are written through a struct declared here, in a cffi FFI of its own, with
    the layout Pango gives ``PangoAttribute`` (``klass``, ``start_index``, ``end_index``).
    Through WeasyPrint's declaration they cannot always be: cffi shares a struct's
    declaration with every FFI that includes WeasyPrint's (as :func:`pango_bindings` does)
    but completes it for one of them only, so depending on which built the type first
    and on when the garbage collector dropped it, writing ``attribute.start_index``
    failed with "points to an opaque type" (tests/test_weasy_internals.py, now and then).
    """
    global _ATTRIBUTE_FIELDS
    if _ATTRIBUTE_FIELDS is None:
        import cffi

        fields = cffi.FFI()
        fields.cdef("typedef struct { const void *klass; unsigned int start_index; unsigned int end_index; } AttributeFields;")
        _ATTRIBUTE_FIELDS = fields
    view = _ATTRIBUTE_FIELDS.cast("AttributeFields *", attribute)
    view.start_index, view.end_index = start, end


def text_libraries() -> Any:
    """WeasyPrint's ``weasyprint.text.ffi`` module: ``pango``, ``harfbuzz`` and ``harfbuzz_subset``
    (None when HarfBuzz cannot subset), as loaded for laying out; ``leaflets doctor`` reports on them."""
    from weasyprint.text import ffi

    return ffi


LARGE_FONT_GLYPHS = 20_000
"""Fonts with more glyphs than this (CJK fonts: Noto Sans CJK has 65,535) are subset in one pass."""

VERTICAL_TABLES = (b"vhea", b"vmtx", b"VORG")
"""Vertical metrics, left out of large fonts' subsets: WeasyPrint sets text horizontally only, and a PDF
gives each glyph's width itself (/W). With the glyph ids kept, a CJK face's ``vmtx`` alone is 252 kB of
the 0.8 MB subset (one entry per glyph id), subset and compressed for every leaflet."""


def subset_large_fonts_in_one_pass() -> bool:
    """Make WeasyPrint subset very large fonts with one HarfBuzz pass instead of two; True once installed.

    WeasyPrint subsets each font twice when writing a PDF: first keeping the glyph ids
    used (``RETAIN_GIDS``), then again keeping every glyph id up to the highest used,
    to drop the empty glyphs after it. For a CJK font the highest id used lies near the
    end of its 65,535 glyphs, so the second pass drops next to nothing, yet it walks
    tens of thousands of glyphs: half of what writing a Chinese leaflet costs
    (bench/languages.py). Here the first pass also applies the second's options (no
    hinting) and the second is left out, for large fonts only; smaller fonts go through
    WeasyPrint's own code unchanged, so Latin, Arabic and Devanagari output is byte for
    byte what it was.
    """
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    original = getattr(fonts.Font, "_harfbuzz_subset", None)
    if original is None or harfbuzz_subset is None or getattr(original, "leaflets_one_pass", False):
        return original is not None and getattr(original, "leaflets_one_pass", False)

    def one_pass(self: Any, to_unicode: Any, hinting: bool) -> None:
        if harfbuzz.hb_face_get_glyph_count(self.hb_face) <= LARGE_FONT_GLYPHS:
            original(self, to_unicode, hinting)
            return
        subset_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
        glyphs = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
        used = ffi.new(f"hb_codepoint_t[{len(to_unicode)}]", sorted(to_unicode))
        harfbuzz.hb_set_add_sorted_array(glyphs, used, len(to_unicode))
        flags = (
            harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS
            | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
            | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
        )
        if not hinting:
            flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
        if self.missing:
            flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        harfbuzz_subset.hb_subset_input_set_flags(subset_input, flags)
        dropped = harfbuzz_subset.hb_subset_input_set(subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
        tags = sorted(harfbuzz.hb_tag_from_string(name, -1) for name in (
            b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ",
            *VERTICAL_TABLES))
        harfbuzz.hb_set_add_sorted_array(dropped, ffi.new(f"hb_codepoint_t[{len(tags)}]", tags), len(tags))
        face = ffi.gc(harfbuzz_subset.hb_subset_or_fail(self.hb_face, subset_input), harfbuzz.hb_face_destroy)
        content = fonts.get_hb_object_data(face) if face else None
        if content:
            self.file_content = content
            return
        original(self, to_unicode, hinting)  # HarfBuzz refused: WeasyPrint's own way, with its warning

    one_pass.leaflets_one_pass = True  # type: ignore[attr-defined]
    fonts.Font._harfbuzz_subset = one_pass
    return True


class FaceBytes:
    """A HarfBuzz face whose bytes (its file) are read out only if something asks for them.

    Truthy when the face has bytes, as the bytes WeasyPrint checks it in their place would be.
    """

    def __init__(self, face: Any, read: Any) -> None:
        self.face, self.read = face, read  # the face (kept alive) and WeasyPrint's get_hb_object_data

    def __bool__(self) -> bool:
        from weasyprint.text.ffi import harfbuzz

        blob = harfbuzz.hb_face_reference_blob(self.face)
        try:
            return bool(harfbuzz.hb_blob_get_length(blob))
        finally:
            harfbuzz.hb_blob_destroy(blob)

    def bytes(self) -> bytes | None:
        """The face's file, as WeasyPrint would have read it at once (None if it has none)."""
        content: bytes | None = self.read(self.face)
        return content


class _FileContent:
    """``Font.file_content`` as a data descriptor: a :class:`FaceBytes` stored there becomes bytes when first read."""

    def __get__(self, font: Any, owner: Any = None) -> Any:
        if font is None:
            return self
        try:
            content = font.__dict__["leaflets_file_content"]
        except KeyError:
            raise AttributeError("file_content") from None
        if isinstance(content, FaceBytes):
            content = font.__dict__["leaflets_file_content"] = content.bytes()
        return content

    def __set__(self, font: Any, content: Any) -> None:
        font.__dict__["leaflets_file_content"] = content


def read_font_files_when_needed() -> bool:
    """Make WeasyPrint copy a font's file into Python only when it needs the bytes; True once installed.

    ``weasyprint.pdf.fonts.Font.__init__`` starts by copying the whole file of the
    face it embeds into a Python ``bytes`` (``get_hb_object_data(hb_face)``), for
    every font of every document. A Noto Sans CJK face is one of a collection:
    its blob is the whole 19.5 MB ``.ttc`` file, so a Chinese leaflet (regular
    and bold) copied 39 MB, about 25 ms of CPU time, and then did not use it:
    the subset is made by HarfBuzz from the face itself, and the bytes written to
    the PDF are the subset's. Here that call returns a :class:`FaceBytes` (in
    ``weasyprint.pdf.fonts`` only, for whole faces: colour glyph images are read
    as before), and ``Font.file_content`` reads it out on first use (a variable
    or colour font re-read by fontTools, a font embedded whole, a subset written
    to the PDF), so every byte written is what it was.
    """
    from weasyprint.pdf import fonts

    current = getattr(fonts, "get_hb_object_data", None)
    if current is None or not hasattr(fonts, "Font"):
        return False
    if getattr(current, "leaflets_when_needed", False):
        return True

    def face_bytes(hb_object: Any, ot_color: Any = None, glyph: Any = None) -> Any:
        if ot_color is None and glyph is None:
            return FaceBytes(hb_object, current)
        return current(hb_object, ot_color, glyph)

    face_bytes.leaflets_when_needed = True  # type: ignore[attr-defined]
    face_bytes.leaflets_original = current  # type: ignore[attr-defined]  # for tests/test_weasy_internals.py
    fonts.Font.file_content = _FileContent()
    fonts.get_hb_object_data = face_bytes
    return True


RTL_LINE_CONDITION = """\
            condition = (position_x + line.width, position_y) == (
                original_position_x + original_width, original_position_y)
"""
"""The test in ``get_next_linebox`` that ends its loop for a right-to-left line, as WeasyPrint 66-70 write it."""

RTL_LINE_CONDITION_ONCE = """\
            condition = (position_x + line.width, position_y) == (
                original_position_x + original_width, original_position_y) or (
                not excluded_shapes
                and (position_x, position_y) == (original_position_x, original_position_y))
"""
"""The same test, also true when no float is beside the line and the line has not moved."""


def lay_out_rtl_lines_once() -> bool:
    """Make WeasyPrint lay out each right-to-left line once instead of twice; True once installed.

    ``get_next_linebox`` lays a line out, and lays it out again only if the line
    came out taller than planned and its taller box now has to move past a float.
    For a left-to-right line it asks whether the line's start moved; for a
    right-to-left one it compares ``position_x + line.width`` with the width the
    line had before it was laid out, which is 0 when the page has no floats, so
    the test fails for every line and every Arabic line was split, shaped and
    measured twice (the second time with the same position, width and text, so
    with the same result): a fifth of the CPU time of an Arabic leaflet, and
    most of what an Arabic page cost more than an English one (bench/languages.py,
    BENCHMARKS.md). The rewritten test also
    ends the loop when no float was placed before the line (``excluded_shapes``,
    the floats the line must avoid, is empty: the line's bounds are then the
    containing block's whatever its height) and the line has not moved, exactly
    the case in which laying it out again cannot change it. With floats the loop
    runs as WeasyPrint wrote it.

    The function is recompiled from WeasyPrint's own source with that one
    condition replaced; if the source is not there or reads otherwise (another
    WeasyPrint release), nothing is changed and False is returned.
    """
    import inspect

    from weasyprint.layout import inline

    current = inline.get_next_linebox
    if getattr(current, "leaflets_rtl_once", False):
        return True
    try:
        source = inspect.getsource(current)
    except (OSError, TypeError):
        return False
    if (
        source.count(RTL_LINE_CONDITION) != 1
        or not source.startswith("def get_next_linebox(")
        or "    excluded_shapes = context.excluded_shapes.copy()\n" not in source  # the name the new test reads
    ):
        return False
    lines_before = "\n" * (current.__code__.co_firstlineno - 1)  # tracebacks point into WeasyPrint's file
    patched = lines_before + source.replace(RTL_LINE_CONDITION, RTL_LINE_CONDITION_ONCE)
    code = compile(patched, inspect.getfile(current), "exec")
    exec(code, vars(inline))  # noqa: S102 - WeasyPrint's source, one condition changed; rebinds it in its module
    inline.get_next_linebox.leaflets_rtl_once = True
    inline.get_next_linebox.leaflets_original = current  # for tests/test_weasy_internals.py to compare against
    return True


_LANGUAGE = "leaflets_lang"
"""Python attribute (never written to the PDF) holding the language of the box a structure element was made for."""
_TEXTS = "leaflets_texts"
"""Python attribute of the pydyf PDF: ``{(page index, MCID): text}`` of every text box marked in it."""


def record_element_languages() -> bool:
    """Make WeasyPrint note on each structure element it makes the language of the element's box; True once installed.

    WeasyPrint 70 gives the PDF the ``lang`` of ``<html>`` as the document's
    /Lang but tags every element without one, though it knows each box's
    language (the computed ``lang``, from the nearest ``lang`` attribute):
    the second language of a bilingual leaflet would be read aloud with the
    first's voice. Its tagging is one recursive generator,
    ``_build_box_tree``, which yields the element made for a box (or, for
    ``html``, ``body`` and the page, the elements of their children); the
    wrapper remembers the box's language on each element it yields that has
    none yet, as a Python attribute, for :func:`element_language` to read
    when the tree is finished (:mod:`leaflets.pdf.tagging`). On the call for
    a page it also keeps the logical text of each marked text box by its
    MCID (:func:`marked_texts`): the glyphs of right-to-left text are drawn
    in visual order, so the tree is given the text as written. The elements
    and the file are otherwise unchanged.
    """
    from weasyprint.pdf import tags

    original = getattr(tags, "_build_box_tree", None)
    if original is None:
        return False
    if getattr(original, "leaflets_languages", False):
        return True

    def build_box_tree(box: Any, parent: Any, pdf: Any, *rest: Any) -> Iterator[Any]:
        if is_box(box, "PageBox") and len(rest) == 4 and isinstance(rest[3], dict):
            texts = pdf.__dict__.setdefault(_TEXTS, {})
            page_number, tags = rest[0], rest[3]
            for marked, tag in tags.items():
                if is_box(marked, "TextBox"):
                    texts[(page_number, tag["mcid"])] = str(marked.text)
        style = getattr(box, "style", None)
        lang = style["lang"] if style is not None else None
        for element in original(box, parent, pdf, *rest):
            if lang and not hasattr(element, _LANGUAGE):
                setattr(element, _LANGUAGE, lang)
            yield element

    build_box_tree.leaflets_languages = True  # type: ignore[attr-defined]
    tags._build_box_tree = build_box_tree
    return True


def element_language(element: Any) -> str | None:
    """The language :func:`record_element_languages` noted on a structure element (None: not noted, so inherited)."""
    lang = getattr(element, _LANGUAGE, None)
    return lang if isinstance(lang, str) else None


def marked_texts(pdf: Any) -> dict[tuple[int, int], str]:
    """``{(page index, MCID): text}`` of the text boxes WeasyPrint marked in ``pdf`` (a pydyf PDF), as
    :func:`record_element_languages` kept them; empty if it was not installed."""
    texts = getattr(pdf, _TEXTS, None)
    return texts if isinstance(texts, dict) else {}
