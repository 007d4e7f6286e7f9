"""`keras.utils` names implemented elsewhere in the package, exported lazily: same behaviour as Keras."""

import numpy as np
import pytest

import torchkeras as tk


def test_pack_and_unpack_match_keras(keras):
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    for args in [(x,), (x, y), (x, y, w), (x, None, w)]:
        ours = tk.utils.pack_x_y_sample_weight(*args)
        theirs = keras.utils.pack_x_y_sample_weight(*args)
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
    for data in [x, (x,), (x, y), (x, y, w), [x, y]]:
        ours = tk.utils.unpack_x_y_sample_weight(data)
        theirs = keras.utils.unpack_x_y_sample_weight(data)
        assert [o is t for o, t in zip(ours, theirs)] == [True, True, True]


def test_standardize_dtype_matches_keras(keras):
    for dtype in ["float32", "int64", "bool", np.float16, np.dtype("int8"), "bfloat16", None]:
        assert tk.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


def test_source_inputs_and_keras_tensors(keras):
    for lib in (tk, keras):
        a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
        total = lib.layers.Add()([lib.layers.Dense(3)(a), b])
        sources = lib.utils.get_source_inputs(lib.layers.Dense(1)(total))
        assert [s.name for s in sources] == ["a", "b"]
        assert lib.utils.is_keras_tensor(a) and not lib.utils.is_keras_tensor(np.ones(2))


def test_serialize_round_trip_and_clear_session():
    layer = tk.layers.Dense(4, activation="relu", name="d")
    config = tk.utils.serialize_keras_object(layer)
    assert config["class_name"] == "Dense" and config["config"]["units"] == 4
    again = tk.utils.deserialize_keras_object(config)
    assert isinstance(again, tk.layers.Dense) and again.units == 4
    tk.utils.clear_session()
    assert tk.layers.Dense(1).name == "dense"


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        tk.utils.nothing_here  # noqa: B018
