"""`Discretization`: buckets continuous features by value ranges."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing.adapt_data import adapt_batches
from torchkeras.layers.preprocessing.encoding import encode_categorical
from torchkeras.utils.nest import to_numpy
from torchkeras.utils.registry import register_builtin
from torchkeras.utils.validation import check_choice

__all__ = ["Discretization"]


@register_builtin
class Discretization(Layer):
    """Maps each value to the index of its bucket: with boundaries `[b0, b1, ...]`, the buckets
    are `(-inf, b0)`, `[b0, b1)`, ..., `[b_last, inf)`.

    Boundaries are given (`bin_boundaries`) or learned with `adapt()` (`num_bins`): `adapt`
    computes approximate quantiles with Keras's own summary algorithm (sorted samples thinned
    to about `1 / epsilon` weighted points, merged batch by batch), so the boundaries equal
    Keras's for the same data and batches.

    Args:
        bin_boundaries: sorted list of boundaries, or `None` to learn them with `adapt()`.
        num_bins: the number of buckets to learn (`adapt()`); not with `bin_boundaries`.
        epsilon: the error tolerance of the quantile summary (about `1 / epsilon` points).
        output_mode: `"int"` (bucket indices, int32), `"one_hot"`, `"multi_hot"` or `"count"`
            (as `CategoryEncoding`, over `len(bin_boundaries) + 1` buckets).
        sparse: must be `False` (no sparse outputs on torch).
        dtype: the dtype of encoded outputs.
        name: the layer name.

    Example:
    ```python
    layer = keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    layer(np.array([[-1.5, 1.0, 3.4, 0.5]]))  # [[0, 2, 3, 1]]
    ```
    """

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(dtype=dtype, name=name, **kwargs)
        owner = f"Discretization '{self.name}'"
        if sparse:
            raise ValueError(
                f"{owner}: `sparse=True` cannot be used with the torch backend. Received: sparse=True"
            )
        self.output_mode = check_choice(
            output_mode, ("int", "one_hot", "multi_hot", "count"), "output_mode", owner
        )
        if num_bins is not None and (
            isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 0
        ):
            raise ValueError(f"{owner}: `num_bins` must be an integer >= 0. Received: num_bins={num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"{owner}: set only one of `num_bins` and `bin_boundaries`. "
                f"Received: num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{owner}: set either `num_bins` or `bin_boundaries`.")
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.sparse = sparse
        self.bin_boundaries = bin_boundaries
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def bin_boundaries(self) -> list | None:
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value: Any) -> None:
        self._bin_boundaries = None if value is None else [float(v) for v in np.asarray(value).reshape(-1)]
        boundaries = torch.tensor(self._bin_boundaries or [], dtype=config.torch_dtype(None))
        # A constant, not a weight: it follows `.to(device)` but stays out of `state_dict`.
        self.register_buffer("_boundaries", boundaries, persistent=False)

    @property
    def output_dtype(self) -> str:
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learns `num_bins - 1` boundaries from `data`: an array or tensor, or an iterable of
        batches (lists, generators, DataLoaders; `(x, y)` batches contribute `x`), reading at
        most `steps` batches."""
        if self.num_bins is None:
            raise ValueError(
                f"Discretization '{self.name}': cannot adapt a layer created with `bin_boundaries`; "
                "create it with `num_bins` instead."
            )
        self.reset_state()
        whole, batches = adapt_batches(data, None, steps)
        for batch in [whole] if whole is not None else batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Merges one batch into the quantile summary."""
        values = np.asarray(to_numpy(data)).astype("float32")
        self.summary = _merge_summaries(_summarize(values, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is not None:
            self.bin_boundaries = _bin_boundaries(self.summary, self.num_bins).tolist()

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization '{self.name}': pass `bin_boundaries` or call `adapt()` "
                "before using the layer."
            )
        values = inputs.to(config.torch_dtype(self.compute_dtype))
        boundaries = self._boundaries.to(device=values.device, dtype=values.dtype)
        indices = torch.bucketize(values, boundaries, right=True).to(torch.int32)
        depth = len(self.bin_boundaries) + 1
        return encode_categorical(indices, self.output_mode, depth, config.torch_dtype(self.output_dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        if len(input_shape) >= 2:
            return (input_shape[0], *input_shape[2:], depth)
        return (depth,)

    def get_config(self) -> dict:
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict) -> Discretization:
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")  # adapted: restore the learned boundaries
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


# Keras's approximate quantiles: a summary is a (2, n) array of sorted values and their weights.


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Every `step`-th sorted value (about `1 / epsilon` of them), each weighing `step`."""
    ordered = np.sort(values.reshape(-1))
    step = max(ordered.size / (1.0 / epsilon), 1)
    points = ordered[int(step - 1) :: int(step)]
    return np.stack([points, np.full_like(points, step)])


def _merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resamples `summary` at the cumulative-weight fractions `epsilon, 2 epsilon, ..., 1`."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    position = cumulative / cumulative[-1]
    values = np.interp(fractions, position, summary[0])
    cumulative = np.interp(fractions, position, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack((values, weights)).astype("float32")


def _bin_boundaries(summary: np.ndarray, num_bins: int) -> np.ndarray:
    return _compress(summary, 1.0 / num_bins)[0, :-1]
