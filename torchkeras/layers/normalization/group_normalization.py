"""`GroupNormalization`: normalizes each sample over groups of channels."""

from __future__ import annotations

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
from torchkeras.utils.validation import invalid

__all__ = ["GroupNormalization"]


@register_builtin
class GroupNormalization(AffineNormalization):
    """Splits the channels of `axis` into `groups` consecutive groups and normalizes each sample
    over each group (its channels and all other non-batch axes), then scales and shifts per channel.

    `groups=1` is layer normalization over all features; `groups=-1` (one group per channel) is
    instance normalization.

    Args:
        groups: number of groups; must divide the number of channels. `-1` means one per channel.
        axis: the channel axis.
        epsilon: small float added to the variance.
        center, scale: whether to learn `beta` / `gamma` (one value per channel).
        beta_initializer, gamma_initializer: initializers of `beta` / `gamma`.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        **kwargs: base `Layer` arguments.

    Example:
    ```python
    layer = keras.layers.GroupNormalization(groups=4)
    y = layer(np.random.rand(2, 8, 8, 16))
    ```
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
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
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise invalid(
                "groups", "must be a positive integer, or -1 for one group per channel", groups, self._owner
            )
        self.groups = groups
        self.axis = check_axis_argument(axis, self._owner, allow_list=False)
        self.epsilon = epsilon

    def build(self, input_shape: tuple) -> None:
        (self._channel_axis,) = positive_axes(self.axis, len(input_shape), self._owner)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{self._owner}: axis {self.axis} of the inputs must have a known size. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        if self.groups == -1:
            self.groups = channels  # as Keras, the config then records the actual count
        if channels < self.groups or channels % self.groups:
            raise ValueError(
                f"{self._owner}: `groups` must divide the number of channels ({channels}). "
                f"Received: groups={self.groups}"
            )
        self._add_gamma_beta((channels,), self.scale, self.center)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = to_compute_dtype(inputs).movedim(self._channel_axis, 1)  # a view: channels at axis 1
        outputs = F.group_norm(x, self.groups, self.gamma, self.beta, self.epsilon)
        return outputs.movedim(1, self._channel_axis).to(inputs.dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            **self._affine_config(),
        }
