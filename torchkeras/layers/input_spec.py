"""`InputSpec`: what a layer expects of its inputs (rank, dtype, sizes of given axes).

A layer that sets `self.input_spec` has every call checked against it (`Layer.__call__`,
before building), on tensors and on symbolic inputs alike.
"""

from __future__ import annotations

from typing import Any

from torchkeras import config
from torchkeras.utils.nest import flatten

__all__ = ["InputSpec", "assert_input_compatibility"]


class InputSpec:
    """Specifies the rank, dtype and shape of each input of a layer.

    Args:
        dtype: expected dtype name, or `None` for any.
        shape: expected shape (ints or `None`); sets `ndim`.
        ndim: expected rank.
        max_ndim: largest accepted rank.
        min_ndim: smallest accepted rank.
        axes: dict `{axis: size}` of sizes the given axes must have.
        allow_last_axis_squeeze: also accept inputs whose last axis of size 1 is missing or added.
        name: the input's name (matches dict inputs).
        optional: whether the input may be `None`.

    Example:
    ```python
    class Affine(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = keras.InputSpec(ndim=2, axes={-1: 4})
    ```
    """

    def __init__(
        self,
        dtype: Any = None,
        shape: Any = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
        optional: bool = False,
    ):
        self.dtype = config.standardize_dtype(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (AttributeError, TypeError, ValueError) as error:
            raise TypeError(
                f"Argument `axes` must be a dict with integer keys. Received: axes={axes}"
            ) from error
        rank = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and rank is not None and max(self.axes) > rank - 1:
            raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {rank - 1}")

    def __repr__(self) -> str:
        parts = [
            f"{key}={value}"
            for key, value in (
                ("dtype", self.dtype),
                ("shape", self.shape),
                ("ndim", self.ndim),
                ("max_ndim", self.max_ndim),
                ("min_ndim", self.min_ndim),
                ("axes", self.axes),
            )
            if value
        ]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict:
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config_dict: dict) -> InputSpec:
        return cls(**config_dict)


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raises a `ValueError` naming the layer, the input and the broken expectation when
    `inputs` do not match `input_spec` (one spec, or a list / dict of specs)."""
    if not input_spec:
        return
    specs = [s for s in flatten(input_spec)] if not isinstance(input_spec, InputSpec) else [input_spec]
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs]
        if all(names):
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(
                    f'Missing data for input "{missing[0]}". You passed a data dictionary with keys '
                    f"{list(inputs)}. Expected the following keys: {names}"
                )
            inputs = [inputs[name] for name in names]
    values = [inputs] if inputs is None or hasattr(inputs, "shape") else flatten(inputs)
    if len(values) != len(specs):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(values)} '
            f"input tensors. Inputs received: {values}"
        )
    for index, (x, spec) in enumerate(zip(values, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(
                f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
                f"layer '{layer_name}'."
            )
        _check_one(index, x, spec, layer_name)


def _check_one(index: int, x: Any, spec: InputSpec, layer_name: str) -> None:
    shape = tuple(None if d is None else int(d) for d in x.shape)
    ndim = len(shape)
    where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer"
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(
            f"{where}: expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(
            f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.dtype is not None:
        dtype = config.standardize_dtype(x.dtype)
        if dtype != spec.dtype:
            raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={dtype}")
    for axis, value in spec.axes.items():
        if value is not None and shape[axis] not in (value, None):
            raise ValueError(
                f"{where}: expected axis {axis} of input shape to have value {value}, "
                f"but received input with shape {shape}"
            )
    if spec.shape is not None:
        spec_shape, seen = spec.shape, shape
        if spec.allow_last_axis_squeeze:
            seen = seen[:-1] if seen and seen[-1] == 1 else seen
            spec_shape = spec_shape[:-1] if spec_shape and spec_shape[-1] == 1 else spec_shape
        for spec_dim, dim in zip(spec_shape, seen):
            if spec_dim is not None and dim is not None and spec_dim != dim:
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={seen}")
