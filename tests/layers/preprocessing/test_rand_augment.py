"""RandAugment: the picked augmentations applied in order equal Keras's layers on Keras's draws,
the picks, seeding, inference identity, config, errors.

(Keras 3.15's own RandAugment.transform_images cannot be compared directly on the torch backend:
its RandomBrightness adds in place to the batch it is given, so brightness leaks into every pick;
and its warps change the draw's matrices in place, so ours runs first, on a copy.)
"""

import copy

import numpy as np
import pytest
import torch

from tests.layers.preprocessing.color_cases import IMAGES, config_without_name
from torchkeras.layers import RandAugment

NAMES = [
    "random_shear", "random_translation", "random_rotation", "random_brightness",
    "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
    "solarization", "auto_contrast", "equalization",
]  # fmt: skip


@pytest.mark.parametrize("first", range(11))
def test_picks_match_keras_layers_on_keras_draws(keras, first):
    x = torch.as_tensor(IMAGES)
    theirs = keras.layers.RandAugment(num_ops=2, factor=0.5, seed=1)
    draw = theirs.get_random_transformation(x)
    draw["layer_idxes"] = torch.tensor([first, (first + 4) % 11])
    ours = RandAugment(num_ops=2, factor=0.5, seed=1).transform_images(x, copy.deepcopy(draw))
    expected = x
    for index in draw["layer_idxes"].tolist():
        name = NAMES[index]
        expected = getattr(theirs, name).transform_images(expected.clone(), draw["transforms"][name])
    np.testing.assert_allclose(ours.numpy(), np.asarray(expected.detach().cpu()), rtol=1e-5, atol=1e-3)


def test_picks_and_seeding():
    x = torch.as_tensor(IMAGES)
    layer = RandAugment(num_ops=3, seed=2)
    picks = set()
    for _ in range(60):
        draw = layer.get_random_transformation(x)
        assert draw["layer_idxes"].shape == (3,)
        assert set(draw["transforms"]) == {NAMES[i] for i in draw["layer_idxes"].tolist()}
        picks.update(draw["layer_idxes"].tolist())
    assert picks == set(range(11))
    first = RandAugment(seed=5)(x, training=True)
    second = RandAugment(seed=5)(x, training=True)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert torch.equal(RandAugment()(x), x)
    assert first.shape == x.shape and first.min() >= 0 and first.max() <= 255


def test_config_and_errors(keras):
    ours = RandAugment(value_range=(0, 1), num_ops=3, factor=0.4, seed=1)
    theirs = keras.layers.RandAugment(value_range=(0, 1), num_ops=3, factor=0.4, seed=1)
    assert config_without_name(ours) == config_without_name(theirs)
    assert RandAugment.from_config(ours.get_config()).get_config() == ours.get_config()
    with pytest.raises(ValueError, match="`num_ops` must be a positive integer"):
        RandAugment(num_ops=0)
    with pytest.raises(ValueError, match="factor"):
        RandAugment(factor=1.5)
