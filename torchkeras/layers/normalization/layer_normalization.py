"""`LayerNormalization`: normalizes each sample over the feature axes."""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras.layers.normalization.base_normalization import (
    AffineNormalization,
    check_axis_argument,
    positive_axes,
    to_compute_dtype,
)
from torchkeras.utils.registry import register_builtin

__all__ = ["LayerNormalization"]


@register_builtin
class LayerNormalization(AffineNormalization):
    """Normalizes each sample to zero mean and unit variance over `axis`, then scales and shifts.

    `output = gamma * (x - mean) / sqrt(variance + epsilon) + beta`, the statistics taken per
    sample over the axes in `axis`; `gamma` and `beta` have the shape of those axes.

    Args:
        axis: int or list of ints, the axes to normalize over (usually -1).
        epsilon: small float added to the variance.
        center, scale: whether to learn `beta` / `gamma`.
        beta_initializer, gamma_initializer: initializers of `beta` / `gamma`.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        rms_scaling: deprecated Keras option: divide by `sqrt(variance + epsilon)` without
            centering and without `beta` (use `RMSNormalization` for a real RMS norm).
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    layer = keras.layers.LayerNormalization()
    y = layer(np.random.rand(2, 5, 8))  # each (sample, step) normalized over its 8 features
    ```
    """

    def __init__(
        self,
        axis: int | list[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        rms_scaling: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            center=center,
            scale=scale,
            beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            beta_regularizer=beta_regularizer,
            gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint,
            gamma_constraint=gamma_constraint,
            **kwargs,
        )
        if rms_scaling:
            warnings.warn(
                "`rms_scaling=True` is deprecated in Keras: it divides by the standard deviation, "
                "not the root mean square. Use `RMSNormalization` instead.",
                stacklevel=2,
            )
        self.axis = check_axis_argument(axis, self._owner)
        self.epsilon = epsilon
        self.rms_scaling = rms_scaling

    def build(self, input_shape: tuple) -> None:
        self._rank, self._axes = len(input_shape), positive_axes(self.axis, len(input_shape), self._owner)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]  # as Keras
        shape = tuple(input_shape[a] for a in self._axes)
        self._add_gamma_beta(shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = to_compute_dtype(inputs)
        axes = self._axes if x.ndim == self._rank else positive_axes(self.axis, x.ndim, self._owner)
        normalized_shape = tuple(x.shape[a] for a in axes)
        if axes[0] == x.ndim - len(axes) and not self.rms_scaling:  # trailing axes: torch's kernel
            outputs = F.layer_norm(x, normalized_shape, self.gamma, self.beta, self.epsilon)
            return outputs.to(inputs.dtype)
        variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        centered = x if self.rms_scaling else x - mean  # Keras's rms_scaling does not center
        outputs = centered * torch.rsqrt(variance + self.epsilon)
        shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]
        if self.gamma is not None:
            outputs = outputs * self.gamma.reshape(shape)
        if self.beta is not None:
            outputs = outputs + self.beta.reshape(shape)
        return outputs.to(inputs.dtype)

    def get_config(self) -> dict:
        affine = self._affine_config()
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **{k: v for k, v in affine.items() if k not in ("center", "scale")},
        }
