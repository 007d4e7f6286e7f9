"""`Rescaling`: multiplies inputs by `scale` and adds `offset`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["Rescaling"]


def _serialize_value(value: Any) -> Any:
    """Numbers and lists as they are; NumPy arrays in Keras's `__numpy__` form."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _as_tensor(value: Any, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to(dtype)
    return torch.as_tensor(np.asarray(value, dtype="float64"), dtype=dtype)


def _deserialize_value(value: Any) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        return np.array(value["config"]["value"], dtype=value["config"]["dtype"])
    return value


@register_builtin
class Rescaling(Layer):
    """Rescales inputs: `outputs = inputs * scale + offset`, in training and at inference.

    E.g. `scale=1 / 255` maps `[0, 255]` to `[0, 1]`; `scale=1 / 127.5, offset=-1` maps it to
    `[-1, 1]`. Integer inputs give floats (the compute dtype).

    Args:
        scale: a number, or per-channel values (list or array) broadcast against the inputs;
            under the global `"channels_first"` image format a per-channel `scale` is aligned
            with the channel axis of images.
        offset: a number or per-channel values, added after scaling.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
    ```python
    layer = keras.layers.Rescaling(1.0 / 255)
    x = layer(np.array([[0, 255]]))  # [[0., 1.]]
    ```
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        dtype = config.torch_dtype(self.compute_dtype)
        scale_tensor = _as_tensor(scale, dtype)
        if scale_tensor.ndim and config.image_data_format() == "channels_first":
            scale_tensor = scale_tensor.reshape(*scale_tensor.shape, *(1,) * (3 - scale_tensor.ndim))
        # Constants, not weights: they follow `.to(device)` but stay out of `state_dict`.
        self.register_buffer("_scale", scale_tensor, persistent=False)
        self.register_buffer("_offset", _as_tensor(offset, dtype), persistent=False)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self._scale.dtype)
        return inputs * self._scale.to(inputs.device) + self._offset.to(inputs.device)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "scale": _serialize_value(self.scale),
            "offset": _serialize_value(self.offset),
        }

    @classmethod
    def from_config(cls, config: dict) -> Rescaling:
        config = dict(config)
        config["scale"] = _deserialize_value(config["scale"])
        config["offset"] = _deserialize_value(config["offset"])
        return cls(**config)
