"""`keras.visualization`: masks painted as Keras paints them; galleries written with matplotlib."""

import numpy as np
import pytest

import torchkeras as tk


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 6, 5, 3)).astype("float32")
    masks = rng.integers(-1, 3, size=(2, 6, 5, 1)).astype("int32")
    return images, masks


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_classes": 3},
        {"num_classes": 3, "alpha": 0.5},
        {"num_classes": 3, "blend": False},
        {"num_classes": 3, "color_mapping": {0: (255, 0, 0), 1: (0, 255, 0), 2: (0, 0, 255)}},
    ],
)
def test_draw_segmentation_masks_matches_keras(keras, batch, kwargs):
    images, masks = batch
    ours = tk.visualization.draw_segmentation_masks(images, masks, **kwargs)
    theirs = keras.visualization.draw_segmentation_masks(images, masks, **kwargs)
    np.testing.assert_array_equal(ours, keras.ops.convert_to_numpy(theirs))
    assert ours.dtype == keras.ops.convert_to_numpy(theirs).dtype


def test_channels_first_default_classes_and_errors(batch):
    images, masks = batch
    default = tk.visualization.draw_segmentation_masks(images, masks)
    np.testing.assert_array_equal(
        default, tk.visualization.draw_segmentation_masks(images, masks, num_classes=3)
    )
    first = tk.visualization.draw_segmentation_masks(
        images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2), num_classes=3, data_format="channels_first"
    )
    np.testing.assert_array_equal(
        first, tk.visualization.draw_segmentation_masks(images, masks, num_classes=3)
    )
    with pytest.raises(TypeError, match="integer"):
        tk.visualization.draw_segmentation_masks(images, masks.astype("float32"))
    with pytest.raises(ValueError, match="4D"):
        tk.visualization.draw_segmentation_masks(images[0], masks[0])


def test_galleries_are_saved(batch, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    images, masks = batch
    path = tmp_path / "gallery.png"
    tk.visualization.plot_image_gallery(images, y_true=[0, 1], label_map={0: "cat", 1: "dog"}, path=str(path))
    assert path.stat().st_size > 0
    masks_path = tmp_path / "masks.png"
    tk.visualization.plot_segmentation_mask_gallery(
        images, num_classes=3, y_true=masks, y_pred=masks, path=str(masks_path)
    )
    assert masks_path.stat().st_size > 0
    with pytest.raises(ValueError, match="label_map"):
        tk.visualization.plot_image_gallery(images, y_true=[0, 1], path=str(path))
    with pytest.raises(ValueError, match="either `path`"):
        tk.visualization.plot_image_gallery(images, path=str(path), show=True)
