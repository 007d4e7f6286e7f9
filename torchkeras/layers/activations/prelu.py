"""`PReLU`: leaky ReLU with a learned slope."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.layer import Layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["PReLU"]


@register_builtin
class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, else `alpha * x` with a learned `alpha`.

    `alpha` has the shape of one sample, with size 1 on the `shared_axes` (e.g. `shared_axes=[1, 2]`
    for `(batch, height, width, channels)` inputs learns one slope per channel).

    Args:
        alpha_initializer: initializer of `alpha`; zeros by default.
        alpha_regularizer: optional penalty on `alpha`.
        alpha_constraint: optional constraint on `alpha`.
        shared_axes: int or list of ints (non-batch axes, from 1) sharing one slope.
        **kwargs: base `Layer` arguments.
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | list[int] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        if shared_axes is not None and not all(
            isinstance(a, int) and not isinstance(a, bool) for a in shared_axes
        ):
            raise invalid(
                "shared_axes", "must be an int or a list of ints", shared_axes, f"PReLU '{self.name}'"
            )
        self.shared_axes = None if shared_axes is None else list(shared_axes)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"PReLU '{self.name}': `shared_axes` must be non-batch axes of the inputs (1 to "
                    f"{len(input_shape) - 1}). Received: shared_axes={self.shared_axes}"
                )
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(
                f"PReLU '{self.name}': every non-shared axis must have a known size. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.alpha = self.add_weight(
            name="alpha",
            shape=shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
