"""F-scores: `FBetaScore` and `F1Score`, per class or averaged (micro, macro, weighted)."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras import config
from torchkeras.metrics.metric import Metric
from torchkeras.utils import nest

__all__ = ["F1Score", "FBetaScore"]

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta score, `(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`.

    Inputs are 2-D, `(batch_size, num_classes)`: one-hot or multi-hot labels and scores.

    Args:
        average: `None` (one score per class), `"micro"` (counts pooled over classes),
            `"macro"` (unweighted mean of class scores) or `"weighted"` (mean weighted by the
            number of true instances of each class).
        beta: weight of recall relative to precision, a float > 0. Defaults to `1.0`.
        threshold: predictions above it are positive; `None` (default) marks the highest score
            of each row as the positive one.
        name: defaults to `"fbeta_score"`.
        dtype: see `Metric`.

    Example:
    ```python
    metric = FBetaScore(beta=2.0, threshold=0.5)
    metric.update_state(torch.tensor([[1, 0], [0, 1]]), torch.tensor([[0.9, 0.2], [0.6, 0.3]]))
    metric.result()  # one score per class
    ```
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in _AVERAGES:
            raise ValueError(f"`average` must be one of {_AVERAGES}. Received: average={average!r}")
        if not isinstance(beta, float):
            raise ValueError(f"`beta` must be a Python float. Received: beta={beta!r} of type {type(beta)}")
        if beta <= 0.0:
            raise ValueError(f"`beta` must be > 0. Received: beta={beta!r}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "`threshold` must be a Python float. "
                    f"Received: threshold={threshold!r} of type {type(threshold)}"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    f"`threshold` must verify 0 < threshold <= 1. Received: threshold={threshold!r}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(
                self, name, self.add_variable(shape=shape, initializer="zeros", dtype=self.dtype, name=name)
            )
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        dtype = config.torch_dtype(self.dtype)
        y_true = nest.to_tensor(y_true, dtype=dtype, device=self._device)
        y_pred = nest.to_tensor(y_pred, dtype=dtype, device=y_true.device)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            row_max = torch.amax(y_pred, dim=-1, keepdim=True)
            y_pred = (y_pred >= row_max) & (torch.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(dtype)
        weights = None
        if sample_weight is not None:
            weights = nest.to_tensor(sample_weight, dtype=dtype, device=y_true.device).unsqueeze(1)

        def weighted_sum(values: torch.Tensor) -> torch.Tensor:
            if weights is not None:
                values = values * weights
            return values.sum() if self.axis is None else values.sum(dim=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=config.torch_dtype(self.dtype))
        epsilon = config.epsilon()
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives + epsilon)
        recall = tp / (tp + self.false_negatives + epsilon)
        beta_squared = self.beta**2
        f_score = precision * recall / (beta_squared * precision + recall + epsilon) * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights / (torch.sum(self.intermediate_weights) + epsilon)
            return torch.sum(f_score * weights)
        if self.average is not None:
            return torch.mean(f_score)
        return f_score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall (`FBetaScore` with `beta=1`).

    Args:
        average: `None`, `"micro"`, `"macro"` or `"weighted"` (see `FBetaScore`).
        threshold: see `FBetaScore`.
        name: defaults to `"f1_score"`.
        dtype: see `Metric`.
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: Any = None,
    ):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
