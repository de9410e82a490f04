"""``leaflets serve --watch``: entries, templates, styles and leaflets.toml followed as they change.

watchfiles reports changes in batches; an entry's change updates the search
index for that entry alone and tells the open previews of it to reload, and
a change to templates, styles or settings reloads the project and starts
fresh render workers (their renderers hold the old templates) before every
open preview reloads.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from watchfiles import Change, awatch

from leaflets.project.config import CONFIG_FILENAME
from leaflets.serve.counter import Counter

log = logging.getLogger("leaflets.serve")


def watched_folders(counter: Counter) -> list[Path]:
    """Entry folders (or the folders of entry files), and the project's and built-in templates and styles."""
    folders = [root if root.is_dir() else root.parent for root in counter.roots]
    folders += counter.project.template_dirs + counter.project.style_dirs
    unique: list[Path] = []
    for folder in (path.resolve() for path in folders):
        if folder.is_dir() and not any(folder.is_relative_to(seen) for seen in unique):
            unique = [seen for seen in unique if not seen.is_relative_to(folder)] + [folder]
    return unique


def is_project_file(counter: Counter, path: Path) -> bool:
    """A template, stylesheet or leaflets.toml: every leaflet may look different now."""
    project = counter.project
    if path == (project.root / CONFIG_FILENAME).resolve():
        return True
    return any(path.is_relative_to(folder) for folder in project.template_dirs + project.style_dirs)


def handle(counter: Counter, changes: set[tuple[Change, str]]) -> None:
    paths = {Path(name).resolve() for _, name in changes}
    if any(is_project_file(counter, path) for path in paths):
        log.info("templates, styles or settings changed: reloading")
        counter.project_changed()
    entries = [path for path in paths if counter.source_for(path) is not None]
    if entries:
        counter.entries_changed(entries)
        log.info("%d entr%s changed", len(entries), "y" if len(entries) == 1 else "ies")


async def watch(counter: Counter, stop: asyncio.Event) -> None:
    """Follow changes until ``stop`` is set; leaflets.toml is watched on its own, not the whole project."""
    toml = (counter.project.root / CONFIG_FILENAME).resolve()

    def only_settings(_change: Change, name: str) -> bool:
        return Path(name).resolve() == toml

    async def follow(folders: list[Path], recursive: bool) -> None:
        wanted = None if recursive else only_settings
        async for changes in awatch(*folders, stop_event=stop, recursive=recursive, debounce=200, step=50,
                                    watch_filter=wanted):
            try:
                handle(counter, changes)
            except Exception:
                log.exception("could not apply a change")

    await asyncio.gather(follow(watched_folders(counter), True), follow([counter.project.root], False))
