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
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateError, TemplateNotFound, meta
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from leaflets.files import MAX_TEXT_BYTES, RefusedFile, read_regular

from leaflets.errors import ConfigError
from leaflets.project.project import Project


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def long_date(day: date) -> str:
    """``15 September 2025``: no numeric form a reader could take as month/day, independent of locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


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

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            digits = abs(right) * max(1, abs(left).bit_length()) * 0.302
            if right > 0 and abs(left) > 1 and digits > MAX_PRODUCT:
                raise SecurityError(f"{left} ** {right} is too large to compute")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(count, int) and hasattr(sized, "__len__") and len(sized) * count > MAX_PRODUCT:
                raise SecurityError(f"a value of {len(sized) * count:,} items is too large to build")
        return super().call_binop(context, operator, left, right)


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
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["long_date"] = long_date

    def render(self, name: str, **context: Any) -> str:
        try:
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
