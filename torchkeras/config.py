"""Global settings (`keras.config`): float type, fuzz factor, image format, debugging limits, switches."""

from __future__ import annotations

import os
from typing import Any

import torch

__all__ = [
    "backend",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "random_seed_resets",
    "set_backend",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
    "set_random_seed",
    "standardize_dtype",
    "torch_dtype",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_first", "channels_last")
# Debugging limits on fit / evaluate / predict, also read from the environment as in Keras.
_LIMITS: dict[str, int | None] = {
    "epochs": int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None,
    "steps_per_epoch": int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
    if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ
    else None,
}
# Switches: flash attention (None = torch picks the SDPA kernel), interactive logging, tracebacks.
_SWITCHES: dict[str, Any] = {
    "flash_attention": None,
    "interactive_logging": True,
    "traceback_filtering": True,
}
_RANDOM_SEED_RESETS = [0]


def floatx() -> str:
    """Returns the default float type, as a string (e.g. `"float32"`)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float type (`"float16"`, `"bfloat16"`, `"float32"` or `"float64"`)."""
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"`value` must be one of {_FLOAT_TYPES}. Received: value={value!r}")
    _FLOATX = value


def epsilon() -> float:
    """Returns the fuzz factor used in numeric expressions (default `1e-7`)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Returns the default image data format, `"channels_last"` unless changed."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Sets the default image data format (`"channels_last"` or `"channels_first"`)."""
    global _IMAGE_DATA_FORMAT
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"`data_format` must be one of {_DATA_FORMATS}. Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def standardize_dtype(dtype: str | torch.dtype | None) -> str:
    """Returns the Keras name of `dtype` (`torch.float32` -> `"float32"`); `None` -> floatx."""
    if dtype is None:
        return _FLOATX
    if isinstance(dtype, torch.dtype):
        return str(dtype).removeprefix("torch.")
    name = getattr(dtype, "name", dtype)  # numpy dtypes and dtype policies
    if name == "string":
        return name  # text inputs: NumPy arrays of strings, no torch dtype (see `torch_dtype`)
    if not isinstance(name, str) or not isinstance(getattr(torch, name, None), torch.dtype):
        raise ValueError(f"`dtype` must name a torch dtype. Received: dtype={dtype!r}")
    return name


def torch_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """Returns the `torch.dtype` for a Keras dtype name; `None` -> floatx."""
    name = standardize_dtype(dtype)
    if name == "string":
        raise ValueError("`dtype='string'` has no torch dtype: text flows as NumPy arrays of strings.")
    return getattr(torch, name)


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, NumPy and torch (all devices), so runs are reproducible."""
    import random

    import numpy as np

    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"`seed` must be an integer. Received: seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    _RANDOM_SEED_RESETS[0] += 1  # `keras.random`'s global SeedGenerator starts afresh


def random_seed_resets() -> int:
    """How many times `set_random_seed` ran (the global `SeedGenerator` is rebuilt after each)."""
    return _RANDOM_SEED_RESETS[0]


def backend() -> str:
    """The name of the backend: always `"torch"`."""
    return "torch"


def set_backend(backend: str) -> None:
    """Accepts `"torch"`, the only backend torchkeras runs on; any other name is an error."""
    if backend != "torch":
        raise ValueError(
            "torchkeras runs on PyTorch only; use Keras itself for other backends. "
            f"Received: backend={backend!r}"
        )


def _limit(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"`max_{name}` must be a positive integer or None. Received: max_{name}={value!r}")
    _LIMITS[name] = value


def set_max_epochs(max_epochs: int | None) -> None:
    """Caps the epochs of every `fit` (a debugging aid; also `KERAS_MAX_EPOCHS`). `None` lifts it."""
    _limit("epochs", max_epochs)


def max_epochs() -> int | None:
    """The cap on `fit`'s epochs, or None."""
    return _LIMITS["epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Caps the steps of every epoch of `fit` / `evaluate` / `predict` (also
    `KERAS_MAX_STEPS_PER_EPOCH`). `None` lifts it."""
    _limit("steps_per_epoch", max_steps_per_epoch)


def max_steps_per_epoch() -> int | None:
    """The cap on steps per epoch, or None."""
    return _LIMITS["steps_per_epoch"]


def enable_flash_attention() -> None:
    """Lets attention layers use torch's flash SDPA kernel where the inputs allow it (the default)."""
    _SWITCHES["flash_attention"] = None


def disable_flash_attention() -> None:
    """Keeps attention layers created afterwards off torch's flash SDPA kernel."""
    _SWITCHES["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """`False` when disabled; otherwise `None` (torch picks the kernel), as in Keras."""
    return _SWITCHES["flash_attention"]


def enable_interactive_logging() -> None:
    """Progress bars and messages go to stdout (the default)."""
    _SWITCHES["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Messages go to Python's `logging` (logger `"torchkeras"`) instead of stdout."""
    _SWITCHES["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether messages go to stdout (True) or to Python's `logging` (False)."""
    return _SWITCHES["interactive_logging"]


def enable_traceback_filtering() -> None:
    """Records the wish to filter tracebacks. torchkeras never hides frames, so errors always show
    the full traceback (what Keras shows with filtering disabled)."""
    _SWITCHES["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Full tracebacks: what torchkeras always shows."""
    _SWITCHES["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """The value last set by `enable_` / `disable_traceback_filtering` (default True)."""
    return _SWITCHES["traceback_filtering"]


def enable_unsafe_deserialization() -> None:
    """Accepted for Keras compatibility. torchkeras never deserializes code (no pickled lambdas):
    a `Lambda` layer reloads only through a registered function, so there is nothing to unlock."""


def set_dtype_policy(policy: Any) -> None:
    """Sets the global dtype policy (`"float32"`, `"mixed_float16"`, ...); see `mixed_precision`."""
    from torchkeras import mixed_precision

    mixed_precision.set_global_policy(policy)


def dtype_policy() -> Any:
    """The global dtype policy."""
    from torchkeras import mixed_precision

    return mixed_precision.global_policy()
