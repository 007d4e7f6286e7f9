"""torchkeras.ops.image against keras.ops.image (parity table), plus reference formulas where
Keras's torch backend lacks a method or departs from its own documentation."""

import numpy as np
import pytest
import torch

from tests.ops.parity import case as row
from tests.ops.parity import run_case
from torchkeras import ops

rng = np.random.default_rng(6)
IMAGES = torch.as_tensor(rng.uniform(0, 1, (2, 8, 7, 3)).astype("float32"))
IMAGE = IMAGES[0]
IMAGES_CF = IMAGES.permute(0, 3, 1, 2).contiguous()
BYTES = torch.as_tensor(rng.integers(0, 256, (2, 8, 7, 3)).astype("uint8"))
VOLUMES = torch.as_tensor(rng.standard_normal((2, 4, 6, 6, 2)).astype("float32"))
TRANSFORMS = torch.tensor(
    [[1.0, 0.2, -1.5, 0.1, 0.9, 0.7, 0.0, 0.0], [0.8, 0.0, 1.0, 0.0, 1.1, -0.5, 0.0, 0.0]]
)
START = torch.tensor([[0.0, 0.0], [6.0, 0.0], [0.0, 7.0], [6.0, 7.0]])
END = torch.tensor([[0.5, 0.3], [5.5, 0.0], [0.2, 6.8], [6.2, 7.1]])
GRID = torch.as_tensor(rng.uniform(-2, 9, (2, 5, 4)).astype("float32"))
IM = "image"

IMAGE_CASES = [
    row("rgb_to_grayscale", IMAGES, namespace=IM),
    row("rgb_to_grayscale", IMAGES_CF, data_format="channels_first", namespace=IM),
    row("rgb_to_grayscale", IMAGE, namespace=IM),
    row("rgb_to_hsv", IMAGES, namespace=IM),
    row("rgb_to_hsv", IMAGES_CF, data_format="channels_first", namespace=IM),
    row("hsv_to_rgb", IMAGES, namespace=IM),
    row("resize", IMAGES, (5, 9), namespace=IM),
    row("resize", IMAGES, (16, 14), interpolation="nearest", namespace=IM),
    row("resize", IMAGES, (4, 3), interpolation="bicubic", antialias=True, namespace=IM),
    row("resize", IMAGES, (4, 4), antialias=True, namespace=IM),
    row("resize", IMAGES, (6, 6), crop_to_aspect_ratio=True, namespace=IM),
    row("resize", IMAGES, (6, 9), pad_to_aspect_ratio=True, fill_value=0.5, namespace=IM),
    row("resize", IMAGES_CF, (5, 5), data_format="channels_first", namespace=IM),
    row("resize", BYTES, (5, 9), namespace=IM),
    row("affine_transform", IMAGES, TRANSFORMS, namespace=IM),
    row("affine_transform", IMAGE, TRANSFORMS[0], interpolation="nearest", namespace=IM),
    *(
        row("affine_transform", IMAGES, TRANSFORMS, fill_mode=mode, namespace=IM)
        for mode in ("nearest", "wrap", "mirror", "reflect")
    ),  # fmt: skip
    row(
        "affine_transform", IMAGES_CF, TRANSFORMS, fill_value=0.3, data_format="channels_first", namespace=IM
    ),
    row("perspective_transform", IMAGES, START, END, namespace=IM, rtol=1e-4),
    row("perspective_transform", IMAGE, START, END, interpolation="nearest", fill_value=1.0, namespace=IM),
    row("map_coordinates", IMAGE[..., 0], GRID, 1, namespace=IM),
    row("map_coordinates", IMAGE[..., 0], GRID, 0, fill_mode="wrap", namespace=IM),
    row("map_coordinates", IMAGE[..., 0], GRID, 1, fill_mode="mirror", namespace=IM),
    row("map_coordinates", IMAGE[..., 0], GRID, 1, fill_mode="reflect", namespace=IM),
    row("map_coordinates", IMAGE[..., 0], GRID, 1, fill_mode="nearest", fill_value=2.0, namespace=IM),
    # Keras 3.15's torch kernel reads data_format=None as channels_first: name the format.
    row("gaussian_blur", IMAGES, data_format="channels_last", namespace=IM),
    row("gaussian_blur", IMAGES, (5, 5), (1.5, 1.5), data_format="channels_last", namespace=IM),
    row("gaussian_blur", IMAGES_CF, data_format="channels_first", namespace=IM),
    row("sobel_edges", IMAGES, namespace=IM),
    row("sobel_edges", IMAGES_CF, data_format="channels_first", namespace=IM),
    row("extract_patches", IMAGES, 2, namespace=IM),
    row("extract_patches", IMAGES, (3, 2), strides=(2, 1), namespace=IM),
    row("extract_patches", IMAGES, 3, strides=2, padding="same", dilation_rate=1, namespace=IM),
    row("extract_patches", IMAGES, 2, strides=1, dilation_rate=2, namespace=IM),
    row("extract_patches", IMAGES_CF, 2, data_format="channels_first", namespace=IM),
    row("extract_patches", IMAGE, 4, namespace=IM),
    row("extract_patches_3d", VOLUMES, 2, namespace=IM),
    row("extract_patches_3d", VOLUMES, (2, 3, 3), strides=1, padding="same", namespace=IM),
    row("extract_patches", VOLUMES, (2, 2, 2), namespace=IM),
    row("pad_images", IMAGES, 1, 2, 3, 0, namespace=IM),
    row("pad_images", IMAGES, top_padding=2, left_padding=1, target_height=12, target_width=9, namespace=IM),
    row(
        "pad_images",
        IMAGES_CF,
        bottom_padding=1,
        right_padding=2,
        target_height=10,
        target_width=10,
        data_format="channels_first",
        namespace=IM,
    ),  # fmt: skip
    row("crop_images", IMAGES, 1, 2, 3, 1, namespace=IM),
    row("crop_images", IMAGE, top_cropping=2, left_cropping=1, target_height=4, target_width=5, namespace=IM),
    row(
        "crop_images",
        IMAGES_CF,
        bottom_cropping=1,
        right_cropping=2,
        target_height=5,
        target_width=3,
        data_format="channels_first",
        namespace=IM,
    ),  # fmt: skip
    row(
        "ssim",
        IMAGES,
        torch.clamp(
            IMAGES + 0.05 * torch.as_tensor(rng.standard_normal((2, 8, 7, 3)).astype("float32")), 0, 1
        ),
        filter_size=5,
        namespace=IM,
    ),  # fmt: skip
    row("ssim", IMAGE, IMAGE * 0.8, filter_size=3, filter_sigma=1.0, namespace=IM),
    row(
        "scale_and_translate",
        IMAGES,
        (2, 5, 11, 3),
        torch.tensor([0.6, 1.5]),
        torch.tensor([0.5, -1.0]),
        (1, 2),
        "bilinear",
        namespace=IM,
    ),  # fmt: skip
    row(
        "scale_and_translate",
        IMAGES,
        (2, 4, 4, 3),
        torch.tensor([0.5, 0.6]),
        torch.zeros(2),
        (1, 2),
        "lanczos3",
        namespace=IM,
    ),  # fmt: skip
    row(
        "scale_and_translate",
        IMAGES,
        (2, 12, 5, 3),
        torch.tensor([1.5, 0.7]),
        torch.zeros(2),
        (1, 2),
        "bicubic",
        antialias=False,
        namespace=IM,
    ),  # fmt: skip
]


@pytest.mark.parametrize("name, args, kwargs, options", IMAGE_CASES)
def test_image_parity(keras, name, args, kwargs, options):
    run_case(keras, name, args, kwargs, options)


@pytest.mark.parametrize("interpolation", ["lanczos3", "lanczos5"])
def test_resize_lanczos_is_scale_and_translate(interpolation):
    # Keras's torch backend has no Lanczos resize; JAX's resize is scale_and_translate.
    out = ops.image.resize(IMAGES, (5, 4), interpolation=interpolation, antialias=True)
    scales = torch.tensor([5 / 8, 4 / 7])
    expected = ops.image.scale_and_translate(
        IMAGES, (2, 5, 4, 3), scales, torch.zeros(2), (1, 2), interpolation
    )
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)
    flat = torch.full((1, 6, 6, 1), 0.25)
    np.testing.assert_allclose(
        ops.image.resize(flat, (3, 9), interpolation=interpolation).numpy(), 0.25, rtol=1e-5
    )


def test_resize_area_averages_blocks():
    out = ops.image.resize(IMAGES[:, :8, :6], (4, 3), interpolation="area")
    expected = IMAGES[:, :8, :6].reshape(2, 4, 2, 3, 2, 3).mean(dim=(2, 4))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_gaussian_blur_default_format_and_separable_kernel():
    x = torch.zeros(1, 7, 9, 1)
    x[0, 3, 4, 0] = 1.0
    out = ops.image.gaussian_blur(x, (3, 5), (0.8, 1.7))[0, ..., 0].numpy()
    rows = np.exp(-0.5 * (np.arange(-1, 2) / 0.8) ** 2)
    cols = np.exp(-0.5 * (np.arange(-2, 3) / 1.7) ** 2)
    expected = np.outer(rows / rows.sum(), cols / cols.sum())
    np.testing.assert_allclose(out[2:5, 2:7], expected, rtol=1e-6)
    assert out.sum() == pytest.approx(1.0, rel=1e-6)


def test_elastic_transform():
    assert ops.image.elastic_transform(IMAGES, seed=3).shape == IMAGES.shape
    np.testing.assert_array_equal(
        ops.image.elastic_transform(IMAGES, seed=3), ops.image.elastic_transform(IMAGES, seed=3)
    )
    identity = ops.image.elastic_transform(IMAGES_CF, alpha=0.0, data_format="channels_first")
    np.testing.assert_allclose(identity.numpy(), IMAGES_CF.numpy(), rtol=1e-6)
    moved = ops.image.elastic_transform(IMAGES, alpha=5.0, sigma=2.0, seed=1)
    assert not torch.allclose(moved, IMAGES)


def test_affine_projective_terms_divide():
    # TensorFlow's documented rule: k = c0 x + c1 y + 1 divides both coordinates.
    image = torch.arange(36.0).reshape(1, 6, 6, 1)
    transform = torch.tensor([2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.5, 0.0])
    out = ops.image.affine_transform(image, transform, interpolation="nearest")[0, ..., 0]
    for y in range(6):
        for x in range(6):
            k = 0.5 * x + 1
            sx, sy = round(2 * x / k), round(2 * y / k)
            want = image[0, sy, sx, 0] if 0 <= sx < 6 and 0 <= sy < 6 else 0.0
            assert out[y, x] == want


def test_image_errors():
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(IMAGES, (4, 4), interpolation="cubic")
    with pytest.raises(ValueError, match="rank 3"):
        ops.image.resize(IMAGES[0, 0], (4, 4))
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.affine_transform(IMAGES, TRANSFORMS, fill_mode="edge")
    with pytest.raises(ValueError, match="exactly two"):
        ops.image.pad_images(IMAGES, 1, 1, 1, 1, target_height=10)
    with pytest.raises(ValueError, match="order"):
        ops.image.map_coordinates(IMAGE[..., 0], GRID, 3)
