"""`model.summary()`: Keras's table of layers, output shapes and parameter counts."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import torch

from torchkeras.layers.input_layer import InputLayer
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer

__all__ = ["format_summary", "print_summary"]


def _readable_size(num_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num_bytes < 1024 or unit == "TB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} TB"


def _count(tensors: list[torch.Tensor]) -> tuple[int, int]:
    return sum(t.numel() for t in tensors), sum(t.numel() * t.element_size() for t in tensors)


def _shape_text(value: Any) -> str:
    if isinstance(value, KerasTensor):
        return str(value.shape).replace(",)", ")") if len(value.shape) != 1 else f"({value.shape[0]},)"
    if isinstance(value, (list, tuple)):
        return ", ".join(_shape_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shape_text(v)}" for k, v in value.items())
    return "?"


def _output_shape(layer: torch.nn.Module) -> str:
    if isinstance(layer, InputLayer):
        return _shape_text(layer.output_tensor)
    nodes = getattr(layer, "_inbound_nodes", None)
    if nodes:
        return _shape_text(nodes[-1].outputs)
    return "?"


def _params(layer: torch.nn.Module) -> str:
    if isinstance(layer, Layer):
        if not layer.built:
            return "0 (unbuilt)"
        return f"{sum(w.numel() for w in layer.weights):,}"
    return f"{sum(p.numel() for p in layer.parameters()):,}"


def _connections(layer: Layer, model: Any) -> str:
    own_nodes = {id(node) for node in getattr(model, "_nodes", [])}
    parts = []
    for node in layer._inbound_nodes:
        if id(node) not in own_nodes:
            continue
        for tensor in node.input_tensors:
            parent, index = tensor._keras_history
            node_index = parent.layer._inbound_nodes.index(parent)
            parts.append(f"{parent.layer.name}[{node_index}][{index}]")
    return ", ".join(parts) or "-"


def _is_linear_graph(model: Any) -> bool:
    nodes = getattr(model, "_nodes", None)
    if nodes is None:
        return True
    return all(len(node.input_tensors) <= 1 for node in nodes) and len(model.inputs) == 1


def _rows(
    model: Any, connected: bool, show_trainable: bool, expand_nested: bool, depth: int = 0
) -> list[list[str]]:
    if hasattr(model, "module") and not any(isinstance(c, Layer) for c in model.children()):
        children = list(model.module.named_children()) or [(model.module.__class__.__name__, model.module)]
        layers = [(name, child) for name, child in children]
    else:
        layers = [(getattr(layer, "name", type(layer).__name__.lower()), layer) for layer in model.layers]
    rows = []
    for name, layer in layers:
        prefix = "  " * depth
        row = [f"{prefix}{name} ({type(layer).__name__})", _output_shape(layer), _params(layer)]
        if connected:
            row.append(_connections(layer, model) if isinstance(layer, Layer) and depth == 0 else "")
        if show_trainable:
            row.append("Y" if getattr(layer, "trainable", True) else "N")
        rows.append(row)
        nested = isinstance(layer, Layer) and layer.layers
        if expand_nested and nested:
            rows += _rows(layer, connected, show_trainable, expand_nested, depth + 1)
        elif expand_nested and not isinstance(layer, Layer) and list(layer.children()):
            rows += [
                [f"{prefix}  {child_name} ({type(child).__name__})", "?", _params(child)]
                + ([""] if connected else [])
                + (["Y"] if show_trainable else [])
                for child_name, child in layer.named_children()
            ]
    return rows


def _table(header: list[str], rows: list[list[str]], widths: list[int], right_align: set[int]) -> list[str]:
    def cells(values: list[str], bar: str) -> list[str]:
        wrapped = [textwrap.wrap(v, w - 2, break_long_words=True) or [""] for v, w in zip(values, widths)]
        lines = []
        for line in range(max(len(w) for w in wrapped)):
            parts = []
            for index, (chunks, width) in enumerate(zip(wrapped, widths)):
                text = chunks[line] if line < len(chunks) else ""
                text = text.rjust(width - 2) if index in right_align else text.ljust(width - 2)
                parts.append(f" {text} ")
            lines.append(bar + bar.join(parts) + bar)
        return lines

    def rule(left: str, middle: str, right: str, fill: str) -> str:
        return left + middle.join(fill * w for w in widths) + right

    lines = [rule("┏", "┳", "┓", "━"), *cells(header, "┃"), rule("┡", "╇", "┩", "━")]
    for index, row in enumerate(rows):
        if index:
            lines.append(rule("├", "┼", "┤", "─"))
        lines += cells(row, "│")
    lines.append(rule("└", "┴", "┘", "─"))
    return lines


def format_summary(
    model: Any,
    line_length: int | None = None,
    positions: list[float] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: tuple[str, str] | None = None,
) -> str:
    """The summary text of `model` (see `Model.summary` for the arguments)."""
    connected = not _is_linear_graph(model)
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    if show_trainable:
        header.append("Trainable")
    line_length = line_length or (100 if connected else 76)
    positions = positions or ([0.3, 0.55, 0.68, 1.0] if connected else [0.45, 0.77, 1.0])
    if show_trainable:
        positions = [p * 0.9 for p in positions] + [1.0]
    if len(positions) != len(header):
        raise ValueError(f"`positions` must have {len(header)} entries. Received: {positions}")
    usable = line_length - len(header) - 1
    ends = [int(round(p * usable)) if p <= 1 else int(p) for p in positions]
    widths = [max(len(title) + 2, end - start) for title, start, end in zip(header, [0, *ends[:-1]], ends)]
    rows = _rows(model, connected, show_trainable, expand_nested)
    if layer_range is not None:
        names = [row[0].split(" (")[0].strip() for row in rows]
        start, end = (
            (names.index(layer_range[0]), names.index(layer_range[1]))
            if all(n in names for n in layer_range)
            else (None, None)
        )
        if start is None:
            raise ValueError(f"`layer_range` must name two layers of the model. Received: {layer_range}")
        rows = rows[start : end + 1]
    trainable = _count(list(model.trainable_weights))
    non_trainable = _count(list(model.non_trainable_weights))
    total = (trainable[0] + non_trainable[0], trainable[1] + non_trainable[1])
    lines = [f'Model: "{model.name}"', *_table(header, rows, widths, {2})]
    lines.append(f" Total params: {total[0]:,} ({_readable_size(total[1])})")
    lines.append(f" Trainable params: {trainable[0]:,} ({_readable_size(trainable[1])})")
    lines.append(f" Non-trainable params: {non_trainable[0]:,} ({_readable_size(non_trainable[1])})")
    optimizer = getattr(model, "optimizer", None)
    variables = getattr(optimizer, "variables", None) if getattr(optimizer, "built", False) else None
    if variables:
        count = _count([v for v in variables if isinstance(v, torch.Tensor)])
        lines.append(f" Optimizer params: {count[0]:,} ({_readable_size(count[1])})")
    return "\n".join(lines)


def print_summary(model: Any, print_fn: Callable[[str], Any] | None = None, **kwargs: Any) -> None:
    """Prints `format_summary(model, **kwargs)` with `print_fn` (default `print`)."""
    (print_fn or print)(format_summary(model, **kwargs))
