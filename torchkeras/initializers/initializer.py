"""The `Initializer` base class: a callable `(shape, dtype=None) -> tensor` with a config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["Initializer"]


class Initializer:
    """Base class for weight initializers.

    Subclasses implement `__call__(shape, dtype=None)` and return a tensor of that shape, and
    `get_config()` when their constructor takes arguments, so they can be saved and rebuilt.

    Example:
    ```python
    class ExampleRandomNormal(torchkeras.initializers.Initializer):
        def __init__(self, mean, stddev):
            self.mean = mean
            self.stddev = stddev

        def __call__(self, shape, dtype=None):
            return torch.normal(self.mean, self.stddev, size=shape)

        def get_config(self):
            return {"mean": self.mean, "stddev": self.stddev}
    ```
    """

    def __call__(self, shape: Sequence[int], dtype: str | torch.dtype | None = None) -> torch.Tensor:
        """Returns a tensor of `shape` and `dtype` (floatx when `None`)."""
        raise NotImplementedError("Initializer subclasses must implement `__call__(shape, dtype=None)`.")

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Builds an initializer from the output of `get_config()`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """Returns a new initializer with the same config."""
        return self.__class__.from_config(self.get_config())
