"""Iterative graph traversal: no recursion, so graphs of any depth can be walked.

The order comes from counting each node's users first (Kahn's algorithm): no frame, tuple
or iterator is made per node, so the walk allocates nothing the cyclic garbage collector
would scan, and its cost per node stays flat however large the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rulegrad.kernel.nodes import MANY, Value
from rulegrad.kernel.tags import Tag

__all__ = ["count_users", "release", "toposort", "users_first"]


def count_users(roots: Iterable[Value], tag: Tag) -> tuple[dict[Value, int], list[Value]]:
    """The `Value`s of `tag` reachable from `roots`, each with how many edges from reachable
    nodes lead to it; and the roots, once each. Nodes of other tags are constants at this
    level and are not entered."""
    users: dict[Value, int] = {}
    stack: list[Value] = []
    for root in roots:
        if root not in users:
            users[root] = 0
            stack.append(root)
    starts = list(stack)
    found = stack.append
    count = users.get
    while stack:
        node = stack.pop()
        a = node._a
        b = node._b
        # The inputs of one- and two-input nodes are read from their slots, not a tuple.
        if b is MANY:
            for x in a:  # type: ignore[attr-defined]
                if type(x) is Value and x._tag is tag:
                    n = count(x)
                    if n is None:
                        users[x] = 1
                        found(x)
                    else:
                        users[x] = n + 1
            continue
        if type(a) is Value and a._tag is tag:
            n = count(a)
            if n is None:
                users[a] = 1
                found(a)
            else:
                users[a] = n + 1
        if type(b) is Value and b._tag is tag:
            n = count(b)
            if n is None:
                users[b] = 1
                found(b)
            else:
                users[b] = n + 1
    return users, starts


def release(node: Value, tag: Tag, users: dict[Value, int], ready: Callable[[Value], None]) -> None:
    """Count `node` as done for each of its inputs of `tag`; `ready(x)` for those with no
    user left to wait for."""
    a = node._a
    b = node._b
    if b is MANY:
        for x in a:  # type: ignore[attr-defined]
            if type(x) is Value and x._tag is tag:
                left = users[x] - 1
                users[x] = left
                if not left:
                    ready(x)
        return
    if type(a) is Value and a._tag is tag:
        left = users[a] - 1
        users[a] = left
        if not left:
            ready(a)
    if type(b) is Value and b._tag is tag:
        left = users[b] - 1
        users[b] = left
        if not left:
            ready(b)


def users_first(roots: Iterable[Value], tag: Tag) -> list[Value]:
    """The `Value`s of `tag` reachable from `roots`, each before all of its inputs.

    This is the order of a backward pass (`rulegrad.modes.reverse` walks the same way).
    """
    users, starts = count_users(roots, tag)
    order: list[Value] = []
    ready = [root for root in starts if users[root] == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        release(node, tag, users, ready.append)
    return order


def toposort(roots: Iterable[Value], tag: Tag) -> list[Value]:
    """The `Value`s of `tag` reachable from `roots`, each after all of its inputs."""
    order = users_first(roots, tag)
    order.reverse()
    return order
