"""keras.backend: dtype promotion and names as Keras's, settings shared with keras.config."""

import itertools

import numpy as np
import pytest
import torch

import torchkeras as tk
from torchkeras import backend

DTYPES = [
    "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "bfloat16", "float16", "float32", "float64", "complex64", "complex128", int, float, bool, None,
]  # fmt: skip


def test_result_type_equals_keras_for_every_pair(keras):
    for a, b in itertools.product(DTYPES, DTYPES):
        try:
            expected = keras.backend.result_type(a, b)
        except ValueError:
            with pytest.raises(ValueError):
                backend.result_type(a, b)
        else:
            assert backend.result_type(a, b) == expected, (a, b)
    assert backend.result_type() == keras.backend.result_type()
    assert backend.result_type("int8", "uint8", float) == keras.backend.result_type("int8", "uint8", float)
    with pytest.raises(ValueError, match="float8"):
        backend.result_type("float8_e4m3fn", "float32")


def test_dtype_names_and_predicates_equal_keras(keras):
    for dtype in [
        "float16",
        "bfloat16",
        "uint8",
        "int64",
        "bool",
        int,
        float,
        bool,
        np.float64,
        torch.int16,
        None,
    ]:
        assert backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype), dtype
        assert backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype), dtype
        assert backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype), dtype
    with pytest.raises(ValueError, match="Invalid dtype"):
        backend.standardize_dtype("float")


def test_settings_uids_and_clear_session():
    assert backend.backend() == "torch" and backend.floatx() == tk.config.floatx()
    assert backend.epsilon() == tk.config.epsilon()
    assert backend.image_data_format() == "channels_last"
    assert backend.is_keras_tensor(tk.Input((3,))) and not backend.is_keras_tensor(torch.zeros(3))
    first = backend.get_uid("probe")
    assert backend.get_uid("probe") == first + 1
    backend.clear_session()
    assert backend.get_uid("probe") == 1
    assert tk.layers.Dense(2).name == "dense"
