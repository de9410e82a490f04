"""The package's shape: stages import one way, and the cheap parts stay cheap to import.

Stages, lowest first (README "Development"): source < project < check < html <
layout < pdf < render < build < booklet < serve < cli, doctor. A module may import its
own stage, a lower one, or the shared top-level modules (errors, clock,
parallel); never a higher stage, not even inside a function.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import leaflets

PACKAGE = Path(leaflets.__file__).resolve().parent
STAGES: tuple[tuple[str, ...], ...] = (
    ("source",), ("project",), ("check",), ("html",), ("layout",), ("pdf",), ("render",), ("build",), ("booklet",), ("serve",),
    ("cli", "doctor"),
)
SHARED = {"leaflets", "leaflets.errors", "leaflets.clock", "leaflets.parallel", "leaflets.files"}
"""Top-level modules every stage may use; they import no stage themselves."""
HEAVY = ("weasyprint", "leaflets.render", "leaflets.layout", "leaflets.pdf")


def stage_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "leaflets" or len(parts) < 2:
        return None
    return next((rank for rank, names in enumerate(STAGES) if parts[1] in names), None)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (top level, in functions, under TYPE_CHECKING), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, f"<relative import of level {node.level}>"))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "_defaults" not in p.parts)
STAGED = [module_name(p) for p in MODULES if stage_of(module_name(p)) is not None and not module_name(p).endswith("__main__")]


def test_every_module_has_a_stage_or_is_shared() -> None:
    unplaced = [module_name(p) for p in MODULES if stage_of(module_name(p)) is None
                and module_name(p) not in SHARED | {"leaflets.__main__"}]
    assert not unplaced, f"modules outside every stage (add them to a stage folder or SHARED): {unplaced}"


def test_no_module_imports_a_higher_stage() -> None:
    wrong = []
    for path in MODULES:
        name = module_name(path)
        if name in ("leaflets", "leaflets.__main__"):
            continue  # the lazy public API and the entry point sit above every stage
        mine = stage_of(name)
        for line, target in imported_modules(path):
            assert not target.startswith("<relative"), f"{path}:{line}: use absolute imports"
            theirs = stage_of(target)
            if theirs is None:
                continue
            if mine is None or theirs > mine:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name} imports {target}")
    assert not wrong, "imports that run against the pipeline:\n" + "\n".join(wrong)


def test_the_static_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The checker above is not vacuous: a source module importing render is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from leaflets.render.leaflet import LeafletRenderer\n")
    assert (2, "leaflets.render.leaflet") in imported_modules(sample)
    assert stage_of("leaflets.render.leaflet") > stage_of("leaflets.source.entry")  # type: ignore[operator]


WATCHED = ("textstat", "jinja2", *HEAVY)


def loaded_after_import(modules: list[str]) -> dict[str, list[str]]:
    """For each module, which of WATCHED importing it alone, in a fresh interpreter, loads."""
    code = (
        "import importlib, json, sys\n"
        "importlib.import_module(sys.argv[1])\n"
        f"print(json.dumps([name for name in {WATCHED!r} if name in sys.modules]))\n"
    )
    return {
        module: json.loads(subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True,
                                          check=True).stdout)
        for module in modules
    }


LOW = sorted(m for m in STAGED if m.split(".")[1] in ("source", "check", "project", "build"))


def test_low_stages_load_no_rendering() -> None:
    """Nothing in source/, check/, project/ or build/ loads WeasyPrint or the rendering stages at import time."""
    assert "leaflets.source.entry" in LOW and "leaflets.build.builder" in LOW
    loaded = loaded_after_import(LOW)
    heavy = {module: [m for m in found if m in HEAVY] for module, found in loaded.items()}
    assert heavy == {module: [] for module in LOW}


def test_rules_do_not_load_the_readability_dictionary() -> None:
    loaded = loaded_after_import(["leaflets.check.rules", "leaflets.render.leaflet"])
    assert "textstat" not in loaded["leaflets.check.rules"]
    assert "textstat" not in loaded["leaflets.render.leaflet"], "rendering must not load textstat"


def test_import_leaflets_is_cheap() -> None:
    code = "import sys, leaflets; print(sorted(m for m in sys.modules if m.startswith(('weasyprint', 'jinja2', 'textstat', 'leaflets.'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize("name", [n for n in leaflets.__all__ if n != "__version__"])
def test_public_api_names_resolve(name: str) -> None:
    value = getattr(leaflets, name)
    assert getattr(value, "__name__", name) == name
    assert name in dir(leaflets)


def test_public_api_in_a_fresh_interpreter() -> None:
    code = (
        "import sys\n"
        "from leaflets import build_leaflets, build_booklet, check_entries, Project, BuildOptions, BookletOptions, LeafletError\n"
        "assert issubclass(LeafletError, Exception) and callable(build_leaflets)\n"
        "import leaflets\n"
        "try:\n    leaflets.no_such_name\nexcept AttributeError as exc:\n    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "no attribute 'no_such_name'" in result.stdout
