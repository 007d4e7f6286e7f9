"""Input signatures for export: sample tensors plus which axes stay dynamic."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["sample_inputs"]

_SAMPLE_BATCH = 2  # not 0 or 1, which torch.export would specialize


def _spec_to_sample(spec: Any, name: str) -> tuple[torch.Tensor, dict[int, Any] | None]:
    if isinstance(spec, torch.Tensor):
        return spec.detach(), {0: torch.export.Dim.DYNAMIC} if spec.ndim else None
    shape = getattr(spec, "shape", spec)
    dtype = getattr(spec, "dtype", None) or "float32"
    if not isinstance(shape, (tuple, list)) or not all(d is None or isinstance(d, int) for d in shape):
        raise ValueError(
            f"`{name}` must hold tensors, KerasTensors, InputSpecs or shape tuples. Received: {spec!r}"
        )
    torch_dtype = dtype if isinstance(dtype, torch.dtype) else getattr(torch, str(dtype), None)
    if not isinstance(torch_dtype, torch.dtype):
        raise ValueError(f"`{name}`: inputs of dtype {dtype!r} cannot be exported (no torch dtype).")
    dynamic = {axis: torch.export.Dim.DYNAMIC for axis, size in enumerate(shape) if size is None}
    concrete = [_SAMPLE_BATCH if size is None else size for size in shape]
    return torch.zeros(concrete, dtype=torch_dtype), dynamic or None


def sample_inputs(model: Any, input_signature: Any = None) -> tuple[tuple, tuple]:
    """Sample arguments for `torch.export.export` and their dynamic shapes.

    Without `input_signature`, the model's symbolic `inputs` give the shapes; their `None`
    axes (the batch) stay dynamic. A tensor given in `input_signature` is used as the sample,
    with a dynamic first axis.
    """
    if input_signature is None:
        inputs = getattr(model, "inputs", None)
        if not inputs:
            raise ValueError(
                "This model has no symbolic inputs to export from: pass "
                "`input_signature=[keras.InputSpec(shape=(None, ...))]` (or example tensors)."
            )
        input_signature = list(inputs)
    if not isinstance(input_signature, (list, tuple)) or (
        input_signature and all(d is None or isinstance(d, int) for d in input_signature)
    ):
        input_signature = [input_signature]
    pairs = [_spec_to_sample(spec, "input_signature") for spec in input_signature]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
