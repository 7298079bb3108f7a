"""Walking sympy expressions as DAGs: every distinct node once, children first, no recursion.

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> e = x
>>> for _ in range(60):            # 2^60 paths, 180 distinct nodes
...     e = (e + 1) * (e + 2)
>>> sorted(names_by_node(e)[id(e)]), len(list(post_order(e))) < 200
(['x'], True)

sympy's own ``free_symbols``, ``atoms`` and ``preorder_traversal`` follow every path of a shared
expression (exponential time on the DAG above) and recurse (a RecursionError on deep ones); the
compiler uses these instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp


def post_order(expr: sp.Basic) -> Iterator[sp.Basic]:
    """Every distinct sub-expression of ``expr`` (by identity), each after its arguments."""
    done: set[int] = set()
    stack: list[tuple[sp.Basic, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in done:
            continue
        if ready or not node.args:
            done.add(id(node))
            yield node
            continue
        stack.append((node, True))
        stack.extend((arg, False) for arg in node.args if id(arg) not in done)


def names_by_node(expr: sp.Basic) -> dict[int, frozenset[str]]:
    """id(node) -> the names of the Symbols below it, for every node of ``expr`` (empty: a constant)."""
    names: dict[int, frozenset[str]] = {}
    for node in post_order(expr):
        if isinstance(node, sp.Symbol):
            names[id(node)] = frozenset((node.name,))
        else:
            names[id(node)] = frozenset().union(*(names[id(a)] for a in node.args))
    return names


def short_text(expr, limit: int = 80) -> str:
    """``str(expr)`` cut to ``limit`` characters, without printing a huge (or exponentially shared) tree first."""
    if isinstance(expr, sp.Basic):
        size: dict[int, int] = {}
        for node in post_order(expr):
            size[id(node)] = min(1 + sum(size[id(a)] for a in node.args), 10**6)
        if size[id(expr)] > 4 * limit:
            head = str(expr.func.__name__) if not isinstance(expr, sp.Symbol) else expr.name
            return f"{head}(...) ({size[id(expr)]:,}{'+' if size[id(expr)] >= 10**6 else ''} nodes)"
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."
