"""`BaseImagePreprocessingLayer`: what the image layers share (factors, seeds, batching, warps).

A random image layer draws a transformation (`get_random_transformation`) and applies it
(`transform_images`), both public as in Keras, so a fixed transformation can be applied on
purpose. At inference (`training=False`, the default outside `fit`) random layers return their
input unchanged.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.image_ops import AFFINE_INTERPOLATIONS, FILL_MODES, affine_transform
from torchkeras.utils.validation import check_choice, did_you_mean, invalid

__all__ = [
    "BaseAffineLayer",
    "BaseImagePreprocessingLayer",
    "UnsupportedChoiceError",
    "check_supported",
    "check_value_range",
    "standardize_data_format",
]


class UnsupportedChoiceError(ValueError, NotImplementedError):
    """An unknown `fill_mode` / `interpolation`: a `ValueError`, and the `NotImplementedError`
    Keras raises for it, so code catching either keeps working."""


def standardize_data_format(data_format: str | None, owner: str | None = None) -> str:
    """`None` -> the global `image_data_format()`; otherwise one of the two known formats."""
    if data_format is None:
        return config.image_data_format()
    return check_choice(data_format, ("channels_last", "channels_first"), "data_format", owner)


def check_supported(value: Any, choices: tuple[str, ...], argument: str, owner: str) -> str:
    """Returns `value` if it is one of `choices`, else raises `UnsupportedChoiceError`."""
    if value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        message = invalid(argument, f"must be one of {choices}", value, owner, hint)
        raise UnsupportedChoiceError(str(message))
    return value


def check_value_range(value_range: Any, owner: str) -> list:
    """Returns `value_range` as a list if it is a list or tuple of two numbers, else raises."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise invalid("value_range", "must be a list of two numbers", value_range, owner)
    if not all(_is_number(v) for v in value_range):
        raise invalid("value_range", "must be a list of two numbers", value_range, owner)
    return list(value_range)


class BaseImagePreprocessingLayer(Layer):
    """Base of the image preprocessing layers.

    Subclasses set `_USE_BASE_FACTOR` / `_FACTOR_BOUNDS` when they take a single `factor`, and
    implement `get_random_transformation` (the draw) and `_transform_batch` (applying it to a
    batch; `transform_images` handles single images and dtypes) or override `transform_images`.

    Args:
        factor: for layers using it, a number `f` (the range `[-f, f]`, clipped to the bounds)
            or a pair `(lower, upper)`, within `_FACTOR_BOUNDS`.
        data_format: `"channels_last"` (`(..., height, width, channels)`) or
            `"channels_first"`; `None` means `keras.config.image_data_format()`.
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS: tuple[float, float] = (-1, 1)

    def __init__(self, factor: Any = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, self._owner)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise invalid("factor", "is not an argument of this layer", factor, self._owner)
        self.built = True

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    @property
    def _float_dtype(self) -> torch.dtype:
        """The compute dtype, as a torch dtype."""
        return config.torch_dtype(self.compute_dtype)

    def _set_factor(self, factor: Any) -> None:
        low, high = self._FACTOR_BOUNDS
        expected = f"must be a number (or a list of two numbers) in the range [{low}, {high}]"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) and low <= f <= high for f in factor):
                raise invalid("factor", expected, factor, self._owner)
            lower, upper = sorted(factor)
        elif _is_number(factor):
            if not low <= factor <= high:
                raise invalid("factor", expected, factor, self._owner)
            lower, upper = max(-abs(factor), low), abs(factor)
        else:
            raise invalid("factor", expected, factor, self._owner)
        self.factor = (lower, upper)

    # ------------------------------------------------------------------ randomness

    def _generator(self, device: torch.device, seed: Any = None) -> torch.Generator | None:
        """The layer's generator on `device` (`None`: torch's global one), or a fresh one from
        an explicit integer `seed` / a given `torch.Generator`."""
        if isinstance(seed, torch.Generator):
            return seed
        if seed is not None:
            return torch.Generator(device=device).manual_seed(int(seed))
        random = self.__dict__.get("_random")
        return None if random is None else random.generator(device)

    def _uniform(
        self,
        shape: tuple[int, ...],
        low: float,
        high: float,
        like: torch.Tensor,
        seed: Any = None,
        dtype: Any = None,
    ) -> torch.Tensor:
        """Uniform samples in `[low, high)` (floatx by default) on `like`'s device, drawn as
        Keras draws them: `(high - low) * u + low`, so `low == high` gives exactly `low`."""
        generator = self._generator(like.device, seed)
        noise = torch.rand(shape, generator=generator, dtype=config.torch_dtype(dtype), device=like.device)
        return (high - low) * noise + low

    @staticmethod
    def _default_seed() -> int:
        return random.randint(1, int(1e9))

    # ------------------------------------------------------------------ shapes

    def _check_rank(self, images: torch.Tensor) -> None:
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{self._owner}: expected images of rank 3 (one image) or 4 (a batch). "
                f"Received: inputs.shape={tuple(images.shape)}"
            )

    def _height_width(self, images: Any) -> tuple[int, int]:
        shape = tuple(images.shape)
        if self.data_format == "channels_last":
            return shape[-3], shape[-2]
        return shape[-2], shape[-1]

    # ------------------------------------------------------------------ the call

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """The random parameters for the batch `data` (`None` when nothing is drawn)."""
        return None

    def transform_images(
        self, images: Any, transformation: Any = None, training: bool = True
    ) -> torch.Tensor:
        """Applies `transformation` to `images` (rank 3 or 4) when `training`."""
        images = torch.as_tensor(images).to(self._float_dtype)
        if not training or transformation is None:
            return images
        if images.ndim == 3:
            return self._transform_batch(images.unsqueeze(0), transformation).squeeze(0)
        return self._transform_batch(images, transformation)

    def _transform_batch(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `_transform_batch(images, transformation)`."
        )

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        self._check_rank(inputs)
        if not training:
            return self._inference(inputs)
        transformation = self.get_random_transformation(inputs, training=True)
        return self.transform_images(inputs, transformation, training=True)

    def _inference(self, inputs: torch.Tensor) -> torch.Tensor:
        """The inference output: the images in the compute dtype, unchanged (as Keras)."""
        return inputs.to(self._float_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class BaseAffineLayer(BaseImagePreprocessingLayer):
    """Base of the geometric layers that warp images (rotation, translation, zoom)."""

    _USE_BASE_FACTOR = False

    def _set_warp_options(self, fill_mode: str, interpolation: str, fill_value: float) -> None:
        self.fill_mode = check_supported(fill_mode, FILL_MODES, "fill_mode", self._owner)
        self.interpolation = check_supported(
            interpolation, AFFINE_INTERPOLATIONS, "interpolation", self._owner
        )
        self.fill_value = fill_value

    def _factor_range(self, factor: Any, argument: str, open_low: bool = False) -> tuple[float, float]:
        """`(lower, upper)` from a number `f` (`(-f, f)`) or a pair, each in [-1, 1] (or (-1, 1])."""
        interval = "(-1.0, 1.0]" if open_low else "[-1.0, 1.0]"
        expected = f"must be a number (or a list of two numbers) in the range {interval}"

        def valid(value: Any) -> bool:
            return _is_number(value) and (value > -1.0 if open_low else value >= -1.0) and value <= 1.0

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(valid(f) for f in factor):
                raise invalid(argument, expected, factor, self._owner)
            lower, upper = sorted(factor)
            return lower, upper
        if not valid(factor):
            raise invalid(argument, expected, factor, self._owner)
        return -abs(factor), abs(factor)

    def _warp(self, images: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        return affine_transform(
            images, matrix, self.interpolation, self.fill_mode, self.fill_value, self.data_format
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
