"""keras.tree: same leaves, paths, rebuilt structures and errors as Keras's.

The reference is Keras's optree implementation (the one its TensorFlow and JAX backends use): its
torch-backend tree numbers namedtuple fields by sorted name in paths and leaves dicts nested in a
dict unsorted, against Keras's documented sorted-key order.
"""

import collections

import numpy as np
import pytest

from torchkeras import tree

Point = collections.namedtuple("Point", ["b", "a"])

STRUCTURES = [
    5,
    None,
    [],
    {},
    [1, [2, (3, None)]],
    {
        "b": [1, (2, None)],
        "a": Point(3, {"z": 4, "y": 5}),
        "c": collections.OrderedDict([("q", 6), ("p", 7)]),
    },
    collections.defaultdict(int, {"b": 1, "a": [2, 3]}),
    collections.deque([1, [2]]),
    {1, 2},
    (np.zeros(2), "text"),
]


@pytest.fixture
def keras(keras, monkeypatch):
    pytest.importorskip("optree")
    from keras.src.tree import optree_impl, tree_api

    monkeypatch.setattr(tree_api, "tree_impl", optree_impl)
    return keras


def _same(ours, theirs):
    assert type(ours) is type(theirs)
    if isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_flatten_paths_map_pack_equal_keras(keras, structure):
    assert repr(tree.flatten(structure)) == repr(keras.tree.flatten(structure))
    assert repr(tree.flatten_with_path(structure)) == repr(keras.tree.flatten_with_path(structure))
    assert tree.is_nested(structure) == keras.tree.is_nested(structure)

    def tag(x):
        return ("leaf", x) if not isinstance(x, np.ndarray) else x

    _same(tree.map_structure(tag, structure), keras.tree.map_structure(tag, structure))
    flat = list(range(len(keras.tree.flatten(structure))))
    _same(tree.pack_sequence_as(structure, flat), keras.tree.pack_sequence_as(structure, flat))
    _same(tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))
    _same(tree.map_shape_structure(tag, structure), keras.tree.map_shape_structure(tag, structure))


PAIRS = [
    ([1, 2], (1, 2)),
    ({"a": 1}, collections.OrderedDict(a=1)),
    (Point(1, 2), (1, 2)),
    ([1, [2]], [1, 3]),
    ([1, 3], [1, [2]]),
    ({"a": 1}, {"b": 1}),
    ([1, 2], [1, 2, 3]),
    (None, 1),
    ([None], [[1]]),
    ({"a": [1, (2, 3)]}, {"a": [4, (5, 6)]}),
]


@pytest.mark.parametrize("a, b", PAIRS, ids=range(len(PAIRS)))
def test_structure_checks_agree_with_keras(keras, a, b):
    for ours, theirs in [
        (lambda: tree.assert_same_structure(a, b), lambda: keras.tree.assert_same_structure(a, b)),
        (
            lambda: tree.map_structure(lambda x, y: (x, y), a, b),
            lambda: keras.tree.map_structure(lambda x, y: (x, y), a, b),
        ),
        (lambda: tree.assert_same_paths(a, b), lambda: keras.tree.assert_same_paths(a, b)),
    ]:
        try:
            expected = theirs()
        except ValueError:
            with pytest.raises(ValueError):
                ours()
        else:
            _same(ours(), expected)


def test_map_structure_up_to_traverse_and_multi_structures(keras):
    shallow, deep = [1, {"a": 2}], [[5, 6], {"a": (7, 8)}]
    _same(tree.map_structure_up_to(shallow, len, deep), keras.tree.map_structure_up_to(shallow, len, deep))
    data = [1, [2, 3], (4, [5])]
    for func in [
        lambda x: tree.MAP_TO_NONE if x == 2 else None,
        lambda x: "T" if isinstance(x, tuple) else None,
        lambda x: x * 10 if isinstance(x, int) else None,
    ]:
        keras_func = lambda x, func=func: keras.tree.MAP_TO_NONE if func(x) is tree.MAP_TO_NONE else func(x)  # noqa: E731
        for top_down in (True, False):
            _same(tree.traverse(func, data, top_down), keras.tree.traverse(keras_func, data, top_down))
    added = tree.map_structure(lambda x, y: x + y, {"b": [1, 2], "a": 3}, {"a": 10, "b": [20, 30]})
    assert added == {"b": [21, 32], "a": 13} and list(added) == ["b", "a"]
    assert tree.map_structure(lambda x: 1, [None, 2], none_is_leaf=False) == [None, 1]
    with pytest.raises(ValueError, match="flat_sequence"):
        tree.pack_sequence_as([1, 2], [1])
    with pytest.raises(ValueError, match="at least one"):
        tree.map_structure(len)
