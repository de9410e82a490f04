"""Jinja2 environment over the project's templates, falling back to the built-in ones.

Autoescape and StrictUndefined are on: entry text is data, so ``{{ 7*7 }}``
in an entry prints as written, and a template that names a missing value
fails loudly instead of printing a blank where a dose should be.

A project's templates are untrusted too (a project may be shared or
downloaded), so they run in Jinja's :class:`SandboxedEnvironment`: no
``__globals__``, no ``os.popen``, nothing beyond reading the values handed in.
Templates are loaded only as regular files inside the template folders, under
the size limit (:func:`leaflets.files.read_regular`): ``{% include
'/etc/passwd' %}``, ``../`` and a symlink out of the folder are refused.

Autoescape is off only for ``.css`` templates (the per-language stylesheet,
templates/language.css), whose strings go through :func:`css_string`. Every
text a template prints goes through Jinja's i18n extension (``_()``),
translated with the catalog of the language being rendered
(:mod:`leaflets.project.catalogs`); dates through :func:`long_date`.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateError, TemplateNotFound, meta
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from leaflets.files import MAX_TEXT_BYTES, RefusedFile, read_regular

from leaflets.errors import ConfigError
from leaflets.project.catalogs import translations
from leaflets.project.dates import long_date
from leaflets.project.project import Project
from leaflets.source.language import direction, text_direction

_PLACEHOLDER = re.compile(r"%\((?P<name>page|pages)\)s")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for ``content:``), whatever quotes or backslashes it holds."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\\n' or ord(ch) < 32 else ch for ch in str(text))
    return f'"{escaped}"'


def css_counters(message: str) -> str:
    """A translated "Page %(page)s of %(pages)s" as CSS ``content``: strings around ``counter(page)`` and ``counter(pages)``.

    The translation decides the order of words and numbers ("第 %(page)s 页，共 %(pages)s 页").
    """
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(str(message)):
        if match.start() > position:
            parts.append(css_string(str(message)[position:match.start()]))
        parts.append(f"counter({match['name']})")
        position = match.end()
    if position < len(str(message)):
        parts.append(css_string(str(message)[position:]))
    return " ".join(parts) or '""'


class ProjectLoader(BaseLoader):
    """Templates from the first of ``folders`` that has them, read as bounded regular files inside that folder."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)  # raises TemplateNotFound for '..' parts
        if template.startswith("/") or "\\" in template:
            raise TemplateNotFound(template)
        for folder in self.folders:
            candidate = folder.joinpath(*pieces)
            if not os.path.lexists(candidate):
                continue
            try:
                data = read_regular(candidate, [folder], MAX_TEXT_BYTES)
            except RefusedFile as exc:
                raise UnsafeTemplate(f"template '{template}' refused: {exc.reason}", str(candidate)) from None
            try:
                source = data.decode("utf-8")
            except UnicodeDecodeError:
                raise UnsafeTemplate(f"template '{template}' is not valid UTF-8", str(candidate)) from None
            mtime = os.stat(candidate).st_mtime_ns
            return source, str(candidate), functools.partial(_unchanged, candidate, mtime)
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder in self.folders:
            for directory, _subfolders, files in os.walk(folder):
                for name in files:
                    found.add(Path(directory, name).relative_to(folder).as_posix())
        return sorted(found)


def _unchanged(path: Path, mtime: int) -> bool:
    try:
        return os.stat(path).st_mtime_ns == mtime
    except OSError:
        return False


class UnsafeTemplate(TemplateError):
    """A template file that may not be read (not a regular file, outside its folder, too large)."""

    def __init__(self, message: str, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


TEMPLATE_SECONDS = 30
"""Longest a template may take to render; the built-in ones take milliseconds."""
MAX_PRODUCT = 1_000_000
"""Largest string or list ``*`` may build, and so the largest power ``**`` may compute (in digits)."""


class LimitedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with ``*`` and ``**`` kept from building values that take minutes or gigabytes.

    The sandbox stops attribute tricks; arithmetic such as ``'x' * 10**10`` or
    ``9**9**9`` is plain Python run in C, which no time limit can interrupt,
    so it is refused before it runs.
    """

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            digits = abs(right) * max(1, abs(left).bit_length()) * 0.302
            if right > 0 and abs(left) > 1 and digits > MAX_PRODUCT:
                raise SecurityError(f"{left} ** {right} is too large to compute")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(count, int) and hasattr(sized, "__len__") and len(sized) * count > MAX_PRODUCT:
                raise SecurityError(f"a value of {len(sized) * count:,} items is too large to build")
        if operator == "%" and isinstance(left, str):
            _refuse_wide_format(left, right if isinstance(right, tuple) else (right,))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Refuse calls whose arguments would let one call build a huge value.

        Padding widths (``'x'.center(10**9)``, ``lipsum(n=10**9)``) and values
        doubled through macro arguments (``d(s ~ s)``) are sizes no time limit
        can interrupt once the C code runs.
        """
        if not getattr(__obj, "leaflets_format", False):  # a format's values are checked by its fields
            _refuse_large_arguments(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        def checked(*args: Any, **kwargs: Any) -> Any:
            _refuse_wide_format(template, (*args, *kwargs.values()))
            return wrapped(*args, **kwargs)

        checked.leaflets_format = True  # type: ignore[attr-defined]
        return checked


MAX_VALUE_LENGTH = 16 * MAX_PRODUCT
"""Longest string or list handed to a call: far above an entry (1 MB), far below what exhausts memory."""

_WIDE_FIELD = re.compile(r"%[-#0 +]*\d{7,}|%[-#0 +]*\d*\.\d{7,}|[:<>^=]\D{0,3}\d{7,}")
"""A ``%`` or ``format`` field whose width or precision is over :data:`MAX_PRODUCT`."""
_STAR_FIELD = re.compile(r"%[-#0 +]*\*|%[-#0 +]*\d*\.\*|\{[^{}]*:[^{}]*\{")
"""A field whose width comes from an argument (``%*s``, ``{:{}}``)."""
_PADDING_FILTERS = ("center", "indent", "batch", "slice", "format")
"""Built-in filters that take a size or a format: checked like calls."""


def _large(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > MAX_PRODUCT
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value) > MAX_VALUE_LENGTH
    return False


def _refuse_large_arguments(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Raise :class:`SecurityError` for an int over :data:`MAX_PRODUCT` or a value over :data:`MAX_VALUE_LENGTH`."""
    for value in (*args, *kwargs.values()):
        if _large(value):
            name = getattr(function, "__name__", type(function).__name__)
            raise SecurityError(f"an argument of {name}() is too large")


def _refuse_wide_format(template: str, args: tuple[Any, ...]) -> None:
    """Raise :class:`SecurityError` for a format whose padding could build a huge string."""
    if _WIDE_FIELD.search(template) or (
        _STAR_FIELD.search(template) and any(isinstance(a, int) and abs(a) > MAX_PRODUCT for a in args)
    ):
        raise SecurityError("a format field is too wide")


def _checked_filter(name: str, original: Any) -> Any:
    """``original`` with its arguments checked first (the size a padding filter builds is its argument)."""

    @functools.wraps(original)
    def checked(value: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_large_arguments(original, args, kwargs)
        if name == "format" and isinstance(value, str):
            _refuse_wide_format(value, (*args, *kwargs.values()))
        return original(value, *args, **kwargs)

    return checked


MAX_LIPSUM = 100
"""Most paragraphs or words ``lipsum()`` may make (its generator is slow: 10**5 paragraphs take seconds)."""


def _small_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002
    """Jinja's ``lipsum`` with its sizes bounded."""
    from jinja2.utils import generate_lorem_ipsum

    if any(isinstance(v, int) and v > MAX_LIPSUM for v in (n, min, max)):
        raise SecurityError(f"lipsum() is limited to {MAX_LIPSUM} paragraphs and words")
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


class TemplateTimeout(TemplateError):
    """A template that rendered for longer than :data:`TEMPLATE_SECONDS`."""


@contextmanager
def _time_limit(seconds: float, name: str) -> Iterator[None]:
    """Interrupt a render that runs past ``seconds`` (main thread only; elsewhere no limit is set)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(_signum: int, _frame: Any) -> None:
        raise TemplateTimeout(f"template '{name}' took more than {seconds:g} s to render")

    previous = signal.signal(signal.SIGALRM, expired)
    remaining, _interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


class Templates:
    """The Jinja environment for one project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.environment = LimitedSandbox(
            loader=ProjectLoader(project.template_dirs),
            autoescape=lambda name: not (name or "").endswith(".css"),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        self.environment.filters["long_date"] = long_date
        self.environment.filters["text_direction"] = direction
        self.environment.filters["auto_dir"] = text_direction
        self.environment.filters["css_string"] = css_string
        self.environment.filters["css_counters"] = css_counters
        for name in _PADDING_FILTERS:
            self.environment.filters[name] = _checked_filter(name, self.environment.filters[name])
        self.environment.globals["lipsum"] = _small_lipsum
        self._installed: str | None = None

    def use_language(self, lang: str) -> None:
        """Translate what the templates print into ``lang`` (the project's catalog first, then the built-in one)."""
        if self._installed != lang:
            self.environment.install_gettext_translations(translations(self.project.root, lang), newstyle=True)  # type: ignore[attr-defined]
            self._installed = lang

    def render(self, name: str, **context: Any) -> str:
        """Render ``name`` in the language ``context["lang"]`` (English when it names none)."""
        try:
            self.use_language(str(context.get("lang") or "en"))
            with _time_limit(TEMPLATE_SECONDS, name):
                return self.environment.get_template(name).render(**context)
        except TemplateError as exc:
            raise _config_error(exc, name) from None
        except RecursionError:
            raise ConfigError("template error: templates include or extend each other without end", name) from None

    def sources(self, name: str) -> list[Path]:
        """The files ``name`` is made of: itself and every template it extends, includes or imports.

        Each name resolves as rendering would (the project's file first), so a
        cache key over these files changes exactly when the output could. A
        reference computed at render time cannot be followed; then every
        template the project can see counts.
        """
        found: dict[str, Path] = {}
        pending: list[tuple[str, str]] = [(name, name)]  # a template and the file that names it
        while pending:
            current, referrer = pending.pop()
            if current in found:
                continue
            try:
                source, filename, _ = self.environment.loader.get_source(self.environment, current)  # type: ignore[union-attr]
                references = list(meta.find_referenced_templates(self.environment.parse(source)))
            except TemplateError as exc:
                raise _config_error(exc, referrer) from None
            found[current] = Path(filename or current)
            if None in references:
                pending.extend((other, str(filename or current)) for other in self.environment.list_templates())
            pending.extend((reference, str(filename or current)) for reference in references if reference is not None)
        return [found[key] for key in sorted(found)]


def _config_error(exc: TemplateError, name: str) -> ConfigError:
    where = getattr(exc, "filename", None) or name
    line = getattr(exc, "lineno", None)
    if getattr(exc, "filename", None) is None:
        where, line = _template_frame(exc) or (where, line)
    if isinstance(exc, TemplateNotFound):
        return ConfigError(f"template error: template '{exc.name}' not found in the template folders", where)
    if isinstance(exc, SecurityError):
        return ConfigError(f"template refused: {exc.message or exc} (templates run sandboxed)", where, line)
    return ConfigError(f"template error: {exc.message or exc}", where, line)


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The template file and line an error was raised in: Jinja rewrites the traceback to point there."""
    found = None
    frame = exc.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            found = (filename, frame.tb_lineno)
        frame = frame.tb_next
    return found
