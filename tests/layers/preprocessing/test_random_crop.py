"""RandomCrop: random windows in training (same window for the batch, seeds), parity with
Keras for given windows, the documented central crop-and-resize at inference, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.preprocessing import RandomCrop

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (3, 7, 9, 2)).astype("float32")


def _images(data_format):
    return IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()


def _window_offset(crop, image):
    """(top, left) where `crop` sits in `image` (both channels-last), or None."""
    h, w = crop.shape[:2]
    for top in range(image.shape[0] - h + 1):
        for left in range(image.shape[1] - w + 1):
            if np.array_equal(image[top : top + h, left : left + w], crop):
                return top, left
    return None


@pytest.mark.parametrize("size", [(4, 5), (7, 9), (3, 9)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_training_crops_one_window_per_batch(size, data_format):
    layer = RandomCrop(*size, seed=1, data_format=data_format)
    offsets = set()
    for _ in range(8):
        out = layer(torch.as_tensor(_images(data_format)), training=True).numpy()
        if data_format == "channels_first":
            out = out.transpose(0, 2, 3, 1)
        found = [_window_offset(o, x) for o, x in zip(out, IMAGES)]
        assert found[0] is not None and found.count(found[0]) == len(found)
        offsets.add(found[0])
    if size == (4, 5):
        assert len(offsets) > 1  # 20 possible windows, 8 draws


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_given_window_matches_keras(keras, data_format):
    x = _images(data_format)
    ours = RandomCrop(4, 5, data_format=data_format).transform_images(torch.as_tensor(x), (2, 3))
    theirs = keras.layers.RandomCrop(4, 5, data_format=data_format).transform_images(x, (2, 3))
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))


@pytest.mark.parametrize("size", [(4, 5), (4, 4), (10, 6), (9, 12)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_inference_is_central_crop_and_resize(keras, size, data_format):
    # Keras documents a central aspect-ratio crop resized to the target at inference (its 3.15
    # code returns the input unchanged, keras-team/keras#21868); that is Resizing's
    # `crop_to_aspect_ratio=True`.
    check_layer(
        lambda: RandomCrop(*size, seed=3, data_format=data_format),
        _images(data_format),
        lambda: keras.layers.Resizing(*size, crop_to_aspect_ratio=True, data_format=data_format),
        call_kwargs={"training": False},
    )


@pytest.mark.parametrize("size", [(10, 12), (4, 12)])
def test_small_images_in_training_are_cropped_and_resized(keras, size):
    # Smaller than the target: the documented central crop-and-resize, in training too.
    check_layer(
        lambda: RandomCrop(*size, seed=3),
        IMAGES,
        lambda: keras.layers.Resizing(*size, crop_to_aspect_ratio=True),
        call_kwargs={"training": True},
    )


def test_single_image_and_dtype():
    image = torch.randint(0, 255, (7, 9, 3), dtype=torch.uint8)
    out = RandomCrop(4, 4, seed=0)(image, training=True)
    assert out.shape == (4, 4, 3) and out.dtype == torch.float32


def test_seed_and_config(keras):
    x = torch.as_tensor(IMAGES)
    a = RandomCrop(3, 3, seed=9)(x, training=True)
    np.testing.assert_array_equal(a.numpy(), RandomCrop(3, 3, seed=9)(x, training=True).numpy())
    config = RandomCrop(3, 4).get_config()
    assert isinstance(config["seed"], int)  # Keras records a random seed
    theirs = keras.layers.RandomCrop(3, 4, seed=2).get_config()
    ours = RandomCrop(3, 4, seed=2).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}
    assert RandomCrop(3, 4).compute_output_shape((None, 7, 9, 2)) == (None, 3, 4, 2)


def test_errors():
    with pytest.raises(ValueError, match="`height` must be a positive integer"):
        RandomCrop(0, 3)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        RandomCrop(2, 2)(torch.zeros(4, 4), training=True)
