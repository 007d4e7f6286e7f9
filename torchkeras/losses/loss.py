"""The `Loss` base class, `LossFunctionWrapper`, and the weighting/masking/reduction rules they share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchkeras import config
from torchkeras.utils import nest
from torchkeras.utils.naming import unique_name
from torchkeras.utils.registry import serialize_object

__all__ = [
    "BuiltinLossWrapper",
    "Loss",
    "LossFunctionWrapper",
    "apply_mask",
    "exact_integer_limit",
    "get_mask",
    "reduce_values",
    "reduce_weighted_values",
    "scalar_tensor",
    "squeeze_or_expand_to_same_rank",
    "standardize_compute_dtype",
    "standardize_reduction",
]

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")

# Integers up to these magnitudes are exact in each float dtype (2 / machine epsilon).
_EXACT_INTEGERS = {torch.float16: 2**11, torch.bfloat16: 2**8, torch.float32: 2**24, torch.float64: 2**53}
_SCALARS: dict[tuple[Any, torch.dtype], torch.Tensor] = {}
_MAX_SCALARS = 256


def exact_integer_limit(dtype: torch.dtype) -> int:
    """The largest `n` such that every integer in `[-n, n]` is exact in `dtype` (0 if unknown)."""
    return _EXACT_INTEGERS.get(dtype, 0)


def scalar_tensor(value: float, dtype: torch.dtype) -> torch.Tensor:
    """A 0-d CPU tensor of `value` in `dtype`, cached: read-only, for per-step arithmetic.

    Wrapping a Python number in a tensor costs more than the tiny op it feeds, and a 0-d CPU
    tensor is accepted by ops on any device (as a scalar, with no copy and no sync).
    """
    if torch.compiler.is_compiling():  # a compiled step would guard on the cache's contents
        return torch.tensor(value, dtype=dtype)
    key = (value, dtype)
    tensor = _SCALARS.get(key)
    if tensor is None:
        tensor = torch.tensor(value, dtype=dtype)
        if (
            value and value == value and len(_SCALARS) < _MAX_SCALARS
        ):  # 0 and -0.0 share a key; NaN never hits
            _SCALARS[key] = tensor
    return tensor


def standardize_reduction(reduction: str | None) -> str | None:
    """Returns `reduction` if it is one Keras accepts, else raises `ValueError`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"`reduction` must be one of {REDUCTIONS}. Received: reduction={reduction!r}")
    return reduction


def standardize_compute_dtype(dtype: Any) -> str:
    """The computation dtype as a string: `None` -> floatx; a mixed-precision policy name such as
    `"mixed_float16"` (or an object with a `compute_dtype`) -> its compute dtype."""
    dtype = getattr(dtype, "compute_dtype", dtype)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = dtype.removeprefix("mixed_")
    return config.standardize_dtype(config.torch_dtype(dtype))


def get_mask(x: Any) -> torch.Tensor | None:
    """Returns the Keras mask carried by `x` as its `_keras_mask` attribute, or `None`."""
    return getattr(x, "_keras_mask", None)


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Makes ranks equal when they differ by one and the longer tensor ends in a size-1 axis.

    That axis is squeezed away, except that a rank-1 partner is expanded instead when
    `expand_rank_1` is true (so `(n,)` against `(n, 1)` gives two `(n, 1)` tensors).
    """
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _divide_no_nan(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    safe = torch.where(y == 0, torch.ones_like(y), y)
    return torch.where(y == 0, torch.zeros_like(x), x / safe)


def apply_mask(
    sample_weight: torch.Tensor | None, mask: torch.Tensor | None, dtype: torch.dtype, reduction: str | None
) -> torch.Tensor | None:
    """Folds a boolean `mask` into `sample_weight`, as Keras does.

    For the `"sum_over_batch_size"` and `"mean"` reductions, kept entries weigh `total / kept`
    so that the later division by the element count becomes a division by the kept count.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.to(dtype).sum()
        mask_weight = _divide_no_nan(torch.full_like(valid, mask.numel()), valid)  # no host copy
        float_mask = torch.where(mask.bool(), mask_weight, torch.zeros_like(mask_weight))
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight.to(dtype))
    return sample_weight * float_mask


def reduce_values(
    values: torch.Tensor,
    sample_weight: torch.Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> torch.Tensor:
    """Reduces already-weighted per-sample `values` to a scalar (or returns them for `"none"`)."""
    rank = values.dim()
    if reduction is None or reduction == "none" or rank == 0 or (rank == 1 and values.shape[0] == 0):
        return values
    loss = values.sum()
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(loss, sample_weight.sum().to(loss.dtype))
    count = values.numel()
    if not count:
        return torch.zeros_like(loss)
    if count <= exact_integer_limit(loss.dtype):  # same quotient as dividing by the Python int
        return loss / scalar_tensor(count, loss.dtype)
    return loss / count


def reduce_weighted_values(
    values: torch.Tensor,
    sample_weight: Any = None,
    mask: torch.Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
    dtype: Any = None,
) -> torch.Tensor:
    """Applies `mask` and `sample_weight` to per-sample `values`, then `reduction`."""
    reduction = standardize_reduction(reduction)
    if dtype is None:
        dtype = values.dtype
    elif not isinstance(dtype, torch.dtype):
        dtype = config.torch_dtype(dtype)
    values = nest.to_tensor(values, dtype=dtype)
    if sample_weight is None and mask is None:
        return reduce_values(values, None, reduction)
    if sample_weight is not None:
        sample_weight = nest.to_tensor(sample_weight, dtype=dtype, device=values.device)
    if mask is not None:
        mask = nest.to_tensor(mask, device=values.device)
    sample_weight = apply_mask(sample_weight, mask, dtype=values.dtype, reduction=reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight.to(values.dtype))
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _first_device(*structures: Any) -> torch.device | None:
    for leaf in nest.flatten(list(structures)):
        if isinstance(leaf, torch.Tensor):
            return leaf.device
    return None


class Loss:
    """Base class for losses: subclass it and implement `call(y_true, y_pred)`.

    `call` returns per-sample losses; `__call__` converts the inputs to `dtype`, combines any mask
    carried by `y_pred` (its `_keras_mask`) or by the losses with `sample_weight`, then reduces.

    Args:
        name: name of the loss instance; defaults to the snake_case class name.
        reduction: `"sum_over_batch_size"` (default: sum divided by the number of loss elements),
            `"sum"`, `"mean"` (same as `"sum_over_batch_size"`), `"mean_with_sample_weight"`
            (sum divided by the sum of the sample weights), or `"none"` / `None` (no reduction).
        dtype: dtype of the computation; defaults to `torchkeras.config.floatx()`.

    Example:
    ```python
    class MeanSquaredError(Loss):
        def call(self, y_true, y_pred):
            return torch.mean(torch.square(y_pred - y_true), dim=-1)
    ```
    """

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: Any = None
    ):
        self.name = name or unique_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_compute_dtype(dtype)
        self._torch_dtype = config.torch_dtype(self._dtype)

    @property
    def dtype(self) -> str:
        """The dtype of the computation, as a string (e.g. `"float32"`)."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        in_mask = get_mask(y_pred)
        dtype = self._torch_dtype
        if isinstance(y_pred, torch.Tensor) and isinstance(y_true, torch.Tensor):  # every step
            if y_pred.dtype != dtype:
                y_pred = y_pred.to(dtype)
            device = y_pred.device
            if y_true.dtype != dtype and not self._keeps_integer_labels(y_true, y_pred):
                y_true = y_true.to(device=device, dtype=dtype)
            elif y_true.device != device:
                y_true = y_true.to(device)
        else:
            device = _first_device(y_pred, y_true)
            y_pred = nest.map_structure(lambda x: nest.to_tensor(x, dtype=dtype, device=device), y_pred)
            y_true = nest.map_structure(lambda x: nest.to_tensor(x, dtype=dtype, device=device), y_true)
        losses = self.call(y_true, y_pred)
        out_mask = get_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = in_mask.bool() & out_mask.bool()
        else:
            mask = in_mask if in_mask is not None else out_mask
        if (
            mask is None
            and sample_weight is None
            and isinstance(losses, torch.Tensor)
            and losses.dtype == dtype
        ):
            return reduce_values(losses, None, standardize_reduction(self.reduction))
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=dtype
        )

    def _keeps_integer_labels(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> bool:
        """Whether integer `y_true` may skip the cast to `dtype` because `call` gives the same
        result either way (sparse losses whose labels round-trip exactly). False by default."""
        return False

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        """Returns the per-sample losses. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """Turns a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses into a `Loss`.

    Ranks of `y_true` and `y_pred` are first aligned (see `squeeze_or_expand_to_same_rank`).

    Args:
        fn: the loss function.
        reduction: see `Loss`.
        name: see `Loss`.
        dtype: see `Loss`.
        **kwargs: keyword arguments passed to `fn` on every call.
    """

    def __init__(
        self,
        fn: Callable[..., torch.Tensor],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        else:
            pairs = [
                squeeze_or_expand_to_same_rank(t, p)
                for t, p in zip(nest.flatten(y_true), nest.flatten(y_pred))
            ]
            y_true = nest.pack_like(y_true, [t for t, _ in pairs])
            y_pred = nest.pack_like(y_pred, [p for _, p in pairs])
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fn": serialize_object(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        if "fn" in config and not callable(config["fn"]):
            from torchkeras.losses import deserialize

            config = {**config, "fn": deserialize(config["fn"])}
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class BuiltinLossWrapper(LossFunctionWrapper):
    """The base of the built-in losses that wrap a loss function (`MeanSquaredError`, ...).

    `kwargs` go to `fn` on every call; those named in `_config_keys` are also kept as attributes
    and written after `name` and `reduction` in `get_config`, as Keras writes them.
    """

    _config_keys: tuple[str, ...] = ()

    def __init__(
        self, fn: Callable[..., torch.Tensor], reduction: str | None, name: str, dtype: Any, **kwargs: Any
    ):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key in self._config_keys:
            setattr(self, key, kwargs[key])

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), **{key: getattr(self, key) for key in self._config_keys}}
