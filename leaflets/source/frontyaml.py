"""Front matter YAML read safely: no tags beyond plain data, and no alias bombs.

A few hundred bytes of YAML can expand to millions of items through anchors
and aliases (``a: &a [x, x]``, ``b: &b [*a, *a]`` ...), and an entry is
untrusted. :func:`load_front_matter` refuses front matter that uses more than
:data:`MAX_ALIASES` aliases, nests deeper than :data:`MAX_DEPTH`, or whose
value would expand to more than :data:`MAX_NODES` items, before anything is
built from it; a recursive alias (``&a [*a]``) is refused too.

Front matter without ``&`` or ``*`` cannot hold an alias, and is read by
libyaml's fast loader; the rest goes through :class:`CountingLoader`.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_ALIASES = 100
"""More aliases than any real entry needs (they use none)."""
MAX_NODES = 10_000
"""Items (keys, values, list members) the front matter may expand to, aliases followed."""
MAX_DEPTH = 32
"""Nesting of lists and mappings."""

_FastLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterTooLarge(yaml.YAMLError):
    """Front matter that would expand past the limits; ``line`` is 0-based like a YAML mark."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


class CountingLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting aliases and depth while the node graph is composed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise FrontMatterTooLarge(f"more than {MAX_ALIASES} YAML aliases", mark.line)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise FrontMatterTooLarge(f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark.line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def expanded_size(root: Node) -> int:
    """How many nodes ``root`` stands for with every alias expanded; stops counting past the limit.

    Shared nodes are counted once per reference (that is what a consumer walks);
    a node that contains itself is refused.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    # Iterative post-order walk: the graph may be deep, and Python's stack is not.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if children_done:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[key] = min(total, MAX_NODES + 1)
            continue
        if key in in_progress:
            raise FrontMatterTooLarge("a YAML alias refers to the value that contains it", node.start_mark.line)
        in_progress.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in in_progress:
                raise FrontMatterTooLarge("a YAML alias refers to the value that contains it", child.start_mark.line)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _depth(data: Any) -> int:
    """How deeply lists and mappings nest in ``data`` (no aliases: a tree), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def load_front_matter(text: str) -> Any:
    """The data in ``text``, as ``yaml.safe_load`` gives it, within the limits above.

    Raises :class:`FrontMatterTooLarge` past a limit and ``yaml.YAMLError`` for
    malformed YAML (``ValueError`` for an impossible date, as PyYAML does).
    """
    if "&" not in text and "*" not in text and text.count("[") + text.count("{") <= MAX_DEPTH:
        try:
            data = yaml.load(text, Loader=_FastLoader)
        except RecursionError:
            raise FrontMatterTooLarge(f"nested deeper than {MAX_DEPTH} levels") from None
        if _depth(data) > MAX_DEPTH:
            raise FrontMatterTooLarge(f"nested deeper than {MAX_DEPTH} levels")
        return data
    loader = CountingLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise FrontMatterTooLarge(f"nested deeper than {MAX_DEPTH} levels") from None
        if node is None:
            return None
        if expanded_size(node) > MAX_NODES:
            raise FrontMatterTooLarge(f"it expands to more than {MAX_NODES:,} values through YAML aliases", 0)
        return loader.construct_document(node)
    finally:
        loader.dispose()

