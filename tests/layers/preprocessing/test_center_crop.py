"""CenterCrop: parity with Keras (odd/even differences, images smaller than the target, both
data formats, single images), a slicing reference, and errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import CenterCrop

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (2, 7, 8, 3)).astype("float32")


@pytest.mark.parametrize("size", [(4, 4), (7, 8), (3, 5), (9, 6), (10, 12), (2, 9)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_parity(keras, size, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    check_layer(
        lambda: CenterCrop(*size, data_format=data_format),
        x,
        lambda: keras.layers.CenterCrop(*size, data_format=data_format),
    )


def test_reference_slice_and_single_image(keras):
    out = CenterCrop(4, 5)(torch.as_tensor(IMAGES[0])).numpy()
    np.testing.assert_array_equal(out, IMAGES[0, 1:5, 1:6])
    np.testing.assert_array_equal(out, np.asarray(keras.layers.CenterCrop(4, 5)(IMAGES[0])))


def test_integer_images_give_floats():
    x = torch.randint(0, 255, (1, 6, 6, 1), dtype=torch.uint8)
    assert CenterCrop(4, 4)(x).dtype == torch.float32


def test_errors():
    with pytest.raises(ValueError, match="`width` must be a positive integer"):
        CenterCrop(3, -1)
    with pytest.raises(ValueError, match="rank 3 or 4"):
        CenterCrop(3, 3).compute_output_shape((3, 3))
