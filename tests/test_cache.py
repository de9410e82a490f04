"""Incremental builds: what is rebuilt after each kind of change, and a bad cache never hurts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leaflets.build.builder import build_leaflets
from leaflets.build.results import BuildReport
from leaflets.build.cache import CACHE_FILENAME, OutputCache, dependency_key, entry_key
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project

from conftest import REPO, write_entry


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with its own stylesheet and three entries; templates come from the package."""
    root = tmp_path / "project"
    (root / "styles").mkdir(parents=True)
    shutil.copy(REPO / "styles" / "leaflet.css", root / "styles" / "leaflet.css")
    for name in ("a", "b", "c"):
        write_entry(root / "entries", f"{name}.md", f"# {name.upper()}\n### Usage\nTake {name} with water.\n")
    return Project.load(root)


def build(project: Project, out: Path, **options: object) -> BuildReport:
    report = build_leaflets(None, out, Project.load(project.root), jobs=1, **options)  # type: ignore[arg-type]
    assert report.count("failed") == 0, [r.error for r in report.results]
    return report


def built(report: BuildReport) -> list[str]:
    return [result.source.relative.stem for result in report.results if result.status == "built"]


def test_same_build_again_rebuilds_nothing(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert built(build(project, out)) == ["a", "b", "c"]
    first = {path.name: path.stat().st_mtime_ns for path in out.glob("*.pdf")}
    again = build(project, out)
    assert again.count("up-to-date") == 3 and built(again) == []
    assert again.summary().startswith("0 built, 3 up to date, 0 failed in ")
    assert {path.name: path.stat().st_mtime_ns for path in out.glob("*.pdf")} == first
    assert all(result.output == out / f"{result.source.relative.stem}.pdf" for result in again.results)


def test_changing_one_entry_rebuilds_exactly_that_one(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    write_entry(project.root / "entries", "b.md", "# B\n### Usage\nTake b with food.\n")
    assert built(build(project, out)) == ["b"]


def test_new_entry_is_built_alone(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    write_entry(project.root / "entries", "d.md", "# D\n### Usage\nNew.\n")
    assert built(build(project, out)) == ["d"]


@pytest.mark.parametrize("change", ["style", "template", "setting"])
def test_changing_what_every_leaflet_uses_rebuilds_all(project: Project, tmp_path: Path, change: str) -> None:
    out = tmp_path / "out"
    build(project, out)
    if change == "style":
        css = project.root / "styles" / "leaflet.css"
        css.write_text(css.read_text() + "\nh2 { letter-spacing: 0.01em; }\n")
    elif change == "template":
        (project.root / "templates" / "partials").mkdir(parents=True)
        footer = (REPO / "templates" / "partials" / "footer.html").read_text()
        (project.root / "templates" / "partials" / "footer.html").write_text(footer.replace("</footer>", "<p>Ask us.</p></footer>"))
    else:
        (project.root / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\n')
    assert built(build(project, out)) == ["a", "b", "c"]


def test_templates_and_files_a_leaflet_does_not_use_change_nothing(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    (project.root / "templates").mkdir()
    (project.root / "templates" / "booklet.html").write_text("<p>not used by leaflets</p>\n")
    (project.root / "styles" / "booklet.css").write_text("p { color: red; }\n")
    assert built(build(project, out)) == []


def test_changing_an_option_rebuilds_all(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    assert built(build(project, out, options=BuildOptions(paper="letter"))) == ["a", "b", "c"]
    assert built(build(project, out, options=BuildOptions(paper="letter"))) == []


def test_image_an_entry_embeds_is_a_dependency(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    image = project.root / "entries" / "pill.svg"
    image.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    write_entry(project.root / "entries", "a.md", "# A\n### Usage\n![A pill](pill.svg)\n")
    build(project, out)
    image.write_text(image.read_text().replace('width="10" height="10"/>', 'width="5" height="5"/>'))
    assert built(build(project, out)) == ["a"]


def test_output_deleted_by_hand_is_rebuilt(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    (out / "c.pdf").unlink()
    assert built(build(project, out)) == ["c"]
    assert (out / "c.pdf").is_file()


def test_output_replaced_by_hand_is_rebuilt(project: Project, tmp_path: Path) -> None:
    """Replaced by another leaflet (leaflets wrote it): rebuilt. Replaced by a foreign file: left alone, reported."""
    out = tmp_path / "out"
    build(project, out)
    (out / "a.pdf").write_bytes((out / "b.pdf").read_bytes())
    assert built(build(project, out)) == ["a"]
    (out / "a.pdf").write_bytes(b"%PDF-1.7 something else")
    report = build_leaflets(None, out, Project.load(project.root), jobs=1)
    assert [r.status for r in report.results] == ["failed", "up-to-date", "up-to-date"]
    assert "leaflets did not write" in (report.results[0].error or "")
    assert (out / "a.pdf").read_bytes() == b"%PDF-1.7 something else"


def test_force_rebuilds_all(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    assert built(build(project, out, force=True)) == ["a", "b", "c"]


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "wrong shape", "other version", "directory"])
def test_bad_cache_file_is_ignored(project: Project, tmp_path: Path, damage: str) -> None:
    out = tmp_path / "out"
    build(project, out)
    cache = out / CACHE_FILENAME
    text = cache.read_text()
    cache.unlink()
    if damage == "garbage":
        cache.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        cache.write_text(text[: len(text) // 2])
    elif damage == "wrong shape":
        cache.write_text(json.dumps({"format": 1, "leaflets": "0.1.0", "outputs": {"a.pdf": {"key": 3}}}))
    elif damage == "other version":
        data = json.loads(text)
        data["leaflets"] = "0.0.0-" + data["leaflets"]
        cache.write_text(json.dumps(data))
    elif damage == "directory":
        cache.mkdir()
    report = build(project, out)
    assert built(report) == ["a", "b", "c"]
    if damage == "directory":
        assert report.warnings == [
            f"{cache}: warning: cannot write output: Is a directory (the next build will rebuild everything)"]
        return
    assert report.warnings == []
    assert built(build(project, out)) == []


def test_failed_entry_is_retried_until_it_builds(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    broken = write_entry(project.root / "entries", "b.md", "---\ntitle: [oops\n---\nBody\n")
    for _ in range(2):
        report = build_leaflets(None, out, project, jobs=1)
        assert [(r.source.relative.stem, r.status) for r in report.results] == [
            ("a", "up-to-date"), ("b", "failed"), ("c", "up-to-date")]
    broken.write_text("# B\n### Usage\nFixed.\n")
    assert built(build(project, out)) == ["b"]


def test_reverting_a_failed_entry_keeps_the_good_output_current(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    entry = project.root / "entries" / "a.md"
    good = entry.read_bytes()
    pdf = (out / "a.pdf").read_bytes()
    entry.write_text("---\ntitle: [oops\n---\nBody\n")
    assert build_leaflets(None, out, project, jobs=1).count("failed") == 1
    entry.write_bytes(good)
    report = build(project, out)
    assert built(report) == [] and report.count("up-to-date") == 3
    assert (out / "a.pdf").read_bytes() == pdf


def test_unchanged_failing_entry_is_reported_without_rendering(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    write_entry(project.root / "entries", "b.md", "---\ntitle: [oops\n---\nBody\n")
    first = build_leaflets(None, out, project, jobs=1)
    error = next(r.error for r in first.results if r.status == "failed")
    script = (
        "import sys; from pathlib import Path; from leaflets.build.builder import build_leaflets; "
        "from leaflets.project.project import Project; "
        f"report = build_leaflets(None, Path({str(out)!r}), Project.load({str(project.root)!r})); "
        "print(report.count('up-to-date'), report.count('failed'), 'weasyprint' in sys.modules); "
        "print([r.error for r in report.results if r.error][0])"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    counts, message = result.stdout.splitlines()
    assert counts.split() == ["2", "1", "False"]
    assert message == error


def test_parallel_build_records_the_cache_too(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert built(build_leaflets(None, out, project, jobs=2)) == ["a", "b", "c"]
    assert build(project, out).count("up-to-date") == 3


def test_nothing_to_build_does_not_load_weasyprint(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(project, out)
    script = (
        "import sys; from pathlib import Path; from leaflets.build.builder import build_leaflets; "
        "from leaflets.project.project import Project; "
        f"report = build_leaflets(None, Path({str(out)!r}), Project.load({str(project.root)!r})); "
        "print(report.count('up-to-date'), 'weasyprint' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["3", "False"]


def test_keys_cover_entry_and_shared_inputs(project: Project, tmp_path: Path) -> None:
    entry = project.root / "entries" / "a.md"
    shared = dependency_key(project, BuildOptions())
    assert shared == dependency_key(Project.load(project.root), BuildOptions())
    assert shared != dependency_key(project, BuildOptions(format="html"))
    assert shared != dependency_key(project, BuildOptions(), extra={"part": "booklet"})
    assert entry_key(shared, entry) != entry_key(dependency_key(project, BuildOptions(paper="a5")), entry)
    assert entry_key(shared, tmp_path / "absent.md") is None


def test_store_round_trip(tmp_path: Path) -> None:
    output = tmp_path / "x.pdf"
    output.write_bytes(b"pdf")
    cache = OutputCache.load(tmp_path / CACHE_FILENAME)
    cache.record(output, "k1")
    cache.save()
    again = OutputCache.load(tmp_path / CACHE_FILENAME)
    assert again.is_current(output, "k1") and not again.is_current(output, "k2") and not again.is_current(output, None)
    again.forget(output)
    assert not again.is_current(output, "k1")


def test_project_file_a_setting_names_counts_by_content(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    named = project.root / "Riverside.txt"
    named.write_text("one")
    (project.root / "leaflets.toml").write_text('organisation = "Riverside.txt"\n')
    build(project, out)
    named.write_text("two")
    assert built(build(project, out)) == ["a", "b", "c"]


def test_new_modification_day_rebuilds_the_leaflet_that_prints_it(project: Project, tmp_path: Path) -> None:
    """Without ``reviewed`` in the front matter the leaflet prints the file's modification day."""
    import os

    out = tmp_path / "out"
    build(project, out)
    entry = project.root / "entries" / "b.md"
    os.utime(entry, (1_600_000_000, 1_600_000_000))
    assert built(build(project, out)) == ["b"]
    os.utime(entry, (1_600_000_100, 1_600_000_100))  # the same day: the printed date is unchanged
    assert built(build(project, out)) == []


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_commit_rebuilds_the_leaflet_that_prints_its_date(project: Project, tmp_path: Path) -> None:
    def git(*args: str, day: str = "2024-03-01") -> None:
        stamp = f"{day}T12:00:00+00:00"
        subprocess.run(["git", *args], cwd=project.root, check=True, capture_output=True, env={
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
        })

    git("init", "-q")
    git("add", "entries")
    git("commit", "-qm", "first")
    out = tmp_path / "out"
    build(project, out)
    write_entry(project.root / "entries", "c.md", "# C\n### Usage\nTake c with food.\n")
    assert built(build(project, out)) == ["c"]
    git("commit", "-qam", "review c", day="2024-06-01")
    assert built(build(project, out)) == ["c"]
    assert built(build(project, out)) == []


def test_review_stamps_match_the_dates_leaflets_print(tmp_path: Path) -> None:
    from leaflets.source.git import last_commit_date
    from leaflets.source.review import review_stamps

    paths = sorted((REPO / "entries").glob("*.md"))
    stamps = review_stamps(paths)
    for path in paths:
        committed = last_commit_date(path)
        assert stamps[path] == (f"git:{committed.isoformat()}" if committed else stamps[path]), path
        if committed is None:
            assert stamps[path].startswith("file:")


def test_changed_system_fonts_rebuild_all(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leaflets.build.cache

    out = tmp_path / "out"
    build(project, out)
    monkeypatch.setattr(leaflets.build.cache, "installed_fonts", lambda: "a font was upgraded")
    assert built(build(project, out)) == ["a", "b", "c"]
    assert built(build(project, out)) == []


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig's fc-list is not installed")
def test_installed_fonts_digest_is_stable_and_sees_dejavu() -> None:
    from leaflets.build.cache import installed_fonts

    first = installed_fonts()
    assert first != "unknown" and first == installed_fonts()
    listed = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True).stdout
    assert "DejaVuSans.ttf" in listed


def test_two_runs_writing_one_output_leave_the_record_of_the_file_on_disk(tmp_path: Path) -> None:
    """Two builds into one folder: whichever saves last, the record kept is the one of the file that won the rename."""
    import os

    out = tmp_path / "out"
    out.mkdir()
    pdf = out / "a.pdf"
    first, second = OutputCache.load(out / CACHE_FILENAME), OutputCache.load(out / CACHE_FILENAME)
    pdf.write_bytes(b"%PDF first")
    first.record(pdf, "key")
    pdf.write_bytes(b"%PDF second, longer")  # the second run renames its file over the first one's
    os.utime(pdf, ns=(1, 1_000_000_000))
    second.record(pdf, "key")
    second.save()
    first.save()  # the first run saves last, with a record of a file no longer there
    assert OutputCache.load(out / CACHE_FILENAME).is_current(pdf, "key")
    assert first.is_current(pdf, "key")
