"""IntegerLookup: parity with Keras (TensorFlow-computed reference cases), tensors in, floormod
and farmhash OOV buckets, invert, config, and errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.reference.text_cases import check_reference_case, reference_cases
from torchkeras.layers.preprocessing import IntegerLookup


@pytest.mark.parametrize("case", reference_cases("IntegerLookup"))
def test_parity_with_keras(case):
    check_reference_case(IntegerLookup, case)


def test_tensors_lists_and_arrays_give_the_same_indices():
    layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    expected = [[1, 3, 4], [4, 0, 2]]
    assert layer(torch.tensor([[12, 1138, 42], [42, 1000, 36]])).tolist() == expected
    assert layer([[12, 1138, 42], [42, 1000, 36]]).tolist() == expected
    assert layer(np.array([[12, 1138, 42], [42, 1000, 36]], dtype="int32")).tolist() == expected


def test_floormod_oov_reference_formula():
    layer = IntegerLookup(vocabulary=[5], num_oov_indices=3)
    values = np.array([7, -4, 9, 5])
    expected = np.where(values == 5, 3, np.mod(values, 3))
    assert layer(values).tolist() == expected.tolist()


def test_config_round_trip_and_errors():
    layer = IntegerLookup(vocabulary=np.array([3, 1]), mask_token=0)
    config = layer.get_config()
    assert config["vocabulary"] == [3, 1]
    assert IntegerLookup.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="vocabulary_dtype"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="salt"):
        IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="oov_method"):
        IntegerLookup(oov_method="md5")
