"""RandomFlip: identity at inference, parity with Keras for given flips, every image flipped
either way in training, seeds, config, errors."""

import numpy as np
import pytest
import torch

from tests.layer_checks import check_layer
from torchkeras.layers.input_layer import Input
from torchkeras.layers.preprocessing import RandomFlip

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, (16, 5, 6, 2)).astype("float32")
MODES = ["horizontal", "vertical", "horizontal_and_vertical"]


def _flipped(x, mode, data_format="channels_last"):
    height, width = (-3, -2) if data_format == "channels_last" else (-2, -1)
    axes = {"horizontal": (width,), "vertical": (height,), "horizontal_and_vertical": (height, width)}[mode]
    return np.flip(x, axes)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_identity_at_inference(keras, mode, data_format):
    out = check_layer(
        lambda: RandomFlip(mode, data_format=data_format),
        IMAGES[:3],
        lambda: keras.layers.RandomFlip(mode, data_format=data_format),
        call_kwargs={"training": False},
    )
    np.testing.assert_array_equal(out, IMAGES[:3])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_given_flips_match_keras(keras, mode, data_format):
    x = IMAGES[:4] if data_format == "channels_last" else IMAGES[:4].transpose(0, 3, 1, 2).copy()
    flips = torch.tensor([True, False, False, True]).reshape(4, 1, 1, 1)
    ours = RandomFlip(mode, data_format=data_format).transform_images(torch.as_tensor(x), {"flips": flips})
    theirs = keras.layers.RandomFlip(mode, data_format=data_format).transform_images(x, {"flips": flips})
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))
    np.testing.assert_array_equal(ours.numpy()[0], _flipped(x[0], mode, data_format))
    np.testing.assert_array_equal(ours.numpy()[1], x[1])


@pytest.mark.parametrize("mode", MODES)
def test_training_flips_each_image_either_way(mode):
    out = RandomFlip(mode, seed=3)(torch.as_tensor(IMAGES), training=True).numpy()
    kept = [np.array_equal(o, x) for o, x in zip(out, IMAGES)]
    flipped = [np.array_equal(o, _flipped(x, mode)) for o, x in zip(out, IMAGES)]
    assert all(k or f for k, f in zip(kept, flipped))
    assert any(kept) and any(flipped)  # 16 draws at p=1/2: both outcomes occur


def test_single_image_and_symbolic_training():
    image = torch.as_tensor(IMAGES[0])
    out = RandomFlip("vertical", seed=1)(image, training=True).numpy()
    assert np.array_equal(out, IMAGES[0]) or np.array_equal(out, IMAGES[0][::-1])
    symbolic = RandomFlip(seed=1)(Input(shape=(5, 6, 2)), training=True)
    assert tuple(symbolic.shape) == (None, 5, 6, 2)


def test_seeds_reproduce():
    x = torch.as_tensor(IMAGES)
    first, second = RandomFlip(seed=7), RandomFlip(seed=7)
    np.testing.assert_array_equal(first(x, training=True).numpy(), second(x, training=True).numpy())
    torch.manual_seed(11)
    a = RandomFlip()(x, training=True)
    torch.manual_seed(11)
    np.testing.assert_array_equal(a.numpy(), RandomFlip()(x, training=True).numpy())


def test_config_matches_keras(keras):
    ours = RandomFlip("vertical", seed=2).get_config()
    theirs = keras.layers.RandomFlip("vertical", seed=2).get_config()
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in theirs.items() if k != "name"}


def test_integer_images_give_floats():
    x = torch.randint(0, 255, (2, 4, 4, 1), dtype=torch.uint8)
    assert RandomFlip()(x, training=False).dtype == torch.float32


def test_errors():
    with pytest.raises(ValueError, match="RandomFlip .*`mode`.*Did you mean 'horizontal'"):
        RandomFlip("horizontl")
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        RandomFlip()(torch.zeros(2, 3, 4, 5, 6), training=True)
    with pytest.raises(ValueError, match="`factor` is not an argument"):
        RandomFlip(factor=0.2)
