"""`SpectralNormalization`: keeps a layer's kernel at spectral norm 1 (power iteration)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import initializers
from torchkeras.layers.core.wrapper import Wrapper
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin

__all__ = ["SpectralNormalization"]


@register_builtin
class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's `kernel` (or `embeddings`) by its largest singular value,
    estimated by power iteration, on every training call; at inference the layer runs as is.

    As in Keras, the normalized kernel is written back into the wrapped layer (outside the
    gradient), and the running singular vector `vector_u` is a non-trainable weight.

    Args:
        layer: a layer with a `kernel` or `embeddings` weight (Dense, Conv*, Embedding, ...).
        power_iterations: power-iteration steps per training call.

    Example:
    ```python
    layer = keras.layers.SpectralNormalization(keras.layers.Conv2D(2, 2))
    ```
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any):
        super().__init__(layer, **kwargs)
        if (
            isinstance(power_iterations, bool)
            or not isinstance(power_iterations, int)
            or power_iterations <= 0
        ):
            raise ValueError(
                "`power_iterations` should be greater than zero. "
                f"Received: `power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if hasattr(self.layer, "kernel"):
            kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            kernel = self.layer.embeddings
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        self._kernel_name = "kernel" if hasattr(self.layer, "kernel") else "embeddings"
        self.kernel = kernel  # also this layer's own weight, as in Keras (weight order, saved files)
        self.vector_u = self.add_weight(
            shape=(1, _keras_value(kernel).shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if training:
            with torch.no_grad():
                kernel = getattr(self.layer, self._kernel_name)
                value = _keras_value(kernel)
                if bool(torch.any(value != 0)):
                    vector_u, normalized = self.normalized_weights()
                    self.vector_u.copy_(vector_u)
                    _assign(kernel, normalized)
        outputs = self.layer(inputs)
        return outputs.to(inputs.dtype) if inputs.is_floating_point() else outputs

    def normalized_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """`(vector_u, kernel / sigma)`: one power-iteration update and the normalized kernel,
        both in Keras's layout."""
        kernel = _keras_value(getattr(self.layer, self._kernel_name)).detach()
        weights = kernel.reshape(-1, kernel.shape[-1])
        vector_u = self.vector_u.detach().to(weights.dtype)
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(vector_u @ weights.t())
            vector_u = _l2_normalize(vector_v @ weights)
        sigma = vector_v @ weights @ vector_u.t()
        return vector_u, (kernel / sigma).reshape(kernel.shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _keras_value(weight: torch.Tensor) -> torch.Tensor:
    """A weight in Keras's layout (layers may store some weights transposed for torch)."""
    keras_value = getattr(weight, "keras_value", None)
    return keras_value() if keras_value is not None else weight


def _assign(weight: torch.Tensor, value: torch.Tensor) -> None:
    if hasattr(weight, "assign"):
        weight.assign(value)
    else:
        weight.copy_(value)


def _l2_normalize(x: torch.Tensor, epsilon: float = 1e-7) -> torch.Tensor:
    """Keras's `normalize(x, axis=None)`: `x * min(1 / sqrt(sum(x ** 2)), 1 / epsilon)`."""
    return x * torch.clamp(torch.rsqrt((x * x).sum()), max=1.0 / epsilon)
