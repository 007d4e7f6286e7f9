"""`draw_bounding_boxes` / `plot_bounding_box_gallery`: drawn pixels against a per-pixel reference."""

import numpy as np
import pytest
import torch

import torchkeras as tk


def reference_outline(height, width, box, thickness):
    """True where a pixel lies on the outline of `box` (xyxy ints): within `thickness // 2`
    outside and `(thickness - 1) // 2` inside each edge."""
    x1, y1, x2, y2 = box
    outer, inner = thickness // 2, (thickness - 1) // 2
    rows, cols = np.mgrid[0:height, 0:width]
    in_outer = (rows >= y1 - outer) & (rows <= y2 + outer) & (cols >= x1 - outer) & (cols <= x2 + outer)
    in_hole = (rows > y1 + inner) & (rows < y2 - inner) & (cols > x1 + inner) & (cols < x2 - inner)
    return in_outer & ~in_hole


@pytest.mark.parametrize("thickness", [1, 2, 3])
def test_outlines_match_reference(thickness):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 20, 24, 3)).astype("uint8")
    boxes = np.array([[[3, 4, 15, 12], [0, 0, 30, 30]], [[5.7, 2.2, 20.9, 18.5], [1, 1, 2, 2]]], "float32")
    labels = np.array([[0, -1], [1, 2]])
    color = (255, 0, 10)
    out = tk.visualization.draw_bounding_boxes(
        images, {"boxes": boxes, "labels": labels}, "xyxy", color=color, line_thickness=thickness
    )
    assert out.dtype == np.uint8 and out.shape == images.shape
    expected = images.copy()
    painted = [(0, (3, 4, 15, 12)), (1, (5, 2, 20, 18)), (1, (1, 1, 2, 2))]  # label -1 skipped
    for index, box in painted:
        expected[index][reference_outline(20, 24, box, thickness)] = color
    np.testing.assert_array_equal(out, expected)


def test_float_images_relative_boxes_and_channels_first():
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 1, size=(1, 3, 10, 16)).astype("float32")  # channels first, [0, 1]
    boxes = torch.tensor([[[0.25, 0.2, 0.75, 0.8]]])  # rel_xyxy -> (4, 2, 12, 8)
    out = tk.visualization.draw_bounding_boxes(
        torch.from_numpy(images),
        {"boxes": boxes, "labels": torch.tensor([[3]])},
        "rel_xyxy",
        color=(0, 255, 0),
        line_thickness=1,
        data_format="channels_first",
    )
    assert out.shape == images.shape
    expected = (images.transpose(0, 2, 3, 1) * 255).astype("uint8")
    expected[0][reference_outline(10, 16, (4, 2, 12, 8), 1)] = (0, 255, 0)
    np.testing.assert_array_equal(out.transpose(0, 2, 3, 1), expected)


def test_labels_are_written_above_or_inside_the_box():
    pytest.importorskip("PIL")
    images = np.zeros((1, 80, 100, 3), "uint8")
    boxes = np.array([[[10, 50, 60, 75], [60, 2, 95, 40]]], "float32")
    outline_only = tk.visualization.draw_bounding_boxes(
        images, {"boxes": boxes, "labels": np.array([[0, 1]])}, "xyxy", color=(255, 255, 255)
    )
    labelled = tk.visualization.draw_bounding_boxes(
        images,
        {"boxes": boxes, "labels": np.array([[0, 1]]), "confidences": np.array([[0.9, 0.5]])},
        "xyxy",
        class_mapping={0: "cat", 1: "dog"},
        color=(255, 255, 255),
        font_scale=0.5,
    )
    text = np.any(labelled[0] != outline_only[0], axis=-1)
    assert text.any()
    np.testing.assert_array_equal(labelled[0][text], np.full((text.sum(), 3), 255))
    # The first box has room above (50 - 8 - 12 > 0): its label's baseline is row 42 from column 10
    # ("|" descends one row below it).
    rows, cols = np.nonzero(text[:, :60])
    assert cols.min() >= 10 and rows.min() >= 30 and rows.max() <= 43
    assert (rows <= 42).mean() > 0.9
    # The second box has none: the baseline moves inside it, to (63, 2 + 2 * 6 + 1 + 3 = 18).
    rows, cols = np.nonzero(text[:, 60:])
    assert cols.min() + 60 >= 63 and rows.min() > 2 and rows.max() <= 19


def test_errors():
    images = np.zeros((1, 4, 4, 3))
    with pytest.raises(ValueError, match="4D"):
        tk.visualization.draw_bounding_boxes(images[0], {"boxes": [], "labels": []}, "xyxy")
    with pytest.raises(TypeError, match="dict"):
        tk.visualization.draw_bounding_boxes(images, np.zeros((1, 1, 4)), "xyxy")
    with pytest.raises(ValueError, match="labels"):
        tk.visualization.draw_bounding_boxes(images, {"boxes": np.zeros((1, 1, 4))}, "xyxy")


def test_gallery_is_saved_and_checks_legend(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(2)
    images = rng.uniform(0, 1, size=(2, 32, 32, 3)).astype("float32")
    y_true = {
        "boxes": np.array([[[2, 2, 20, 20]], [[5, 5, 25, 25]]], "float32"),
        "labels": np.array([[0], [1]]),
    }
    y_pred = {
        "boxes": np.array([[[3, 3, 21, 21]], [[6, 6, 26, 26]]], "float32"),
        "labels": np.array([[0], [-1]]),
    }
    path = tmp_path / "boxes.png"
    tk.visualization.plot_bounding_box_gallery(
        images,
        "xyxy",
        y_true=y_true,
        y_pred=y_pred,
        value_range=(0, 1),
        legend=True,
        rows=1,
        cols=2,
        path=str(path),
    )
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="legend"):
        tk.visualization.plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=[object()])
