"""--shard: stable parts, scheduler indexes, one cache file per shard, and the docs' recipes run for real.

The shards of ~30 corpus entries, built by separate processes into one
folder, must equal one full build byte for byte; a later unsharded build must
find everything up to date; the Kubernetes manifest, Slurm script and GitHub
matrix in docs/ are parsed and their build commands run with the
environment their scheduler would set.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePath

import pytest
import yaml

from conftest import PINNED_EPOCH, REPO
from leaflets.build.shard import Shard, ShardError, parse_shard, shard_of

BIN = Path(sys.executable).parent
DOCS = REPO / "docs"


def run(command: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": PINNED_EPOCH, **(env or {})}
    for name in ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN"):
        if env is None or name not in env:
            full_env.pop(name, None)
    return subprocess.run(command, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=900)


def pdfs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.pdf"))}


@pytest.fixture(scope="module")
def sample(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 corpus entries in two folders (copied into a temporary folder for the test only)."""
    folder = tmp_path_factory.mktemp("sample")
    for letter in ("d", "e"):
        for path in sorted((corpus / letter).glob("*.md"))[:15]:
            (folder / letter).mkdir(exist_ok=True)
            shutil.copy2(path, folder / letter / path.name)
    return folder


@pytest.fixture(scope="module")
def full_build(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("full")
    result = run([str(BIN / "leaflets"), "build", str(sample), "--out", str(out), "-q"])
    assert result.returncode in (0, 1), result.stderr
    assert len(pdfs(out)) >= 25
    return out


# --- choosing a shard -------------------------------------------------------------------------


def test_the_shard_of_a_path_is_a_fixed_sha256_function_of_its_relative_path() -> None:
    # Fixed values: the same on every machine and every Python (hash() would change per process).
    assert [shard_of(PurePath("a/metformin.md"), 3) for _ in range(3)] == [shard_of(PurePath("a/metformin.md"), 3)] * 3
    assert shard_of(PurePath("a/metformin.md"), 1) == 0
    expected = int.from_bytes(__import__("hashlib").sha256(b"a/metformin.md").digest()[:8], "big") % 7
    assert shard_of(PurePath("a/metformin.md"), 7) == expected
    names = [PurePath(f"x/entry-{n}.md") for n in range(3000)]
    sizes = [sum(1 for name in names if shard_of(name, 3) == i) for i in range(3)]
    assert min(sizes) > 900  # spread evenly


def test_adding_entries_does_not_move_others_between_shards() -> None:
    before = {f"e{n}.md": shard_of(PurePath(f"e{n}.md"), 4) for n in range(100)}
    after = {f"e{n}.md": shard_of(PurePath(f"e{n}.md"), 4) for n in range(200)}
    assert all(after[name] == shard for name, shard in before.items())


@pytest.mark.parametrize("text, environ, expected", [
    ("0/3", {}, Shard(0, 3)),
    (" 2 / 3 ", {}, Shard(2, 3)),
    ("3", {"JOB_COMPLETION_INDEX": "1"}, Shard(1, 3)),
    ("3", {"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5"}, Shard(2, 3)),
    ("3", {"SLURM_ARRAY_TASK_ID": "2"}, Shard(2, 3)),
    ("1/3", {"JOB_COMPLETION_INDEX": "2"}, Shard(1, 3)),
])
def test_shard_values(text: str, environ: dict[str, str], expected: Shard) -> None:
    assert parse_shard(text, environ) == expected


@pytest.mark.parametrize("text, environ, message", [
    ("3", {}, "JOB_COMPLETION_INDEX"),
    ("3/3", {}, "must be below"),
    ("0/0", {}, "at least 1"),
    ("-1/3", {}, "I/N or N"),
    ("a/b", {}, "I/N or N"),
    ("3", {"JOB_COMPLETION_INDEX": "x"}, "whole number"),
    ("3", {"JOB_COMPLETION_INDEX": "3"}, "must be below"),
    ("3", {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "2"}, "below SLURM_ARRAY_TASK_MIN"),
])
def test_bad_shard_values(text: str, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ShardError, match=message):
        parse_shard(text, environ)


@pytest.mark.parametrize("args, env", [
    (["--shard", "3"], {}),
    (["--shard", "3/3"], {}),
    (["--shard", "0"], {}),
    (["--shard", "x"], {}),
    (["--shard", "3"], {"JOB_COMPLETION_INDEX": "5"}),
])
def test_bad_shard_is_one_line_and_exit_2(args: list[str], env: dict[str, str], tmp_path: Path) -> None:
    for command in ("build", "check"):
        result = run([str(BIN / "leaflets"), command, str(REPO / "entries"), *args] + (["--out", str(tmp_path)] if command == "build" else []), env)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("leaflets: error: --shard"), result.stderr
    assert not list(tmp_path.glob("*.pdf"))


# --- shards together are the full build ---------------------------------------------------------


def test_three_shards_equal_the_full_build_and_a_later_build_finds_them_current(
    sample: Path, full_build: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    messages = []
    for index in range(3):
        result = run([str(BIN / "leaflets"), "build", str(sample), "--out", str(out), "--shard", f"{index}/3", "-q"])
        messages.append(result.stderr)
    assert sorted(p.name for p in out.glob(".leaflets-cache*.json")) == [
        f".leaflets-cache.shard-{i}-of-3.json" for i in range(3)
    ]
    assert [p.name for p in out.glob("*.lock")] == [".leaflets-cache.lock"]  # one lock for the folder
    assert pdfs(out) == pdfs(full_build)
    later = run([str(BIN / "leaflets"), "build", str(sample), "--out", str(out)])
    assert re.search(r"^0 built, \d+ up to date", later.stderr, re.MULTILINE), later.stderr
    # a shard re-run (a retried pod) does nothing more
    again = run([str(BIN / "leaflets"), "build", str(sample), "--out", str(out), "--shard", "1/3"])
    assert re.search(r"^0 built, \d+ up to date", again.stderr, re.MULTILINE), again.stderr


def test_a_rerun_shard_builds_only_what_is_missing(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run([str(BIN / "leaflets"), "build", str(sample), "--out", str(out), "--shard", "0/3"])
    built = sorted(out.rglob("*.pdf"))
    assert first.returncode in (0, 1) and built
    built[0].unlink()  # a pod that died before writing this one
    again = run([str(BIN / "leaflets"), "build", str(sample), "--out", str(out), "--shard", "0/3"])
    assert re.search(rf"^1 built, {len(built) - 1} up to date", again.stderr, re.MULTILINE), again.stderr


def test_clashing_outputs_are_refused_by_every_shard_over_the_whole_set(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        shutil.copy(REPO / "entries" / "ibuprofen.md", folder / "ibuprofen.md")
    out = tmp_path / "out"
    errors = []
    for index in range(2):
        result = run([str(BIN / "leaflets"), "build", str(one), str(two), "--out", str(out), "--shard", f"{index}/2"])
        errors.append(result.stderr)
    both = "".join(errors)
    assert both.count("would be written to the same leaflet") == 1
    assert f"{two / 'ibuprofen.md'}: error" in both
    assert len(pdfs(out)) == 1


def test_check_shards_cover_every_entry_once(sample: Path) -> None:
    full = run([str(BIN / "leaflets"), "check", str(sample), "--format", "json"])
    parts = [run([str(BIN / "leaflets"), "check", str(sample), "--shard", f"{i}/3", "--format", "json"]) for i in range(3)]
    import json

    counts = [json.loads(part.stdout)["summary"]["entries"] for part in parts]
    assert sum(counts) == json.loads(full.stdout)["summary"]["entries"] == 30
    assert all(counts)


# --- the recipes in docs/ ----------------------------------------------------------------------


def test_kubernetes_indexed_job_builds_the_whole_set(sample: Path, full_build: Path, tmp_path: Path) -> None:
    job = yaml.safe_load((DOCS / "k8s-indexed-job.yaml").read_text())
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    completions = job["spec"]["completions"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    command = container["command"]
    assert command[command.index("--shard") + 1] == str(completions)
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["SOURCE_DATE_EPOCH"] == PINNED_EPOCH
    mount = container["volumeMounts"][0]["mountPath"]
    out = tmp_path / "data"
    local = [part.replace(f"{mount}/entries", str(sample)).replace(mount, str(out)) for part in command]
    local[0] = str(BIN / local[0])
    for index in range(completions):
        result = run(local, {**env, "JOB_COMPLETION_INDEX": str(index)})
        assert result.returncode in (0, 1), result.stderr
    assert pdfs(out / "leaflets") == pdfs(full_build)


def test_slurm_array_script_builds_the_whole_set(sample: Path, full_build: Path, tmp_path: Path) -> None:
    script = DOCS / "slurm-array.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    first, last = map(int, re.search(r"^#SBATCH --array=(\d+)-(\d+)$", script.read_text(), re.M).groups())  # type: ignore[union-attr]
    assert last - first + 1 == int(re.search(r"^SHARDS=(\d+)$", script.read_text(), re.M).group(1))  # type: ignore[union-attr]
    out = tmp_path / "leaflets"
    for task in range(first, last + 1):
        env = {"ENTRIES": str(sample), "OUT": str(out), "SLURM_ARRAY_TASK_ID": str(task),
               "SLURM_ARRAY_TASK_MIN": str(first), "SLURM_CPUS_PER_TASK": "1"}
        result = run(["bash", str(script)], env)
        assert result.returncode in (0, 1), result.stderr
    assert pdfs(out) == pdfs(full_build)


def test_github_matrix_builds_the_whole_set(sample: Path, full_build: Path, tmp_path: Path) -> None:
    workflow = yaml.safe_load((DOCS / "github-matrix.yml").read_text())
    build = workflow["jobs"]["build"]
    shards = build["strategy"]["matrix"]["shard"]
    step = next(step for step in build["steps"] if "leaflets build" in step.get("run", ""))
    assert f"/{len(shards)}" in step["run"]
    assert workflow["env"]["SOURCE_DATE_EPOCH"] == PINNED_EPOCH
    assert workflow["jobs"]["join"]["needs"] == "build"
    checkout = tmp_path / "checkout"
    (checkout / "entries").parent.mkdir(parents=True)
    shutil.copytree(sample, checkout / "entries")
    for shard in shards:
        command = step["run"].replace("${{ matrix.shard }}", str(shard))
        words = shlex.split(command)
        words[0] = str(BIN / words[0])
        result = run(words, dict(workflow["env"]), cwd=checkout)
        assert result.returncode in (0, 1), result.stderr
    assert pdfs(checkout / "build" / "leaflets") == pdfs(full_build)
