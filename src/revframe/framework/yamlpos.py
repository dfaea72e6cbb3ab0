"""Positions of spec values in the YAML text: a path like ``("handoffs", 0, "sla", "unit")`` -> line:col.

The loader composes the YAML into a node tree (libyaml through ruamel.yaml's C extension when it is
installed: about ten times faster than the round-trip loader on the default spec, which matters
because every command and test loads the spec) and keeps it next to the data. Every node carries
its 0-based start line and column; positions reported here are 1-based.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

PathItem = str | int
Path = tuple[PathItem, ...]

_NAME_KEYS = ("id", "term", "decision")


@dataclass(frozen=True)
class Position:
    """Where a path points: 1-based line and column, and the path as a reader would write it."""

    line: int
    column: int
    path: str


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line, node.start_mark.column


def _entry(node: MappingNode, key: Any) -> tuple[Node, Node] | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == str(key):
            return k, v
    return None


def _item_name(item: Node, index: int) -> str:
    if isinstance(item, MappingNode):
        for name in _NAME_KEYS:
            found = _entry(item, name)
            if found and isinstance(found[1], ScalarNode) and found[1].value:
                return str(found[1].value)
    return str(index)


class Locator:
    """Finds the YAML position of a path in a composed YAML document."""

    def __init__(self, root: Node) -> None:
        self.root = root

    def find(self, path: Sequence[Any], *, key: bool = False) -> Position:
        """Return the position of ``path``.

        Elements that do not resolve (union tags from pydantic, or a key that is missing) are
        skipped; a missing last key points at the key that holds its mapping. Containers point at
        the key that names them (or their list item); scalars point at the value itself.

        Args:
            path: keys and list indexes from the document root; ``"[key]"`` means "the key itself".
            key: point at the last key rather than its value (for unknown or misspelled keys).
        """
        node: Node = self.root
        holder = current = _mark(node)  # holder: the key or item that names the current node
        names: list[str] = []
        missing_last = False
        items = list(path)
        if items and items[-1] == "[key]":
            items, key = items[:-1], True
        for i, el in enumerate(items):
            last = i == len(items) - 1
            found = _entry(node, el) if isinstance(node, MappingNode) else None
            if found is not None:
                knode, child = found
                names.append(f".{el}" if names else str(el))
                holder = _mark(knode)
                container = isinstance(child, MappingNode | SequenceNode)
                current = holder if (last and key) or container else _mark(child)
                node = child
            elif isinstance(node, SequenceNode) and isinstance(el, int) and 0 <= el < len(node.value):
                child = node.value[el]
                names.append(f"[{_item_name(child, el)}]")
                holder = current = _mark(child)
                node = child
            elif last and isinstance(el, str) and not el.startswith("<"):
                missing_last = True  # reported at the key holding its mapping; the path stays the parent's
        line, col = holder if missing_last else current
        return Position(line + 1, col + 1, "".join(names) or "spec")


def show_value(value: Any, limit: int = 80) -> str | None:
    """Render an offending value for a Problem: scalars as written, lists compactly, mappings omitted."""
    if isinstance(value, dict):
        return None
    if isinstance(value, str):
        text = value if value.strip() else repr(value)
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, date | datetime):
        text = value.isoformat()
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
