"""--dask on a real cluster: a scheduler and two one-thread workers started as processes on this machine.

Builds, checks and booklets through the cluster are compared with local ones
(bytes, messages, exit status); a worker is killed while a build runs; a
missing scheduler is one error line. The workers are started without
SOURCE_DATE_EPOCH and in another folder, so the client's build time and
project files must travel with the work.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

pytest.importorskip("distributed")

from conftest import REPO

BIN = Path(sys.executable).parent
LEAFLETS = str(BIN / "leaflets")
DASK = str(BIN / "dask")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A scheduler on a free loopback port and two workers (the second without a nanny, so it can be killed)."""
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    logs = open(folder / "cluster.log", "wb")  # noqa: SIM115 - closed at teardown
    processes = [subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
        cwd=folder, env=env, stdout=logs, stderr=subprocess.STDOUT,
    )]
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    address = json.loads(info.read_text())["address"]
    for extra in ([], ["--no-nanny"]):
        processes.append(subprocess.Popen(
            [DASK, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", *extra],
            cwd=folder, env=env, stdout=logs, stderr=subprocess.STDOUT,
        ))
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
    try:
        yield {"address": address, "killable": processes[2]}
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        logs.close()


EXAMPLES = len(list((REPO / "entries").glob("*.md")))
"""The example entries, translations included: each is one leaflet."""


@pytest.fixture(scope="module")
def some_entries(corpus: Path) -> list[Path]:
    """The examples and 20 corpus entries (one with images and links would be welcome; these are plain)."""
    picked = sorted((corpus / "b").glob("*.md"))[:20]
    return [REPO / "entries", *picked]


def leaflets(*args: object, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEAFLETS, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=REPO)


def pdfs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.pdf"))}


def without_times(text: str) -> str:
    return re.sub(r"in [0-9.]+s", "in Ns", text)


def test_build_on_the_cluster_gives_the_local_bytes_messages_and_status(
    scheduler: dict[str, object], some_entries: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.md").write_text("---\ntitle: [oops\n---\nbody\n")
    (bad / "escape.md").write_text((REPO / "entries" / "metformin.md").read_text() + "\n![x](../../../../../etc/hostname)\n")
    from PIL import Image

    Image.new("RGB", (40, 20), (200, 30, 30)).save(bad / "pill.png")  # beside the entry: embedded, so sent along
    (bad / "picture.md").write_text((REPO / "entries" / "paracetamol.md").read_text() + "\n![A red pill](pill.png)\n")
    paths = [*some_entries, bad]
    local = leaflets("build", *paths, "--out", tmp_path / "local", "-j", "2", "-q")
    remote = leaflets("build", *paths, "--out", tmp_path / "remote", "--dask", scheduler["address"], "-q")
    assert remote.returncode == local.returncode == 1
    assert remote.stderr == local.stderr
    assert "broken.md:2: error: malformed front matter" in remote.stderr
    assert re.search(r"escape\.md:\d+: warning: refused to embed /etc/hostname", remote.stderr)
    built = pdfs(tmp_path / "local")
    assert len(built) == EXAMPLES + 20 + 2  # the examples, 20 corpus entries, escape.md and picture.md
    import pikepdf
    from pypdf import PdfReader

    with pikepdf.open(tmp_path / "remote" / "picture.pdf") as pdf:
        assert any(page.images for page in pdf.pages)  # the image beside the entry travelled and was embedded
    # Every leaflet is the same bytes, the one with an image too: images are addressed by where they
    # lie in the project or beside their entry (leaflets://), not by the worker's temporary folder.
    assert pdfs(tmp_path / "remote") == built
    texts = [[page.extract_text() for page in PdfReader(tmp_path / side / "picture.pdf").pages] for side in ("local", "remote")]
    assert texts[0] == texts[1]
    again = leaflets("build", *paths, "--out", tmp_path / "remote", "--dask", scheduler["address"])
    assert f"0 built, {EXAMPLES + 22} up to date, 1 failed" in again.stderr


def test_html_on_the_cluster_names_the_clients_logo(scheduler: dict[str, object], tmp_path: Path) -> None:
    """HTML output names the logo by its file (for a browser): the client's file, not the worker's copy."""
    from conftest import BRANDED

    entry = REPO / "entries" / "metformin.md"
    for side, extra in (("local", ()), ("remote", ("--dask", scheduler["address"]))):
        result = leaflets("build", entry, "--project", BRANDED, "--format", "html", "--out", tmp_path / side, "-q", *extra)
        assert result.returncode == 0, result.stderr
    html = (tmp_path / "remote" / "metformin.html").read_bytes()
    assert html == (tmp_path / "local" / "metformin.html").read_bytes()
    assert BRANDED.resolve().as_uri().encode() in html


def test_check_on_the_cluster_prints_what_a_local_check_prints(
    scheduler: dict[str, object], some_entries: list[Path]
) -> None:
    local = leaflets("check", *some_entries)
    remote = leaflets("check", *some_entries, "--dask", scheduler["address"])
    assert remote.returncode == local.returncode
    assert without_times(remote.stdout + remote.stderr) == without_times(local.stdout + local.stderr)
    assert "reading-level" in remote.stdout


def test_check_shards_on_the_cluster_find_what_one_local_check_finds_across_entries(
    scheduler: dict[str, object], tmp_path: Path
) -> None:
    """Duplicate titles and translations compared with their sources, when the entries they compare are
    checked by another shard, in another batch, on another worker."""
    from test_shard import make_cross_entry_set

    entries = make_cross_entry_set(tmp_path)
    command = ["check", entries, "--project", tmp_path, "--format", "json"]
    full = leaflets(*command)
    parts = [leaflets(*command, "--dask", scheduler["address"], "--shard", f"{index}/3") for index in range(3)]

    def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[object, ...]]:
        return sorted(tuple(f.values()) for f in json.loads(result.stdout)["findings"])

    assert sorted(f for part in parts for f in findings(part)) == findings(full)
    codes = [f[3] for f in findings(full)]
    assert codes.count("duplicate-title") == 11 and codes.count("translation-outdated") == 2
    assert codes.count("missing-translation") == 1


def test_booklet_on_the_cluster_has_the_local_text_and_bytes(
    scheduler: dict[str, object], some_entries: list[Path], tmp_path: Path
) -> None:
    from pypdf import PdfReader

    paths = some_entries[:6]
    local = leaflets("booklet", *paths, "-o", tmp_path / "local.pdf", "-q")
    remote = leaflets("booklet", *paths, "-o", tmp_path / "remote.pdf", "--dask", scheduler["address"], "-q")
    assert remote.returncode == local.returncode == 0, remote.stderr
    local_pages = [page.extract_text() for page in PdfReader(tmp_path / "local.pdf").pages]
    remote_pages = [page.extract_text() for page in PdfReader(tmp_path / "remote.pdf").pages]
    assert len(remote_pages) > 10
    assert remote_pages == local_pages
    assert (tmp_path / "remote.pdf").read_bytes() == (tmp_path / "local.pdf").read_bytes()


def test_bilingual_editions_on_the_cluster_give_the_local_bytes(scheduler: dict[str, object], tmp_path: Path) -> None:
    """The linked entry a bilingual edition prints travels with the entry (it is not built itself)."""
    for side, extra in (("local", ()), ("remote", ("--dask", scheduler["address"]))):
        built = leaflets("build", REPO / "entries", "--bilingual", "en", "--out", tmp_path / side, "-q", *extra)
        assert built.returncode == 0, built.stderr
        booklet = leaflets("booklet", REPO / "entries", "--lang", "es", "--bilingual", "en",
                           "-o", tmp_path / side / "booklet.pdf", "-q", *extra)
        assert booklet.returncode == 0, booklet.stderr
    local = pdfs(tmp_path / "local")
    assert len(local) == len(list((REPO / "entries").glob("paracetamol.*.md"))) + 1
    assert pdfs(tmp_path / "remote") == local


def test_editions_on_the_cluster_give_the_local_bytes_and_a_second_run_builds_nothing(
    scheduler: dict[str, object], tmp_path: Path
) -> None:
    editions = "paper=a4,letter large-print=no,yes lang=all"
    local = leaflets("build", REPO / "entries", "--out", tmp_path / "local", "--editions", editions, "-q")
    remote = leaflets("build", REPO / "entries", "--out", tmp_path / "remote", "--editions", editions,
                      "--dask", scheduler["address"])
    assert remote.returncode == local.returncode == 0, remote.stderr
    assert f"{EXAMPLES * 4} built, 0 up to date, 0 failed" in remote.stderr  # 2 papers x 2 print sizes
    assert pdfs(tmp_path / "remote") == pdfs(tmp_path / "local")
    again = leaflets("build", REPO / "entries", "--out", tmp_path / "remote", "--editions", editions,
                     "--dask", scheduler["address"])
    assert f"0 built, {EXAMPLES * 4} up to date, 0 failed" in again.stderr


def test_no_scheduler_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for command in (["build", REPO / "entries", "--out", tmp_path], ["check", REPO / "entries"],
                    ["booklet", REPO / "entries", "-o", tmp_path / "b.pdf"]):
        result = leaflets(*command, "--dask", f"tcp://127.0.0.1:{port}", timeout=60)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"leaflets: error: no Dask scheduler answered at tcp://127.0.0.1:{port}")
        assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.parametrize("address, message", [
    ("garbage", "not a scheduler address"), ("tcp://127.0.0.1", "not a scheduler address"),
    ("ucx://127.0.0.1:1", "protocol 'ucx' is not supported"),
])
def test_an_address_that_is_not_one_is_one_line(address: str, message: str, tmp_path: Path) -> None:
    result = leaflets("build", REPO / "entries", "--out", tmp_path, "--dask", address, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert message in result.stderr and result.stderr.startswith(f"leaflets: error: --dask {address}")


def test_a_worker_killed_mid_build_leaves_a_complete_build(
    scheduler: dict[str, object], corpus: Path, tmp_path: Path
) -> None:
    """Runs last: it takes one of the two workers away for good."""
    entries = sorted((corpus / "c").glob("*.md"))[:60]
    local = leaflets("build", *entries, "--out", tmp_path / "local", "-j", "2", "-q")
    out = tmp_path / "remote"
    build = subprocess.Popen(
        [LEAFLETS, "build", *map(str, entries), "--out", str(out), "--dask", str(scheduler["address"]), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )
    victim = psutil.Process(scheduler["killable"].pid)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 300
    while len(list(out.glob("*.pdf"))) < 5 and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.1)
    assert build.poll() is None, "the build finished before a worker could be killed"
    assert victim.cpu_percent(interval=0.2) >= 0  # the worker is alive and working
    victim.kill()
    stdout, stderr = build.communicate(timeout=600)
    assert build.returncode == local.returncode, stderr
    assert without_times(stderr) == without_times(local.stderr)
    assert pdfs(out) == pdfs(tmp_path / "local")
    assert len(pdfs(out)) >= 55


def test_an_entry_placed_by_two_tasks_stays_until_both_are_done(tmp_path: Path) -> None:
    """A worker's threads run batches at once; one batch's entry may be another's language sibling."""
    from leaflets.cluster.bundle import bundle_project, materialise, parcel_entry, remove
    from leaflets.project.project import Project
    from leaflets.source.discover import EntrySource

    project = Project.load(REPO)
    materialised = materialise(bundle_project(project, (), ()), tmp_path)
    try:
        entry = REPO / "entries" / "paracetamol.es.md"
        parcel = parcel_entry(EntrySource(Path("paracetamol.es.md"), entry), REPO, None)
        first, second = materialised.place(parcel), materialised.place(parcel)
        assert first == second and first.read_bytes() == entry.read_bytes()
        materialised.release(first)
        assert first.read_bytes() == entry.read_bytes(), "still in use by the other task"
        materialised.release(second)
        assert not first.exists()
    finally:
        remove(materialised)
