"""Nested structures (`keras.tree`): flatten, map and rebuild lists, tuples, namedtuples and dicts.

Nodes are `list`, `tuple`, namedtuples, `dict` (children in sorted key order), `OrderedDict` and
`defaultdict` (insertion / sorted order) and `deque`; everything else, `None` included, is a leaf.
A path is the tuple of indices and keys leading to a leaf.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]


class MAP_TO_NONE:  # noqa: N801 (Keras's name)
    """Returned by a `traverse` function to put `None` in place of the visited structure."""


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def is_nested(structure: Any) -> bool:
    """Whether `structure` is a node (list, tuple, namedtuple, dict, deque), not a leaf."""
    return isinstance(structure, (list, tuple, dict, collections.deque))


def _keys(node: Any) -> list:
    """The keys of `node`'s children, in the order they are flattened."""
    if isinstance(node, dict):
        if type(node) is collections.OrderedDict:
            return list(node)
        try:
            return sorted(node)
        except TypeError:
            return list(node)
    return list(range(len(node)))


def _children(node: Any) -> list:
    return [node[key] for key in _keys(node)] if isinstance(node, dict) else list(node)


def _rebuild(node: Any, children: list) -> Any:
    """A node like `node` holding `children` (given in flattening order)."""
    if isinstance(node, dict):
        by_key = dict(zip(_keys(node), children))
        items = [(key, by_key[key]) for key in node]  # the original key order
        if isinstance(node, collections.defaultdict):
            return collections.defaultdict(node.default_factory, items)
        return type(node)(items)
    if _is_namedtuple(node):
        return type(node)(*children)
    return type(node)(children)


def _describe(node: Any) -> str:
    return "a namedtuple" if _is_namedtuple(node) else f"{type(node).__name__}"


def _check_node(reference: Any, other: Any) -> None:
    """`other` is a node of the same type, length and keys as `reference`."""
    same_kind = type(other) is type(reference) or (
        isinstance(reference, dict) and isinstance(other, dict) and not _is_namedtuple(other)
    )
    if not same_kind:
        raise ValueError(
            f"Node type mismatch; expected {_describe(reference)}, but got {_describe(other)} ({other!r})."
        )
    if isinstance(reference, dict):
        if set(reference) != set(other):
            missing, extra = set(reference) - set(other), set(other) - set(reference)
            raise ValueError(f"Node keys mismatch; missing key(s): {missing}; extra key(s): {extra}.")
    elif len(reference) != len(other):
        raise ValueError(f"Node arity mismatch; expected {len(reference)}, but got {len(other)}.")


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """`(path, leaf)` pairs of every leaf of `structure`, in flattening order."""
    found: list[tuple[tuple, Any]] = []

    def visit(node: Any, path: tuple) -> None:
        if not is_nested(node):
            found.append((path, node))
            return
        for key, child in zip(_keys(node), _children(node)):
            visit(child, (*path, key))

    visit(structure, ())
    return found


def flatten(structure: Any) -> list:
    """The leaves of `structure` in order (dict values by sorted key); a leaf gives `[leaf]`."""
    return [leaf for _, leaf in flatten_with_path(structure)]


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """Applies `func` to the matching leaves of `structures` (same nesting) and rebuilds the first's
    structure. With `none_is_leaf=False`, `None` entries stay `None` without calling `func`."""
    return _map(func, structures, none_is_leaf, leaves_must_match=True)


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """Like `map_structure`, but only down to the leaves of `shallow_structure`: `func` receives
    the (possibly nested) values of `structures` found there."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map(lambda _, *values: func(*values), (shallow_structure, *structures), True, False)


def _map(func: Callable, structures: tuple, none_is_leaf: bool, leaves_must_match: bool) -> Any:
    """Walks `structures` along the first one; where it has a leaf, the others must too when
    `leaves_must_match`, else their subtrees are passed to `func` whole."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def visit(nodes: tuple) -> Any:
        first = nodes[0]
        if first is None and not none_is_leaf:
            return None
        if not is_nested(first):
            if leaves_must_match and any(is_nested(other) for other in nodes[1:]):
                raise ValueError("Structures don't have the same nested structure.")
            return func(*nodes)
        for other in nodes[1:]:
            _check_node(first, other)
        keys = _keys(first)
        columns = zip(*([node[key] for key in keys] if isinstance(node, dict) else node for node in nodes))
        return _rebuild(first, [visit(column) for column in columns])

    return visit(structures)


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Raises `ValueError` unless `a` and `b` nest the same way (same node types and keys).

    `check_types` is accepted for compatibility and ignored (deprecated in Keras).
    """

    map_structure(lambda *_: None, a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raises `ValueError` unless `a` and `b` have the same set of leaf paths (types may differ)."""
    paths_a = {path for path, _ in flatten_with_path(a)}
    paths_b = {path for path, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        message = "`a` and `b` don't have the same paths."
        if paths_a - paths_b:
            message += f"\nPaths in `a` missing in `b`:\n{paths_a - paths_b}"
        if paths_b - paths_a:
            message += f"\nPaths in `b` missing in `a`:\n{paths_b - paths_a}"
        raise ValueError(message)


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """Rebuilds `structure` with the leaves of `flat_sequence`, taken in flattening order."""
    flat = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat) != expected:
        raise ValueError(
            f"`flat_sequence` has {len(flat)} items but `structure` holds {expected} leaves. "
            f"Received: structure={structure!r}"
        )
    leaves = iter(flat)

    def build(node: Any) -> Any:
        if not is_nested(node):
            return next(leaves)
        return _rebuild(node, [build(child) for child in _children(node)])

    return build(structure)


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Visits every node and leaf of `structure`, replacing each by `func`'s result.

    Top-down, `func(node)` returning `None` means "descend into it", anything else replaces the
    node (not descended into); bottom-up, children are visited first and `None` keeps the node.
    Return `MAP_TO_NONE` to put an actual `None` in its place.
    """

    def children_done(node: Any) -> Any:
        if not is_nested(node):
            return node
        return _rebuild(node, [traverse(func, child, top_down) for child in _children(node)])

    if top_down:
        result = func(structure)
        if result is None:
            return children_done(structure)
    else:
        structure = children_done(structure)
        result = func(structure)
        if result is None:
            return structure
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure: Any) -> Any:
    """Every list in `structure` becomes a tuple."""
    return traverse(lambda node: tuple(node) if isinstance(node, list) else None, structure, top_down=False)


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """`map_structure` that treats shape-like tuples/lists (of ints and `None`) as leaves."""

    def is_shape(value: Any) -> bool:
        return isinstance(value, (list, tuple)) and all(isinstance(d, (int, type(None))) for d in value)

    def visit(node: Any) -> Any:
        if is_shape(node) or not is_nested(node):
            return func(node)
        return _rebuild(node, [visit(child) for child in _children(node)])

    return visit(structure)
