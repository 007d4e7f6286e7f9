"""`keras.utils.bounding_boxes`: every function against Keras on the same boxes."""

import numpy as np
import pytest
import torch

from torchkeras.utils import bounding_boxes as bb

FORMATS = [
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
]
HEIGHT, WIDTH = 40, 60


def numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def random_xyxy(rng, shape):
    x1 = rng.uniform(0, WIDTH - 10, shape)
    y1 = rng.uniform(0, HEIGHT - 10, shape)
    w = rng.uniform(1, 10, shape)
    h = rng.uniform(1, 10, shape)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=-1).astype("float32")


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_convert_format_matches_keras(keras, source, target):
    rng = np.random.default_rng(0)
    boxes = keras.utils.bounding_boxes.convert_format(
        random_xyxy(rng, (2, 5)), "xyxy", source, height=HEIGHT, width=WIDTH
    )
    boxes = keras.ops.convert_to_numpy(boxes)
    ours = bb.convert_format(boxes, source, target, height=HEIGHT, width=WIDTH)
    theirs = keras.utils.bounding_boxes.convert_format(boxes, source, target, height=HEIGHT, width=WIDTH)
    np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-4)


def test_convert_format_round_trip_and_dict():
    rng = np.random.default_rng(1)
    boxes = random_xyxy(rng, (7,))
    labels = np.arange(7)
    converted = bb.convert_format(
        {"boxes": boxes, "labels": labels}, "xyxy", "rel_center_xywh", HEIGHT, WIDTH
    )
    assert converted["labels"] is labels
    back = bb.convert_format(converted["boxes"], "REL_CENTER_XYWH", "xyxy", height=HEIGHT, width=WIDTH)
    np.testing.assert_allclose(numpy(back), boxes, atol=1e-4)
    xywh = numpy(bb.convert_format(boxes, "xyxy", "xywh"))
    np.testing.assert_allclose(xywh[:, 2], boxes[:, 2] - boxes[:, 0], rtol=1e-6)
    assert bb.convert_format(boxes, "xyxy", "xyxy", dtype="float64").dtype == torch.float64


def test_convert_format_errors():
    with pytest.raises(ValueError, match="source"):
        bb.convert_format(np.zeros((2, 4)), "xyxx", "xyxy")
    with pytest.raises(ValueError, match="last dimension of 4"):
        bb.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="height"):
        bb.convert_format(np.zeros((2, 4)), "xyxy", "rel_xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size_matches_keras(keras, fmt):
    boxes = np.array([[[-10, -20, 150, 160], [50, 40, 70, 80], [-5, 10, -1, 30]]], "float32")
    if fmt == "rel_xyxy":
        boxes = boxes / 100.0
    labels = np.array([[0, 1, 2]], "int32")
    ours = bb.clip_to_image_size({"boxes": boxes, "labels": labels}, 100, 120, bounding_box_format=fmt)
    theirs = keras.utils.bounding_boxes.clip_to_image_size(
        {"boxes": boxes, "labels": labels}, 100, 120, bounding_box_format=fmt
    )
    np.testing.assert_allclose(numpy(ours["boxes"]), keras.ops.convert_to_numpy(theirs["boxes"]), atol=1e-6)
    np.testing.assert_array_equal(numpy(ours["labels"]), keras.ops.convert_to_numpy(theirs["labels"]))
    assert numpy(ours["labels"]).tolist() == [[0, 1, -1]]


def test_crop_and_pad_match_keras(keras):
    rng = np.random.default_rng(2)
    boxes = random_xyxy(rng, (2, 6))
    ours = bb.crop(boxes, top=10, left=20, height=25, width=30)
    theirs = keras.utils.bounding_boxes.crop(boxes, top=10, left=20, height=25, width=30)
    np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), atol=1e-5)
    ours = bb.pad(boxes, top=3, left=7)
    theirs = keras.utils.bounding_boxes.pad(boxes, top=3, left=7)
    np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), atol=1e-5)
    with pytest.raises(NotImplementedError, match="xyxy"):
        bb.pad(boxes, 1, 1, bounding_box_format="xywh")


def test_affine_transform_matches_keras(keras):
    rng = np.random.default_rng(3)
    boxes = random_xyxy(rng, (3, 4))
    params = {
        name: rng.uniform(low, high, (3,)).astype("float32")
        for name, (low, high) in {
            "angle": (-30, 30),
            "translate_x": (-0.2, 0.2),
            "translate_y": (-0.2, 0.2),
            "scale": (0.8, 1.2),
            "shear_x": (-10, 10),
            "shear_y": (-10, 10),
        }.items()
    }
    ours = bb.affine_transform(
        boxes, **{k: torch.tensor(v) for k, v in params.items()}, height=HEIGHT, width=WIDTH
    )
    theirs = keras.utils.bounding_boxes.affine_transform(
        boxes, **{k: keras.ops.convert_to_tensor(v) for k, v in params.items()}, height=HEIGHT, width=WIDTH
    )
    np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-4, atol=1e-3)


def test_affine_identity_keeps_boxes():
    rng = np.random.default_rng(4)
    boxes = random_xyxy(rng, (2, 3))
    out = bb.affine_transform(boxes, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, HEIGHT, WIDTH)
    np.testing.assert_allclose(numpy(out), boxes, atol=1e-4)


@pytest.mark.parametrize("shapes", [((5,), (3,)), ((2, 5), (2, 3)), ((5,), (2, 3)), ((2, 5), (3,))])
@pytest.mark.parametrize("fmt", ["xyxy", "center_xywh", "rel_yxyx"])
def test_compute_iou_matches_keras(keras, shapes, fmt):
    rng = np.random.default_rng(5)
    first, second = (random_xyxy(rng, shape) for shape in shapes)
    first[..., 0, :] = -1.0  # a padding box, masked below
    first = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.convert_format(first, "xyxy", fmt, height=HEIGHT, width=WIDTH)
    )
    second = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.convert_format(second, "xyxy", fmt, height=HEIGHT, width=WIDTH)
    )
    # Keras's masking fails on mixed ranks (it transposes by the rank of `boxes1`), so mixed ranks
    # compare the unmasked IoUs only.
    for masking in (False, True) if first.ndim == second.ndim else (False,):
        kwargs = {"use_masking": masking, "image_shape": (HEIGHT, WIDTH, 3)}
        ours = bb.compute_iou(first, second, fmt, **kwargs)
        theirs = keras.utils.bounding_boxes.compute_iou(first, second, fmt, **kwargs)
        np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-5)


def test_compute_iou_reference_values():
    boxes1 = np.array([[0, 0, 10, 10]], "float32")
    boxes2 = np.array([[5, 5, 15, 15], [0, 0, 10, 10], [20, 20, 30, 30]], "float32")
    iou = numpy(bb.compute_iou(boxes1, boxes2, "xyxy"))
    np.testing.assert_allclose(iou, [[25 / 175, 1.0, 0.0]], atol=1e-5)
    batched = np.stack([boxes2, -np.ones_like(boxes2)])  # the second image holds padding only
    masked = numpy(bb.compute_iou(boxes1, batched, "xyxy", use_masking=True, mask_val=-5))
    assert masked.shape == (2, 1, 3)
    np.testing.assert_allclose(masked[0], iou, atol=1e-6)
    np.testing.assert_array_equal(masked[1], -5)


def test_compute_ciou_matches_keras(keras):
    rng = np.random.default_rng(6)
    first, second = random_xyxy(rng, (2, 5)), random_xyxy(rng, (2, 5))
    ours = bb.compute_ciou(first, second, "xyxy")
    theirs = keras.utils.bounding_boxes.compute_ciou(first, second, "xyxy")
    np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-5)
    same = numpy(bb.compute_ciou(first, first, "xyxy"))
    np.testing.assert_allclose(same, np.ones_like(same), atol=1e-4)
    with pytest.raises(ValueError, match="relative"):
        bb.compute_ciou(first, second, "rel_xyxy")


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_deltas_match_keras_and_round_trip(keras, encoding, variance):
    rng = np.random.default_rng(7)
    anchors = random_xyxy(rng, (6,))
    boxes = random_xyxy(rng, (2, 6))
    kwargs = {"variance": variance, "image_shape": (HEIGHT, WIDTH, 3)}
    ours = bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", encoding_format=encoding, **kwargs)
    theirs = keras.utils.bounding_boxes.encode_box_to_deltas(
        anchors, boxes, "xyxy", "xyxy", encoding_format=encoding, **kwargs
    )
    np.testing.assert_allclose(numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-5)
    decoded = bb.decode_deltas_to_boxes(anchors, ours, "xyxy", "rel_xyxy", encoded_format=encoding, **kwargs)
    theirs = keras.utils.bounding_boxes.decode_deltas_to_boxes(
        anchors,
        keras.ops.convert_to_tensor(numpy(ours)),
        "xyxy",
        "rel_xyxy",
        encoded_format=encoding,
        **kwargs,
    )
    np.testing.assert_allclose(numpy(decoded), keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(numpy(decoded) * [WIDTH, HEIGHT, WIDTH, HEIGHT], boxes, atol=1e-3)


def test_decode_dict_levels_and_errors():
    rng = np.random.default_rng(8)
    anchors = {"P3": random_xyxy(rng, (4,)), "P4": random_xyxy(rng, (2,))}
    deltas = {"P3": np.zeros((4, 4), "float32"), "P4": np.zeros((2, 4), "float32")}
    out = bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy")
    for level in anchors:
        np.testing.assert_allclose(numpy(out[level]), anchors[level], atol=1e-4)
    with pytest.raises(ValueError, match="variance"):
        bb.encode_box_to_deltas(anchors["P3"], anchors["P3"], "xyxy", "xyxy", variance=[1, 2])
    with pytest.raises(ValueError, match="encoding_format"):
        bb.encode_box_to_deltas(anchors["P3"], anchors["P3"], "xyxy", "xyxy", encoding_format="xyxy")
