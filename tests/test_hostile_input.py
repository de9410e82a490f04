"""Hostile and unlucky input (issue 14): no hang, nothing read from outside, nothing run, one clean line each.

Every test runs the real thing: the ``leaflets`` command in a subprocess with a
time limit (a hang fails the test instead of stopping the suite), real FIFOs,
sockets and device files, a real git repository with a hostile ``.git/config``,
and PDFs read back with pikepdf.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator

import pikepdf
import pytest

from leaflets.build.cache import dependency_key, entry_key
from leaflets.errors import ConfigError, EntryError, printable
from leaflets.files import MAX_RESOURCE_BYTES, RefusedFile, read_regular, refusal
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project
from leaflets.source.entry import load_entry

from conftest import REPO

BODY = textwrap.dedent("""
    ### Usage
    This medicine eases pain. It also brings down a fever.

    ### Side Effects
    Most people have none. Some feel sick. Stop and call your doctor if you get a rash.

    ### Precautions
    Do not take more than the dose on the pack. Ask a pharmacist if you take other medicines.

    **Disclaimer:** This sheet is not medical advice. Talk to your doctor.
""")

TIMEOUT = 240
"""Seconds any one command may take; far above what it needs, far below a hang."""


def entry_text(title: str, front: str = "", extra: str = "") -> str:
    """A good leaflet with ``front`` added to its front matter and ``extra`` Markdown at the end of its usage."""
    body = BODY.replace("brings down a fever.\n", "brings down a fever.\n\n" + extra + "\n") if extra else BODY
    return f"---\ntitle: {title}\n{front}---\n\n# {title}\n{body}"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def leaflets(*arguments: str | Path, cwd: Path | None = None, timeout: float = TIMEOUT,
             prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run the real command; a hang becomes a test failure naming the command."""
    command = [*prefix, sys.executable, "-m", "leaflets", *map(str, arguments)]
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              errors="replace", stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung for {timeout} s: {' '.join(command)}")


def clean(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback and no internal error in what the command printed."""
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text[-3000:]
    assert "internal error" not in text, text[-3000:]


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path (a Unix socket's name must stay under 108 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="lh-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def project(short_dir: Path) -> Path:
    root = short_dir / "p"
    (root / "entries").mkdir(parents=True)
    (root / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\n')
    return root


def special_files(folder: Path) -> dict[str, Path]:
    """Files of every kind that is not a small regular file, made inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    fifo = folder / "chart-fifo.png"
    os.mkfifo(fifo)
    sock = folder / "chart.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()
    huge = folder / "huge.png"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_RESOURCE_BYTES + 1)  # sparse: costs no disk
    (folder / "zero-link.png").symlink_to("/dev/zero")
    (folder / "passwd-link.png").symlink_to("/etc/passwd")
    (folder / "fifo-link.png").symlink_to(fifo)
    return {
        "fifo": fifo, "socket": sock, "huge": huge, "zero-link": folder / "zero-link.png",
        "passwd-link": folder / "passwd-link.png", "fifo-link": folder / "fifo-link.png",
        "dev-zero": Path("/dev/zero"), "dev-urandom": Path("/dev/urandom"), "dev-random": Path("/dev/random"),
        "dev-full": Path("/dev/full"), "dev-null": Path("/dev/null"), "folder": folder,
    }


# -- the one bounded reader ------------------------------------------------------------------

def test_read_regular_refuses_every_kind_of_non_regular_file(short_dir: Path) -> None:
    files = special_files(short_dir / "f")
    good = short_dir / "f" / "ok.png"
    good.write_bytes(b"\x89PNG")
    assert read_regular(good, [short_dir]) == b"\x89PNG"
    for name, path in files.items():
        with pytest.raises(RefusedFile):
            read_regular(path, [short_dir])
        assert refusal(path, [short_dir]) is not None, name
    assert "outside the project" in (refusal("/etc/passwd", [short_dir]) or "")
    assert "FIFO" in (refusal(files["fifo"], [short_dir]) or "")
    assert "socket" in (refusal(files["socket"], [short_dir]) or "")
    assert "limit" in (refusal(files["huge"], [short_dir]) or "")
    with pytest.raises(RefusedFile, match="limit"):
        read_regular(good, limit=2)


# -- one line in one entry stops the whole build ---------------------------------------------

def test_entries_linking_special_files_build_with_a_warning_each(project: Path) -> None:
    entries = project / "entries"
    files = special_files(entries / "images")
    names = [name for name in files if name != "folder"]
    for name in names:
        target = files[name] if files[name].is_absolute() and not files[name].is_relative_to(entries) else files[name].relative_to(entries)
        write(entries, f"{name}.md", entry_text(name.title(), extra=f"![chart]({target})"))
    write(entries, "ok.md", entry_text("Ok"))
    checked = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(checked)
    assert checked.returncode == 0, checked.stdout
    for name in names:
        assert f"{entries / name}.md:10: warning: dropped-content: refused to embed" in checked.stdout, name
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "2", cwd=project)
    clean(result)
    assert result.returncode == 0, result.stderr
    for name in names:
        assert (project / "out" / f"{name}.pdf").is_file(), name
        line = next(row for row in result.stderr.splitlines() if f"{name}.md:" in row)
        assert f"{entries / name}.md:10: warning: refused to embed" in line, line
    assert (project / "out" / "ok.pdf").is_file()
    # The build cache read none of them: the key of every entry is computed at once.
    loaded = Project.load(project)
    shared = dependency_key(loaded, BuildOptions())
    for name in names:
        path = entries / f"{name}.md"
        assert entry_key(shared, path, None, loaded.embed_dirs(path)) is not None


def test_stylesheet_urls_and_imports_of_special_files_are_refused(project: Path) -> None:
    styles = project / "styles"
    files = special_files(styles / "bad")
    css = (REPO / "styles" / "leaflet.css").read_text()
    imports = '@import "bad/chart-fifo.png";\n@import url("/dev/zero");\n@import "bad/zero-link.png";\n'
    layers = ", ".join(f'url("{files[k]}")' for k in ("fifo", "dev-urandom", "huge", "passwd-link", "socket", "zero-link"))
    backgrounds = f"body {{ background-image: {layers}; }}\n"
    fonts = '@font-face { font-family: Evil; src: url("bad/fifo-link.png"); }\n'
    (styles / "leaflet.css").write_text(imports + css + backgrounds + fonts)
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project)
    clean(result)
    assert result.returncode == 0, result.stderr
    assert (project / "out" / "a.pdf").is_file()
    assert "refused to embed" in result.stderr
    # A second run with nothing changed is answered from the cache, without reading them either.
    again = leaflets("build", "--project", project, "--out", project / "out", cwd=project)
    assert again.returncode == 0 and "1 up to date" in again.stderr, again.stderr


@pytest.mark.parametrize("kind", ["fifo", "zero-link", "huge", "socket", "dev-null"])
def test_logo_that_is_not_a_small_regular_file_is_an_error_naming_the_key(project: Path, kind: str) -> None:
    files = special_files(project / "images")
    logo = files[kind]
    name = os.path.relpath(logo, project) if not str(logo).startswith("/dev/") else str(logo)
    (project / "leaflets.toml").write_text(f'organisation = "X"\nlogo = "{name}"\n')
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    assert "key 'logo'" in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("target", ["fifo", "zero-link", "dev-zero"])
def test_settings_file_that_is_not_a_regular_file_is_an_error(project: Path, target: str) -> None:
    files = special_files(project / "odd")
    (project / "leaflets.toml").unlink()
    (project / "leaflets.toml").symlink_to(files[target])
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    assert "leaflets.toml: error: cannot read settings: not a regular file" in result.stderr, result.stderr


def test_a_setting_naming_a_file_outside_the_project_is_never_read(project: Path, short_dir: Path) -> None:
    outside = short_dir / "shadow"
    outside.write_text("secret one")
    (project / "leaflets.toml").write_text(f'organisation = "X"\ncontact = "{outside}"\n')
    before = dependency_key(Project.load(project), BuildOptions())
    outside.write_text("secret two, of another length")
    assert dependency_key(Project.load(project), BuildOptions()) == before
    # A file inside the project that a setting names still counts.
    (project / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (project / "leaflets.toml").write_text('organisation = "X"\nlogo = "logo.svg"\n')
    first = dependency_key(Project.load(project), BuildOptions())
    (project / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    assert dependency_key(Project.load(project), BuildOptions()) != first


@pytest.mark.parametrize("kind", ["fifo", "socket", "dev-zero", "dev-urandom", "zero-link", "huge"])
def test_special_file_given_as_an_entry_is_one_error_line(project: Path, kind: str) -> None:
    files = special_files(project / "odd")
    result = leaflets("check", "--project", project, files[kind], project / "entries", cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    [line] = [row for row in result.stdout.splitlines() if "error" in row]
    assert line.startswith(f"{files[kind]}:1: error: ") and ("unreadable" in line or "too-large" in line), line


def test_special_files_named_like_entries_in_a_folder_fail_alone(project: Path) -> None:
    entries = project / "entries"
    os.mkfifo(entries / "pipe.md")
    (entries / "zero.md").symlink_to("/dev/zero")
    write(entries, "ok.md", entry_text("Ok"))
    checked = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(checked)
    assert checked.returncode == 1
    assert f"{entries / 'pipe.md'}:1: error: unreadable: cannot read file: not a regular file but a FIFO" in checked.stdout
    assert f"{entries / 'zero.md'}:1: error: unreadable" in checked.stdout
    built = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project)
    clean(built)
    assert built.returncode == 1 and (project / "out" / "ok.pdf").is_file()
    assert "1 built, 0 up to date, 2 failed" in built.stderr


# -- YAML alias bombs ------------------------------------------------------------------------

def _laughs(key: str, depth: int = 7, width: int = 9) -> str:
    lines = [f'l0: &l0 [{", ".join(["lol"] * width)}]']
    for level in range(1, depth):
        lines.append(f'l{level}: &l{level} [{", ".join([f"*l{level - 1}"] * width)}]')
    return "\n".join(lines) + f"\n{key}: *l{depth - 1}\n"


BOMBS = {
    "laughs-in-url": _laughs("url"),
    "laughs-in-lang": _laughs("lang", depth=6, width=10),
    "laughs-in-reviewed": _laughs("reviewed", depth=5, width=20),
    "mapping-bomb-in-next_review": (
        "a: &a {x1: y, x2: y, x3: y, x4: y, x5: y, x6: y, x7: y, x8: y}\n"
        "b: &b {a1: *a, a2: *a, a3: *a, a4: *a, a5: *a, a6: *a, a7: *a, a8: *a}\n"
        "c: &c {b1: *b, b2: *b, b3: *b, b4: *b, b5: *b, b6: *b, b7: *b, b8: *b}\n"
        "d: &d {c1: *c, c2: *c, c3: *c, c4: *c, c5: *c, c6: *c, c7: *c, c8: *c}\n"
        "next_review: {d1: *d, d2: *d, d3: *d, d4: *d, d5: *d, d6: *d, d7: *d, d8: *d}\n"
    ),
    "recursive-alias": "reviewed: &r [1, *r]\n",
    "many-aliases": "s: &s x\nother: [" + ", ".join(["*s"] * 500) + "]\n",
    "block-style-laughs": "a: &a\n" + "".join(f"  - v{i}\n" for i in range(30)) + "b: &b\n" + "".join("  - *a\n" for _ in range(30))
    + "c: &c\n" + "".join("  - *b\n" for _ in range(30)) + "url: *c\n",
    "deep-nesting": "next_review: " + "[" * 3000 + "]" * 3000 + "\n",
    "deep-aliased-nesting": "a: &a " + "[" * 200 + "]" * 200 + "\nb: *a\n",
    "deep-block-nesting": "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n",
}


@pytest.mark.parametrize("shape", list(BOMBS))
def test_yaml_bombs_are_refused_with_one_short_line(project: Path, shape: str) -> None:
    entry = write(project / "entries", f"{shape}.md", entry_text("Bomb", BOMBS[shape]))
    with pytest.raises(EntryError) as refused:
        load_entry(entry)
    assert refused.value.code == "bad-front-matter"
    assert len(refused.value.diagnostic()) < 300
    result = leaflets("check", "--project", project, entry, cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{entry}:") and ": error: bad-front-matter: " in line and len(line) < 300, line


def test_an_alias_bomb_fails_alone_in_a_build(project: Path) -> None:
    write(project / "entries", "bomb.md", entry_text("Bomb", BOMBS["laughs-in-url"]))
    write(project / "entries", "ok.md", entry_text("Ok"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project)
    clean(result)
    assert result.returncode == 1 and (project / "out" / "ok.pdf").is_file()
    [line] = [row for row in result.stderr.splitlines() if "bomb.md" in row]
    assert ": error: front matter refused:" in line and len(line) < 300


def test_harmless_anchors_and_aliases_still_load(project: Path) -> None:
    entry = write(project / "entries", "a.md", entry_text("Alpha", "layout: &l page\nnav_exclude: false\nx: *l\n"))
    assert load_entry(entry).metadata["x"] == "page"


# -- values that overflow --------------------------------------------------------------------

OVERFLOWS = {
    "reviewed-last-day": ("reviewed: 9999-12-31\n", 3),
    "reviewed-plus-period": ("reviewed: 9998-03-01\n", 3),
    "reviewed-timestamp": ("reviewed: 9999-12-31T23:59:59Z\n", 3),
    "next-review-five-digits": ("reviewed: 2024-01-01\nnext_review: 10000-01-01\n", 4),
    "next-review-huge-number": ("next_review: 99999999999999999999999999\n", 3),
    "reviewed-year-zero": ("reviewed: 0000-01-01\n", 3),
    "reviewed-huge-string": ("reviewed: '" + "9" * 5000 + "'\n", 3),
}


@pytest.mark.parametrize("case", list(OVERFLOWS))
def test_dates_that_overflow_are_a_front_matter_error(project: Path, case: str) -> None:
    front, line = OVERFLOWS[case]
    entry = write(project / "entries", f"{case}.md", entry_text("Dated", front))
    result = leaflets("check", "--project", project, entry, cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    errors = [row for row in result.stdout.splitlines() if ": error: " in row]
    assert errors and errors[0].startswith(f"{entry}:{line}: error: bad-front-matter: "), result.stdout
    assert all(len(row) < 300 for row in errors)


def test_overflowing_review_date_fails_alone_in_a_build(project: Path) -> None:
    write(project / "entries", "late.md", entry_text("Late", "reviewed: 9999-12-31\n"))
    write(project / "entries", "ok.md", entry_text("Ok"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project)
    clean(result)
    assert result.returncode == 1 and (project / "out" / "ok.pdf").is_file()
    assert f"{project / 'entries' / 'late.md'}:3: error: review date 9999-12-31" in result.stderr


@pytest.mark.parametrize("length", [3_000, 5_000, 50_000])
def test_url_too_long_for_a_qr_code_is_a_warning_and_no_code(project: Path, length: int) -> None:
    url = "https://example.org/" + "a" * length
    entry = write(project / "entries", f"u{length}.md", entry_text("Linked", f"url: {url}\n"))
    checked = leaflets("check", "--project", project, entry, cwd=project, timeout=60)
    clean(checked)
    assert f"{entry}:3: warning: dropped-content: the address is" in checked.stdout
    if length != 5_000:
        return  # one real build is enough; check covers the other lengths
    result = leaflets("build", "--project", project, entry, "--out", project / "out", cwd=project)
    clean(result)
    assert result.returncode == 0, result.stderr
    assert f"{entry}:3: warning: the address is {len(url):,} characters" in result.stderr
    text = subprocess.run(["pdftotext", str(project / "out" / f"u{length}.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Read this leaflet online" not in text and "Usage" in text


NESTED = {
    "stars": "*" * 1000 + "deep" + "*" * 1000,
    "underscores": "_" * 1000 + "deep" + "_" * 1000,
    "alternating": "*a _b " * 500 + "deep" + " b_ a*" * 500,
    "strike-and-links": "[" * 300 + "deep" + "](x)" * 300,
    "inline-tags": "<sub>" * 1000 + "deep" + "</sub>" * 1000,
    "quotes": "> " * 1000 + "deep",
    "bullets": "* " * 1000 + "deep",
    "numbers": "1. " * 1000 + "deep",
    "mixed": "> * 1. " * 300 + "deep",
}


def test_deep_nesting_builds_with_a_warning(project: Path) -> None:
    entries = project / "entries"
    for name, markdown in NESTED.items():
        write(entries, f"{name}.md", entry_text(name.title(), extra=markdown))
    checked = leaflets("check", "--project", project, cwd=project, timeout=120)
    clean(checked)
    for name in NESTED:
        if name == "strike-and-links":
            continue  # markdown-it itself prints unbalanced brackets as text: nothing dropped
        assert f"{entries / name}.md:10: warning: dropped-content: " in checked.stdout, name
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "2", cwd=project)
    clean(result)
    assert result.returncode == 0, result.stderr
    for name in NESTED:
        assert (project / "out" / f"{name}.pdf").is_file()


def test_wide_tables_and_long_words_are_warned_and_kept(project: Path) -> None:
    entries = project / "entries"
    table = "|" + "|".join(f"c{i}" for i in range(2000)) + "|\n|" + "|".join(["-"] * 2000) + "|\n|" + "|".join(["v"] * 2000) + "|\n"
    write(entries, "table.md", entry_text("Table", extra=table))
    write(entries, "word.md", entry_text("Word", extra="y" * 50_000))
    write(entries, "hash.md", entry_text("Hash", extra="sha256:" + "0123456789abcdef" * 8))
    checked = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(checked)
    assert f"{entries / 'table.md'}:10: warning: dropped-content: a table of 2000 columns" in checked.stdout
    assert f"{entries / 'word.md'}:10: warning: dropped-content: a word of 50,000 characters" in checked.stdout
    assert f"{entries / 'hash.md'}:10: warning: dropped-content: a word of 135 characters" in checked.stdout
    result = leaflets("build", "--project", project, entries / "word.md", "--out", project / "out", cwd=project)
    clean(result)
    assert result.returncode == 0
    text = subprocess.run(["pdftotext", str(project / "out" / "word.pdf"), "-"], capture_output=True, text=True).stdout
    assert text.replace("\u200b", "").replace("\n", "").count("y") >= 50_000  # every character printed, none cut


# -- code that runs when it should not -------------------------------------------------------

ESCAPES = {
    "huge-string": "{{ 'x' * 10**10 }}",
    "huge-power": "{{ 10 ** 100000000 }}",
    "huge-list": "{{ ([1] * 100000) * 100000 }}",
    "globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "joiner": "{{ joiner.__init__.__globals__['os'].system('touch MARKER') }}",
    "namespace": "{{ namespace.__init__.__globals__ }}",
    "format": "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
    "lipsum": "{{ lipsum.__globals__['os'].system('touch MARKER') }}",
}


@pytest.mark.parametrize("escape", list(ESCAPES))
def test_project_template_cannot_run_code(project: Path, escape: str) -> None:
    templates = project / "templates"
    templates.mkdir()
    original = (REPO / "templates" / "leaflet.html").read_text()
    (templates / "leaflet.html").write_text(original.replace("<article", ESCAPES[escape] + "\n<article", 1))
    write(project / "entries", "a.md", entry_text("Alpha"))
    write(project / "entries", "b.md", entry_text("Beta"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project)
    clean(result)
    assert not (project / "MARKER").exists()
    assert result.returncode == 1
    errors = [row for row in result.stderr.splitlines() if ": error: " in row]
    assert errors and all(row.startswith(f"{templates / 'leaflet.html'}:") and "template" in row for row in errors), errors
    assert not list((project / "out").glob("*.pdf"))


@pytest.mark.parametrize("include", ["/etc/passwd", "../../../../../../etc/passwd", "link.html", "fifo.html", "zero.html"])
def test_project_template_cannot_include_files_outside(project: Path, include: str) -> None:
    templates = project / "templates"
    templates.mkdir()
    (templates / "link.html").symlink_to("/etc/passwd")
    (templates / "zero.html").symlink_to("/dev/zero")
    os.mkfifo(templates / "fifo.html")
    original = (REPO / "templates" / "leaflet.html").read_text()
    (templates / "leaflet.html").write_text(original.replace("<article", f"{{% include '{include}' %}}\n<article", 1))
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--format", "html", cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    [line] = [row for row in result.stderr.splitlines() if ": error: " in row]
    assert "template" in line and ("leaflet.html" in line or include in line), line
    assert not any("root:x:0:0" in p.read_text() for p in (project / "out").glob("*.html"))


def test_every_built_in_template_renders_sandboxed(tmp_path: Path, repo_project: Project) -> None:
    from leaflets.booklet.make import BookletOptions, build_booklet
    from leaflets.project.templating import Templates

    from jinja2.sandbox import SandboxedEnvironment

    assert isinstance(Templates(repo_project).environment, SandboxedEnvironment)
    entries = [REPO / "entries" / "metformin.md", REPO / "entries" / "ibuprofen.md"]
    report = build_booklet(entries, tmp_path / "booklet.pdf", repo_project, BuildOptions(), BookletOptions(duplex=True), jobs=1)
    assert report.ok, [r.error for r in report.results if r.error]
    with pikepdf.open(tmp_path / "booklet.pdf") as pdf:
        assert len(pdf.pages) >= 4


def _signed_commit_repo(root: Path, marker: Path) -> None:
    """A repository whose config names programs for signatures, fsmonitor, pager and hooks, with a signed commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*arguments: str, stdin: str | None = None) -> str:
        return subprocess.run(["git", *arguments], cwd=root, env=env, input=stdin, capture_output=True, text=True,
                              check=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    tree = git("write-tree")
    signature = "-----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    commit = (f"tree {tree}\nauthor a <a@b> 1700000000 +0000\ncommitter a <a@b> 1700000000 +0000\n"
              f"gpgsig {signature}\n\nsigned\n")
    signed = git("hash-object", "-t", "commit", "-w", "--stdin", stdin=commit)
    git("update-ref", "HEAD", signed)
    script = root.parent / "evil.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\ncat >/dev/null\nexit 0\n")
    script.chmod(0o755)
    hooks = root / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\necho hook >> {marker}\n")
        (hooks / hook).chmod(0o755)
    for key, value in [("log.showSignature", "true"), ("gpg.program", str(script)), ("gpg.format", "openpgp"),
                       ("core.fsmonitor", str(script)), ("core.pager", str(script)), ("pager.log", str(script)),
                       ("diff.external", str(script)), ("core.hooksPath", str(hooks))]:
        git("config", key, value)
    # The hostile configuration does run the script when git is called naively: the test can see it.
    subprocess.run(["git", "log", "-1", "--format=%cs"], cwd=root, env=env, capture_output=True)
    assert marker.exists(), "the signed commit did not make git call gpg.program"
    marker.unlink()


def test_git_configuration_of_the_entries_repository_runs_nothing(project: Path) -> None:
    marker = project.parent / "MARKER"
    entries = project / "entries"
    write(entries, "a.md", entry_text("Alpha"))
    write(entries, "b.md", entry_text("Beta"))
    _signed_commit_repo(project, marker)
    for command in (["check"], ["build", "--out", project.parent / "out", "--jobs", "1"],
                    ["booklet", "-o", project.parent / "booklet.pdf", "--jobs", "1"]):
        result = leaflets(*command, "--project", project, cwd=project)
        clean(result)
        assert result.returncode in (0, 1), result.stderr
        assert not marker.exists(), f"{command[0]} ran a program from .git/config: {marker.read_text()}"
    assert (project.parent / "out" / "a.pdf").is_file() and (project.parent / "booklet.pdf").is_file()
    # The dates still come from git.
    from leaflets.source.review import last_commit_dates

    assert set(last_commit_dates([entries / "a.md"]).values()) == {__import__("datetime").date(2023, 11, 14)}
    assert not marker.exists()


# -- smaller, found on the way ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["new\nline.md", "\x1b[31mred\x1b[0m.md", "bell\x07\x1b]0;title\x07.md", "cr\rover.md"])
def test_control_characters_in_file_names_are_escaped(project: Path, name: str) -> None:
    entries = project / "entries"
    write(entries, name, "no front matter and no title heading\n")
    for command in (["check"], ["build", "--out", project / "out", "--jobs", "1"]):
        result = leaflets(*command, "--project", project, cwd=project, timeout=60)
        clean(result)
        assert result.returncode == 1
        text = result.stdout + result.stderr
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        [line] = [row for row in text.splitlines() if ": error: " in row]
        assert printable(str(entries / name)) in line


def test_file_name_that_is_not_utf8_is_reported(project: Path) -> None:
    entries = project / "entries"
    path = os.path.join(os.fsencode(entries), b"bad\xff\x9b.md")
    with open(path, "wb") as handle:
        handle.write(b"no title\n")
    result = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1 and "\\xff\\x9b.md:1: error: no-title" in result.stdout, result.stdout


def _without_read_permission() -> tuple[str, ...]:
    """Run as root but without the capabilities that let root read anything: permissions then apply."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root's file-reading capabilities")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def test_unreadable_entry_given_directly_is_one_error(project: Path) -> None:
    locked = write(project / "entries", "locked.md", entry_text("Locked"))
    locked.chmod(0)
    result = leaflets("check", "--project", project, locked, cwd=project, timeout=60, prefix=_without_read_permission())
    clean(result)
    assert result.returncode == 1
    assert result.stdout.strip() == f"{locked}:1: error: unreadable: cannot read file: Permission denied"


def test_unreadable_folder_is_a_warning(project: Path) -> None:
    entries = project / "entries"
    write(entries, "ok.md", entry_text("Ok"))
    locked = entries / "locked"
    write(locked, "hidden.md", entry_text("Hidden"))
    locked.chmod(0)
    try:
        result = leaflets("check", "--project", project, cwd=project, timeout=60, prefix=_without_read_permission())
        clean(result)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{locked}: warning: folder cannot be read (Permission denied); its entries are skipped" in result.stderr
        built = leaflets("build", "--project", project, "--out", project / "out", "--jobs", "1", cwd=project,
                         prefix=_without_read_permission())
        clean(built)
        assert f"{locked}: warning: folder cannot be read" in built.stderr and (project / "out" / "ok.pdf").is_file()
    finally:
        locked.chmod(0o755)


def test_without_leaflets_toml_an_entry_embeds_only_from_its_own_folder(short_dir: Path) -> None:
    secret = short_dir / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="5"/></svg>')
    entries = short_dir / "entries"
    own = entries / "pill.svg"
    write(entries, "pill.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    entry = write(entries, "x.md", entry_text("X", extra=f"![s1](../secret.svg) ![s2]({secret}) ![own](pill.svg)"))
    result = leaflets("build", entry, "--out", short_dir / "out", "--format", "html", cwd=Path("/"), timeout=120)
    clean(result)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("refused to embed") == 2, result.stderr
    html = (short_dir / "out" / "x.html").read_text()
    assert "secret.svg" not in html and 'src="pill.svg"' in html
    assert own.is_file()


def test_html_format_drops_what_the_pdf_drops(project: Path) -> None:
    entries = project / "entries"
    write(entries, "pill.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    refused = ["http://127.0.0.1:9/track.png", "https://example.org/x.png", "//example.org/x.png", "/etc/passwd",
               "/proc/self/environ", "../../../../../etc/passwd", "/dev/zero", "ftp://example.org/x.png"]
    images = " ".join(f"![img{i}]({src})" for i, src in enumerate(refused))
    write(entries, "x.md", entry_text("X", extra=images + " ![kept](pill.svg) ![data](data:image/gif;base64,R0lGODlhAQABAAAAACw=)"))
    result = leaflets("build", "--project", project, "--out", project / "out", "--format", "html", cwd=project, timeout=120)
    clean(result)
    assert result.returncode == 0, result.stderr
    html = (project / "out" / "x.html").read_text()
    for src in refused:
        assert f'src="{src}"' not in html, src
    assert 'src="pill.svg"' in html  # a data: image is not refused (the sanitizer drops its src on its own)
    warnings = [row for row in result.stderr.splitlines() if ": warning: refused to " in row]
    assert len(warnings) == len(refused) and all(row.startswith(f"{entries / 'x.md'}:10: ") for row in warnings), warnings


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "zero-link", "socket"])
def test_booklet_list_that_is_not_a_regular_file_is_one_error(project: Path, kind: str) -> None:
    files = special_files(project / "odd")
    write(project / "entries", "a.md", entry_text("Alpha"))
    result = leaflets("booklet", "--project", project, "--list", files[kind], "-o", project / "b.pdf", cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1
    assert result.stderr.strip() == f"{files[kind]}: error: cannot read list file: " + (refusal(files[kind]) or ""), result.stderr
    assert not (project / "b.pdf").exists()


def test_booklet_list_lines_are_escaped(project: Path) -> None:
    listing = project / "list.txt"
    listing.write_text("missing\x1b[2J.md\n")
    result = leaflets("booklet", "--project", project, "--list", listing, "-o", project / "b.pdf", cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1 and "\x1b" not in result.stderr
    assert f"{listing}:1: error: no such entry file: missing\\x1b[2J.md" in result.stderr


def test_deep_nesting_in_the_disclaimer_builds_with_a_warning(project: Path) -> None:
    entry = write(project / "entries", "a.md", entry_text("Alpha").replace(
        "**Disclaimer:** This sheet", "**Disclaimer:** " + "*" * 1000 + "deep" + "*" * 1000 + " This sheet"))
    line = entry.read_text().split("\n").index(next(row for row in entry.read_text().split("\n") if "Disclaimer" in row)) + 1
    checked = leaflets("check", "--project", project, entry, cwd=project, timeout=60)
    clean(checked)
    assert f"{entry}:{line}: warning: dropped-content: emphasis" in checked.stdout
    built = leaflets("build", "--project", project, entry, "--out", project / "out", cwd=project)
    clean(built)
    assert built.returncode == 0 and f"{entry}:{line}: warning: emphasis" in built.stderr, built.stderr


def test_git_ownership_check_follows_the_users_safe_directory(short_dir: Path) -> None:
    repo = short_dir / "repo"
    write(repo, "a.md", entry_text("Alpha"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b", "GIT_COMMITTER_DATE": "1700000000 +0000", "GIT_CONFIG_GLOBAL": os.devnull}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "a"]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True, capture_output=True)
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another owner")
    subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
    home = short_dir / "home"
    home.mkdir()
    ask = ("from pathlib import Path; from leaflets.source.git import last_commit_dates; "
           f"print(last_commit_dates([Path({str(repo / 'a.md')!r})]))")

    def dates() -> str:
        clean_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        return subprocess.run([sys.executable, "-c", ask], env={**clean_env, "HOME": str(home)}, capture_output=True,
                              text=True, timeout=60).stdout

    assert "2023, 11, 14" not in dates()  # someone else's repository: git refuses to read it
    (home / ".gitconfig").write_text(f"[safe]\n\tdirectory = {repo}\n")
    assert "2023, 11, 14" in dates()  # the user declared it safe


def test_settings_nested_without_end_is_one_error(project: Path) -> None:
    (project / "leaflets.toml").write_text("organisation = " + "[" * 50_000 + "\n")
    result = leaflets("check", "--project", project, cwd=project, timeout=60)
    clean(result)
    assert result.returncode == 1 and result.stderr.startswith(f"{project / 'leaflets.toml'}"), result.stderr


def test_a_template_that_renders_without_end_is_stopped(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leaflets.project import templating

    templates = project / "templates"
    templates.mkdir()
    (templates / "spin.html").write_text(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}done")
    monkeypatch.setattr(templating, "TEMPLATE_SECONDS", 1)
    with pytest.raises(ConfigError, match="took more than 1 s to render") as stopped:
        templating.Templates(Project.load(project)).render("spin.html")
    assert str(stopped.value.path).endswith("spin.html")
