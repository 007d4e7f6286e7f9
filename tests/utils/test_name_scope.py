"""`name_scope`: variable paths as Keras builds them."""

import numpy as np
import pytest

import torchkeras as tk


def _paths(lib):
    paths = []
    with lib.name_scope("outer"):
        paths.append(lib.Variable(1.0, name="a").path)
        with lib.name_scope("inner"):
            paths.append(lib.Variable(np.zeros(2, "float32"), name="b").path)
        with lib.name_scope("outer"):  # without a common caller, a second level
            paths.append(lib.Variable(1.0, name="c").path)
        owner = object()
        with lib.name_scope("own", caller=owner), lib.name_scope("own", caller=owner):
            paths.append(lib.Variable(1.0, name="e").path)  # the same caller: one level
        with lib.name_scope("x", override_parent="top/level"):
            paths.append(lib.Variable(1.0, name="f").path)
        layer = lib.layers.Dense(2, name="proj")
        layer.build((None, 3))
        paths.append(layer.kernel.path)
    paths.append(lib.Variable(1.0, name="d").path)
    return paths


def test_paths_match_keras(keras):
    assert _paths(tk) == _paths(keras)


def test_paths_without_keras():
    assert _paths(tk) == [
        "outer/a",
        "outer/inner/b",
        "outer/outer/c",
        "outer/own/e",
        "top/level/x/f",
        "outer/proj/kernel",
        "d",
    ]


def test_name_must_be_a_non_empty_string():
    with pytest.raises(ValueError, match="name"):
        tk.name_scope("")
    with pytest.raises(ValueError, match="name"):
        tk.name_scope("a/b")
