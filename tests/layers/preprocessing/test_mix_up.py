"""MixUp: Keras's transform on the same draw (images and labels, both formats), the draw's
distribution, seeding, dict inputs, inference identity, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers import MixUp

IMAGES = np.random.default_rng(0).random((4, 5, 6, 3)).astype("float32")
LABELS = np.eye(4, dtype="float32")[[0, 2, 1, 3]]
DRAW = {"mix_weight": torch.tensor([0.1, 0.5, 0.9, 1.0]), "permutation_order": torch.tensor([2, 0, 3, 1])}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras_and_formula(keras, data_format):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    ours = MixUp(data_format=data_format).transform_images(torch.as_tensor(images), DRAW)
    theirs = keras.layers.MixUp(data_format=data_format).transform_images(torch.as_tensor(images), DRAW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6)
    w = DRAW["mix_weight"].numpy().reshape(4, 1, 1, 1)
    np.testing.assert_allclose(ours.numpy(), w * images + (1 - w) * images[[2, 0, 3, 1]], rtol=1e-6)


def test_labels_match_keras(keras):
    ours = MixUp().transform_labels(torch.as_tensor(LABELS), DRAW)
    theirs = keras.layers.MixUp().transform_labels(torch.as_tensor(LABELS), DRAW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6)
    np.testing.assert_allclose(ours.numpy().sum(axis=1), 1.0, rtol=1e-6)


def test_draw_is_a_beta_and_a_permutation():
    layer = MixUp(alpha=0.4, seed=1)
    draw = layer.get_random_transformation(torch.zeros(4000, 2, 2, 1))
    weights = draw["mix_weight"].numpy()
    # Beta(0.4, 0.4): mean 1/2, variance 1 / (4 (2 alpha + 1)) = 0.1389
    assert abs(weights.mean() - 0.5) < 0.02 and abs(weights.var() - 0.1389) < 0.01
    assert sorted(draw["permutation_order"].tolist()) == list(range(4000))


def test_seeded_calls_repeat_and_dicts_mix_labels_alike():
    data = {"images": torch.as_tensor(IMAGES), "labels": torch.as_tensor(LABELS)}
    first = MixUp(seed=3)(data, training=True)
    second = MixUp(seed=3)(data, training=True)
    np.testing.assert_array_equal(first["images"].numpy(), second["images"].numpy())
    np.testing.assert_array_equal(first["labels"].numpy(), second["labels"].numpy())
    # each mixed image is a convex combination of two images with its label's weights
    labels = first["labels"].numpy()
    own = labels[np.arange(4), LABELS.argmax(1)]
    assert np.all(own >= 0.0 - 1e-6) and np.all(labels.sum(1) > 1 - 1e-5)


def test_inference_is_the_identity():
    x = torch.as_tensor(IMAGES)
    assert MixUp()(x) is x
    data = {"images": x, "labels": torch.as_tensor(LABELS)}
    assert MixUp()(data)["labels"] is data["labels"]


def test_config_and_errors(keras):
    ours = MixUp(alpha=0.3, seed=2, name="m").get_config()
    theirs = keras.layers.MixUp(alpha=0.3, seed=2, name="m").get_config()
    assert ours == theirs
    assert MixUp.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="`alpha` must be a positive number"):
        MixUp(alpha=0)
    with pytest.raises(ValueError, match="bounding boxes"):
        MixUp()({"images": torch.zeros(2, 4, 4, 3), "bounding_boxes": {}}, training=True)
    with pytest.raises(ValueError, match="rank 3"):
        MixUp()(torch.zeros(2, 4), training=True)
