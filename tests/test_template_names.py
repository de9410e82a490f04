"""Every name the code looks for in the templates is in the built-in templates and documented."""

from __future__ import annotations

import re

import pytest

from leaflets.project import template_names
from leaflets.project.project import default_resource_dir

TEMPLATES = default_resource_dir() / "templates"


def template_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(TEMPLATES.rglob("*.html")))


def class_tokens(text: str) -> set[str]:
    """Every word inside a class attribute, Jinja expressions left out."""
    tokens: set[str] = set()
    for value in re.findall(r'class="([^"]*)"', text):
        tokens.update(re.sub(r"\{[{%].*?[%}]\}", " ", value).split())
    return tokens


@pytest.mark.parametrize("name", template_names.CLASS_NAMES)
def test_class_names_are_in_the_templates(name: str) -> None:
    assert name in class_tokens(template_text())


@pytest.mark.parametrize("name", template_names.ATTRIBUTES)
def test_attributes_are_in_the_templates(name: str) -> None:
    assert re.search(rf"\s{re.escape(name)}=", template_text())


@pytest.mark.parametrize("name", template_names.IDS)
def test_ids_are_in_the_templates(name: str) -> None:
    assert f'id="{name}"' in template_text()


def test_every_name_is_documented_and_declared() -> None:
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    names = template_names.CLASS_NAMES + template_names.ATTRIBUTES + template_names.IDS
    declared = {value for key, value in vars(template_names).items() if key.isupper() and isinstance(value, str)}
    assert declared == set(names), "a name declared but left out of CLASS_NAMES / ATTRIBUTES / IDS"
    for name in names:
        assert f"{name}" in readme, f"{name} is not in templates/README.md"


def test_contents_page_stamp_class_follows_the_kind() -> None:
    """The contents numbers are stamped with class stamp-<kind>; the kind is CONTENTS_PAGE."""
    stamp = (TEMPLATES / "booklet" / "stamp.html").read_text(encoding="utf-8")
    assert 'class="stamp stamp-{{ row.stamp.kind }} ' in stamp
