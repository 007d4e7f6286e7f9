"""`Distiller`: a model that trains a student from labels and from a frozen teacher."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import metrics as metrics_module
from torchkeras import tree
from torchkeras.distillation.distillation_loss import DistillationLoss, _loss_function
from torchkeras.models.model import Model
from torchkeras.trainers.data import batch_size_of, data_device, unpack_x_y_sample_weight
from torchkeras.utils.registry import register_builtin

__all__ = ["Distiller"]

_FINAL = "final_output"


def _symbolic(model: Any, attribute: str) -> Any:
    """`model.inputs` / `model.outputs`, or None for a model without symbolic tensors."""
    try:
        return getattr(model, attribute)
    except AttributeError:
        return None


def _check_pairs(teacher: Any, student: Any, attribute: str) -> None:
    """Shapes (unknown dimensions match anything) and dtypes of `inputs` / `outputs` must agree."""
    ours, theirs = _symbolic(teacher, attribute), _symbolic(student, attribute)
    if ours is None or theirs is None:
        return
    context = attribute[:-1]

    def check(t: Any, s: Any) -> None:
        t_shape, s_shape = tuple(t.shape), tuple(s.shape)
        compatible = len(t_shape) == len(s_shape) and all(
            a is None or b is None or a == b for a, b in zip(t_shape, s_shape)
        )
        if not compatible:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. "
                f"Teacher: {t_shape}, Student: {s_shape}."
            )
        if t.dtype != s.dtype:
            raise ValueError(
                f"Teacher and student {context} dtypes must match. Teacher: {t.dtype}, Student: {s.dtype}."
            )

    tree.map_structure(check, ours, theirs)


def _feature_extractor(model: Any, layer_names: list[str]) -> Model | None:
    """A functional model returning `{"final_output": ..., layer_name: ...}` in one pass."""
    if not layer_names:
        return None
    inputs = _symbolic(model, "inputs")
    if inputs is None:
        raise ValueError(f"Cannot extract features from {model.name!r}: it has no symbolic inputs.")
    outputs = {_FINAL: model.outputs[0] if len(model.outputs) == 1 else model.outputs}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")


@register_builtin
class Distiller(Model):
    """Trains a student model from labels and from a frozen teacher model (knowledge distillation).

    The loss of a batch is
    `student_loss_weight * student_loss + (1 - student_loss_weight) * distillation_loss`, where
    the student loss compares the student's predictions with the labels (the `loss` given to
    `compile`) and the distillation loss is the weighted sum of `distillation_losses`.
    The teacher is frozen (`trainable = False`); only the student trains. Calling the distiller
    calls the student. `fit` and `evaluate` also report `student_loss`, `distillation_loss` and
    `total_loss`. As in Keras, `sample_weight` and `class_weight` do not weigh these losses.

    Args:
        teacher: a trained `keras.Model`, the source of knowledge.
        student: the `keras.Model` to train.
        distillation_losses: a `keras.distillation.DistillationLoss` or a list of them
            (`LogitsDistillation`, `FeatureDistillation`, or subclasses).
        distillation_loss_weights: one weight per distillation loss; `None` weighs each by 1.
        student_loss_weight: weight of the supervised loss, in `[0, 1]`. Defaults to 0.5.
        name: model name. Defaults to `"distiller"`.
        **kwargs: other `Model` arguments (`trainable`, `dtype`).

    Example:
    ```python
    distiller = keras.distillation.Distiller(
        teacher=teacher,
        student=student,
        distillation_losses=keras.distillation.LogitsDistillation(temperature=3.0),
    )
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    distiller.fit(x_train, y_train, epochs=3)
    trained_student = distiller.student
    ```
    """

    _functional_init = False

    def __init__(
        self,
        teacher: Model,
        student: Model,
        distillation_losses: Any,
        distillation_loss_weights: Any = None,
        student_loss_weight: float = 0.5,
        name: str = "distiller",
        **kwargs: Any,
    ):
        for role, model in (("teacher", teacher), ("student", student)):
            if not isinstance(model, Model):
                raise ValueError(
                    f"`{role}` must be a keras.Model. Received: {role} of type {type(model).__name__}"
                )
        _check_pairs(teacher, student, "inputs")
        _check_pairs(teacher, student, "outputs")
        if isinstance(student_loss_weight, bool) or not isinstance(student_loss_weight, (int, float)):
            raise ValueError(
                "`student_loss_weight` must be a number. "
                f"Received: student_loss_weight={student_loss_weight!r}"
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                "`student_loss_weight` must be between 0.0 and 1.0. "
                f"Received: student_loss_weight={student_loss_weight}"
            )
        losses, weights = _losses_and_weights(distillation_losses, distillation_loss_weights)
        for distillation_loss in losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        teacher_layers = _layer_names(losses, "teacher_layer_name")
        student_layers = _layer_names(losses, "student_layer_name")
        teacher_extractor = _feature_extractor(teacher, teacher_layers)
        student_extractor = _feature_extractor(student, student_layers)

        super().__init__(name=name, **kwargs)
        self.teacher = teacher
        self.student = student
        self.student_loss_weight = student_loss_weight
        self.distillation_losses = losses
        self.distillation_loss_weights = weights
        # Kept out of the module tree: they share the teacher's / student's layers.
        self.__dict__["_teacher_feature_extractor"] = teacher_extractor
        self.__dict__["_student_feature_extractor"] = student_extractor
        self.__dict__["_student_loss"] = None
        self.teacher.trainable = False
        self.student_loss_tracker = metrics_module.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics_module.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics_module.Mean(name="total_loss")

    def compile(
        self,
        optimizer: Any = "adam",
        loss: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: bool | str = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configures training of the student.

        Args:
            optimizer: optimizer for the student's weights. Defaults to `"adam"`.
            loss: the student's supervised loss (a name, a callable, or a structure of them
                matching the outputs). Required.
            metrics: a list or tuple of metrics of the student's predictions.
            weighted_metrics, run_eagerly, steps_per_execution, jit_compile, auto_scale_loss:
                as in `Model.compile`.
        """
        if loss is None:
            raise ValueError("`loss` is required: the student's supervised loss. Received: loss=None")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(
                f"`metrics` must be a list or tuple. Received: metrics of type {type(metrics).__name__}"
            )
        student_loss = tree.map_structure(_loss_function, loss)
        super().compile(
            optimizer=optimizer,
            loss=None,
            metrics=metrics,
            weighted_metrics=weighted_metrics,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            auto_scale_loss=auto_scale_loss,
        )
        self.__dict__["_student_loss"] = student_loss
        self._compile_config["loss"] = loss
        del self._compile_config["loss_weights"]  # the distiller weighs its losses itself

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return self.student(inputs, training=training)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """`student_loss_weight * student_loss + (1 - student_loss_weight) * distillation_loss`."""
        if y_pred is None:
            y_pred = self(x, training=training)
        weight = self.student_loss_weight
        student_loss = self._student_loss_value(y, y_pred) if weight > 0.0 and y is not None else None
        distillation_loss = self._distillation_loss_value(x, y_pred, training) if weight < 1.0 else None
        zero = torch.zeros((), device=tree.flatten(y_pred)[0].device)
        student_loss = zero if student_loss is None else student_loss
        distillation_loss = zero if distillation_loss is None else distillation_loss
        total_loss = weight * student_loss + (1.0 - weight) * distillation_loss
        self.student_loss_tracker.update_state(student_loss.detach())
        self.distillation_loss_tracker.update_state(distillation_loss.detach())
        self.total_loss_tracker.update_state(total_loss.detach())
        return total_loss

    def _student_loss_value(self, y: Any, y_pred: Any) -> torch.Tensor:
        if self._student_loss is None:
            raise RuntimeError("You must call `compile()` before computing the distiller's loss.")
        # Each output's loss is averaged, then the outputs' losses are summed.
        values = tree.flatten(
            tree.map_structure(
                lambda fn, true, pred: torch.mean(fn(true, pred)), self._student_loss, y, y_pred
            )
        )
        return torch.stack(values).sum() if len(values) > 1 else values[0]

    def _distillation_loss_value(self, x: Any, y_pred: Any, training: bool) -> torch.Tensor:
        with torch.no_grad():
            if self._teacher_feature_extractor is not None:
                teacher_features = self._teacher_feature_extractor(x, training=False)
            else:
                teacher_features = {_FINAL: self.teacher(x, training=False)}
        if self._student_feature_extractor is not None:
            # Keras always runs this pass in training mode; `evaluate` here leaves dropout and
            # batch statistics alone.
            student_features = self._student_feature_extractor(x, training=training)
        else:
            student_features = {_FINAL: y_pred}
        total = None
        for distillation_loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
            teacher_layer = getattr(distillation_loss, "teacher_layer_name", None)
            if teacher_layer is not None:
                student_layer = getattr(distillation_loss, "student_layer_name", None) or _FINAL
                teacher_output = teacher_features[teacher_layer]
                student_output = student_features[student_layer]
            else:
                teacher_output = teacher_features[_FINAL]
                student_output = y_pred
            distillation_loss.validate_outputs(teacher_output, student_output)
            value = distillation_loss.compute_loss(teacher_output, student_output)
            if not isinstance(value, torch.Tensor) or value.dim() > 0:
                shape = tuple(value.shape) if hasattr(value, "shape") else type(value).__name__
                raise ValueError(
                    f"{type(distillation_loss).__name__}.compute_loss must return a scalar tensor. "
                    f"Received: {shape}"
                )
            total = weight * value if total is None else total + weight * value
        return total

    def test_step(self, data: Any) -> dict[str, Any]:
        """Loss and metrics of a batch: the loss always includes the distillation terms."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with self._autocast(data_device(x) or self.device):
            y_pred = self(x, training=False)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
            self._loss_tracker.update_state(loss.detach(), sample_weight=batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def get_config(self) -> dict:
        from torchkeras.saving.serialization import serialize_keras_object

        config = super().get_config()
        config.update(
            {
                "teacher": serialize_keras_object(self.teacher),
                "student": serialize_keras_object(self.student),
                "distillation_losses": [serialize_keras_object(loss) for loss in self.distillation_losses],
                "distillation_loss_weights": list(self.distillation_loss_weights),
                "student_loss_weight": self.student_loss_weight,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Distiller:
        from torchkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("teacher", "student"):
            config[key] = deserialize_keras_object(config[key], custom_objects=custom_objects)
        config["distillation_losses"] = [
            deserialize_keras_object(loss, custom_objects=custom_objects)
            for loss in config["distillation_losses"]
        ]
        return cls(**config)


def _losses_and_weights(losses: Any, weights: Any) -> tuple[list[DistillationLoss], list[float]]:
    if losses is None:
        raise ValueError(
            "`distillation_losses` cannot be None: pass a distillation loss (LogitsDistillation, "
            "FeatureDistillation) or a list of them."
        )
    losses = list(losses) if isinstance(losses, (list, tuple)) else [losses]
    if not losses:
        raise ValueError("`distillation_losses` must hold at least one distillation loss. Received: []")
    for loss in losses:
        if not isinstance(loss, DistillationLoss):
            raise ValueError(
                "`distillation_losses` must hold keras.distillation.DistillationLoss instances. "
                f"Received: an item of type {type(loss).__name__}"
            )
    if weights is None:
        return losses, [1.0] * len(losses)
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    if len(weights) != len(losses):
        raise ValueError(
            f"`distillation_loss_weights` must have one weight per distillation loss ({len(losses)}). "
            f"Received: {len(weights)} weights"
        )
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ValueError(f"`distillation_loss_weights` must be numbers. Received: {weights!r}")
    return losses, weights


def _layer_names(losses: list[DistillationLoss], attribute: str) -> list[str]:
    names: list[str] = []
    for loss in losses:
        name = getattr(loss, attribute, None)
        if name and name not in names:
            names.append(name)
    return names
