"""`Model.export`: a `torch.export` program (`.pt2`) or an ONNX file for inference."""

from __future__ import annotations

import contextlib
import inspect
import io
import os
from collections.abc import Iterator
from typing import Any

import torch

from torchkeras.export.signatures import sample_inputs
from torchkeras.utils.io import atomic_write

__all__ = ["export_model", "exported_program", "inference_mode"]

FORMATS = ("torch", "onnx")


@contextlib.contextmanager
def inference_mode(model: torch.nn.Module) -> Iterator[None]:
    """Puts the model in eval mode for the trace and restores the mode it had."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def exported_program(
    module: torch.nn.Module, args: tuple, dynamic_shapes: Any = None, **kwargs: Any
) -> torch.export.ExportedProgram:
    """Runs `torch.export.export` (non-strict by default), with an error that says what to try."""
    allowed = set(inspect.signature(torch.export.export).parameters) - {"mod", "args", "kwargs"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ValueError(
            f'Unsupported arguments for `format="torch"`: {", ".join(unknown)}. '
            f"Supported arguments are: {', '.join(sorted(allowed))}."
        )
    kwargs.setdefault("strict", False)
    if dynamic_shapes is not None and all(axes is None for axes in dynamic_shapes):
        dynamic_shapes = None
    try:
        return torch.export.export(module, args, dynamic_shapes=dynamic_shapes, **kwargs)
    except Exception as error:
        raise RuntimeError(
            "Failed to export the model with torch.export. Common causes: data-dependent Python "
            "control flow, unsupported operations, or shapes that the sample inputs do not satisfy "
            f"(pass `input_signature`). Original error: {error}"
        ) from error


def export_model(
    model: torch.nn.Module,
    filepath: str | os.PathLike,
    format: str = "torch",
    verbose: bool | None = None,
    input_signature: Any = None,
    **kwargs: Any,
) -> str:
    """Exports `model` for inference; see `Model.export`."""
    filepath = os.fspath(filepath)
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format!r}. Supported formats are: {list(FORMATS)}.")
    suffix = ".pt2" if format == "torch" else ".onnx"
    if not filepath.endswith(suffix):
        raise ValueError(f"The {format} export requires the filepath to end with '{suffix}'. Got: {filepath}")
    args, dynamic_shapes = sample_inputs(model, input_signature)
    if format == "torch":
        with inference_mode(model):
            program = exported_program(model, args, kwargs.pop("dynamic_shapes", dynamic_shapes), **kwargs)
        buffer = io.BytesIO()
        torch.export.save(program, buffer)
        atomic_write(filepath, buffer.getvalue())
    else:
        _export_onnx(model, filepath, args, dynamic_shapes, **kwargs)
    if verbose is None or verbose:
        print(f"Saved the {format} export of the model at '{filepath}'.")
    return filepath


def _export_onnx(
    model: torch.nn.Module, filepath: str, args: tuple, dynamic_shapes: Any, opset_version: int | None = None
) -> None:
    try:
        import onnx  # noqa: F401  (torch's exporter needs both)
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'Exporting to ONNX needs the `onnx` extra (onnx and onnxscript): pip install -e ".[onnx]"'
        ) from error
    with inference_mode(model):
        program = exported_program(model, args, dynamic_shapes)
        onnx_program = torch.onnx.export(
            program, args, dynamo=True, opset_version=opset_version, verbose=False
        )
    atomic_write(filepath, onnx_program.model_proto.SerializeToString())
