"""Where an output may be written: never over an input, a project file, or a file the tool did not make.

A mistyped ``-o entries/x.md`` or ``--out templates`` must not replace an
entry, a template or a user's own document with a PDF. Before anything is
written, each output path is checked:

- it is not an input of the run (an entry, the list file, a file a setting names);
- it is not ``leaflets.toml`` and does not lie in the project's ``templates/``,
  ``styles/``, ``images/`` or ``entries/`` folders;
- if something is already there, it is a regular file this tool wrote: the
  cache recorded it as written (same size and time), or it says so itself (a
  PDF whose ``/Creator`` is ``leaflets ...``, an HTML file whose generator is
  leaflets). Anything else (a symlink, a folder, a foreign PDF, a text file)
  is left alone.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, Iterable

from leaflets.errors import OutputError
from leaflets.project.config import CONFIG_FILENAME
from leaflets.project.project import Project

PROJECT_FOLDERS = ("templates", "styles", "images", "entries")
MARKER_BYTES = 8192
"""How much of an HTML output is read to find its generator line."""
_HTML_MARKER = b'<meta name="generator" content="leaflets'


class UnsafeOutputError(OutputError):
    """An output path that would destroy an input or a file the tool did not write (a usage error)."""

    code = "unsafe-output"


class OutputGuard:
    """Answers, for one run, whether an output path may be (over)written."""

    def __init__(self, project: Project, inputs: Iterable[Path], written_by_us: Callable[[Path], bool] | None = None) -> None:
        self.project_root = project.root.resolve()
        self.protected = [self.project_root / name for name in PROJECT_FOLDERS]
        self.config_file = self.project_root / CONFIG_FILENAME
        self._written_by_us = written_by_us or (lambda _path: False)
        self._inputs: set[tuple[int, int]] = set()
        self._input_paths: set[Path] = set()
        for path in [*inputs, self.config_file, *_named_files(project)]:
            self._add_input(path)

    def _add_input(self, path: Path) -> None:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            return
        self._inputs.add((info.st_dev, info.st_ino))
        self._input_paths.add(Path(os.path.realpath(path)))

    def check_folder(self, folder: Path, named: Path | None = None) -> None:
        """Refuse an output folder that is an input, or is or lies inside one of the project's own folders.

        ``named`` is the output the message names (default: the folder).
        """
        real = Path(os.path.realpath(folder))
        if real in self._input_paths or real == self.config_file:
            raise UnsafeOutputError("refusing to use an input of this run as the output folder", named or folder)
        for protected in self.protected:
            if real == protected or real.is_relative_to(protected):
                raise UnsafeOutputError(
                    f"refusing to write outputs into the project's {protected.name}/ folder ({protected})", named or folder
                )

    def check(self, path: Path) -> None:
        """Raise :class:`UnsafeOutputError` when writing ``path`` would destroy something."""
        real = Path(os.path.realpath(path))
        if real in self._input_paths:
            raise UnsafeOutputError("refusing to write the output over an input of this run", path)
        if real == self.config_file:
            raise UnsafeOutputError("refusing to write the output over the project's settings", path)
        self.check_folder(path.parent, path)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise UnsafeOutputError(f"refusing to write the output: {exc.strerror}", path) from None
        if (info.st_dev, info.st_ino) in self._inputs:
            raise UnsafeOutputError("refusing to write the output over an input of this run", path)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeOutputError("refusing to replace something that is not a regular file", path)
        if not (self._written_by_us(path) or written_by_leaflets(path)):
            raise UnsafeOutputError(
                "refusing to overwrite a file leaflets did not write; move it away or choose another output", path
            )


def written_by_leaflets(path: Path) -> bool:
    """True when the file says it was made by leaflets: a PDF's /Creator, an HTML file's generator."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(MARKER_BYTES)
    except OSError:
        return False
    if head.startswith(b"%PDF-"):
        return _pdf_creator(path).startswith("leaflets")
    return _HTML_MARKER in head


def _pdf_creator(path: Path) -> str:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return str(pdf.docinfo.get("/Creator", ""))
    except Exception:  # noqa: BLE001 - a damaged or foreign PDF is simply not ours
        return ""


def _named_files(project: Project) -> list[Path]:
    """Files in the project that settings name (a logo, say)."""
    found = []
    for value in vars(project.config).values():
        if isinstance(value, str) and value.strip() and "\n" not in value and len(value) < 1024:
            try:
                candidate = project.root / value
                if candidate.is_file():
                    found.append(candidate)
            except (OSError, ValueError):
                continue
    return found
