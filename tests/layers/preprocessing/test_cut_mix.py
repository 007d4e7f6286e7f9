"""CutMix: Keras's transform on the same draw (images and labels, both formats), the drawn boxes
against a reference, seeding, dict inputs, inference identity, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers import CutMix

IMAGES = np.random.default_rng(0).random((4, 8, 6, 3)).astype("float32")
LABELS = np.eye(4, dtype="float32")


def _draw(data_format):
    masks = np.zeros((4, 8, 6, 1), dtype=bool)
    masks[0, 2:5, 1:4] = True
    masks[2, :, :] = True
    if data_format == "channels_first":
        masks = masks.transpose(0, 3, 1, 2)
    return {
        "permutation_order": torch.tensor([1, 0, 3, 2]),
        "batch_masks": torch.as_tensor(masks).expand(*(-1,) * 4),
        "mix_weight": torch.tensor([1 - 9 / 48, 1.0, 0.0, 1.0]),
    }


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_matches_keras(keras, data_format):
    images = IMAGES if data_format == "channels_last" else IMAGES.transpose(0, 3, 1, 2).copy()
    draw = _draw(data_format)
    channel_axis = -1 if data_format == "channels_last" else 1
    keras_draw = {**draw, "batch_masks": draw["batch_masks"].repeat_interleave(3, dim=channel_axis)}
    ours = CutMix(data_format=data_format).transform_images(torch.as_tensor(images), draw)
    theirs = keras.layers.CutMix(data_format=data_format).transform_images(
        torch.as_tensor(images), keras_draw
    )
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs.cpu()))
    labels_ours = CutMix().transform_labels(torch.as_tensor(LABELS), draw)
    labels_theirs = keras.layers.CutMix().transform_labels(torch.as_tensor(LABELS), draw)
    np.testing.assert_allclose(labels_ours.numpy(), np.asarray(labels_theirs.cpu()), rtol=1e-6)


def test_boxes_and_label_weights_agree():
    images = torch.as_tensor(IMAGES)
    draw = CutMix(seed=5).get_random_transformation(images)
    masks = draw["batch_masks"].numpy()[..., 0]  # (batch, height, width)
    for inside, weight in zip(masks, draw["mix_weight"].numpy()):
        rows, cols = np.nonzero(inside.any(1))[0], np.nonzero(inside.any(0))[0]
        if len(rows):  # one axis-aligned box
            assert (
                inside[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all()
                and inside.sum() == inside.any(1).sum() * inside.any(0).sum()
            )
        assert 0.0 <= weight <= 1.0
    out = CutMix(seed=5)({"images": images, "labels": torch.as_tensor(LABELS)}, training=True)
    again = CutMix(seed=5)({"images": images, "labels": torch.as_tensor(LABELS)}, training=True)
    np.testing.assert_array_equal(out["images"].numpy(), again["images"].numpy())
    np.testing.assert_allclose(out["labels"].numpy().sum(1), 1.0, rtol=1e-6)


def test_single_image_and_inference_pass_through():
    x = torch.as_tensor(IMAGES)
    assert CutMix()(x) is x
    np.testing.assert_array_equal(CutMix()(x[0], training=True).numpy(), IMAGES[0])


def test_config_and_errors(keras):
    ours = CutMix(factor=0.5, seed=2, name="c").get_config()
    theirs = keras.layers.CutMix(factor=0.5, seed=2, name="c").get_config()
    assert ours == theirs
    assert CutMix.from_config(ours).get_config() == ours
    with pytest.raises(ValueError, match="factor"):
        CutMix(factor=1.5)
