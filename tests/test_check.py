"""leaflets check: every finding code on small entries, output formats, exit status, build refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from leaflets.build.builder import build_leaflets
from leaflets.check.checker import check_entries
from leaflets.cli.main import main
from leaflets.check.findings import CODES
from leaflets.render.leaflet import BuildOptions
from leaflets.project.project import Project
from leaflets.check.readability import counts, reading_level

from conftest import REPO, write_entry

GOOD = textwrap.dedent("""
    ---
    title: {title}
    ---

    # {title}

    ### Usage
    This medicine eases pain. It also brings down a fever.

    ### Side Effects
    Most people have none. Some feel sick. Stop and call your doctor if you get a rash.

    ### Precautions
    Do not take more than the dose on the pack. Ask a pharmacist if you take other medicines.

    **Disclaimer:** This sheet is not medical advice. Talk to your doctor.
""").lstrip("\n")


def good(title: str = "Calmol") -> str:
    return GOOD.format(title=title)


def findings(folder: Path, *, strict: bool = False, project: Project | None = None) -> list[tuple[str, str, int, str, str]]:
    report = check_entries([folder], project or Project.load(folder.parent), strict=strict, jobs=1)
    return [(f.path.name, f.code, f.line, f.level, f.message) for f in report.findings]


def codes(folder: Path, **kwargs) -> list[tuple[str, str]]:
    return [(name, code) for name, code, *_ in findings(folder, **kwargs)]


def test_a_good_leaflet_has_no_findings(entry_dir: Path) -> None:
    write_entry(entry_dir, "calmol.md", good())
    assert findings(entry_dir) == []


@pytest.mark.parametrize(("name", "content", "code", "line"), [
    ("latin1.md", "---\ntitle: Caf\xe9\n---\n# x\n", "encoding", 2),
    ("unclosed.md", "---\ntitle: X\n\n### Usage\nText.\n", "bad-front-matter", 1),
    ("malformed.md", "---\ntitle: [unclosed\n---\n### Usage\nText.\n", "bad-front-matter", 2),
    ("list.md", "---\n- a\n- b\n---\n### Usage\nText.\n", "bad-front-matter", 2),
    ("lang.md", "---\ntitle: X\nlang: 12\n---\n### Usage\nText.\n", "bad-front-matter", 2),
    ("untitled.md", "### Usage\nText.\n", "no-title", 1),
    ("empty.md", "---\ntitle: X\n---\n\n\n", "empty-body", 4),
])
def test_what_build_refuses_is_an_error(entry_dir: Path, name: str, content: str, code: str, line: int) -> None:
    (entry_dir / name).write_bytes(content.encode("latin-1"))
    [(found_name, found_code, found_line, level, _)] = findings(entry_dir)
    assert (found_name, found_code, found_line, level) == (name, code, line, "error")


def test_oversized_entry(entry_dir: Path) -> None:
    (entry_dir / "huge.md").write_text("---\ntitle: Huge\n---\n" + "word " * 250_000)
    assert codes(entry_dir) == [("huge.md", "too-large")]


def test_unreadable_entry(entry_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = write_entry(entry_dir, "locked.md", good())
    real_open = os.open

    def refuse(name: object, *args: object, **kwargs: object) -> int:
        if str(name) == str(locked.resolve()):
            raise PermissionError(13, "Permission denied")
        return real_open(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    [(name, code, line, level, message)] = findings(entry_dir)
    assert (name, code, line, level, message) == ("locked.md", "unreadable", 1, "error", "cannot read file: Permission denied")


def test_every_code_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for code in CODES:
        assert f"`{code}`" in readme, code


@pytest.mark.parametrize("body", [
    "Please provide the generic name of the medicine you'd like information on. \"Omega-\" is not a complete name.",
    "Please note that \"Chloride\" is a salt, not a medicine. I need the name of the specific medication to help you.",
    "I cannot provide information on a combination of Alpha and Beta. They are separate drugs. "
    "Ask a doctor about each one.",
    "Alpha is a pain killer and Beta is an antibiotic. Taken together they are not a standard product, "
    "so there is nothing more to say about them as a pair.",
])
def test_not_a_leaflet(entry_dir: Path, body: str) -> None:
    write_entry(entry_dir, "odd.md", f"---\ntitle: Odd\n---\n\n# Odd\n{body}\n")
    [(name, code, line, level, message)] = findings(entry_dir)
    assert (name, code, line, level) == ("odd.md", "not-a-leaflet", 6, "error")


def test_refusal_with_only_one_section_is_not_a_leaflet(entry_dir: Path) -> None:
    write_entry(entry_dir, "odd.md", """
        ---
        title: Alpha + Beta
        ---
        Alpha and Beta are not sold together.

        **Potential Uses:** Pain and infection.

        Providing dosage, side effects and precautions is impossible without the exact product.
    """)
    [(_, code, line, _, message)] = findings(entry_dir)
    assert (code, line) == ("not-a-leaflet", 8)
    assert "only 1 leaflet section" in message and "impossible without the exact product" in message


def test_leaflet_per_component_after_a_refusal_is_still_a_leaflet(entry_dir: Path) -> None:
    write_entry(entry_dir, "pair.md", """
        ---
        title: Alpha + Beta
        ---
        I cannot provide information on Alpha and Beta as a single medicine. Here is each one.

        **Alpha**

        * **Usage:** Eases pain.
        * **Side Effects:** Feeling sick.
        * **Precautions:** Not with alcohol.

        **Beta**

        * **Usage:** Treats infection.
        * **Side Effects:** Loose stools.

        **Disclaimer:** Not medical advice.
    """)
    found = codes(entry_dir)
    assert ("pair.md", "not-a-leaflet") not in found
    assert ("pair.md", "requester-text") in found


def test_patient_directed_text_is_not_requester_text(entry_dir: Path) -> None:
    write_entry(entry_dir, "calmol.md", good().replace(
        "Ask a pharmacist if you take other medicines.",
        "Please provide your pharmacist with details of other medicines. What if I cannot find my pack?",
    ))
    assert findings(entry_dir) == []


def test_section_warnings(entry_dir: Path) -> None:
    write_entry(entry_dir, "thin.md", """
        ---
        title: Thin
        ---
        # Thin

        ### Usage
        Eases pain. It is used for headaches.

        ### Precautions

        ### Side effects
        Feeling sick.
    """)
    found = findings(entry_dir)
    assert [(code, line) for _, code, line, _, _ in found] == [
        ("empty-section", 9), ("no-disclaimer", 12),
    ]
    assert "'Precautions' has no text" in found[0][4]
    write_entry(entry_dir, "thin.md", good().replace("### Precautions", "### Storage"))
    [(_, code, line, level, message)] = findings(entry_dir)
    assert (code, line, level) == ("missing-section", 5, "warning")
    assert "'Precautions'" in message


def test_required_sections_come_from_leaflets_toml(tmp_path: Path, entry_dir: Path) -> None:
    (tmp_path / "leaflets.toml").write_text('required_sections = ["usage", "How it works"]\n')
    write_entry(entry_dir, "calmol.md", good())
    [(_, code, _, _, message)] = findings(entry_dir)
    assert code == "missing-section" and "'How it works'" in message


def test_unknown_front_matter_keys(entry_dir: Path) -> None:
    write_entry(entry_dir, "keys.md", good().replace(
        "title: Calmol\n", "title: Calmol\nlayout: minimal\nnav_exclude: true\nnext-review: 2027-01-01\nflavour: mint\n"
    ))
    found = findings(entry_dir)
    assert [(code, line) for _, code, line, _, _ in found] == [("unknown-field", 5), ("unknown-field", 6)]
    assert "'next-review'; did you mean 'next_review'?" in found[0][4]
    assert "'flavour'" in found[1][4] and "did you mean" not in found[1][4]


def test_removed_html_is_named(entry_dir: Path) -> None:
    write_entry(entry_dir, "html.md", good().replace(
        "It also brings down a fever.", "It also brings down a <span>fever</span>. H<sub>2</sub>O.\n\n<div>Boxed</div>"
    ))
    found = findings(entry_dir)
    assert [(code, line) for _, code, line, _, _ in found] == [("html-removed", 8), ("html-removed", 10)]
    assert "<span>" in found[0][4] and "<div>" in found[1][4]


def test_links_inside_the_entry_must_name_a_section(entry_dir: Path) -> None:
    write_entry(entry_dir, "links.md", good().replace(
        "It also brings down a fever.", "It also brings down a fever: see [the precautions](#Precautions) and [more](#elsewhere)."
    ))
    found = findings(entry_dir)
    assert [(code, line) for _, code, line, _, _ in found] == [("broken-link", 8)]
    assert "#elsewhere" in found[0][4]


def test_reading_level_names_grade_and_hardest_section(entry_dir: Path) -> None:
    hard = (
        "Pharmacokinetic considerations necessitate individualised therapeutic monitoring, particularly "
        "regarding hepatic biotransformation, glomerular filtration and concomitant administration of "
        "cytochrome-metabolised pharmaceutical preparations in immunocompromised populations."
    )
    write_entry(entry_dir, "hard.md", good().replace("Do not take more than the dose on the pack.", hard))
    [(_, code, line, level, message)] = findings(entry_dir)
    assert (code, line, level) == ("reading-level", 13, "warning")
    assert "hardest section: 'Precautions'" in message
    grade = float(message.split("reads at grade ")[1].split(" ")[0])
    assert grade > 8


def test_reading_level_counts_list_items_as_sentences() -> None:
    listed = "Common side effects:\n\nHeadache\nFeeling sick\nTiredness\nA rash that itches"
    assert counts(listed).sentences == 5
    simple = reading_level([("Usage", 1, "You take it for pain. It works in an hour. Do not take too much.")])
    assert simple.grade < 4 and simple.hardest is not None and simple.hardest.label == "Usage"


def test_duplicates_across_the_checked_set(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    write_entry(first, "calmol.md", good())
    write_entry(second, "calmol.md", good())
    write_entry(second, "other.md", good("CALMOL"))
    report = check_entries([first, second], Project.load(tmp_path), jobs=1)
    found = [(str(f.path.relative_to(tmp_path)), f.code, f.line, f.level) for f in report.findings]
    assert found == [
        ("two/calmol.md", "duplicate-output", 1, "error"),
        ("two/calmol.md", "duplicate-title", 2, "warning"),
        ("two/other.md", "duplicate-title", 2, "warning"),
    ]


def test_duplicate_titles_match_as_the_booklet_sorts_them(tmp_path: Path) -> None:
    """One rule for sorting and duplicates: "Éfavirenz" and " efavirenz " are the same title to a reader."""
    write_entry(tmp_path / "entries", "a.md", good("Éfavirenz"))
    write_entry(tmp_path / "entries", "b.md", good("efavirenz"))
    write_entry(tmp_path / "entries", "c.md", good("Efavirenz tablets"))
    report = check_entries(None, Project.load(tmp_path), jobs=1)
    duplicates = [(f.path.name, f.message) for f in report.findings if f.code == "duplicate-title"]
    assert len(duplicates) == 1 and duplicates[0][0] == "b.md" and "a.md" in duplicates[0][1]


def test_build_refuses_a_second_entry_for_the_same_output(tmp_path: Path) -> None:
    folder = tmp_path / "entries"
    write_entry(folder, "calmol.md", good())
    write_entry(folder, "calmol.markdown", good("Other"))
    report = build_leaflets([folder], tmp_path / "out", Project.load(tmp_path), BuildOptions(format="html"))
    assert [r.status for r in report.results] == ["built", "failed"]
    assert "same leaflet (calmol.*)" in report.results[1].error


def test_build_refuses_what_check_calls_not_a_leaflet(tmp_path: Path, entry_dir: Path) -> None:
    write_entry(entry_dir, "omega.md", "---\ntitle: Omega-\n---\n\n# Omega-\nPlease provide the full name of the medicine.\n")
    write_entry(entry_dir, "calmol.md", good())
    out = tmp_path / "out"
    report = build_leaflets([entry_dir], out, Project.load(tmp_path), BuildOptions())
    assert [r.status for r in report.results] == ["built", "failed"]
    assert report.results[1].error.startswith(f"{entry_dir / 'omega.md'}:6: error: asks for more information")
    assert not (out / "omega.pdf").exists()


def test_seed_builds_with_a_missing_section_warning(seed: Path) -> None:
    report = check_entries([seed], Project.load(REPO), jobs=1)
    assert report.ok
    assert ("missing-section", "warning") in [(f.code, f.level) for f in report.findings]
    assert not [f for f in report.findings if f.code in ("not-a-leaflet", "bad-front-matter")]


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "leaflets", "check", *args], capture_output=True, text=True, env=env)


def test_text_output_summary_and_exit_status(tmp_path: Path, entry_dir: Path) -> None:
    write_entry(entry_dir, "calmol.md", good())
    clean = run_check(str(entry_dir), "--project", str(tmp_path))
    assert (clean.returncode, clean.stdout) == (0, "")
    assert "1 entry checked" in clean.stderr and "0 with errors, 0 with warnings" in clean.stderr

    write_entry(entry_dir, "thin.md", good("Thin").replace("**Disclaimer:** This sheet is not medical advice. Talk to your doctor.", ""))
    warned = run_check(str(entry_dir), "--project", str(tmp_path))
    assert warned.returncode == 0
    assert warned.stdout == (
        f"{entry_dir / 'thin.md'}:14: warning: no-disclaimer: no '**Disclaimer:**' paragraph; "
        "the default disclaimer from leaflets.toml is printed\n"
    )
    assert "1 with warnings" in warned.stderr and "no-disclaimer  1" in warned.stderr

    strict = run_check(str(entry_dir), "--project", str(tmp_path), "--strict")
    assert strict.returncode == 1
    assert ": error: no-disclaimer: " in strict.stdout

    write_entry(entry_dir, "omega.md", "---\ntitle: Omega-\n---\nPlease provide the full name of the medicine.\n")
    failed = run_check(str(entry_dir), "--project", str(tmp_path), "-q")
    assert failed.returncode == 1 and failed.stderr == ""
    assert f"{entry_dir / 'omega.md'}:4: error: not-a-leaflet: " in failed.stdout


def test_json_output(tmp_path: Path, entry_dir: Path) -> None:
    write_entry(entry_dir, "calmol.md", good())
    write_entry(entry_dir, "omega.md", "---\ntitle: Omega-\n---\nPlease provide the full name of the medicine.\n")
    write_entry(entry_dir, "thin.md", good("Thin").replace("**Disclaimer:** This sheet is not medical advice. Talk to your doctor.", ""))
    result = CliRunner().invoke(main, ["check", str(entry_dir), "--project", str(tmp_path), "--format", "json", "-j", "1"])
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["strict"] is False
    assert [(Path(f["path"]).name, f["line"], f["level"], f["code"]) for f in document["findings"]] == [
        ("omega.md", 4, "error", "not-a-leaflet"),
        ("thin.md", 14, "warning", "no-disclaimer"),
    ]
    summary = document["summary"]
    assert {k: summary[k] for k in ("entries", "with_errors", "with_warnings", "errors", "warnings", "codes")} == {
        "entries": 3, "with_errors": 1, "with_warnings": 1, "errors": 1, "warnings": 1,
        "codes": {"no-disclaimer": 1, "not-a-leaflet": 1},
    }
    strict = json.loads(CliRunner().invoke(main, [
        "check", str(entry_dir), "--project", str(tmp_path), "--format", "json", "--strict", "-j", "1",
    ]).output)
    assert strict["strict"] is True and strict["summary"]["errors"] == 2 and strict["summary"]["warnings"] == 0


@pytest.mark.parametrize("args", [["check", "--format", "xml"], ["check", "--bogus"], ["check", "does/not/exist"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(main, args).exit_code == 2


def test_check_never_imports_weasyprint(entry_dir: Path) -> None:
    write_entry(entry_dir, "calmol.md", good())
    code = (
        "import sys\nfrom leaflets.cli.main import main\n"
        f"try:\n    main(['check', {str(entry_dir)!r}, '-q', '-j', '1'])\nexcept SystemExit:\n    pass\n"
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip() == "False", result.stderr


KNOWN_NON_LEAFLETS = [
    "o/omega.md", "h/hydrochloride.md", "c/cefepime-sulbactam.md", "v/valdecoxib-tizanidine.md",
    "g/gynaecological-products.md", "p/protein.md", "i/iso-amyl.md", "l/linezolid-sulbactam.md",
]


@pytest.mark.corpus
def test_corpus_non_leaflets_flagged_and_leaflets_not(corpus: Path) -> None:
    sample = sorted(corpus.glob("*/*.md"))[::150]
    paths = [corpus / name for name in KNOWN_NON_LEAFLETS] + sample
    report = check_entries(paths, Project.load(REPO), jobs=1)
    flagged = {str(c.source.path.relative_to(corpus)) for c in report.entries if c.count("error")}
    assert flagged == set(KNOWN_NON_LEAFLETS)
    assert len(sample) > 40


@pytest.mark.corpus
@pytest.mark.slow
def test_whole_corpus(corpus: Path) -> None:
    report = check_entries([corpus], Project.load(REPO))
    summary = report.summary()
    assert summary["entries"] >= 6000
    flagged = {str(c.source.path.relative_to(corpus)) for c in report.entries if c.count("error")}
    assert set(KNOWN_NON_LEAFLETS) <= flagged
    assert len(flagged) < summary["entries"] / 100
    assert set(summary["codes"]) <= set(CODES)


def test_review_overdue_and_bad_review_dates(entry_dir: Path) -> None:
    old = good("Oldmol").replace("title: Oldmol", "title: Oldmol\nreviewed: 2019-03-01")
    due = good("Duemol").replace("title: Duemol", "title: Duemol\nreviewed: 2025-06-01\nnext_review: 2025-12-01")
    fresh = good("Newmol").replace("title: Newmol", "title: Newmol\nreviewed: 2025-06-01")
    bad = good("Badmol").replace("title: Badmol", "title: Badmol\nreviewed: last spring")
    for name, text in [("old.md", old), ("due.md", due), ("fresh.md", fresh), ("bad.md", bad)]:
        write_entry(entry_dir, name, text)
    found = {(name, code): (line, level, message) for name, code, line, level, message in findings(entry_dir)}
    assert found[("old.md", "review-overdue")][:2] == (3, "warning")
    assert "2022-03-01" in found[("old.md", "review-overdue")][2]
    assert found[("due.md", "review-overdue")][:2] == (4, "warning")
    assert not any(name == "fresh.md" for name, _ in found)
    assert found[("bad.md", "bad-front-matter")][:2] == (3, "error")


def reviewed(text: str, day: str) -> str:
    """``text`` (a GOOD entry) with ``reviewed: day`` in its front matter, on line 3."""
    return text.replace("\n---\n", f"\nreviewed: {day}\n---\n", 1)


def test_no_review_date_is_silent_by_default(entry_dir: Path) -> None:
    write_entry(entry_dir, "unreviewed.md", good())
    assert findings(entry_dir) == []
    (entry_dir.parent / "leaflets.toml").write_text("require_review = false\n")
    assert findings(entry_dir) == []


def test_no_review_date_warns_when_the_project_requires_reviews(tmp_path: Path, entry_dir: Path) -> None:
    (tmp_path / "leaflets.toml").write_text("require_review = true\n")
    os.utime(write_entry(entry_dir, "unreviewed.md", good("Unmol")), (1_700_000_000, 1_700_000_000))
    write_entry(entry_dir, "reviewed.md", reviewed(good("Revmol"), "2025-10-01"))
    message = (
        "no 'reviewed' date in the front matter, which require_review asks for; the leaflet prints the day it "
        "was last updated, 2023-11-14 (the file's modification date), not a review date"
    )
    assert findings(entry_dir) == [("unreviewed.md", "no-review-date", 1, "warning", message)]
    assert findings(entry_dir, strict=True)[0][1:4] == ("no-review-date", 1, "error")

    warned = run_check(str(entry_dir), "--project", str(tmp_path))
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert warned.stdout == f"{entry_dir / 'unreviewed.md'}:1: warning: no-review-date: {message}\n"
    assert "no-review-date  1" in warned.stderr
    strict = run_check(str(entry_dir), "--project", str(tmp_path), "--strict")
    assert strict.returncode == 1
    assert strict.stdout.startswith(f"{entry_dir / 'unreviewed.md'}:1: error: no-review-date: ")


def test_build_is_not_stopped_by_no_review_date(tmp_path: Path, entry_dir: Path) -> None:
    (tmp_path / "leaflets.toml").write_text("require_review = true\n")
    write_entry(entry_dir, "unreviewed.md", good())
    report = build_leaflets([entry_dir], tmp_path / "out", Project.load(tmp_path), BuildOptions(), jobs=1)
    assert report.ok and (tmp_path / "out" / "unreviewed.pdf").is_file()


def test_review_overdue_says_whether_the_date_is_a_review_or_an_update(tmp_path: Path, entry_dir: Path) -> None:
    write_entry(entry_dir, "old.md", reviewed(good("Oldmol"), "2019-03-01"))
    os.utime(write_entry(entry_dir, "stale.md", good("Stalemol")), (1_500_000_000, 1_500_000_000))  # 2017-07-14
    (tmp_path / "leaflets.toml").write_text("require_review = true\n")
    found = {(name, code): (line, message) for name, code, line, _, message in findings(entry_dir)}
    assert found[("old.md", "review-overdue")] == (3, "last reviewed 2019-03-01; the next review was due 2022-03-01")
    assert found[("stale.md", "review-overdue")] == (1, (
        "never reviewed (no 'reviewed' date); last updated 2017-07-14 (the file's modification date); "
        "a review was due 2020-07-14"
    ))
    assert ("old.md", "no-review-date") not in found and ("stale.md", "no-review-date") in found


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('require_review = "yes"\n', "key 'require_review' must be true or false, not str"),
        ("require_review = 1\n", "key 'require_review' must be true or false, not int"),
        ("max_reading_grade = true\n", "key 'max_reading_grade' must be a number, not bool"),
    ],
)
def test_require_review_is_a_boolean(tmp_path: Path, entry_dir: Path, text: str, fragment: str) -> None:
    (tmp_path / "leaflets.toml").write_text(text)
    write_entry(entry_dir, "calmol.md", good())
    result = run_check(str(entry_dir), "--project", str(tmp_path))
    assert result.returncode != 0
    assert f"{tmp_path / 'leaflets.toml'}: error: {fragment}" in result.stderr + result.stdout
