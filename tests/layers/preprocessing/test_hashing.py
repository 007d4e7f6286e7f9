"""Hashing: parity with Keras (its docstring examples and TensorFlow-computed cases), masks,
salts, integer and float inputs, encoded outputs, config and errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from tests.layers.preprocessing.reference.text_cases import check_reference_case, reference_cases
from torchkeras.layers.preprocessing import Hashing

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


@pytest.mark.parametrize("case", reference_cases("Hashing"))
def test_parity_with_keras(case):
    check_reference_case(Hashing, case)


def test_keras_docstring_examples():
    assert Hashing(num_bins=3)(LETTERS).ravel().tolist() == [1, 0, 1, 1, 2]
    assert Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]]).ravel().tolist() == [
        1,
        1,
        0,
        2,
        2,
    ]
    assert Hashing(num_bins=3, salt=[133, 137])(LETTERS).ravel().tolist() == [1, 2, 1, 0, 2]
    assert Hashing(num_bins=3, salt=133)(LETTERS).ravel().tolist() == [0, 0, 2, 1, 0]


def test_integers_hash_as_their_decimal_text_and_floats_truncate():
    layer = Hashing(num_bins=13)
    ints = layer(torch.tensor([[5], [-12], [40]]))
    assert ints.tolist() == layer(np.array([["5"], ["-12"], ["40"]])).tolist()
    assert layer(np.array([[5.9], [-12.2], [40.0]])).tolist() == ints.tolist()
    assert ints.dtype == torch.int64


def test_shape_config_and_errors():
    check_layer(lambda: Hashing(num_bins=4, output_mode="multi_hot"), np.array([[1, 2, 3], [4, 5, 6]]))
    config = Hashing(num_bins=4, salt=3).get_config()
    assert config["salt"] == [3, 3] and Hashing.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(num_bins=0)
    with pytest.raises(ValueError, match="output_mode"):
        Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt"):
        Hashing(num_bins=3, salt="pepper")
    with pytest.raises(ValueError, match="dtype"):
        Hashing(num_bins=3, dtype="float32")
