"""A booklet whose inputs have not changed is not built again."""

from __future__ import annotations

from pathlib import Path

from leaflets.booklet.make import BookletOptions, build_booklet
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project

from conftest import write_entry

ENTRY = "---\ntitle: {title}\n---\n### Usage\nFor {title}.\n\n### Side Effects\nNone known.\n\n### Precautions\nAsk first.\n"


def make(tmp_path: Path, **kwargs) -> tuple:
    project = Project.load(tmp_path)
    output = tmp_path / "out" / "booklet.pdf"
    report = build_booklet(None, output, project, BuildOptions(), BookletOptions(**kwargs.pop("booklet", {})), jobs=1, **kwargs)
    return report, output


def test_unchanged_booklet_is_up_to_date_and_changes_rebuild_it(tmp_path: Path) -> None:
    for title in ("Alphamol", "Betamol"):
        write_entry(tmp_path / "entries", f"{title.lower()}.md", ENTRY.format(title=title))
    first, output = make(tmp_path)
    assert first.ok and first.count("built") == 2
    written = output.stat().st_mtime_ns

    again, _ = make(tmp_path)
    assert again.count("up-to-date") == 2 and again.count("built") == 0
    assert output.stat().st_mtime_ns == written
    assert again.pages == first.pages
    assert "up to date" in again.summary()

    write_entry(tmp_path / "entries", "betamol.md", ENTRY.format(title="Betamol").replace("None known.", "Rarely a rash."))
    changed, _ = make(tmp_path)
    assert changed.count("built") == 2

    forced, _ = make(tmp_path, force=True)
    assert forced.count("built") == 2

    retitled, _ = make(tmp_path, booklet={"title": "Counter copy"})
    assert retitled.count("built") == 2

    output.unlink()
    deleted, _ = make(tmp_path, booklet={"title": "Counter copy"})
    assert deleted.count("built") == 2 and output.is_file()
