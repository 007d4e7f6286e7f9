"""MaxNumBoundingBoxes: Keras's padding and truncation, other entries kept, config, errors."""

import numpy as np
import pytest
import torch

from torchkeras.layers import MaxNumBoundingBoxes

IMAGES = np.zeros((2, 8, 8, 3), "float32")
BOXES = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
LABELS = np.array([[1, 2, 3], [4, 5, 6]], "float32")


@pytest.mark.parametrize("max_number", [2, 3, 5])
def test_matches_keras(keras, max_number):
    data = {"images": IMAGES, "bounding_boxes": {"boxes": BOXES, "labels": LABELS}}
    ours = MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy")(
        {
            "images": torch.as_tensor(IMAGES),
            "bounding_boxes": {k: torch.as_tensor(v) for k, v in data["bounding_boxes"].items()},
        }
    )
    theirs = keras.layers.MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy")(data)
    for key in ("boxes", "labels"):
        np.testing.assert_array_equal(
            ours["bounding_boxes"][key].numpy(), np.asarray(theirs["bounding_boxes"][key])
        )
    assert ours["bounding_boxes"]["boxes"].shape == (2, max_number, 4)
    np.testing.assert_array_equal(ours["images"].numpy(), IMAGES)


def test_reference_and_pass_through():
    out = MaxNumBoundingBoxes(4)(
        {
            "images": torch.as_tensor(IMAGES),
            "bounding_boxes": {"boxes": torch.as_tensor(BOXES), "labels": torch.as_tensor(LABELS)},
            "labels": torch.ones(2),
        }
    )
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"][:, 3].numpy(), -1)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"][:, :3].numpy(), BOXES)
    assert torch.equal(out["labels"], torch.ones(2))
    x = torch.as_tensor(IMAGES)
    assert MaxNumBoundingBoxes(3)(x) is x
    layer = MaxNumBoundingBoxes(6)
    shape = layer.compute_output_shape(
        {"images": (None, 8, 8, 3), "bounding_boxes": {"boxes": (None, 3, 4), "labels": (None, 3)}}
    )
    assert shape["bounding_boxes"] == {"boxes": (None, 6, 4), "labels": (None, 6)}


def test_config_and_errors():
    layer = MaxNumBoundingBoxes(7, fill_value=0)
    assert MaxNumBoundingBoxes.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="`max_number` must be a positive integer"):
        MaxNumBoundingBoxes(0)
    with pytest.raises(ValueError, match="`bounding_boxes` must be a dict with 'boxes' and 'labels' only"):
        MaxNumBoundingBoxes(2)(
            {"images": torch.as_tensor(IMAGES), "bounding_boxes": {"boxes": torch.as_tensor(BOXES)}}
        )
