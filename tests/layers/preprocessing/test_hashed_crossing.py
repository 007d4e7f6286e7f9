"""HashedCrossing: parity with Keras (TensorFlow-computed cases), input checks and config."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.reference.text_cases import check_reference_case, reference_cases
from torchkeras.layers.preprocessing import HashedCrossing


@pytest.mark.parametrize("case", reference_cases("HashedCrossing"))
def test_parity_with_keras(case):
    check_reference_case(HashedCrossing, case)


def test_tensors_and_scalars():
    layer = HashedCrossing(num_bins=5)
    features = (np.array(["A", "B", "A", "B", "A"]), torch.tensor([101, 101, 101, 102, 102]))
    assert layer(features).tolist() == [1, 4, 1, 1, 3]  # Keras's docstring example
    assert layer((np.array("A"), np.array(101))).ndim == 0


def test_errors_and_config():
    layer = HashedCrossing(num_bins=5)
    with pytest.raises(ValueError, match="at least two"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match="equal shape"):
        layer((np.array([1, 2]), np.array([1, 2, 3])))
    with pytest.raises(ValueError, match="shape"):
        layer((np.ones((2, 3), "int64"), np.ones((2, 3), "int64")))
    with pytest.raises(ValueError, match="output_mode"):
        HashedCrossing(num_bins=5, output_mode="multi_hot")
    config = HashedCrossing(num_bins=5, output_mode="one_hot").get_config()
    assert HashedCrossing.from_config(config).get_config() == config
