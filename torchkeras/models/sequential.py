"""`Sequential`: a plain stack of layers, each with one input and one output."""

from __future__ import annotations

from typing import Any

import torch

from torchkeras.layers.input_layer import InputLayer
from torchkeras.layers.keras_tensor import KerasTensor
from torchkeras.models.functional import standardize_input
from torchkeras.models.model import Model
from torchkeras.utils.registry import register_builtin

__all__ = ["Sequential"]


@register_builtin
class Sequential(Model):
    """A stack of layers where each layer feeds the next.

    The model builds as soon as the input shape is known: from an `Input()` / `InputLayer` first
    element, from the first layer's `input_shape` argument, from `build(input_shape)`, or on
    the first call.

    Args:
        layers: optional list of layers (and/or an `Input()` first).
        trainable: whether the model's weights are updated in training.
        name: model name.

    Example:
    ```python
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    ```
    """

    _functional_init = False

    def __init__(
        self, layers: list | None = None, trainable: bool = True, name: str | None = None, **kwargs: Any
    ):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._layers = torch.nn.ModuleList()
        self._symbolic_output: KerasTensor | None = None
        self._input_from_call = False  # whether the InputLayer came from the first call's shape
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (or sets the input, for an `Input()` tensor / `InputLayer`)."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0].layer
        if not isinstance(layer, torch.nn.Module):
            raise ValueError(
                f"Only layers (or torch modules) can be added to a Sequential model. Received: {layer!r}"
            )
        if isinstance(layer, InputLayer) and self._layers:
            raise ValueError(f"Sequential '{self.name}': an Input can only be the first element.")
        if self._layers and layer.__dict__.get("_input_shape_arg") is not None and self.built:
            raise ValueError(f"Sequential '{self.name}': only the first layer may declare `input_shape`.")
        self._layers.append(layer)
        self.__dict__.pop("_run_layers", None)
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Any:
        """Removes and returns the last layer."""
        if not self.layers:
            raise TypeError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._layers[-1]
        del self._layers[-1]
        self.__dict__.pop("_run_layers", None)
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self) -> list[Any]:
        layers = list(self._layers)
        return layers[1:] if layers and isinstance(layers[0], InputLayer) else layers

    def _maybe_rebuild(self) -> None:
        if not self._layers:
            return
        first = self._layers[0]
        if not isinstance(first, InputLayer):
            shape = first.__dict__.get("_input_shape_arg")
            if shape is not None:
                first = InputLayer(shape=shape, dtype=getattr(first, "_dtype_policy", None))
            else:
                # As Keras: a first layer that knows its input (a built model) gives the input.
                spec = _known_input(first)
                if spec is None:
                    return
                first = InputLayer(batch_shape=spec.shape, dtype=spec.dtype)
            self._layers.insert(0, first)
        self._build_graph(first)

    def _build_graph(self, input_layer: InputLayer) -> None:
        self.__dict__.pop("_run_layers", None)  # the input layer may just have been inserted
        x = input_layer.output_tensor
        for layer in self.layers:
            x = layer(x)
        self._symbolic_output = x
        self._build_shapes = {"input_shape": list(input_layer.batch_shape)}  # Keras's build config
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        """Builds the model for inputs of `input_shape` (batch dimension included)."""
        if input_shape is None:
            raise ValueError(f"Sequential '{self.name}': `build` needs an `input_shape`.")
        if self._has_input() and self._input_from_call:
            if tuple(self._layers[0].batch_shape) == tuple(input_shape):
                return
            del self._layers[0]  # the input a first call gave: the shape given now replaces it
        if self._has_input():
            self._build_graph(self._layers[0])
            return
        self._input_from_call = False
        input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._layers.insert(0, input_layer)
        self._build_graph(input_layer)

    def _build_from_call(self, args: tuple, kwargs: dict) -> None:
        """As Keras: the first call on one tensor (data or symbolic) gives the model an input of
        that shape and builds the layer graph, so `inputs`, `outputs`, each layer's `input` /
        `output` and the summary's shapes exist. Layers that cannot be traced build on this call."""
        first = args[0] if len(args) == 1 else None
        if isinstance(first, (torch.Tensor, KerasTensor)) and self.layers and not self._has_input():
            input_layer = InputLayer(batch_shape=tuple(first.shape), dtype=first.dtype)
            self._layers.insert(0, input_layer)
            self._input_from_call = True
            try:
                self._build_graph(input_layer)
            except (NotImplementedError, ValueError, TypeError):
                del self._layers[0]  # as Keras, a graph that cannot be traced is left out
                self.__dict__.pop("_run_layers", None)
                self._symbolic_output = None
            if isinstance(first, torch.Tensor) and first.device != self._device_hint():
                self.to(first.device)  # the graph built the weights on the default device
        self.built = True

    def _has_input(self) -> bool:
        return bool(self._layers) and isinstance(self._layers[0], InputLayer)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        run = self.__dict__.get("_run_layers")
        if run is None:
            # Cached until add / pop: `layers` builds a list each time, `_layers[0]` indexes.
            first = self._layers[0] if self._layers else None
            spec = first.output_tensor if isinstance(first, InputLayer) else None
            run = (tuple(self.layers), spec)
            object.__setattr__(self, "_run_layers", run)
        layers, spec = run
        if spec is not None and isinstance(inputs, torch.Tensor):
            inputs = standardize_input(inputs, spec, self.name, inputs.device)
            if inputs.ndim != len(spec.shape):
                raise ValueError(
                    f"Sequential '{self.name}' expects inputs of shape {spec.shape}. "
                    f"Received: inputs.shape={tuple(inputs.shape)}."
                )
        x = inputs
        for layer in layers:
            x = layer(x)
        return x

    @property
    def inputs(self) -> list[KerasTensor]:
        if self._layers and isinstance(self._layers[0], InputLayer):
            return [self._layers[0].output_tensor]
        raise AttributeError(f"Sequential '{self.name}' has no defined input yet.")

    @property
    def outputs(self) -> list[KerasTensor]:
        if self._symbolic_output is None:
            raise AttributeError(f"Sequential '{self.name}' has no defined output yet.")
        return [self._symbolic_output]

    @property
    def input_shape(self) -> tuple:
        return self.inputs[0].shape

    @property
    def output_shape(self) -> tuple:
        return self.outputs[0].shape

    def get_config(self) -> dict:
        from torchkeras.saving.serialization import serialize_keras_object

        layers = [serialize_keras_object(layer) for layer in self._layers]
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": super().get_config()["dtype"],
            "layers": layers,
        }
        if self._layers and isinstance(self._layers[0], InputLayer):
            config["build_input_shape"] = list(self._layers[0].batch_shape)  # as Keras writes it
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        from torchkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        layers = [
            deserialize_keras_object(c, custom_objects=custom_objects) for c in config.pop("layers", [])
        ]
        config.pop("dtype", None)
        build_input_shape = config.pop("build_input_shape", None)
        model = cls(layers, **config)
        if build_input_shape is not None and not model.built:
            model.build(tuple(build_input_shape))
        return model


def _known_input(layer: Any) -> KerasTensor | None:
    """The single symbolic input of a model that has one (a functional or built Sequential)."""
    try:
        inputs = layer.inputs
    except (AttributeError, TypeError):
        return None
    if isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], KerasTensor):
        return inputs[0]
    return None
