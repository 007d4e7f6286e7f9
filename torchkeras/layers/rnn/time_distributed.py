"""`TimeDistributed`: applies a layer to every timestep of a sequence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.rnn.layer_serialization import deserialize_layer, serialize_layer
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import invalid

__all__ = ["TimeDistributed"]


def _uses_batch_statistics(layer: Layer) -> bool:
    """Whether `layer` (or a sublayer) normalizes with batch statistics while training."""
    return any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm) or type(m).__name__ == "BatchNormalization"
        for m in layer.modules()
    )


@register_builtin
class TimeDistributed(Layer):
    """Applies `layer` to every temporal slice of the input (axis 1), with the same weights.

    The timesteps are folded into the batch and the layer runs once, which gives Keras's numbers
    for any layer that treats samples independently; a layer using batch statistics while
    training (BatchNormalization) runs once per timestep instead, as in Keras.

    Args:
        layer: a keras Layer instance.

    Call arguments:
        inputs: `(batch, timesteps, ...)`.
        training: passed to the layer.
        mask: optional boolean `(batch, timesteps, ...)`, passed to the layer step by step.

    Example:
    ```python
    layer = keras.layers.TimeDistributed(keras.layers.Dense(8))
    y = layer(np.zeros((32, 10, 16)))  # shape (32, 10, 8)
    ```
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise invalid("layer", "must be a keras Layer instance", layer, f"TimeDistributed '{self.name}'")
        self.layer = layer
        self.supports_masking = True

    def _inner_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise invalid(
                "input_shape",
                "must have at least 3 dimensions (batch, timesteps, ...)",
                input_shape,
                f"TimeDistributed '{self.name}'",
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape: tuple) -> None:
        inner_shape = self._inner_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer._build_device = self._build_device
            self.layer.build(inner_shape)

    def _check_mask(self, mask: torch.Tensor, inputs: torch.Tensor) -> None:
        if mask.ndim < 2 or tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
            raise invalid(
                "mask",
                f"must start with the inputs' (batch, timesteps) = {tuple(inputs.shape[:2])}",
                f"shape {tuple(mask.shape)}",
                f"TimeDistributed '{self.name}'",
            )

    def call(self, inputs: torch.Tensor, training: bool | None = None, mask: Any = None) -> torch.Tensor:
        self._inner_shape(tuple(inputs.shape))
        accepts_training, accepts_mask, _ = type(self.layer)._call_spec
        kwargs: dict[str, Any] = {"training": training} if accepts_training else {}
        if mask is not None:
            mask = torch.as_tensor(mask, device=inputs.device)
            self._check_mask(mask, inputs)
        pass_mask = accepts_mask and mask is not None
        if training and _uses_batch_statistics(self.layer):
            steps = []
            for t in range(inputs.shape[1]):
                step_kwargs = {**kwargs, "mask": mask[:, t]} if pass_mask else kwargs
                steps.append(self.layer(inputs[:, t], **step_kwargs))
            return torch.stack(steps, dim=1)
        batch, time = inputs.shape[:2]
        if pass_mask:
            kwargs["mask"] = mask.reshape(batch * time, *mask.shape[2:])
        outputs = self.layer(inputs.reshape(batch * time, *inputs.shape[2:]), **kwargs)
        return outputs.reshape(batch, time, *outputs.shape[1:])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        inner = self.layer.compute_output_shape(self._inner_shape(tuple(input_shape)))
        return (inner[0], input_shape[1], *inner[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> TimeDistributed:
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)
