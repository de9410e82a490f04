"""pyproject.toml tells the truth: every package imported is declared, every sdist path exists."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import leaflets

ROOT = Path(leaflets.__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OPTIONAL_EXTRAS = {"dask", "locales"}
"""Extras a module may import behind an ImportError that tells the user to install them (dask: --dask, imported only then;
locales: Babel, used when installed, else the frozen CLDR of leaflets/locale/cldr.json)."""


def top_level_imports() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "leaflets").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"leaflets", "__future__"}


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-") for requirement in requirements}


def test_every_imported_package_is_declared() -> None:
    declared = requirement_names(PYPROJECT["project"]["dependencies"])
    for extra in OPTIONAL_EXTRAS & set(PYPROJECT["project"].get("optional-dependencies", {})):
        declared |= requirement_names(PYPROJECT["project"]["optional-dependencies"][extra])
    distributions = packages_distributions()
    missing = {}
    for module in sorted(top_level_imports()):
        names = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(names)
    assert not missing, f"imported but not declared in [project] dependencies: {missing}"


def test_sdist_lists_only_paths_that_exist() -> None:
    listed = PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    assert [path for path in listed if not (ROOT / path).exists()] == []
