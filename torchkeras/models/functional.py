"""`Functional`: a model defined as a graph of layers between `Input()`s and outputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchkeras.layers.call_context import call_context
from torchkeras.layers.input_layer import InputLayer
from torchkeras.layers.keras_tensor import KerasTensor, Node
from torchkeras.layers.torch_function import TorchFunction
from torchkeras.models import functional_config
from torchkeras.models.model import Model
from torchkeras.utils.nest import flatten, map_structure, pack_like, to_tensor
from torchkeras.utils.registry import register_builtin

__all__ = ["Functional", "functional_from_config", "standardize_input"]

functional_from_config = functional_config.functional_from_config


def _topological_nodes(outputs: list[KerasTensor]) -> list[Node]:
    """The nodes that produce `outputs`, each after the nodes it depends on."""
    ordered: list[Node] = []
    visited: set[int] = set()
    stack: list[tuple[Node, bool]] = []
    for tensor in reversed(outputs):  # the stack pops the first output's branch first
        if tensor._keras_history is None:
            raise ValueError(f"Output {tensor} was not produced by layers called on `keras.Input()` tensors.")
        stack.append((tensor._keras_history[0], False))
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if id(node) not in visited:
                visited.add(id(node))
                ordered.append(node)
            continue
        if id(node) in visited:
            continue
        stack.append((node, True))
        for parent in reversed(node.parent_nodes):
            if id(parent) not in visited:
                stack.append((parent, False))
    return ordered


def _last_readers(nodes: list[Node], outputs: list[KerasTensor]) -> list[list[KerasTensor]]:
    """For each node, the tensors that no later node reads and that are not outputs.

    The plans hold the `KerasTensor`s themselves, not their ids: a pickled or deep-copied model
    has new ones, and `call` keys its values by the ids of the tensors it holds now."""
    last_reader: dict[int, tuple[KerasTensor, int]] = {}
    for index, node in enumerate(nodes):
        read = [node.args[0]] if node.single_input else flatten((node.args, node.kwargs))
        for tensor in read:
            if isinstance(tensor, KerasTensor):
                last_reader[id(tensor)] = (tensor, index)
    kept = {id(tensor) for tensor in outputs}
    released: list[list[KerasTensor]] = [[] for _ in nodes]
    for key, (tensor, index) in last_reader.items():
        if key not in kept:
            released[index].append(tensor)
    return released


def _donations(
    nodes: list[Node], released: list[list[KerasTensor]]
) -> list[tuple[list[KerasTensor], list] | None]:
    """For each node, the inputs its layer may write its output into
    (`call_context.donated`; ReLU and Add use them; `_donated` checks each call), and the
    layers involved (producers and other readers); None when there are none.

    An input qualifies when this node reads it last, it is not a model output, its producer
    makes new tensors that nothing else holds (`_fresh_outputs`: convolutions,
    BatchNormalization, Add), and every other reader does too (so no view of it outlives it).
    """
    readers: dict[int, list[Node]] = {}
    producers: dict[int, Any] = {}
    for node in nodes:
        if isinstance(node.outputs, KerasTensor):
            producers[id(node.outputs)] = node.layer
        read = [node.args[0]] if node.single_input else flatten((node.args, node.kwargs))
        for tensor in read:
            if isinstance(tensor, KerasTensor):
                readers.setdefault(id(tensor), []).append(node)
    donations: list[tuple[list[KerasTensor], list] | None] = []
    for node, tensors in zip(nodes, released):
        donated, layers = [], [node.layer]
        for tensor in tensors:
            producer = producers.get(id(tensor))
            others = [reader.layer for reader in readers[id(tensor)] if reader is not node]
            fresh = [producer, *others]
            if producer is not None and all(getattr(layer, "_fresh_outputs", False) for layer in fresh):
                donated.append(tensor)
                layers += fresh
        donations.append((donated, layers) if donated else None)
    return donations


def _donated(donation: tuple[list[KerasTensor], list], values: dict[int, Any], recording: bool) -> tuple:
    """The tensors of a node's `donation` that its layer may overwrite in this call: none when a
    torch hook could see the write, or when gradients are recorded and one could involve them (a
    donated tensor needs a gradient, or a layer involved trains a weight and so keeps its inputs
    for the backward pass, as a frozen backbone's layers do not)."""
    specs, layers = donation
    if any(layer._forward_hooks or layer._forward_pre_hooks for layer in layers):
        return ()
    tensors = tuple(values[id(spec)] for spec in specs)
    if recording and (
        any(tensor.requires_grad for tensor in tensors)
        or any(weight.requires_grad for layer in layers for weight in layer.parameters())
    ):
        return ()
    return tensors


def _keras_operation_order(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Any]:
    """The graph's operations in Keras's order (`model.layers`, saved configs and weight paths
    depend on it): an operation's depth is its longest path to an output, deepest first; ties go
    to the operation first reached by a depth-first walk from the outputs (Keras's `map_graph`)."""
    ordered_nodes: list[Node] = []
    finished: set[int] = set()
    first_visit: dict[int, int] = {}
    operations: dict[int, Any] = {}
    for tensor in outputs:
        stack: list[tuple[Node, bool]] = [(tensor._keras_history[0], False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                finished.add(id(node))
                ordered_nodes.append(node)
                continue
            if id(node) in finished:
                continue
            first_visit.setdefault(id(node.layer), len(first_visit))
            operations[id(node.layer)] = node.layer
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.parent_nodes))
    in_graph = {id(node) for node in ordered_nodes}
    node_depth: dict[int, int] = {}
    operation_depth: dict[int, int] = {}
    for node in reversed(ordered_nodes):
        depth = max(node_depth.setdefault(id(node), 0), operation_depth.get(id(node.layer), 0))
        operation_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:  # inputs that no output depends on come last
        layer = tensor._keras_history[0].layer
        if id(layer) not in operation_depth:
            operation_depth[id(layer)], first_visit[id(layer)], operations[id(layer)] = 0, -1, layer
    keys = sorted(operation_depth, key=lambda key: (-operation_depth[key], first_visit[key]))
    return [operations[key] for key in keys]


@register_builtin
class Functional(Model):
    """A model whose `call` replays the graph recorded from `Input()` to `outputs`.

    Args:
        inputs: an `Input()` tensor, or a list / dict of them.
        outputs: tensor(s) computed from `inputs` by layers and ops; a list or dict for several.
        name: model name.
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        if isinstance(inputs, dict):
            inputs = dict(inputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._input_tensors: list[KerasTensor] = flatten(inputs)
        self._output_tensors: list[KerasTensor] = flatten(outputs)
        for tensor in self._input_tensors:
            history = tensor._keras_history if isinstance(tensor, KerasTensor) else None
            if history is None or not isinstance(history[0].layer, InputLayer):
                raise ValueError(
                    f"`inputs` must be tensors returned by `keras.Input()`. Received: {tensor!r}"
                )
        nodes = _topological_nodes(self._output_tensors)
        known_inputs = {id(t) for t in self._input_tensors}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node.output_tensors[0]) not in known_inputs:
                raise ValueError(
                    f"The graph needs input {node.output_tensors[0]!r}, which is not in `inputs`. "
                    f"Received: inputs={self._input_tensors}"
                )
        self._nodes = [node for node in nodes if not isinstance(node.layer, InputLayer)]
        released = _last_readers(self._nodes, self._output_tensors)
        self.__dict__["_released_after"] = released  # plans of KerasTensors: not tracked
        self.__dict__["_donations"] = _donations(self._nodes, released)
        order = _keras_operation_order(self._input_tensors, self._output_tensors)
        self.__dict__["_operation_order"] = order  # a plain list: not registered as submodules twice
        self._layers = torch.nn.ModuleList(op for op in order if not isinstance(op, TorchFunction))
        self._operations = [op for op in order if isinstance(op, TorchFunction)]
        self.built = True

    @property
    def layers(self) -> list[Any]:
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._input_tensors)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._output_tensors)

    @property
    def input(self) -> Any:
        return self._inputs_struct

    @property
    def output(self) -> Any:
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        """The inputs' shapes (batch axis included): one tuple for one input, else a list / dict."""
        return _single_or_all(self._inputs_struct)

    @property
    def output_shape(self) -> Any:
        """The outputs' shapes (batch axis included): one tuple for one output, else a list / dict."""
        return _single_or_all(self._outputs_struct)

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self._input_tensors]

    @property
    def output_names(self) -> list[str]:
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history[0].layer.name for t in self._output_tensors]

    def _flatten_inputs(self, inputs: Any) -> list[Any]:
        expected = self._inputs_struct
        if isinstance(inputs, dict):
            keys = list(expected) if isinstance(expected, dict) else [t.name for t in self._input_tensors]
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': missing inputs {missing}. Expected keys {keys}; "
                    f"received keys {list(inputs)}."
                )
            return [inputs[k] for k in keys]
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self._input_tensors):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._input_tensors)} input(s) "
                f"{[t.shape for t in self._input_tensors]}. Received: {len(flat)} input(s)."
            )
        return flat

    def _standardize(self, value: Any, spec: KerasTensor) -> Any:
        value = standardize_input(value, spec, self.name, self._device_hint())
        if value is not None and value.ndim != len(spec.shape):
            raise ValueError(
                f"Model '{self.name}': input '{spec.name}' expects shape {spec.shape}. "
                f"Received: shape {tuple(value.shape)}."
            )
        return value

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        values: dict[int, Any] = {}
        for spec, value in zip(self._input_tensors, self._flatten_inputs(inputs)):
            values[id(spec)] = self._standardize(value, spec)
        recording, compiling = torch.is_grad_enabled(), torch.compiler.is_compiling()
        for node, released, donation in zip(self._nodes, self._released_after, self._donations):
            donated = None if compiling or donation is None else _donated(donation, values, recording)
            if donated:
                call_context.donated = (node.layer, donated)
                try:
                    outputs = _call_node(node, values, training)
                finally:
                    call_context.donated = (None, ())
            else:
                outputs = _call_node(node, values, training)
            if isinstance(node.outputs, KerasTensor):
                values[id(node.outputs)] = outputs
            else:
                for spec, value in zip(flatten(node.outputs), flatten(outputs)):
                    if isinstance(spec, KerasTensor):
                        values[id(spec)] = value
            for spec in released:  # nothing reads it again: its memory can serve the next layers
                del values[id(spec)]
        outputs = pack_like(self._outputs_struct, [values[id(t)] for t in self._output_tensors])
        return _unpack_singleton(outputs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Symbolic outputs in the structure given as `outputs` (`[x]` stays a list, as in Keras,
        although a call on real data returns the single tensor)."""
        outputs = super().compute_output_spec(*args, **kwargs)
        return pack_like(self._outputs_struct, flatten(outputs))

    def get_config(self) -> dict:
        """Keras's functional config: `name`, `trainable`, `layers` (each with its `inbound_nodes`),
        `input_layers` and `output_layers`. A subclass with its own constructor saves its
        constructor arguments instead, as in Keras."""
        if not functional_config.has_functional_constructor(type(self)):
            return Model.get_config(self)
        return functional_config.functional_get_config(self)


def _unpack_singleton(outputs: Any) -> Any:
    """One output given as `[x]` or `(x,)` comes back as the tensor itself, as Keras's call does."""
    return outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs


def _call_node(node: Node, values: dict[int, Any], training: bool | None) -> Any:
    """Calls `node`'s layer on the values of its recorded inputs (nothing of them is kept here)."""
    if node.single_input:
        return node.layer(values[id(node.args[0])])
    args, kwargs = map_structure(
        lambda leaf: values[id(leaf)] if isinstance(leaf, KerasTensor) else leaf, (node.args, node.kwargs)
    )
    if "training" in kwargs and training is not None:
        kwargs["training"] = training  # the model's mode wins over the recorded one, as in Keras
    return node.layer(*args, **kwargs)


def _single_or_all(structure: Any) -> Any:
    shapes = map_structure(lambda tensor: tensor.shape, structure)
    return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes


def standardize_input(value: Any, spec: KerasTensor, model_name: str, device: torch.device) -> Any:
    """One input value as the model's `Input` declares it, as Keras standardizes inputs: a tensor
    of the input's dtype (floats already in an autocast's dtype stay), with a missing trailing axis
    of size 1 added or an extra one removed; text stays a NumPy array. The caller checks the rank."""
    wanted = spec._torch_dtype
    if wanted is None and not isinstance(value, torch.Tensor):
        return _text_input(value, spec, model_name)
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        value = to_tensor(value, device=device)
    if wanted is not None and value.dtype != wanted:
        # Floats already in an autocast's dtype stay (the autocast casts them where it matters).
        autocast = torch.is_autocast_enabled(value.device.type)
        if not (autocast and value.is_floating_point() and wanted.is_floating_point):
            value = value.to(wanted)
    rank = len(spec.shape)
    if value.ndim == rank - 1 and spec.shape[-1] == 1:
        value = value.unsqueeze(-1)
    elif value.ndim == rank + 1 and value.shape[-1] == 1:
        value = value.squeeze(-1)
    return value


def _text_input(value: Any, spec: KerasTensor, model_name: str) -> np.ndarray:
    """Text for a `dtype="string"` input: a NumPy object array (read on the host by the string
    layers), given a trailing axis of size 1 when the input declares one, as Keras does."""
    array = np.asarray(value, dtype=object)
    if array.ndim == len(spec.shape) - 1 and spec.shape[-1] == 1:
        array = array[..., None]
    if array.ndim != len(spec.shape):
        raise ValueError(
            f"Model '{model_name}': input '{spec.name}' expects shape {spec.shape}. "
            f"Received: shape {array.shape}."
        )
    return array
