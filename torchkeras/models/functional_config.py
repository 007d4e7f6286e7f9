"""A functional model's config in Keras 3's schema, and the model rebuilt from one.

`layers` lists every operation (layers, and torch functions applied to symbolic tensors) in Keras's
order with its `inbound_nodes`: the arguments of each call, where a symbolic tensor is written as
`{"class_name": "__keras_tensor__", "config": {"keras_history": [layer name, node index, tensor
index], ...}}`. Torch functions are saved by their allowlisted name (common arithmetic and indexing
as Keras's own operations, so Keras loads them too) and resolved from the allowlist only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from torchkeras import config as tk_config
from torchkeras.layers.input_layer import InputLayer
from torchkeras.layers.keras_tensor import KerasTensor, Node
from torchkeras.layers.layer import Layer
from torchkeras.layers.torch_function import TorchFunction
from torchkeras.saving import serialization, torch_functions
from torchkeras.utils.nest import flatten

__all__ = ["functional_from_config", "functional_get_config", "has_functional_constructor"]


def has_functional_constructor(cls: type) -> bool:
    """Whether `cls` is built as `cls(inputs, outputs)` (no constructor of its own)."""
    from torchkeras.models.functional import Functional

    for klass in cls.__mro__:
        if klass is Functional:
            return True
        if "__init__" in klass.__dict__:
            return False
    return False


# ------------------------------------------------------------------------------------ saving


def functional_get_config(model: Any) -> dict[str, Any]:
    own_nodes = {id(node) for node in model._nodes}

    def kept_nodes(layer: Any) -> list[Node]:
        if isinstance(layer, InputLayer):
            return layer._inbound_nodes[:1]
        return [node for node in layer._inbound_nodes if id(node) in own_nodes]

    def reference(tensor: KerasTensor, in_node: bool) -> list[Any]:
        node, index = tensor._keras_history
        position = kept_nodes(node.layer).index(node)
        # Keras counts a nested functional model's nodes from 1 in `input_layers`/`output_layers`.
        offset = 1 if not in_node and _is_functional(node.layer) else 0
        return [node.layer.name, position + offset, index]

    layers = []
    for operation in model.__dict__["_operation_order"]:
        nodes = [] if isinstance(operation, InputLayer) else kept_nodes(operation)
        if isinstance(operation, TorchFunction):
            entry, nodes_data = _torch_function_config(operation, nodes, reference)
        else:
            entry = serialization.serialize_keras_object(operation)
            nodes_data = [_node_config(node.args, node.kwargs, reference, False) for node in nodes]
        entry["name"] = operation.name
        entry["inbound_nodes"] = nodes_data
        layers.append(entry)

    def leaf(tensor: KerasTensor) -> list[Any]:
        return reference(tensor, in_node=False)

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": _map(leaf, model._inputs_struct),
        "output_layers": _map(leaf, model._outputs_struct),
    }


def _map(fn: Any, structure: Any) -> Any:
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, Mapping):
        return {key: _map(fn, value) for key, value in structure.items()}
    return [_map(fn, value) for value in structure]


def _is_functional(layer: Any) -> bool:
    from torchkeras.models.functional import Functional

    return isinstance(layer, Functional)


def _torch_function_config(operation: TorchFunction, nodes: list[Node], reference: Any) -> tuple[dict, list]:
    node = nodes[0]
    keras_op = torch_functions.keras_operation(operation.function, node.args, node.kwargs)
    if keras_op is not None and len(nodes) == 1:
        module, class_name, args = keras_op
        entry = {"module": module, "class_name": class_name, "config": {"name": operation.name},
                 "registered_name": class_name}  # fmt: skip
        return entry, [_node_config(args, {}, reference, False)]
    name = torch_functions.function_name(operation.function)
    if name is None:
        raise ValueError(
            f"Cannot save the functional model: its operation '{operation.name}' calls "
            f"{operation.function!r}, which is not in torchkeras's allowlist of pure tensor functions. "
            "Wrap it in a `Layer` subclass registered with `keras.saving.register_keras_serializable()`."
        )
    entry = {"module": "torchkeras.layers", "class_name": "TorchFunction",
             "config": {"name": operation.name, "function": name}, "registered_name": None}  # fmt: skip
    return entry, [_node_config(n.args, n.kwargs, reference, True) for n in nodes]


def _node_config(args: Any, kwargs: dict, reference: Any, exact: bool) -> dict[str, Any]:
    """A call's arguments as JSON values (`exact` keeps tuples and torch dtypes, for torch calls)."""

    def encode(value: Any) -> Any:
        if isinstance(value, KerasTensor):
            config = {
                "shape": list(value.shape),
                "dtype": value.dtype,
                "keras_history": reference(value, True),
            }
            return {"class_name": "__keras_tensor__", "config": config}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, tuple) and exact:
            return {"class_name": "__tuple__", "config": {"value": [encode(v) for v in value]}}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if isinstance(value, Mapping):
            return {str(key): encode(v) for key, v in value.items()}
        if isinstance(value, torch.dtype):
            name = tk_config.standardize_dtype(value)
            return {"class_name": "__dtype__", "config": {"name": name}} if exact else name
        if isinstance(value, (slice, type(Ellipsis), torch.Tensor, np.ndarray, np.generic)):
            return serialization.serialize_keras_object(value)
        raise ValueError(f"Cannot save a call argument of type {type(value).__name__}: {value!r}")

    return {"args": encode(list(args)), "kwargs": encode(dict(kwargs))}


# ----------------------------------------------------------------------------------- loading


def functional_from_config(
    cls: type, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Any:
    """Rebuilds a functional model of class `cls` from `functional_get_config`'s output (or Keras's).

    Raises:
        ValueError: for a malformed graph, an unknown class or function, or an unsafe name.
    """
    config = dict(config)
    layer_configs = config.pop("layers")
    if not isinstance(layer_configs, list):
        raise ValueError(
            f"A functional config's `layers` must be a list. Received: {type(layer_configs).__name__}"
        )
    input_spec, output_spec = config.pop("input_layers"), config.pop("output_layers")
    operations: dict[str, Any] = {}  # name -> layer, or a function making graph nodes
    produced: dict[str, list[list[KerasTensor]]] = {}  # name -> output tensors of each call so far
    pending: list[tuple[str, list]] = []
    for layer_config in layer_configs:
        if not isinstance(layer_config, Mapping):
            raise ValueError(f"Each entry of `layers` must be a dict. Received: {layer_config!r}")
        name = serialization.check_layer_name(layer_config.get("name"), "functional config")
        if name in operations:
            raise ValueError(f"The functional config lists the layer name {name!r} twice.")
        inbound = layer_config.get("inbound_nodes") or []
        if not isinstance(inbound, list) or not all(isinstance(node, Mapping) for node in inbound):
            raise ValueError(f"Layer {name!r}: `inbound_nodes` must be a list of {{'args', 'kwargs'}} dicts.")
        operations[name] = _make_operation(layer_config, custom_objects or {})
        is_input = isinstance(operations[name], InputLayer)
        produced[name] = [[operations[name].output_tensor]] if is_input else []
        pending.append((name, list(inbound)))
    while pending:
        progressed = False
        for entry in list(pending):
            name, nodes = entry
            while nodes:
                call = _resolve_node(nodes[0], produced)
                if call is None:
                    break
                outputs = operations[name](*call[0], **call[1])
                produced[name].append([t for t in flatten(outputs) if isinstance(t, KerasTensor)])
                nodes.pop(0)
                progressed = True
            if not nodes:
                pending.remove(entry)
        if not progressed:
            raise ValueError(
                "Invalid functional config: the graph has loops or calls on tensors that no layer "
                f"produces. Unresolved layers: {[name for name, _ in pending]}"
            )

    def tensor(leaf: list) -> KerasTensor:
        name, node_index, tensor_index = leaf
        if _is_functional(operations.get(name)):
            node_index -= 1
        return _lookup(produced, name, node_index, tensor_index)

    inputs, outputs = _map_leaves(tensor, input_spec), _map_leaves(tensor, output_spec)
    return cls(inputs=inputs, outputs=outputs, **config)


def _map_leaves(fn: Any, spec: Any) -> Any:
    if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
        return fn(spec)
    if isinstance(spec, Mapping):
        return {key: _map_leaves(fn, value) for key, value in spec.items()}
    if isinstance(spec, list) and spec:
        return [_map_leaves(fn, value) for value in spec]
    raise ValueError(f"Invalid functional config: cannot read inputs/outputs from {spec!r}")


def _lookup(produced: dict, name: Any, node_index: Any, tensor_index: Any) -> KerasTensor:
    if not isinstance(name, str) or name not in produced:
        raise ValueError(f"Invalid functional config: unknown layer {name!r}")
    calls = produced[name]
    if (
        not isinstance(node_index, int)
        or not isinstance(tensor_index, int)
        or not 0 <= node_index < len(calls)
    ):
        raise ValueError(f"Invalid functional config: layer {name!r} has no call {node_index!r}")
    if not 0 <= tensor_index < len(calls[node_index]):
        raise ValueError(
            f"Invalid functional config: call {node_index} of {name!r} has no output {tensor_index!r}"
        )
    return calls[node_index][tensor_index]


def _make_operation(layer_config: Mapping[str, Any], custom_objects: Mapping[str, Any]) -> Any:
    class_name, module = layer_config.get("class_name"), layer_config.get("module")
    inner = layer_config.get("config") or {}
    if class_name == "TorchFunction" and module == "torchkeras.layers":
        function = torch_functions.resolve_function(inner.get("function"), f"layer {layer_config['name']!r}")
        name = layer_config["name"]

        def call_torch(*args: Any, **kwargs: Any) -> Any:
            return TorchFunction(function, name=name)(*args, **kwargs)

        return call_torch
    if (
        isinstance(module, str)
        and module.startswith("keras.src.ops")
        and class_name in torch_functions.KERAS_OPERATIONS
    ):
        function = torch_functions.KERAS_OPERATIONS[class_name]
        params = {key: value for key, value in dict(inner).items() if key != "name"}

        def call_keras_operation(*args: Any, **kwargs: Any) -> Any:
            outputs = function(*args, **kwargs, **params)
            history = getattr(next(iter(flatten(outputs)), None), "_keras_history", None)
            if history is not None and isinstance(history[0].layer, TorchFunction):
                history[0].layer.name = layer_config["name"]  # keep the saved name
            return outputs

        return call_keras_operation
    config = {key: value for key, value in layer_config.items() if key not in ("name", "inbound_nodes")}
    layer = serialization.deserialize_keras_object(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"Entry {layer_config['name']!r} of `layers` is not a layer: {class_name!r}")
    return layer


def _resolve_node(node: Mapping[str, Any], produced: dict) -> tuple[list, dict] | None:
    """The call's `(args, kwargs)`, or `None` while a tensor it uses is not produced yet."""
    missing = []

    def decode(value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [decode(v) for v in value]
        if not isinstance(value, Mapping):
            raise ValueError(f"Invalid call argument in functional config: {value!r}")
        if "class_name" not in value or "config" not in value:
            return {key: decode(v) for key, v in value.items()}
        kind, inner = value["class_name"], value["config"] or {}
        if kind == "__keras_tensor__":
            history = inner.get("keras_history")
            if not isinstance(history, list) or len(history) != 3:
                raise ValueError(f"Invalid keras_history in functional config: {history!r}")
            name, node_index = history[0], history[1]
            if name in produced and isinstance(node_index, int) and node_index >= len(produced[name]):
                missing.append(name)
                return None
            return _lookup(produced, *history)
        if kind == "__tuple__":
            return tuple(decode(v) for v in inner.get("value", []))
        if kind == "__dtype__":
            dtype = getattr(torch, str(inner.get("name")), None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"Unknown dtype in functional config: {inner.get('name')!r}")
            return dtype
        if kind in ("__slice__", "__ellipsis__", "__tensor__", "__numpy__"):
            return serialization.deserialize_keras_object(value)
        raise ValueError(f"Unsupported call argument {kind!r} in functional config.")

    args, kwargs = decode(node.get("args", [])), decode(node.get("kwargs", {}))
    if missing:
        return None
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ValueError("Invalid functional config: a node's `args` must be a list and `kwargs` a dict.")
    return args, kwargs
