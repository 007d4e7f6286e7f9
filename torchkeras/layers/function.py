"""`Function`: a graph of layers and operations between symbolic inputs and outputs, callable
on tensors (and on new symbolic inputs) without being a model."""

from __future__ import annotations

from typing import Any

from torchkeras.layers.input_layer import InputLayer
from torchkeras.layers.keras_tensor import KerasTensor, Node, any_symbolic
from torchkeras.utils import naming
from torchkeras.utils.nest import flatten, map_structure, pack_like

__all__ = ["Function", "get_source_inputs"]


class Function:
    """Captures the computation from `inputs` to `outputs` as a callable.

    Args:
        inputs: a `KerasTensor` (from `keras.Input()` or `keras.KerasTensor`), or a list / dict.
        outputs: the `KerasTensor`(s) computed from `inputs` by layers and ops.
        name: optional name.

    Example:
    ```python
    x = keras.Input((3,))
    y = keras.ops.relu(keras.layers.Dense(4)(x))
    fn = keras.Function(x, y)
    fn(np.ones((2, 3), "float32"))  # a (2, 4) tensor
    ```
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None):
        self.name = name or naming.unique_name("function")
        self._inputs_struct = dict(inputs) if isinstance(inputs, dict) else inputs
        self._outputs_struct = outputs
        self._inputs = flatten(self._inputs_struct)
        self._outputs = flatten(outputs)
        for tensor in self._inputs + self._outputs:
            if not isinstance(tensor, KerasTensor):
                raise ValueError(
                    f"Function '{self.name}': `inputs` and `outputs` must be KerasTensors. "
                    f"Received: {tensor!r}"
                )
        self._nodes = _nodes_between(self._inputs, self._outputs, self.name)

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._outputs)

    @property
    def operations(self) -> list[Any]:
        """The layers and operations of the graph, in the order they run."""
        seen: dict[int, Any] = {}
        for node in self._nodes:
            seen.setdefault(id(node.layer), node.layer)
        return list(seen.values())

    def __call__(self, inputs: Any) -> Any:
        return self.call(inputs)

    def call(self, inputs: Any) -> Any:
        """Runs the graph on `inputs` (tensors, arrays or new `KerasTensor`s)."""
        values = {id(spec): value for spec, value in zip(self._inputs, self._flatten_inputs(inputs))}
        for node in self._nodes:
            args, kwargs = map_structure(
                lambda leaf: values[id(leaf)] if isinstance(leaf, KerasTensor) else leaf,
                (node.args, node.kwargs),
            )
            outputs = node.layer(*args, **kwargs)
            for spec, value in zip(flatten(node.outputs), flatten(outputs)):
                if isinstance(spec, KerasTensor):
                    values[id(spec)] = value
        return pack_like(self._outputs_struct, [values[id(t)] for t in self._outputs])

    def compute_output_spec(self, inputs: Any) -> Any:
        """The output `KerasTensor`(s) for symbolic `inputs`."""
        if not any_symbolic(inputs):
            raise ValueError(
                f"Function '{self.name}': `compute_output_spec` takes KerasTensors. Received: {inputs!r}"
            )
        return self.call(inputs)

    def _flatten_inputs(self, inputs: Any) -> list[Any]:
        if isinstance(inputs, dict) and isinstance(self._inputs_struct, dict):
            missing = [key for key in self._inputs_struct if key not in inputs]
            if missing:
                raise ValueError(
                    f"Function '{self.name}': missing inputs {missing}. Received keys {list(inputs)}."
                )
            return [inputs[key] for key in self._inputs_struct]
        flat = flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Function '{self.name}' expects {len(self._inputs)} input(s) "
                f"{[t.shape for t in self._inputs]}. Received: {len(flat)} input(s)."
            )
        return flat

    def __repr__(self) -> str:
        return f"<Function name={self.name}, inputs={len(self._inputs)}, outputs={len(self._outputs)}>"


def _nodes_between(inputs: list[KerasTensor], outputs: list[KerasTensor], name: str) -> list[Node]:
    """The nodes computing `outputs` from `inputs`, each after those it depends on."""
    known = {id(t) for t in inputs}
    ordered: list[Node] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor_or_node, expanded = stack.pop()
        if expanded:
            if id(tensor_or_node) not in visited:
                visited.add(id(tensor_or_node))
                ordered.append(tensor_or_node)
            continue
        if isinstance(tensor_or_node, KerasTensor):
            if id(tensor_or_node) in known:
                continue
            history = tensor_or_node._keras_history
            if history is None or isinstance(history[0].layer, InputLayer):
                raise ValueError(
                    f"Function '{name}': the graph needs {tensor_or_node!r}, which is not in `inputs`."
                )
            tensor_or_node = history[0]
        if id(tensor_or_node) in visited:
            continue
        stack.append((tensor_or_node, True))
        stack.extend((t, False) for t in reversed(tensor_or_node.input_tensors))
    return ordered


def get_source_inputs(tensor: Any) -> list[KerasTensor]:
    """The `keras.Input()` tensors (or other source `KerasTensor`s) that `tensor` is computed from.

    Args:
        tensor: a `KerasTensor` (or a list / dict of them).

    Returns:
        The source tensors, each once, in the order they are reached.
    """
    sources: list[KerasTensor] = []
    seen: set[int] = set()
    stack = list(reversed(flatten(tensor)))
    while stack:
        current = stack.pop()
        if not isinstance(current, KerasTensor):
            raise ValueError(f"`get_source_inputs` takes KerasTensors. Received: {current!r}")
        history = current._keras_history
        if history is None or isinstance(history[0].layer, InputLayer) or not history[0].input_tensors:
            if id(current) not in seen:
                seen.add(id(current))
                sources.append(current)
            continue
        stack.extend(reversed(history[0].input_tensors))
    return sources
