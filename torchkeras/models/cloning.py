"""`clone_model`: a new model with the same architecture and freshly initialized weights, compiled
as the original was."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from torchkeras.layers.input_layer import Input, InputLayer
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.layers.layer import Layer
from torchkeras.layers.torch_function import TorchFunction
from torchkeras.models.functional import Functional
from torchkeras.models.functional_config import has_functional_constructor
from torchkeras.models.sequential import Sequential
from torchkeras.optimizers.optimizer import Optimizer
from torchkeras.saving.serialization import compile_custom_objects, compile_from_config
from torchkeras.utils.nest import flatten, map_structure, pack_like

__all__ = ["clone_model"]


def _clone_layer(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """Clones a model: same layers (rebuilt from their configs), new weights.

    Args:
        model: a Sequential, functional or subclassed model.
        input_tensors: optional `Input()` tensor(s) the clone is built on (Sequential / functional).
        clone_function: `layer -> new layer`; by default `layer.__class__.from_config(layer.get_config())`.
        call_function: optional `(layer, *args, **kwargs) -> outputs`, called instead of each layer.
        recursive: whether nested Sequential / functional models are cloned with the same functions.

    Returns:
        The new model (weights are not copied: use `clone.set_weights(model.get_weights())`),
        compiled from the original's compile config when the original is compiled.
    """
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for `clone_model`: {sorted(kwargs)}")
    function = clone_function or _clone_layer
    if recursive:
        function = _recursive(function, call_function)
    if isinstance(model, Sequential):
        clone = _clone_sequential(model, input_tensors, function, call_function)
    elif isinstance(model, Functional) and has_functional_constructor(type(model)):
        clone = _clone_functional(model, input_tensors, function, call_function)
    elif input_tensors is not None or call_function is not None:
        raise ValueError(
            "`input_tensors` and `call_function` apply only to Sequential and functional models. "
            f"Received a subclassed model: {type(model).__name__}."
        )
    elif clone_function is not None:
        return function(model)
    else:
        clone = _clone_subclassed(model)
    _compile_like(model, clone)
    return clone


def _clone_subclassed(model: Any) -> Any:
    """A subclassed model rebuilt from its config, and built as the original was (Keras clones it
    through its serialized form, which carries the build config)."""
    clone = _clone_layer(model)
    build_config = model.get_build_config() if model.built else None
    if build_config and not clone.built:
        clone.build_from_config(build_config)
    return clone


def _compile_like(model: Any, clone: Any) -> None:
    """Compiles the clone of a compiled model from the original's compile config, as Keras does:
    a fresh optimizer with the same settings, fresh metrics. The user's own losses and metrics
    resolve without being registered. A model compiled with a torch optimizer (bound to the
    original's parameters) or a torch loss module (no config) leaves the clone uncompiled."""
    if not getattr(model, "compiled", False) or not isinstance(model.optimizer, Optimizer):
        return
    try:
        config = model.get_compile_config()
    except TypeError as error:  # a compile argument without a config, e.g. a torch loss module
        warnings.warn(f"The clone of model '{model.name}' is not compiled: {error}", stacklevel=3)
        return
    if config is not None:
        compile_from_config(clone, config, custom_objects=compile_custom_objects(model))


def _recursive(function: Callable[[Layer], Layer], call_function: Any) -> Callable[[Layer], Layer]:
    def clone(layer: Layer) -> Layer:
        if isinstance(layer, Sequential) or (
            isinstance(layer, Functional) and has_functional_constructor(type(layer))
        ):
            return clone_model(layer, clone_function=function, call_function=call_function, recursive=True)
        return function(layer)

    return clone


def _clone_sequential(model: Sequential, input_tensors: Any, function: Any, call_function: Any) -> Sequential:
    layers = [function(layer) for layer in model.layers]
    first = model._layers[0] if model._layers else None
    if input_tensors is not None:
        start = flatten(input_tensors)
        if len(start) != 1 or not isinstance(start[0], KerasTensor):
            raise ValueError("A Sequential model clones onto exactly one `Input()` tensor.")
        layers.insert(0, start[0])
    elif isinstance(first, InputLayer):
        layers.insert(0, Input(batch_shape=first.batch_shape, dtype=first.dtype, name=first.name))
    if call_function is None:
        return Sequential(layers, name=model.name, trainable=model.trainable)
    x = layers[0] if isinstance(layers[0], KerasTensor) else None
    if x is None:
        raise ValueError("`call_function` needs a Sequential model with a defined input.")
    inputs = x
    for layer in layers[1:]:
        x = call_function(layer, x)
    return Functional(inputs, x, name=model.name)


def _clone_functional(model: Functional, input_tensors: Any, function: Any, call_function: Any) -> Functional:
    tensors: dict[int, Any] = {}
    if input_tensors is not None:
        given = flatten(input_tensors)
        if len(given) != len(model.inputs):
            raise ValueError(
                f"`input_tensors` must hold {len(model.inputs)} tensor(s). Received: {len(given)}."
            )
        new_inputs = given
    else:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t.name) for t in model.inputs]
    for old, new in zip(model.inputs, new_inputs):
        tensors[id(old)] = new
    clones: dict[int, Any] = {}
    for node in model._nodes:
        layer = node.layer
        if id(layer) not in clones:
            clones[id(layer)] = (
                TorchFunction(layer.function) if isinstance(layer, TorchFunction) else function(layer)
            )
        clone = clones[id(layer)]
        args, call_kwargs = map_structure(
            lambda leaf: tensors[id(leaf)] if isinstance(leaf, KerasTensor) else leaf,
            (node.args, node.kwargs),
        )
        if call_function is not None and not isinstance(clone, TorchFunction):
            outputs = call_function(clone, *args, **call_kwargs)
        else:
            outputs = clone(*args, **call_kwargs)
        for old, new in zip(node.output_tensors, [t for t in flatten(outputs) if isinstance(t, KerasTensor)]):
            tensors[id(old)] = new
    inputs = pack_like(model._inputs_struct, new_inputs) if input_tensors is None else input_tensors
    outputs = pack_like(model._outputs_struct, [tensors[id(t)] for t in model.outputs])
    return type(model)(inputs, outputs, name=model.name)
