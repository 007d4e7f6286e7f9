"""ContrastLimitedAdaptiveHistogramEqualization: Keras's output (formats, grids needing padding,
clip limits, value ranges, integer images), reference properties, config, errors."""

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import config_without_name
from torchkeras.layers import ContrastLimitedAdaptiveHistogramEqualization as CLAHE
from torchkeras.layers.preprocessing.contrast_limited_adaptive_histogram_equalization import _symmetric_pad

IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 33, 29, 3)).astype("float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "options",
    [
        {"tile_grid_size": (2, 2)},
        {"tile_grid_size": (4, 3), "clip_limit": 2.0},
        {"clip_limit": 0.0, "tile_grid_size": (3, 3), "value_range": (0, 1)},
    ],
)
def test_matches_keras(keras, data_format, options):
    x = (IMAGES / (255.0 if options.get("value_range") == (0, 1) else 1.0)).astype("float32")
    x = torch.as_tensor(x if data_format == "channels_last" else x.transpose(0, 3, 1, 2).copy())
    ours = CLAHE(data_format=data_format, **options)(x)
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(data_format=data_format, **options)(x)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.detach().cpu()), rtol=1e-5, atol=1e-3)


def test_integer_images_and_single_image_match_keras(keras):
    x = torch.as_tensor(IMAGES.astype("uint8"))
    ours = CLAHE(tile_grid_size=(3, 3))(x[0])
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 3))(x[0])
    assert ours.dtype == torch.uint8
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs.cpu()))


def test_padding_mirrors_like_numpy_symmetric():
    # Keras 3.15 on torch repeats the edge instead (its `pad(mode="symmetric")`), so Keras parity
    # above uses grids needing at most one padded row and column, where the two agree.
    x = torch.arange(2 * 10 * 7 * 1, dtype=torch.float32).reshape(2, 10, 7, 1)
    expected = np.pad(x.numpy(), [[0, 0], [0, 7], [0, 5], [0, 0]], mode="symmetric")
    np.testing.assert_array_equal(_symmetric_pad(x, 7, 5).numpy(), expected)


def test_reference_properties():
    # One tile without clipping is global histogram equalization: a dark image spreads to [0, 255],
    # and the mapping keeps the pixels' order.
    dark = np.random.default_rng(1).integers(0, 40, (1, 16, 16, 1)).astype("float32")
    out = CLAHE(tile_grid_size=(1, 1), clip_limit=0.0)(torch.as_tensor(dark)).numpy()
    assert out.min() == 0.0 and out.max() == 255.0
    order = np.argsort(dark.ravel(), kind="stable")
    assert np.all(np.diff(out.ravel()[order]) >= -1e-4)  # blending identical tiles rounds slightly


def test_config_and_errors(keras):
    ours = CLAHE(value_range=(0, 1), clip_limit=3.0, tile_grid_size=(4, 4))
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(
        value_range=(0, 1), clip_limit=3.0, tile_grid_size=(4, 4)
    )
    assert config_without_name(ours) == config_without_name(theirs)
    assert CLAHE.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`tile_grid_size` must be a pair of positive integers"):
        CLAHE(tile_grid_size=(0, 2))
    with pytest.raises(ValueError, match="`clip_limit` must be a number"):
        CLAHE(clip_limit="high")
