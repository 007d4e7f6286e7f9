"""Weight initializers, and `get` / `serialize` / `deserialize` to find them by name.

Names resolve through this module's own table (`ALL_OBJECTS_DICT`: class names, snake_case names and
Keras's aliases), so `"identity"` or `"Identity"` is always the initializer, never the
`Identity` layer. Classes are also registered as built-ins for saved configs, except `Identity`,
registered as `"IdentityInitializer"` because the name `"Identity"` belongs to the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchkeras import config as _config
from torchkeras.initializers.constant_initializers import STFT, Constant, Identity, Ones, Zeros
from torchkeras.initializers.initializer import Initializer
from torchkeras.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from torchkeras.utils.registry import ObjectTable, class_names, register_builtin
from torchkeras.utils.validation import invalid

__all__ = [
    "STFT",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

# Keras's lower-case aliases: the same classes.
IdentityInitializer = identity = Identity
OrthogonalInitializer = orthogonal = Orthogonal
STFTInitializer = stft = STFT
constant, ones, zeros = Constant, Ones, Zeros
glorot_normal, glorot_uniform = GlorotNormal, GlorotUniform
he_normal, he_uniform = HeNormal, HeUniform
lecun_normal, lecun_uniform = LecunNormal, LecunUniform
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling

_CLASSES = (
    Initializer, Constant, Identity, Ones, STFT, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
    LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
)  # fmt: skip

ALL_OBJECTS_DICT: dict[str, type[Initializer]] = class_names(_CLASSES)
ALL_OBJECTS_DICT.update(
    {
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "STFTInitializer": STFT,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "one": Ones,
        "zero": Zeros,
    }
)
for _cls in _CLASSES:
    register_builtin(_cls, "IdentityInitializer" if _cls is Identity else None)


_TABLE = ObjectTable(ALL_OBJECTS_DICT, "keras.initializers", "initializer")


def serialize(initializer: Initializer | None) -> dict[str, Any] | None:
    """Returns Keras's config dict: `{"module", "class_name", "config", "registered_name"}`."""
    return _TABLE.serialize(initializer)


def deserialize(config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Returns the initializer described by a name (`"he_normal"`) or a Keras config dict."""
    return _TABLE.deserialize(config, custom_objects)


def get(identifier: Any) -> Initializer | Callable[..., torch.Tensor] | None:
    """Returns an initializer from a name, a config dict, a class, an instance, a callable
    `(shape, dtype=None)`, or a tensor/array (used as the exact initial value); `None` gives `None`.

    Example:
    ```python
    init = torchkeras.initializers.get("glorot_uniform")
    kernel = init((3, 4))
    ```
    """
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _from_value(identifier)
    return _TABLE.get(identifier, "must be a name, a config dict, an Initializer, a callable or a tensor")


def _from_value(value: Any) -> Callable[..., torch.Tensor]:
    """An initializer returning a copy of `value`, for a `shape` equal to `value.shape`."""

    def initialize(shape: Sequence[int], dtype: Any = None, device: Any = None) -> torch.Tensor:
        if tuple(shape) != tuple(value.shape):
            raise invalid("shape", f"must equal the initial value's shape {tuple(value.shape)}", tuple(shape))
        tensor = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        return tensor.to(dtype=_config.torch_dtype(dtype), device=device, copy=True)

    return initialize
