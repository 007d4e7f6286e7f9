"""ImageNet conventions shared by the applications (`keras.applications.imagenet_utils`).

`preprocess_input` scales images the way each family's published weights were trained
("caffe": RGB→BGR then mean-centred, "tf": to [-1, 1], "torch": to [0, 1] then standardized);
`decode_predictions` turns a batch of 1000-way scores into `(class_id, name, score)` tuples using
Keras's ImageNet class index, fetched once into the Keras cache. The private helpers check the
constructors' `input_shape` and `classifier_activation` with Keras's rules and messages.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import torch

from torchkeras import activations, config, ops
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.utils.file_utils import get_file

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # B, G, R
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_class_index: dict[str, list[str]] | None = None


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Preprocesses a batch of images (a NumPy array or a tensor, values in [0, 255]).

    Args:
        x: 3D or 4D images with 3 colour channels. A floating NumPy array is modified in place.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        mode: `"caffe"` (RGB→BGR, then subtract the ImageNet mean per channel), `"tf"` (scale to
            [-1, 1]) or `"torch"` (scale to [0, 1], then standardize per channel).

    Returns:
        The preprocessed images, float32 (or the input's floating dtype).

    Raises:
        ValueError: for an unknown `mode` or `data_format`.
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(config.floatx(), copy=False)
        return _preprocess_array(x, data_format, mode)
    if not isinstance(x, (torch.Tensor, KerasTensor)):
        x = torch.as_tensor(np.asarray(x))
    if not config.standardize_dtype(x.dtype).startswith(("float", "bfloat")):
        x = ops.cast(x, config.floatx())
    return _preprocess_tensor(x, data_format, mode)


def _channel_shape(ndim: int, data_format: str) -> list[int]:
    """The broadcast shape of a per-channel constant: `[1, 1, 1, 3]`, `[1, 3, 1, 1]`, `[3, 1, 1]`..."""
    shape = [1] * ndim
    shape[(0 if ndim == 3 else 1) if data_format == "channels_first" else ndim - 1] = 3
    return shape


def _preprocess_array(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    """NumPy images, changed in place where the dtype allows (as Keras does)."""
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    shape = _channel_shape(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        x -= np.asarray(_TORCH_MEAN, dtype=x.dtype).reshape(shape)
        x /= np.asarray(_TORCH_STD, dtype=x.dtype).reshape(shape)
        return x
    x = np.flip(x, axis=shape.index(3))
    x -= np.asarray(_CAFFE_MEAN, dtype=x.dtype).reshape(shape)
    return x


def _preprocess_tensor(x: Any, data_format: str, mode: str) -> Any:
    """Tensors (eager or symbolic); the input tensor itself is never modified."""
    if mode == "tf":
        return x / 127.5 - 1.0
    shape = _channel_shape(x.ndim, data_format)
    dtype = config.standardize_dtype(x.dtype)
    if mode == "torch":
        mean = ops.reshape(ops.convert_to_tensor(_TORCH_MEAN, dtype=dtype), shape)
        std = ops.reshape(ops.convert_to_tensor(_TORCH_STD, dtype=dtype), shape)
        return (x / 255.0 - mean) / std
    mean = ops.reshape(ops.convert_to_tensor(_CAFFE_MEAN, dtype=dtype), shape)
    return torch.flip(x, dims=(shape.index(3),)) - mean


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions into the `top` `(class_id, class_name, score)` tuples per sample.

    Args:
        preds: scores of shape `(samples, 1000)` (NumPy array or tensor).
        top: how many guesses to return per sample.

    Returns:
        One list of tuples per sample, best first.

    Raises:
        ValueError: when `preds` is not of shape `(samples, 1000)`.
    """
    global _class_index
    shape = tuple(preds.shape)
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {shape}"
        )
    if _class_index is None:
        path = get_file(
            "imagenet_class_index.json", CLASS_INDEX_URL, cache_subdir="models", file_hash=CLASS_INDEX_HASH
        )
        with open(path) as file:
            _class_index = json.load(file)
    if isinstance(preds, torch.Tensor):
        preds = preds.detach().cpu().numpy()
    results = []
    for row in np.asarray(preds):
        best = row.argsort()[-top:][::-1]
        decoded = [(*_class_index[str(i)], row[i]) for i in best]
        decoded.sort(key=lambda item: item[2], reverse=True)
        results.append(decoded)
    return results


def obtain_input_shape(
    input_shape: tuple | None,
    default_size: int,
    min_size: int,
    data_format: str,
    require_flatten: bool,
    weights: str | None = None,
) -> tuple:
    """Checks a constructor's `input_shape` (or picks the default) with Keras's rules and messages."""
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {channels} input channels.",
                stacklevel=3,
            )
        default = (
            (channels, default_size, default_size)
            if channels_first
            else (default_size, default_size, channels)
        )
    else:
        default = (3, default_size, default_size) if channels_first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default}.  Received: input_shape={input_shape}"
            )
        return default
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if any(size is not None and size < min_size for size in spatial):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs: Any, kernel_size: int | tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The zero padding that makes a strided "valid" convolution centre like TF's "same" one."""
    first = 2 if config.image_data_format() == "channels_first" else 1
    size = inputs.shape[first : first + 2]
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel[0] // 2, kernel[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation: Any, weights: str | None) -> None:
    """Pretrained classifiers allow only `softmax` or no activation on their top layer."""
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation}"
        )
