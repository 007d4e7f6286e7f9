"""Adaptive pooling 1D/2D/3D: parity with Keras (both data formats, sizes that do and do not
divide the input), a reference formula for the windows, config and errors."""

import numpy as np
import pytest

from tests.layer_checks import check_layer
from torchkeras import layers

CASES = [
    ("AdaptiveAveragePooling1D", (2, 7, 3), 3),
    ("AdaptiveMaxPooling1D", (2, 7, 3), 4),
    ("AdaptiveAveragePooling2D", (2, 5, 7, 3), (2, 3)),
    ("AdaptiveMaxPooling2D", (2, 5, 7, 3), 3),
    ("AdaptiveAveragePooling3D", (1, 4, 5, 3, 2), (2, 2, 1)),
    ("AdaptiveMaxPooling3D", (1, 4, 5, 3, 2), 2),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(("name", "shape", "size"), CASES)
def test_parity(keras, name, shape, size, data_format):
    x = np.random.default_rng(0).random(shape).astype("float32")
    check_layer(
        lambda: getattr(layers, name)(size, data_format=data_format),
        x,
        lambda: getattr(keras.layers, name)(size, data_format=data_format),
    )


def test_reference_windows():
    x = np.arange(7, dtype="float32").reshape(1, 7, 1)
    out = layers.AdaptiveAveragePooling1D(3)(x).numpy().ravel()
    # window i spans [floor(i * 7 / 3), ceil((i + 1) * 7 / 3)): [0, 3), [2, 5), [4, 7)
    np.testing.assert_allclose(out, [1.0, 3.0, 5.0])
    np.testing.assert_allclose(layers.AdaptiveMaxPooling1D(3)(x).numpy().ravel(), [2.0, 4.0, 6.0])


def test_errors():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveMaxPooling1D(0)
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling1D(2, data_format="nhwc")
