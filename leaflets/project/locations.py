"""Addresses for the files a leaflet embeds that do not depend on where the project lies.

WeasyPrint names an image in the PDF by a digest of its URL and writes link
targets as URLs, so a ``file://`` address would put the project's absolute
folder into the bytes: the same project in two folders, or unpacked by a Dask
worker into a temporary one, would give different PDFs. Instead every file is
addressed below a few named roots, ``leaflets://project/images/logo.png``,
``leaflets://builtin/styles/leaflet.css``, ``leaflets://entry/pill.png``, and
:class:`leaflets.layout.fetcher.ProjectFetcher` maps them back to files,
with every rule it applies to ``file:`` URLs. The roots name locations only:
what may be read is still decided by the fetcher's allowed folders.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit
from urllib.request import url2pathname

from leaflets.project.project import Project, default_resource_dir

SCHEME = "leaflets"

for _registry in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
    if SCHEME not in _registry:
        _registry.append(SCHEME)  # so urljoin (WeasyPrint's too) resolves "pill.png" against a leaflets:// base
del _registry


@dataclass(frozen=True)
class Locations:
    """Named roots, most preferred first: a file is addressed below the first root holding it."""

    roots: tuple[tuple[str, str], ...]
    """``(name, resolved folder)``; a name may hold a slash (``builtin/styles``)."""

    @classmethod
    def of(cls, project: Project, entry: Path | None = None) -> "Locations":
        """The roots of a leaflet of ``entry`` (or a page of no entry) in ``project``.

        The project folder comes first when it is one (a folder named as the project or holding a
        leaflets.toml), so an entry inside it is addressed the same however the build was started;
        otherwise only its templates/ and styles/. Then the built-in templates and styles, then
        the entry's own folder.
        """
        named: list[tuple[str, Path]] = []
        if project.contained:
            named.append(("project", project.root))
        else:
            named += [("project/templates", project.root / "templates"), ("project/styles", project.root / "styles")]
        builtin = default_resource_dir()
        named += [("builtin/templates", builtin / "templates"), ("builtin/styles", builtin / "styles")]
        if entry is not None:
            named.append(("entry", Path(os.path.realpath(entry)).parent))
        return cls(tuple((name, os.path.realpath(folder)) for name, folder in named))

    def url(self, path: Path | str, folder: bool = False) -> str | None:
        """The ``leaflets://`` address of ``path`` (symlinks resolved), or None when no root holds it.

        ``folder`` ends the address with a slash, as a base URL for relative references must.
        """
        real = os.path.realpath(path)
        for name, root in self.roots:
            if real == root or real.startswith(root.rstrip("/") + "/"):
                relative = real[len(root):].strip("/")
                address = f"{SCHEME}://{name}/{quote(relative)}" if relative else f"{SCHEME}://{name}/"
                return address + "/" if folder and relative else address
        return None

    def url_or_file(self, path: Path | str, folder: bool = False) -> str:
        """:meth:`url`, or the ``file://`` URL of a file no root holds (the fetcher refuses it unless allowed)."""
        found = self.url(path, folder)
        if found is not None:
            return found
        uri = Path(os.path.realpath(path)).as_uri()
        return uri + "/" if folder and not uri.endswith("/") else uri

    def path(self, url: str) -> Path | None:
        """The file a ``leaflets://`` address names, or None for an address below no root."""
        parts = urlsplit(url)
        if parts.scheme.lower() != SCHEME:
            return None
        address = f"{parts.netloc}{unquote(parts.path)}"
        if "\x00" in address:
            return None
        for name, root in sorted(self.roots, key=lambda item: -len(item[0])):
            prefix = name + "/"
            if address == name or address.startswith(prefix):
                relative = address[len(prefix):] if address.startswith(prefix) else ""
                pieces = [piece for piece in relative.split("/") if piece not in ("", ".")]
                if ".." in pieces:
                    return None  # urljoin removes dot segments; one left is no address of ours
                return Path(root, *pieces)
        return None

    def resolve(self, reference: str, document: Path) -> Path | None:
        """The file ``reference`` (a stylesheet's ``url()``, say) in the file ``document`` names, resolved
        as WeasyPrint and the fetcher resolve it (``/images/x.png`` starts at the root of the document's
        address, the project folder); None for a ``data:`` or network address or one below no root.
        The build cache hashes what this names, so it follows what is embedded."""
        url = urljoin(self.url_or_file(document), reference.strip())
        parts = urlsplit(url)
        if parts.scheme.lower() == "file":
            return Path(url2pathname(unquote(parts.path))) if parts.path else None
        return self.path(url)
