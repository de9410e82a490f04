"""Fuzzing the front matter and Markdown of entries with Hypothesis (issue 14).

The property: whatever an entry holds, leaflets answers with a verdict, never
a crash. Loading and checking an entry raises nothing but a
:class:`~leaflets.errors.LeafletError` (check turns those into findings),
``leaflets check`` exits 0 or 1 with no traceback, and a real build (WeasyPrint)
either writes the leaflet or reports one ``path:line: error:`` line, never an
internal error; each example within a time limit (Hypothesis' deadline).

The whole file runs in well under a minute: the library properties take a
few hundred examples, the command and the real builds a handful.
"""

from __future__ import annotations

import string
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaflets.check.checker import Checker
from leaflets.errors import LeafletError
from leaflets.project.config import Config
from leaflets.project.options import BuildOptions
from leaflets.project.project import Project
from leaflets.source.discover import EntrySource
from leaflets.source.entry import load_entry
from leaflets.source.markdown import render_markdown
from leaflets.source.sections import normalise

FAST = settings(
    max_examples=150, deadline=timedelta(seconds=2), database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
SLOW = settings(
    max_examples=6, deadline=timedelta(seconds=30), database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

BODY = (
    "# Calmol\n\n### Usage\nThis medicine eases pain.\n\n### Side Effects\nSome feel sick.\n\n"
    "### Precautions\nAsk a pharmacist.\n\n**Disclaimer:** Not medical advice.\n"
)

# -- strategies ------------------------------------------------------------------------------

KEYS = st.sampled_from(["title", "lang", "reviewed", "next_review", "url", "layout", "nav_exclude", "x", "next-review", "tags"])
SCALARS = st.one_of(
    st.sampled_from([
        "2025-09-15", "9999-12-31", "0000-01-01", "2024-02-30", "10000-01-01", "9999-12-31T23:59:59Z", "null", "~",
        "yes", "no", "true", ".inf", "-.nan", "0x1F", "1e400", "99999999999999999999999999", "''", '""', "|", ">",
        "!!binary aGVsbG8=", "!!python/object:os.system ls", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2001-12-14",
        "https://example.org/" + "a" * 3000, "en", "pt-BR", "x" * 500, "'\\x1b[31m'", '"\\u0000"', "@", "`", "%TAG",
    ]),
    st.text(alphabet=string.printable + "é€\u200b\u2028\x1b", max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """YAML-ish front matter: known and unknown keys, odd scalars, flow and block collections, anchors and aliases."""
    lines: list[str] = []
    anchors: list[str] = []
    for index in range(draw(st.integers(0, 8))):
        key = draw(KEYS)
        kind = draw(st.integers(0, 6))
        if kind == 0 and anchors:
            lines.append(f"{key}: *{draw(st.sampled_from(anchors))}")
        elif kind == 1:
            name = f"a{index}"
            items = draw(st.lists(st.one_of(SCALARS, st.sampled_from([f"*{a}" for a in anchors] or ["z"])), max_size=12))
            lines.append(f"{key}: &{name} [{', '.join(items)}]")
            anchors.append(name)
        elif kind == 2:
            depth = draw(st.integers(1, 60))
            lines.append(f"{key}: " + "[" * depth + draw(SCALARS) + "]" * depth)
        elif kind == 3:
            lines.append(f"{key}:")
            lines.extend(f"  - {draw(SCALARS)}" for _ in range(draw(st.integers(0, 4))))
        elif kind == 4:
            lines.append(f"{key}: {{{draw(SCALARS)}: {draw(SCALARS)}}}")
        else:
            lines.append(f"{key}: {draw(SCALARS)}")
    if draw(st.booleans()):
        lines.append(draw(st.text(max_size=30)))  # a line of anything: broken YAML is part of the space
    return "\n".join(lines)


INLINE = st.sampled_from([
    "word", "**bold**", "*em*", "_em_", "`code`", "<sub>2</sub>", "<sup>+</sup>", "<div>", "<!-- c -->", "<script>x</script>",
    "[link](https://example.org)", "![img](/dev/zero)", "![img](http://127.0.0.1:9/x.png)", "![img](../../etc/passwd)",
    "![img](pill.png)", "\\", "&amp;", "&#0;", "\x00", "\x1b[2J", "β-lactamase", "1-2", "y" * 80, "|", "~~s~~",
])


@st.composite
def markdown(draw: st.DrawFn) -> str:
    """Markdown with nesting (quotes, lists, emphasis), tables, headings, bold labels and raw HTML."""
    blocks: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 7))
        text = " ".join(draw(st.lists(INLINE, min_size=1, max_size=6)))
        if kind == 0:
            blocks.append(draw(st.sampled_from(["> ", "* ", "- ", "1. ", "> * ", "  "])) * draw(st.integers(1, 40)) + text)
        elif kind == 1:
            marker = draw(st.sampled_from(["*", "_", "**", "~~", "<sub>", "<b>"]))
            closing = marker.replace("<", "</") if marker.startswith("<") else marker
            depth = draw(st.integers(1, 200))
            blocks.append(marker * depth + text + closing * depth)
        elif kind == 2:
            columns = draw(st.integers(1, 30))
            blocks.append("|" + "|".join(["h"] * columns) + "|\n|" + "|".join(["-"] * columns) + "|\n|" + "|".join([text] * columns) + "|")
        elif kind == 3:
            blocks.append("#" * draw(st.integers(1, 7)) + " " + draw(st.sampled_from(["Usage", "Side Effects:", "Dosage", "FAQ", "Other"])))
        elif kind == 4:
            blocks.append(f"**{draw(st.sampled_from(['Usage', 'Note', 'Disclaimer', 'Precautions']))}:** {text}")
        elif kind == 5:
            blocks.append("```\n" + text + "\n```")
        elif kind == 6:
            blocks.append(draw(st.text(max_size=60)))
        else:
            blocks.append(text)
    return "\n\n".join(blocks)


@st.composite
def entries(draw: st.DrawFn) -> bytes:
    """A whole entry: front matter (or none) and a body, the usual leaflet body appended half the time."""
    body = draw(markdown())
    if draw(st.booleans()):
        body = BODY + "\n" + body
    text = body if draw(st.integers(0, 5)) == 0 else f"---\n{draw(front_matter())}\n---\n{body}"
    return text.encode("utf-8", "surrogatepass")


def check_one(path: Path) -> None:
    """Load, split and check ``path`` as build and check do: only LeafletErrors may come out (check catches them)."""
    try:
        entry = load_entry(path)
        normalise(entry)
    except LeafletError:
        pass
    Checker(Config(), {}).check(EntrySource(Path(path.name), path))


# -- properties ------------------------------------------------------------------------------

@FAST
@given(data=st.binary(max_size=3000))
def test_any_bytes_are_checked_without_a_crash(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "entry.md"
    path.write_bytes(data)
    check_one(path)


@FAST
@given(data=st.binary(max_size=400))
def test_any_bytes_as_front_matter_are_checked_without_a_crash(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("front") / "entry.md"
    path.write_bytes(b"---\n" + data + b"\n---\n" + BODY.encode())
    check_one(path)


@FAST
@given(entry=entries())
def test_structured_entries_are_checked_without_a_crash(tmp_path_factory: pytest.TempPathFactory, entry: bytes) -> None:
    path = tmp_path_factory.mktemp("structured") / "entry.md"
    path.write_bytes(entry)
    check_one(path)


BOMB_VALUES = st.sampled_from([
    "&a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]"
    "\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "&r [1, *r]", "[" * 500 + "]" * 500, "&s x\ny: [" + ", ".join(["*s"] * 300) + "]",
])


@FAST
@given(key=st.sampled_from(["reviewed", "next_review", "url", "lang", "title"]),
       value=st.one_of(
           st.dates().map(date.isoformat), st.dates(min_value=date(9990, 1, 1)).map(date.isoformat),
           st.datetimes().map(lambda d: d.isoformat()), SCALARS, BOMB_VALUES,
       ),
       reviewed=st.one_of(st.none(), st.dates()))
def test_any_value_of_a_known_key_is_checked_without_a_crash(
    tmp_path_factory: pytest.TempPathFactory, key: str, value: str, reviewed: object
) -> None:
    front = f"reviewed: {reviewed}\n" if reviewed is not None and key != "reviewed" else ""
    path = tmp_path_factory.mktemp("value") / "entry.md"
    path.write_text(f"---\n{front}{key}: {value}\n---\n{BODY}", encoding="utf-8")
    check_one(path)


@FAST
@given(source=markdown(), line=st.integers(1, 10_000), level=st.integers(0, 6))
def test_any_markdown_renders_without_a_crash(source: str, line: int, level: int) -> None:
    rendered = render_markdown(source, line, level, image_policy=lambda src: None if src == "pill.png" else "refused")
    assert all(dropped.line >= line for dropped in rendered.dropped)


@settings(max_examples=8, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(entry=st.one_of(entries(), st.binary(max_size=500)))
def test_check_command_exits_0_or_1_without_a_traceback(tmp_path_factory: pytest.TempPathFactory, entry: bytes) -> None:
    folder = tmp_path_factory.mktemp("command")
    (folder / "entry.md").write_bytes(entry)
    result = subprocess.run(
        [sys.executable, "-m", "leaflets", "check", "--project", str(folder), "--jobs", "1", str(folder / "entry.md")],
        capture_output=True, text=True, errors="replace", timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert all(": error: " in line or ": warning: " in line for line in result.stdout.splitlines()), result.stdout


@st.composite
def leaflets_to_build(draw: st.DrawFn) -> bytes:
    """Entries that pass the checks, so the real build lays out hostile Markdown instead of refusing early."""
    front = draw(st.sampled_from(["", "reviewed: 2025-01-01\n", "url: https://example.org/" + "a" * 3000 + "\n", "lang: fr\n"]))
    usage = draw(markdown())
    footer = draw(st.sampled_from(["", " " + "*" * 300 + "x" + "*" * 300, " ![x](/dev/zero)"]))
    body = BODY.replace("This medicine eases pain.", "This medicine eases pain.\n\n" + usage + "\n")
    return f"---\ntitle: Calmol\n{front}---\n{body.replace('Not medical advice.', 'Not medical advice.' + footer)}".encode(
        "utf-8", "surrogatepass")


@SLOW
@given(entry=st.one_of(leaflets_to_build(), leaflets_to_build(), entries()))
def test_real_builds_write_the_leaflet_or_one_error(tmp_path_factory: pytest.TempPathFactory, entry: bytes) -> None:
    from leaflets.build.builder import build_leaflets

    folder = tmp_path_factory.mktemp("build")
    (folder / "entries").mkdir()
    (folder / "entries" / "entry.md").write_bytes(entry)
    report = build_leaflets(None, folder / "out", Project.load(folder), BuildOptions(), jobs=1)
    [result] = report.results
    if result.status == "failed":
        assert result.error and "internal error" not in result.error, result.detail or result.error
        assert result.error.startswith(str(folder / "entries" / "entry.md")) and "\n" not in result.error
    else:
        assert (folder / "out" / "entry.pdf").read_bytes().startswith(b"%PDF-")
