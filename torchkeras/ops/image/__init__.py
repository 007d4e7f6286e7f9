"""Image ops (`keras.ops.image`): colour, resizing, warps, patches, filters, similarity."""

from __future__ import annotations

from torchkeras.ops.image.color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from torchkeras.ops.image.filters import gaussian_blur, sobel_edges
from torchkeras.ops.image.geometry import (
    affine_transform,
    elastic_transform,
    map_coordinates,
    perspective_transform,
)
from torchkeras.ops.image.patches import crop_images, extract_patches, extract_patches_3d, pad_images
from torchkeras.ops.image.quality import ssim
from torchkeras.ops.image.resize import resize, scale_and_translate

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]
