"""Probabilistic losses: cross-entropies (binary, categorical, sparse, focal), KL divergence, Poisson."""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.losses.loss import BuiltinLossWrapper, exact_integer_limit, scalar_tensor
from torchkeras.utils import nest

__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "kl_divergence",
    "poisson",
    "sparse_categorical_crossentropy",
]


def _as_tensors(y_true: Any, y_pred: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """`y_pred` as a tensor, `y_true` as a tensor of the same dtype on the same device."""
    y_pred = nest.to_tensor(y_pred)
    return nest.to_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device), y_pred


def _check_same_shape(y_true: torch.Tensor, y_pred: torch.Tensor) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _warn_single_class(fn_name: str, y_pred: torch.Tensor) -> None:
    if y_pred.dim() and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn_name}, expected y_pred.shape to be (batch_size, num_classes) with num_classes > 1. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _binary_crossentropy(target: torch.Tensor, output: torch.Tensor, from_logits: bool) -> torch.Tensor:
    """Element-wise BCE; probabilities are clipped to `[eps, 1 - eps]` as Keras does."""
    _check_same_shape(target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    epsilon = config.epsilon()
    output = torch.clip(output, epsilon, 1.0 - epsilon)
    device_type = output.device.type
    if torch.is_autocast_enabled(device_type):  # F.binary_cross_entropy refuses to run under autocast
        with torch.autocast(device_type, enabled=False):
            return F.binary_cross_entropy(output.float(), target.float(), reduction="none")
    return F.binary_cross_entropy(output, target, reduction="none")


def _probabilities_log(output: torch.Tensor, axis: int) -> torch.Tensor:
    """Log of `output` rescaled to sum to one along `axis`, clipped to `[eps, 1 - eps]`."""
    epsilon = config.epsilon()
    output = output / torch.sum(output, dim=axis, keepdim=True)
    return torch.log(torch.clip(output, epsilon, 1.0 - epsilon))


def _smooth_labels(y_true: torch.Tensor, label_smoothing: float, num_classes: int) -> torch.Tensor:
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> torch.Tensor:
    """Binary cross-entropy, averaged over `axis`.

    Args:
        y_true: targets in `[0, 1]`, same shape as `y_pred`.
        y_pred: probabilities, or logits when `from_logits=True`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in `[0, 1]`; targets move towards 0.5 by this amount.
        axis: the axis averaged over.
    """
    y_true, y_pred = _as_tensors(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return torch.mean(_binary_crossentropy(y_true, y_pred, from_logits), dim=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Binary focal cross-entropy: BCE scaled by `(1 - p_t) ** gamma`, averaged over `axis`.

    With `apply_class_balancing`, positives are also weighted by `alpha`, negatives by `1 - alpha`.
    """
    y_true, y_pred = _as_tensors(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    bce = _binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return torch.mean(focal_bce, dim=axis)


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> torch.Tensor:
    """Categorical cross-entropy between one-hot (or soft) targets and predictions along `axis`.

    Probabilities are rescaled to sum to one and clipped to `[eps, 1 - eps]` before the log.
    """
    _check_axis(axis)
    y_true, y_pred = _as_tensors(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_labels(y_true, label_smoothing, y_true.shape[-1])
    _check_same_shape(y_true, y_pred)
    if y_true.dim() < 1:
        raise ValueError(
            f"`y_true` and `y_pred` must be at least rank 1. Received: shape={tuple(y_true.shape)}"
        )
    log_prob = F.log_softmax(y_pred, dim=axis) if from_logits else _probabilities_log(y_pred, axis)
    return -torch.sum(y_true * log_prob, dim=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Categorical focal cross-entropy: `-alpha * (1 - p) ** gamma * y_true * log(p)`, summed on `axis`."""
    _check_axis(axis)
    y_true, y_pred = _as_tensors(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_labels(y_true, label_smoothing, y_true.shape[-1])
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    epsilon = config.epsilon()
    output = torch.clip(y_pred / torch.sum(y_pred, dim=axis, keepdim=True), epsilon, 1.0 - epsilon)
    cce = -y_true * torch.log(output)
    focal_cce = torch.pow(1.0 - output, gamma) * alpha * cce
    return torch.sum(focal_cce, dim=axis)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> torch.Tensor:
    """Cross-entropy between integer class labels and predictions along `axis`.

    Args:
        y_true: class ids, shape of `y_pred` without `axis` (or with it of size 1); int or float.
        y_pred: probabilities, or logits when `from_logits=True`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label whose entries get zero loss; the result then carries a
            `_keras_mask` of the kept entries, so reductions average over those only.
        axis: the class axis.
    """
    y_pred = nest.to_tensor(y_pred)
    y_true = nest.to_tensor(y_true, device=y_pred.device)
    rank = y_pred.dim()
    if rank < 1:
        raise ValueError(f"`y_pred` must be at least rank 1. Received: y_pred.shape={tuple(y_pred.shape)}")
    if y_true.dim() == rank and y_true.shape[axis] == 1:
        y_true = y_true.squeeze(axis)
    class_axis = axis % rank
    shape = y_pred.shape
    expected = shape[:-1] if class_axis == rank - 1 else shape[:class_axis] + shape[class_axis + 1 :]
    if y_true.shape != expected:
        raise ValueError(
            "`y_true` must have the shape of `y_pred` without its class axis. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = torch.where(valid, y_true, torch.zeros_like(y_true))
    target = y_true.long()
    if rank == 1:
        output, target = y_pred.unsqueeze(0), target.unsqueeze(0)
    else:
        output = y_pred if class_axis == 1 else y_pred.movedim(class_axis, 1)
    if from_logits:
        result = F.cross_entropy(output, target, reduction="none")
    else:
        result = F.nll_loss(_probabilities_log(output, 1), target, reduction="none")
    result = result.squeeze(0) if rank == 1 else result
    if valid is not None:
        result = torch.where(valid, result, torch.zeros_like(result))
        result._keras_mask = valid
    return result


def kl_divergence(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))` over the last axis,
    both clipped to `[eps, 1]`."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    epsilon = config.epsilon()
    y_true = torch.clip(y_true, epsilon, 1)
    y_pred = torch.clip(y_pred, epsilon, 1)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true: Any, y_pred: Any) -> torch.Tensor:
    """Poisson loss `mean(y_pred - y_true * log(y_pred + eps))` over the last axis."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + config.epsilon()), dim=-1)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> torch.Tensor:
    """Generalized cross-entropy `(1 - p ** q) / q` of the true class probability `p`.

    `y_true` holds integer class ids; robust to noisy labels for `q` in `(0, 1)`.
    """
    y_true, y_pred = _as_tensors(y_true, y_pred)
    one_hot = F.one_hot(y_true.long(), num_classes=y_pred.shape[-1]).to(y_pred.dtype)
    p = torch.sum(y_pred * one_hot, dim=-1)
    return (1 - torch.pow(p, q)) / q


class BinaryCrossentropy(BuiltinLossWrapper):
    """Cross-entropy between binary targets and predicted probabilities (or logits).

    Args:
        from_logits: whether `y_pred` holds logits (more stable than probabilities).
        label_smoothing: in `[0, 1]`; targets become `y * (1 - s) + 0.5 * s`.
        axis: the axis averaged over. Defaults to `-1`.
        reduction: see `Loss`.
        name: defaults to `"binary_crossentropy"`.
        dtype: see `Loss`.

    Example:
    ```python
    loss = BinaryCrossentropy(from_logits=True)
    loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[-2.0, 3.0]]))
    ```
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            binary_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(BuiltinLossWrapper):
    """Binary focal cross-entropy: down-weights easy examples by `(1 - p_t) ** gamma`.

    Args:
        apply_class_balancing: weight positives by `alpha` and negatives by `1 - alpha`.
        alpha: the class-balancing weight. Defaults to `0.25`.
        gamma: the focusing parameter. Defaults to `2.0`.
        from_logits, label_smoothing, axis, reduction, dtype: as in `BinaryCrossentropy`.
        name: defaults to `"binary_focal_crossentropy"`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            reduction,
            name,
            dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(BuiltinLossWrapper):
    """Cross-entropy between one-hot targets and predicted class probabilities (or logits).

    Args:
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in `[0, 1]`; targets become `y * (1 - s) + s / num_classes`.
        axis: the class axis. Defaults to `-1`.
        reduction: see `Loss`.
        name: defaults to `"categorical_crossentropy"`.
        dtype: see `Loss`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            categorical_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(BuiltinLossWrapper):
    """Categorical focal cross-entropy: down-weights well-classified examples.

    Args:
        alpha: weighting factor. Defaults to `0.25`.
        gamma: focusing parameter. Defaults to `2.0`.
        from_logits, label_smoothing, axis, reduction, dtype: as in `CategoricalCrossentropy`.
        name: defaults to `"categorical_focal_crossentropy"`.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            reduction,
            name,
            dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


_FUSED_REDUCTIONS = ("sum_over_batch_size", "mean", "sum")
# Where the kernel's own mean equals the sum divided in the loss dtype: it divides in the dtype's
# accumulation type, the dtype itself only for these (float16/bfloat16 on CUDA: one rounding
# where the general path makes two).
_KERNEL_MEAN_DTYPES = (torch.float32, torch.float64)
_INT64 = torch.int64


class SparseCategoricalCrossentropy(BuiltinLossWrapper):
    """Cross-entropy between integer labels and predicted class probabilities (or logits).

    Args:
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label to ignore (e.g. a padding class); its entries add no loss and the
            default reduction averages over the other entries only.
        reduction: see `Loss`.
        axis: the class axis. Defaults to `-1`.
        name: defaults to `"sparse_categorical_crossentropy"`.
        dtype: see `Loss`.

    Example:
    ```python
    loss = SparseCategoricalCrossentropy(from_logits=True)
    loss(torch.tensor([1, 2]), torch.randn(2, 3))
    ```
    """

    _config_keys = ("from_logits", "ignore_class")
    _fusion: tuple[str, bool, int] | None = None  # see `_plan_fusion`

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self._fusion = self._plan_fusion()

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name != "_fusion" and "_fusion" in self.__dict__:  # planned: keep it in step
            super().__setattr__("_fusion", self._plan_fusion())

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        if sample_weight is not None or not self._fuses(y_true, y_pred):
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        # The per-step case in one kernel (then the division `reduce_values` makes, if planned).
        reduction, divides, _ = self._fusion
        if self._fn_kwargs["from_logits"]:
            output = F.cross_entropy(y_pred, y_true, reduction=reduction)
        else:
            output = F.nll_loss(_probabilities_log(y_pred, 1), y_true, reduction=reduction)
        return output / scalar_tensor(y_pred.shape[0], output.dtype) if divides else output

    def _plan_fusion(self) -> tuple[str, bool, int] | None:
        """The half of `_fuses` that depends on the configuration only: `None` when no batch
        fuses, else the kernel's reduction, whether its sum is then divided by the batch size,
        and the largest batch or class count the path takes (counts exact in the dtype)."""
        kwargs = self._fn_kwargs
        if (
            self.reduction not in _FUSED_REDUCTIONS
            or self.fn is not sparse_categorical_crossentropy
            or type(self).call is not BuiltinLossWrapper.call  # a subclass's own `call` runs
            or kwargs["ignore_class"] is not None
            or kwargs["axis"] not in (-1, 1)
        ):
            return None
        dtype = self._torch_dtype
        limit = exact_integer_limit(dtype)
        if self.reduction == "sum":
            return "sum", False, limit
        if dtype in _KERNEL_MEAN_DTYPES:
            return "mean", False, limit
        return "sum", True, limit

    def _fuses(self, y_true: Any, y_pred: Any) -> bool:
        """Whether a batch takes the fused path: `(batch,)` int64 labels and `(batch, classes)`
        predictions of the loss dtype on one device, no mask, a summing or averaging reduction,
        and counts exact in the dtype (the general path gives the same value, in more ops).

        Labels must be valid class ids, as the trainer makes sure: the kernel would leave out a
        label of -100 (its `ignore_index`) from the count it averages over."""
        fusion = self._fusion
        if (
            fusion is not None
            and isinstance(y_pred, torch.Tensor)
            and isinstance(y_true, torch.Tensor)
            and y_pred.dtype == self._torch_dtype
            and y_true.dtype == _INT64
            and y_pred.dim() == 2
            and y_true.dim() == 1
            and getattr(y_pred, "_keras_mask", None) is None
        ):
            batch, classes = y_pred.shape
            limit = fusion[2]
            return (
                0 < y_true.shape[0] == batch <= limit and classes <= limit and y_true.device == y_pred.device
            )
        return False

    def _keeps_integer_labels(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> bool:
        # Integer labels reach `.long()` unchanged when every valid class id is exact in the loss
        # dtype; out-of-range labels fail either way. `ignore_class` compares rounded labels.
        kwargs = self._fn_kwargs
        axis = kwargs["axis"]
        if self.fn is not sparse_categorical_crossentropy or kwargs["ignore_class"] is not None:
            return False
        if y_true.is_floating_point() or y_true.is_complex() or type(axis) is not int:
            return False
        rank = y_pred.dim()
        return -rank <= axis < rank and y_pred.shape[axis] <= exact_integer_limit(y_pred.dtype)


class CategoricalGeneralizedCrossEntropy(BuiltinLossWrapper):
    """Generalized cross-entropy `(1 - p ** q) / q` for integer labels, robust to label noise.

    Args:
        q: in `(0, 1)`; close to 0 behaves like cross-entropy, 1 like mean absolute error.
        reduction: see `Loss`.
        name: defaults to `"categorical_generalized_cross_entropy"`.
        dtype: see `Loss`.
    """

    _config_keys = ("q",)

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ):
        if not 0 < q < 1:
            raise ValueError(f"`q` must be in the interval (0, 1). Received: q={q!r}")
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)


class KLDivergence(BuiltinLossWrapper):
    """Kullback-Leibler divergence between target and predicted distributions (last axis).

    Args:
        reduction: see `Loss`.
        name: defaults to `"kl_divergence"`.
        dtype: see `Loss`.
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "kl_divergence", dtype: Any = None
    ):
        super().__init__(kl_divergence, reduction, name, dtype)


class Poisson(BuiltinLossWrapper):
    """Poisson loss `y_pred - y_true * log(y_pred)`, for count targets.

    Args:
        reduction: see `Loss`.
        name: defaults to `"poisson"`.
        dtype: see `Loss`.
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "poisson", dtype: Any = None
    ):
        super().__init__(poisson, reduction, name, dtype)
