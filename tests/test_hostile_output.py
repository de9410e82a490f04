"""Issue 14, outputs and interruptions: nothing written over inputs or foreign files, temporary
files that cannot be hijacked, clashing editions, a cache that keeps what finished, and clean
stops on signals and full disks. Everything runs the real command in real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pikepdf
import psutil
import pytest

from leaflets.build.builder import build_leaflets
from leaflets.build.cache import CACHE_FILENAME
from leaflets.build.output import TEMP_FOLDER_PREFIX, TEMP_SUFFIX, remove_stale_temporaries
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project

from conftest import REPO, write_entry

ENTRY = """\
---
title: {title}
reviewed: 2025-09-15
---

# {title}

### Usage
Take one {word} tablet by mouth with water.

### Side Effects
Some people feel sick after {word}.

### Precautions
Tell your pharmacist if you take other medicines.
"""


def entry_text(title: str) -> str:
    return ENTRY.format(title=title, word=title.lower())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with settings, a template and style override, an image and four entries."""
    root = tmp_path / "project"
    (root / "templates").mkdir(parents=True)
    (root / "styles").mkdir()
    (root / "images").mkdir()
    (root / "leaflets.toml").write_text('organisation = "Test Pharmacy"\n')
    shutil.copy(REPO / "styles" / "leaflet.css", root / "styles" / "leaflet.css")
    (root / "templates" / "notes.txt").write_text("project notes\n")
    (root / "images" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    for name in ("aspirin", "bisoprolol", "cetirizine", "diazepam"):
        write_entry(root / "entries", f"{name}.md", entry_text(name.capitalize()))
    return root


def leaflets(*args: str | Path, cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leaflets", *map(str, args)], cwd=cwd, capture_output=True, text=True,
        env=_env(), timeout=300, **kwargs,  # type: ignore[call-overload]
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    return env


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith((TEMP_SUFFIX, ".tmp")) or p.name.startswith(TEMP_FOLDER_PREFIX)]


def foreign_pdf(path: Path, creator: str = "Some Office Suite") -> bytes:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.docinfo["/Creator"] = creator
        pdf.save(path)
    return path.read_bytes()


# --- Output that destroys input ---------------------------------------------------------------


@pytest.mark.parametrize("case", ["entry given", "entry in folder", "settings", "list file", "template", "image"])
def test_booklet_never_writes_over_an_input_or_project_file(project: Path, case: str) -> None:
    (project / "list.txt").write_text("entries/aspirin.md\nentries/cetirizine.md\n")
    args: dict[str, list[str]] = {
        "entry given": ["entries/bisoprolol.md", "-o", "entries/bisoprolol.md"],
        "entry in folder": ["-o", "entries/aspirin.md"],
        "settings": ["-o", "leaflets.toml"],
        "list file": ["--list", "list.txt", "-o", "list.txt"],
        "template": ["-o", "templates/notes.txt"],
        "image": ["-o", "images/logo.svg"],
    }
    before = snapshot(project)
    result = leaflets("booklet", *args[case], "--jobs", "1", cwd=project)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ": error: refusing to" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("kind", ["text", "foreign pdf", "symlink", "hard link to an entry"])
def test_booklet_never_replaces_a_file_it_did_not_write(project: Path, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "elsewhere" / "booklet.pdf"
    target.parent.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    if kind == "text":
        target.write_text("minutes of the meeting\n")
    elif kind == "foreign pdf":
        foreign_pdf(target)
    elif kind == "symlink":
        target.symlink_to(victim)
    else:
        os.link(project / "entries" / "aspirin.md", target)
    before = snapshot(tmp_path)
    result = leaflets("booklet", "-o", target, "--jobs", "1", cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and str(target) in result.stderr
    assert snapshot(tmp_path) == before
    assert target.is_symlink() == (kind == "symlink")


def test_booklet_replaces_its_own_booklet_even_without_a_cache(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "booklet.pdf"
    assert leaflets("booklet", "-o", out, "--jobs", "1", cwd=project).returncode == 0
    (out.parent / CACHE_FILENAME).unlink()
    write_entry(project / "entries", "ephedrine.md", entry_text("Ephedrine"))
    result = leaflets("booklet", "-o", out, "--jobs", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(out) as pdf:
        assert "Ephedrine" in str(pdf.open_outline().root[-1].title)


@pytest.mark.parametrize("out", ["entries", "templates", "styles/sub", "entries/aspirin.md"])
def test_build_out_folder_inside_inputs_is_refused(project: Path, out: str) -> None:
    before = snapshot(project)
    result = leaflets("build", "--out", out, "--jobs", "1", cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "refusing" in result.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_build_leaves_foreign_files_at_output_paths_alone(project: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    mine = out / f"bisoprolol.{fmt}"
    if fmt == "pdf":
        kept = foreign_pdf(mine)
    else:
        mine.write_text("<html><body>my own notes</body></html>")
        kept = mine.read_bytes()
    (out / f"cetirizine.{fmt}").symlink_to(tmp_path / "victim")
    (tmp_path / "victim").write_text("victim")
    result = leaflets("build", "--out", out, "--format", fmt, "--jobs", "1", cwd=project)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 2 and all("refusing" in line for line in errors), result.stderr
    assert mine.read_bytes() == kept and (tmp_path / "victim").read_text() == "victim"
    assert (out / f"aspirin.{fmt}").is_file() and (out / f"diazepam.{fmt}").is_file()
    # Its own outputs, cache lost, are rebuilt.
    (out / CACHE_FILENAME).unlink()
    again = leaflets("build", "--out", out, "--format", fmt, "--jobs", "1", "--force", cwd=project)
    assert "aspirin" not in again.stderr and (out / f"aspirin.{fmt}").is_file()


# --- Temporary files --------------------------------------------------------------------------


def test_planted_symlinks_at_temporary_names_redirect_nothing(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victims = []
    for name in (".booklet.pdf.tmp", ".booklet-impose.pdf.tmp", ".leaflets-cache.json.tmp"):
        victim = tmp_path / f"victim{len(victims)}"
        victim.write_text("precious\n")
        (out / name).symlink_to(victim)
        victims.append(victim)
    result = leaflets("booklet", "-o", out / "booklet.pdf", "--impose", "saddle", "--jobs", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    assert [v.read_text() for v in victims] == ["precious\n"] * 3
    with pikepdf.open(out / "booklet.pdf"), pikepdf.open(out / "booklet-impose.pdf"):
        pass


def test_written_files_follow_the_umask(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = (
        "import os, sys; os.umask(0o027); from leaflets.cli.main import main; "
        f"sys.argv = ['leaflets', 'build', '--out', {str(out)!r}, '--jobs', '1']; main()"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=project, env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir() if p.suffix in (".pdf", ".json")}
    assert modes and set(modes.values()) == {0o640}, modes


def test_two_booklets_into_one_file_at_once_leave_one_complete_pdf(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "booklet.pdf"
    for index in range(6):
        write_entry(project / "entries", f"extra{index}.md", entry_text(f"Extra{index}"))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "leaflets", "booklet", "-o", str(out), "--jobs", "1", "--force", "--title", title],
            cwd=project, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        for title in ("First", "Second")
    ]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) >= 11
        assert str(pdf.docinfo["/Title"]) in ("First", "Second")
    assert leftovers(out.parent) == []


def test_overlapping_writers_of_one_file_leave_one_whole_file(tmp_path: Path) -> None:
    """Two processes write one file at the same time, each pausing half-way: the result is one of them, whole."""
    target = tmp_path / "out" / "shared.pdf"
    script = (
        "import sys, time; from pathlib import Path; from leaflets.build.output import replacing\n"
        "fill = sys.argv[2].encode() * 500_000\n"
        "with replacing(Path(sys.argv[1])) as handle:\n"
        "    handle.write(fill[:250_000]); handle.flush(); time.sleep(1.0); handle.write(fill[250_000:])\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(target), letter], env=_env(), cwd=tmp_path)
        for letter in "AB"
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    data = target.read_bytes()
    assert data in (b"A" * 500_000, b"B" * 500_000)
    assert leftovers(tmp_path) == []


# --- Clashing editions ------------------------------------------------------------------------


@pytest.mark.parametrize("names", [("x.md", "x-large.md"), ("sub/y.md", "sub/y-large.markdown")])
def test_large_print_never_overwrites_another_entrys_leaflet(tmp_path: Path, names: tuple[str, str]) -> None:
    entries = tmp_path / "entries"
    plain, large = (write_entry(entries, name, entry_text(f"Title{i}")) for i, name in enumerate(names))
    out = tmp_path / "out"
    standard = leaflets("build", entries, "--out", out, "--jobs", "1", cwd=tmp_path)
    assert standard.returncode == 0, standard.stderr
    large_name = out / Path(names[1]).with_suffix(".pdf")
    kept = large_name.read_bytes()
    result = leaflets("build", entries, "--out", out, "--large-print", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"{plain}: error:") and str(large) in errors[0]
    assert large_name.read_bytes() == kept
    assert (out / Path(names[1]).with_name(Path(names[1]).stem + "-large.pdf")).is_file()
    check = leaflets("check", entries, cwd=tmp_path)
    assert "duplicate-output" in check.stdout and check.returncode == 1


# --- Stale or lost work -----------------------------------------------------------------------


def test_entry_edited_during_a_build_is_rebuilt_next_time(project: Path, tmp_path: Path) -> None:
    entry = project / "entries" / "aspirin.md"
    original = entry.read_bytes()
    out = tmp_path / "out"

    def edit_after_planning(_entries: int, _to_build: int) -> None:
        entry.write_text(entry_text("Edited"))

    build_leaflets(None, out, Project.load(project), BuildOptions(), jobs=1, on_start=edit_after_planning)
    entry.write_bytes(original)
    report = build_leaflets(None, out, Project.load(project), BuildOptions(), jobs=1)
    statuses = {r.source.relative.stem: r.status for r in report.results}
    assert statuses["aspirin"] == "built" and statuses["bisoprolol"] == "up-to-date"
    with pikepdf.open(out / "aspirin.pdf") as pdf:
        assert str(pdf.docinfo["/Title"]) == "Aspirin"


def test_entry_broken_during_a_build_is_not_remembered_as_failing(project: Path, tmp_path: Path) -> None:
    """The failure is remembered with the key of the bytes that failed, not of the good file read at planning."""
    entry = project / "entries" / "diazepam.md"
    original = entry.read_bytes()
    out = tmp_path / "out"

    def break_after_planning(_entries: int, _to_build: int) -> None:
        entry.write_text("---\ntitle: [unclosed\n---\n\n# Diazepam\n")

    first = build_leaflets(None, out, Project.load(project), BuildOptions(), jobs=1, on_start=break_after_planning)
    assert {r.source.relative.stem: r.status for r in first.results}["diazepam"] == "failed"
    entry.write_bytes(original)
    report = build_leaflets(None, out, Project.load(project), BuildOptions(), jobs=1)
    assert report.ok and {r.source.relative.stem: r.status for r in report.results}["diazepam"] == "built"


def test_entry_edited_during_a_booklet_is_not_recorded_as_current(project: Path, tmp_path: Path) -> None:
    from leaflets.booklet.make import build_booklet

    entry = project / "entries" / "cetirizine.md"
    original = entry.read_bytes()
    output = tmp_path / "out" / "booklet.pdf"

    def edit_after_planning(_entries: int, _to_build: int) -> None:
        entry.write_text(entry_text("Edited"))

    build_booklet(None, output, Project.load(project), BuildOptions(), jobs=1, on_start=edit_after_planning)
    entry.write_bytes(original)
    report = build_booklet(None, output, Project.load(project), BuildOptions(), jobs=1)
    assert report.count("built") == 4 and report.count("up-to-date") == 0
    with pikepdf.open(output) as pdf:
        titles = [str(item.title) for item in pdf.open_outline().root]
    assert "Cetirizine" in titles and "Edited" not in titles


@pytest.mark.parametrize("content", [
    b"[" * 100_000, b'{"outputs":' * 100_000, b"\x00\xff" * 10,
    b'{"format": 2, "leaflets": "0.1.0", "outputs": {"a.pdf": [1]}, "failures": {}}',
])
def test_any_corrupt_cache_means_a_full_rebuild(project: Path, tmp_path: Path, content: bytes) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / CACHE_FILENAME).write_bytes(content)
    result = leaflets("build", "--out", out, "--jobs", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "4 built, 0 up to date" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["symlink to a device", "fifo"])
def test_cache_file_that_is_not_a_regular_file_is_not_read(project: Path, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if kind == "fifo":
        os.mkfifo(out / CACHE_FILENAME)
    else:
        (out / CACHE_FILENAME).symlink_to("/dev/zero")
    result = leaflets("build", "--out", out, "--jobs", "1", cwd=project)
    assert "4 built" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_records_of_missing_outputs_are_pruned(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert leaflets("build", "--out", out, "--jobs", "1", cwd=project).returncode == 0
    (out / "cetirizine.pdf").unlink()
    assert leaflets("build", "entries/aspirin.md", "--out", out, "--jobs", "1", cwd=project).returncode == 0
    records = json.loads((out / CACHE_FILENAME).read_text())["outputs"]
    assert sorted(records) == ["aspirin.pdf", "bisoprolol.pdf", "diazepam.pdf"]


def test_two_builds_into_one_folder_keep_both_records(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sets = []
    for letter in "pq":
        folder = tmp_path / letter
        for index in range(5):
            write_entry(folder, f"{letter}{index}.md", entry_text(f"{letter.upper()}name{index}"))
        sets.append(folder)
    runs = [
        subprocess.Popen([sys.executable, "-m", "leaflets", "build", str(folder), "--out", str(out), "--jobs", "1"],
                         cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for folder in sets
    ]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    records = json.loads((out / CACHE_FILENAME).read_text())["outputs"]
    assert sorted(records) == sorted(f"{letter}{i}.pdf" for letter in "pq" for i in range(5))
    again = leaflets("build", sets[0], "--out", out, "--jobs", "1", cwd=tmp_path)
    assert "0 built, 5 up to date" in again.stderr


def test_stale_temporaries_are_removed_only_when_they_are_ours_and_dead(tmp_path: Path) -> None:
    import fcntl

    folder = tmp_path / "out"
    folder.mkdir()
    ours = folder / f".x.pdf.{'a1' * 8}{TEMP_SUFFIX}"
    held = folder / f".y.pdf.{'b2' * 8}{TEMP_SUFFIX}"
    booklet_folder = folder / f"{TEMP_FOLDER_PREFIX}abc123de"
    foreign = [folder / ".notes.tmp", folder / "draft.tmp", folder / f".z.pdf.short{TEMP_SUFFIX}"]
    for path in [ours, held, *foreign]:
        path.write_text("x")
    booklet_folder.mkdir()
    (booklet_folder / "chunk-00000.pdf").write_text("x")
    with open(held, "rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        removed = remove_stale_temporaries([folder], time.time() + 1)
        assert held.exists()
    assert sorted(removed) == sorted([ours, booklet_folder])
    assert all(path.exists() for path in foreign)
    assert remove_stale_temporaries([folder], time.time() - 3600) == []


# --- Interruption -----------------------------------------------------------------------------


def corpus_entries(corpus: Path, count: int = 30) -> list[Path]:
    return sorted((corpus / "b").glob("*.md"))[:count]


def wait_for(condition: Callable[[], bool], timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def family(process: subprocess.Popen[str]) -> list[psutil.Process]:
    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def all_gone(processes: list[psutil.Process], timeout: float = 10.0) -> bool:
    _gone, alive = psutil.wait_procs(processes, timeout=timeout)
    return not alive


def assert_cache_matches_outputs(out: Path) -> int:
    """Every recorded output exists as recorded and opens; every PDF there opens. Returns the record count."""
    records = json.loads((out / CACHE_FILENAME).read_text())["outputs"] if (out / CACHE_FILENAME).exists() else {}
    for name, record in records.items():
        stat = (out / name).stat()
        assert (stat.st_size, stat.st_mtime_ns) == (record["size"], record["mtime_ns"]), name
    for pdf_path in out.rglob("*.pdf"):
        with pikepdf.open(pdf_path) as pdf:
            assert len(pdf.pages) >= 1
    return len(records)


@pytest.mark.corpus
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_build_stops_workers_and_keeps_what_finished(corpus: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    stderr = tmp_path / "stderr.txt"
    with open(stderr, "w") as err:
        run = subprocess.Popen(
            [sys.executable, "-m", "leaflets", "build", *map(str, corpus_entries(corpus)), "--out", str(out), "--jobs", "2"],
            cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
        wait_for(lambda: len(list(out.glob("*.pdf"))) >= 3 or run.poll() is not None)
        workers = family(run)
        assert len(workers) >= 2 and run.poll() is None
        run.send_signal(signum)
        assert run.wait(timeout=60) == 128 + signum
    assert all_gone(workers), "a worker outlived the build"
    text = stderr.read_text()
    assert "Traceback" not in text
    summary = [line for line in text.splitlines() if line.startswith("interrupted: ")]
    assert len(summary) == 1, text
    built = int(summary[0].split()[1])
    assert leftovers(tmp_path) == []
    records = assert_cache_matches_outputs(out)
    assert records >= built >= 1
    # The next build takes up where this one stopped.
    again = leaflets("build", *corpus_entries(corpus), "--out", out, "--jobs", "2", cwd=tmp_path)
    assert again.returncode == 0 and f"{records} up to date" in again.stderr, again.stderr


@pytest.mark.corpus
def test_killed_build_leaves_no_orphans_and_next_build_cleans_up(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "build", *map(str, corpus_entries(corpus, 20)), "--out", str(out), "--jobs", "2"],
        cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: len(list(out.glob("*.pdf"))) >= 3 or run.poll() is not None)
    workers = family(run)
    assert len(workers) >= 2
    time.sleep(0.5)
    run.kill()
    run.wait(timeout=30)
    assert all_gone(workers), "workers orphaned by kill -9"
    recorded = assert_cache_matches_outputs(out)
    assert recorded >= 1, "the cache kept nothing of what finished before kill -9"
    # A leftover of the kind a killed writer leaves, planted for certain; the next run removes it.
    planted = out / f".planted.pdf.{'c3' * 8}{TEMP_SUFFIX}"
    planted.write_bytes(b"%PDF-1.7 half")
    os.utime(planted, (time.time() - 60, time.time() - 60))
    again = leaflets("build", *corpus_entries(corpus, 20), "--out", out, "--jobs", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert leftovers(tmp_path) == []


@pytest.mark.corpus
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_booklet_removes_its_folder(corpus: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    booklet = out / "booklet.pdf"
    run = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "booklet", *map(str, corpus_entries(corpus, 24)), "-o", str(booklet), "--jobs", "2"],
        cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    wait_for(lambda: any(p.name.startswith("chunk") for p in out.rglob("*")) or run.poll() is not None)
    workers = family(run)
    run.send_signal(signum)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signum, err
    assert "Traceback" not in err and len([line for line in err.splitlines() if line.startswith("interrupted: ")]) == 1, err
    assert all_gone(workers)
    assert leftovers(tmp_path) == [] and not booklet.exists()


@pytest.mark.corpus
def test_second_ctrl_c_exits_at_once_without_half_written_files(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "leaflets", "build", *map(str, corpus_entries(corpus, 20)), "--out", str(out), "--jobs", "2"],
        cwd=tmp_path, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    wait_for(lambda: len(list(out.glob("*.pdf"))) >= 1 or run.poll() is not None)
    workers = family(run)
    run.send_signal(signal.SIGINT)
    time.sleep(0.1)  # two signals sent together may arrive as one
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=30)
    assert run.returncode == 130 and "Traceback" not in err, err
    assert all_gone(workers)
    assert_cache_matches_outputs(out)
    assert leaflets("build", *corpus_entries(corpus, 20), "--out", out, "--jobs", "2", cwd=tmp_path).returncode == 0
    assert leftovers(tmp_path) == []


# --- Full disk --------------------------------------------------------------------------------


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("limit", [3_000, 40_000, 80_000])
def test_booklet_on_a_full_disk_fails_cleanly(project: Path, tmp_path: Path, limit: int) -> None:
    """RLIMIT_FSIZE makes every write past ``limit`` bytes fail with a real EFBIG from the kernel."""
    for index in range(8):
        write_entry(project / "entries", f"more{index}.md", entry_text(f"More{index}"))
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "leaflets", "booklet", "-o", str(out / "booklet.pdf"), "--jobs", "2"],
        cwd=project, env=_env(), capture_output=True, text=True, preexec_fn=_limit_file_size(limit), timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "too large" in errors[0].lower(), result.stderr
    assert [p.name for p in out.iterdir() if not p.name.startswith(".leaflets-cache")] == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=120k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root); the RLIMIT_FSIZE test covers full disks")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("command", ["booklet", "build"])
def test_full_tmpfs_fails_cleanly(project: Path, small_disk: Path, command: str) -> None:
    for index in range(8):
        write_entry(project / "entries", f"more{index}.md", entry_text(f"More{index}"))
    where = ["-o", str(small_disk / "booklet.pdf")] if command == "booklet" else ["--out", str(small_disk)]
    result = leaflets(command, *where, "--jobs", "2", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "No space left on device" in result.stderr, result.stderr
    assert leftovers(small_disk) == []
    for pdf_path in small_disk.rglob("*.pdf"):
        with pikepdf.open(pdf_path):
            pass
