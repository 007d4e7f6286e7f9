"""Distillation losses: how a student's outputs (or features) are compared with a teacher's.

`DistillationLoss` is the base; `LogitsDistillation` compares final outputs after temperature
scaling, `FeatureDistillation` compares the outputs of two named intermediate layers.
"""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import losses as losses_module
from torchkeras import tree
from torchkeras.utils.registry import register_builtin

__all__ = ["DistillationLoss", "FeatureDistillation", "LogitsDistillation"]


def _loss_function(loss: Any) -> Any:
    """A loss name becomes the loss (function or instance); `None` and callables stay."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return losses_module.get(loss)
    if not callable(loss):
        raise ValueError(
            f"`loss` entries must be a loss name, a callable loss or None. Received: loss={loss!r}"
        )
    return loss


def _resolve_losses(loss: Any, owner: str) -> Any:
    resolved = tree.map_structure(_loss_function, loss)
    if all(item is None for item in tree.flatten(resolved)):
        raise ValueError(
            f"The `loss` argument of `{owner}` must hold at least one non-None loss. Received: loss={loss!r}"
        )
    return resolved


def _sum_of(values: list[Any]) -> torch.Tensor:
    """The sum of scalar losses; skipped entries (`0.0`) take the first tensor's dtype and device."""
    reference = next(v for v in values if isinstance(v, torch.Tensor))
    scalars = [(v if isinstance(v, torch.Tensor) else reference.new_tensor(v)).reshape(()) for v in values]
    return torch.stack([s.to(reference.dtype) for s in scalars]).sum()


class DistillationLoss:
    """Base class of distillation losses.

    Subclasses implement `compute_loss(teacher_outputs, student_outputs)` and return a scalar
    tensor; they may also refine `validate_outputs` and `validate_model_compatibility`.
    """

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> torch.Tensor:
        """Returns the scalar loss between the teacher's and the student's outputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement `compute_loss`.")

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Raises `ValueError` unless teacher and student outputs nest the same way."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Raises `ValueError` when this loss cannot be used with these models (none by default)."""

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> DistillationLoss:
        return cls(**config)


@register_builtin
class LogitsDistillation(DistillationLoss):
    """Distills the teacher's final outputs (logits), softened by a temperature.

    Both models' outputs are divided by `temperature` before `loss` compares them. When a loss is
    a `keras.losses.KLDivergence` instance, the scaled logits first go through a softmax and the
    loss is multiplied by `temperature ** 2`; other losses (names included, as in Keras) receive
    the scaled logits directly.

    Args:
        temperature: positive number; higher values give softer targets. Defaults to 3.0.
        loss: a loss name, a loss callable, or a nested structure of them (with `None` to skip
            an output) matching the models' outputs. Defaults to `"kl_divergence"`.

    Example:
    ```python
    distillation_loss = keras.distillation.LogitsDistillation(
        temperature=4.0, loss=keras.losses.KLDivergence()
    )
    ```
    """

    def __init__(self, temperature: float = 3.0, loss: Any = "kl_divergence"):
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"`temperature` must be a number. Received: temperature={temperature!r}")
        if temperature <= 0:
            raise ValueError(f"`temperature` must be positive. Received: temperature={temperature}")
        self.loss = _resolve_losses(loss, "LogitsDistillation")
        self.temperature = temperature

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> torch.Tensor:
        """Returns the sum over outputs of the mean loss between the temperature-scaled logits."""
        temperature = self.temperature

        def one_output(loss_fn: Any, teacher_logits: Any, student_logits: Any) -> Any:
            if loss_fn is None:
                return 0.0
            teacher_scaled = teacher_logits / temperature
            student_scaled = student_logits / temperature
            if isinstance(loss_fn, losses_module.KLDivergence):
                teacher_probs = torch.softmax(teacher_scaled, dim=-1)
                student_probs = torch.softmax(student_scaled, dim=-1)
                return torch.mean(loss_fn(teacher_probs, student_probs)) * temperature**2
            return torch.mean(loss_fn(teacher_scaled, student_scaled))

        per_output = tree.map_structure(one_output, self.loss, teacher_outputs, student_outputs)
        return _sum_of(tree.flatten(per_output))

    def get_config(self) -> dict:
        from torchkeras.saving.serialization import serialize_keras_object

        return {"temperature": self.temperature, "loss": serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config: dict) -> LogitsDistillation:
        config = dict(config)
        config["loss"] = _deserialize_losses(config.get("loss", "kl_divergence"))
        return cls(**config)


@register_builtin
class FeatureDistillation(DistillationLoss):
    """Distills intermediate features: the output of a teacher layer against a student layer.

    Args:
        loss: a loss name, a loss callable, or a nested structure of them (with `None` to skip
            an entry) matching the features. Defaults to `"mse"`.
        teacher_layer_name: name of the teacher layer whose output is the target; `None` uses
            the teacher's final output.
        student_layer_name: name of the student layer whose output is compared; `None` uses the
            student's final output.

    Layer names need functional or Sequential models (models with symbolic `inputs`).

    Example:
    ```python
    distillation_loss = keras.distillation.FeatureDistillation(
        loss="mse", teacher_layer_name="dense_1", student_layer_name="dense_1"
    )
    ```
    """

    def __init__(
        self,
        loss: Any = "mse",
        teacher_layer_name: str | None = None,
        student_layer_name: str | None = None,
    ):
        for argument, value in (
            ("teacher_layer_name", teacher_layer_name),
            ("student_layer_name", student_layer_name),
        ):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"`{argument}` must be a layer name or None. Received: {argument}={value!r}")
        self.loss = _resolve_losses(loss, "FeatureDistillation")
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Checks that named layers exist, in models that have symbolic inputs."""
        if self.teacher_layer_name is None and self.student_layer_name is None:
            return
        without_inputs = [
            role
            for role, model in (("teacher", teacher), ("student", student))
            if getattr(model, "inputs", None) is None
        ]
        if without_inputs:
            raise ValueError(
                "FeatureDistillation with layer names needs functional or Sequential models, but the "
                f"{' and '.join(without_inputs)} model has no symbolic inputs (a subclassed model). "
                "Use functional models, FeatureDistillation without layer names, or LogitsDistillation."
            )
        for role, model, name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as error:
                    raise ValueError(f"In the {role} model: {error}") from error

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Checks that the features nest like each other and like `loss`."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as error:
            raise ValueError(
                f"The structure of `loss` does not match the features' structure: {error}"
            ) from error

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> torch.Tensor:
        """Returns the sum over features of the mean loss between teacher and student features."""

        def one_feature(loss_fn: Any, teacher_features: Any, student_features: Any) -> Any:
            if loss_fn is None:
                return 0.0
            return torch.mean(loss_fn(teacher_features, student_features))

        per_feature = tree.map_structure(one_feature, self.loss, teacher_outputs, student_outputs)
        return _sum_of(tree.flatten(per_feature))

    def get_config(self) -> dict:
        from torchkeras.saving.serialization import serialize_keras_object

        return {
            "loss": serialize_keras_object(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config: dict) -> FeatureDistillation:
        config = dict(config)
        config["loss"] = _deserialize_losses(config.get("loss", "mse"))
        return cls(**config)


def _deserialize_losses(config: Any) -> Any:
    if config is None or isinstance(config, str):
        return config
    if isinstance(config, dict) and "class_name" in config:
        return losses_module.deserialize(config)
    if isinstance(config, dict):
        return {key: _deserialize_losses(value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [_deserialize_losses(value) for value in config]
    return config
