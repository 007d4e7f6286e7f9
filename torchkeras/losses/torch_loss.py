"""`TorchLoss`: a `torch.nn` loss (module or `torch.nn.functional` function) used by `compile`.

Keras calls losses `(y_true, y_pred)`; torch's losses take `(input, target)`, i.e. `(y_pred,
y_true)`, and want targets in their own dtype: class indices as int64 for `CrossEntropyLoss` and
its family, floats for everything else. `TorchLoss` makes that call, so
`compile(loss=torch.nn.CrossEntropyLoss())` behaves exactly as the loss does in a torch loop.

With `sample_weight` (or `class_weight`), the loss is computed unreduced and reduced here:
`reduction="sum"` gives `sum(w * l)`; `reduction="mean"` gives `sum(w * l) / d`, with `d` the
denominator torch's own mean uses (the element count; for `cross_entropy` / `nll_loss` the
summed class weights of the targets not equal to `ignore_index`), so unit weights reproduce the
unweighted loss exactly.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from torchkeras.utils.registry import to_snake_case

__all__ = ["TorchLoss", "is_torch_loss"]

# Losses whose target is class indices (int64), not values.
_CLASS_INDEX_MODULES = (nn.CrossEntropyLoss, nn.NLLLoss, nn.MultiMarginLoss, nn.MultiLabelMarginLoss)
_CLASS_INDEX_FUNCTIONS = (F.cross_entropy, F.nll_loss, F.multi_margin_loss, F.multilabel_margin_loss)
# Losses of more than `(input, target)`: they do not fit `loss(y_true, y_pred)`.
_OTHER_SIGNATURE_MODULES = (
    nn.CTCLoss,
    nn.CosineEmbeddingLoss,
    nn.GaussianNLLLoss,
    nn.MarginRankingLoss,
    nn.TripletMarginLoss,
    nn.TripletMarginWithDistanceLoss,
)
_OTHER_SIGNATURE_FUNCTIONS = (
    F.ctc_loss,
    F.cosine_embedding_loss,
    F.gaussian_nll_loss,
    F.margin_ranking_loss,
    F.triplet_margin_loss,
    F.triplet_margin_with_distance_loss,
)


def is_torch_loss(identifier: Any) -> bool:
    """Whether `identifier` is a `torch.nn` loss module or a function of `torch.nn.functional`."""
    if isinstance(identifier, nn.modules.loss._Loss):
        return True
    return callable(identifier) and getattr(identifier, "__module__", None) == "torch.nn.functional"


class TorchLoss:
    """Calls a torch loss as torch does, `fn(y_pred, y_true)`, with targets in the dtype it expects.

    Args:
        fn: an instance of a `torch.nn` loss class (`reduction="mean"` or `"sum"`) or a loss
            function of `torch.nn.functional`.

    Raises:
        ValueError: for `reduction="none"` (compile needs one number) or a loss that takes more
            than `(input, target)` (`CTCLoss`, `MarginRankingLoss`, ...).
    """

    def __init__(self, fn: Callable[..., torch.Tensor]):
        is_module = isinstance(fn, nn.Module)
        what = type(fn).__name__ if is_module else f"torch.nn.functional.{getattr(fn, '__name__', fn)}"
        if isinstance(fn, _OTHER_SIGNATURE_MODULES) or fn in _OTHER_SIGNATURE_FUNCTIONS:
            raise ValueError(
                f"`loss` {what} takes more arguments than (input, target), so it cannot be called as "
                "loss(y_pred, y_true). Wrap it in a function of (y_true, y_pred) or compute it in "
                "`compute_loss` / `train_step`."
            )
        self.reduction = getattr(fn, "reduction", "mean") if is_module else "mean"
        if self.reduction not in ("mean", "sum"):
            raise ValueError(
                f"`loss` {what} has reduction={self.reduction!r}; compile needs one value per batch: "
                "use reduction='mean' or 'sum' (sample weights are applied before reducing)."
            )
        self.fn = fn
        self.name = to_snake_case(type(fn).__name__) if is_module else fn.__name__
        self.class_indices = isinstance(fn, _CLASS_INDEX_MODULES) or fn in _CLASS_INDEX_FUNCTIONS
        self.ignore_index = getattr(fn, "ignore_index", -100)
        self.class_weight = getattr(fn, "weight", None) if self.class_indices else None
        if is_module:
            self.unreduced = copy.copy(fn)  # shares the module's buffers (class weights)
            self.unreduced.reduction = "none"
        else:
            self.unreduced = functools.partial(fn, reduction="none")
        self._device: torch.device | None = None

    def __call__(self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: Any = None) -> torch.Tensor:
        if y_pred.device != self._device and isinstance(self.fn, nn.Module):
            self.fn.to(y_pred.device)  # class weights follow the model to its device, once
            self.class_weight = getattr(self.fn, "weight", None) if self.class_indices else None
            self._device = y_pred.device
        target = self.target(y_true, y_pred)
        if sample_weight is None:
            return self.fn(y_pred, target)
        values = self.unreduced(y_pred, target)
        weights = torch.as_tensor(sample_weight, device=values.device).to(values.dtype)
        while weights.ndim > values.ndim and weights.shape[-1] == 1:
            weights = weights.squeeze(-1)
        weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
        total = (values * weights).sum()
        return total if self.reduction == "sum" else total / self._denominator(values, target)

    def target(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        """`y_true` as the loss expects it: int64 class indices (a trailing unit axis, as Keras
        labels often have, removed), or floats shaped like `y_pred`."""
        if self.class_indices:
            if y_true.is_floating_point() and y_true.shape == y_pred.shape and y_pred.shape[-1] > 1:
                return y_true.to(y_pred.dtype)  # class probabilities (cross_entropy accepts them)
            if y_true.ndim == y_pred.ndim and y_true.ndim > 1 and y_true.shape[-1] == 1:
                y_true = y_true.squeeze(-1)
            if y_true.is_floating_point():
                y_true = y_true.round()
            return y_true if y_true.dtype == torch.int64 else y_true.long()
        if y_true.dtype != y_pred.dtype:
            y_true = y_true.to(y_pred.dtype)
        if y_true.shape != y_pred.shape and y_true.numel() == y_pred.numel():
            y_true = y_true.reshape(y_pred.shape)  # (N,) labels for an (N, 1) output: no broadcast
        return y_true

    def _denominator(self, values: torch.Tensor, target: torch.Tensor) -> Any:
        if not self.class_indices or target.is_floating_point() or target.shape != values.shape:
            return values.numel()
        valid = target != self.ignore_index
        if self.class_weight is None:
            return valid.sum()
        return torch.where(valid, self.class_weight[target.masked_fill(~valid, 0)], 0).sum()
