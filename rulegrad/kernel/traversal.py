"""Iterative graph traversal: no recursion, so graphs of any depth can be walked.

The order comes from counting each node's users first (Kahn's algorithm): no frame, tuple
or iterator is made per node, so the walk allocates nothing the cyclic garbage collector
would scan, and its cost per node stays flat however large the graph.
"""

from __future__ import annotations

from collections.abc import Iterable

from rulegrad.kernel.nodes import MANY, Value
from rulegrad.kernel.tags import Tag

__all__ = ["toposort", "users_first"]


def users_first(roots: Iterable[Value], tag: Tag) -> list[Value]:
    """The `Value`s of `tag` reachable from `roots`, each before all of its inputs.

    This is the order of a backward pass. Nodes of other tags are constants at this level
    and are not entered.
    """
    users: dict[Value, int] = {}  # node -> how many edges from reachable nodes lead to it
    stack: list[Value] = []
    for root in roots:
        if root not in users:
            users[root] = 0
            stack.append(root)
    starts = list(stack)
    found = stack.append
    while stack:
        node = stack.pop()
        a = node._a
        b = node._b
        # The inputs of one- and two-input nodes are read from their slots, not a tuple.
        if b is MANY:
            for x in a:  # type: ignore[attr-defined]
                if type(x) is Value and x._tag is tag:
                    if x in users:
                        users[x] += 1
                    else:
                        users[x] = 1
                        found(x)
            continue
        if type(a) is Value and a._tag is tag:
            if a in users:
                users[a] += 1
            else:
                users[a] = 1
                found(a)
        if type(b) is Value and b._tag is tag:
            if b in users:
                users[b] += 1
            else:
                users[b] = 1
                found(b)
    order: list[Value] = []
    ready = [root for root in starts if users[root] == 0]
    take = ready.append
    while ready:
        node = ready.pop()
        order.append(node)
        a = node._a
        b = node._b
        if b is MANY:
            for x in a:  # type: ignore[attr-defined]
                if type(x) is Value and x._tag is tag:
                    left = users[x] - 1
                    users[x] = left
                    if not left:
                        take(x)
            continue
        if type(a) is Value and a._tag is tag:
            left = users[a] - 1
            users[a] = left
            if not left:
                take(a)
        if type(b) is Value and b._tag is tag:
            left = users[b] - 1
            users[b] = left
            if not left:
                take(b)
    return order


def toposort(roots: Iterable[Value], tag: Tag) -> list[Value]:
    """The `Value`s of `tag` reachable from `roots`, each after all of its inputs."""
    order = users_first(roots, tag)
    order.reverse()
    return order
