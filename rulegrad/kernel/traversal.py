"""Iterative graph traversal: no recursion, so graphs of any depth can be walked."""

from __future__ import annotations

from collections.abc import Iterable

from rulegrad.kernel.nodes import Value
from rulegrad.kernel.tags import Tag

__all__ = ["toposort"]


def toposort(roots: Iterable[Value], tag: Tag) -> list[Value]:
    """The `Value`s of `tag` reachable from `roots`, each after all of its inputs.

    Nodes of other tags are constants at this level and are not entered.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        # Each frame is a node and an iterator over its inputs, resumed after each child.
        stack = [(root, iter(root._inputs))]
        while stack:
            node, inputs = stack[-1]
            for child in inputs:
                if type(child) is Value and child._tag is tag and child not in seen:
                    seen.add(child)
                    stack.append((child, iter(child._inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order
