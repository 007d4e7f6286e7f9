"""`Model`: a `Layer` with training (compile / fit / evaluate / predict) and saving.

`Model(...)` builds one of four kinds, as in Keras plus one for PyTorch users:
- `Model(inputs, outputs)`: a functional model (graph of layers from `Input()`s);
- a subclass with `__init__` + `call`: a subclassed model (also with `(inputs, outputs)`);
- `Sequential([...])`: a stack of layers;
- `Model(torch_module)`: any `torch.nn.Module`, unchanged, given compile/fit/evaluate/predict.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import torch

from torchkeras.layers.core import calibrated_quantization
from torchkeras.layers.core.quantization import matches_filters
from torchkeras.layers.keras_tensor import KerasTensor, any_symbolic
from torchkeras.layers.layer import Layer
from torchkeras.layers.symbolic import compute_output_spec, stateless
from torchkeras.saving import saving_lib, serialization
from torchkeras.trainers.trainer import Trainer
from torchkeras.utils.registry import register_builtin

__all__ = ["Model"]


def _is_functional_call(args: tuple, kwargs: dict) -> bool:
    inputs = kwargs.get("inputs", args[0] if args else None)
    outputs = kwargs.get("outputs", args[1] if len(args) >= 2 else None)
    return any_symbolic(inputs) or any_symbolic(outputs)


@functools.cache
def _with_functional(cls: type) -> type:
    """`cls` with `Functional` mixed in, for subclasses constructed as `MyModel(inputs, outputs)`."""
    from torchkeras.models.functional import Functional

    return type(cls.__name__, (cls, Functional), {"__module__": cls.__module__, "_functional_of": cls})


@register_builtin
class Model(Trainer, Layer):
    """A model: layers plus training and inference features.

    Build it functionally (`Model(inputs, outputs)`), by subclassing (define `__init__` and
    `call`), or wrap an existing `torch.nn.Module` (`Model(module)`) to give it `compile`,
    `fit`, `evaluate`, `predict` and `save`.

    Args:
        inputs: functional models only: the `Input()` tensor(s), a list or dict of them.
        outputs: functional models only: output tensor(s) computed from `inputs`.
        name: model name.

    Example:
    ```python
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(2)(keras.layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)

    wrapped = keras.Model(torch.nn.Linear(3, 2))  # any torch module
    ```
    """

    # Whether `Cls(inputs, outputs)` makes a functional model (not for Sequential).
    _functional_init = True
    _accepts_text = True  # string arrays go on to the layers, which accept or refuse them

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls._functional_init and _is_functional_call(args, kwargs):
            from torchkeras.models.functional import Functional

            if cls is Model:
                cls = Functional
            elif not issubclass(cls, Functional):
                cls = _with_functional(cls)
        elif cls is Model and args and isinstance(args[0], torch.nn.Module):
            from torchkeras.models.wrapped import WrappedModule

            cls = WrappedModule
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any):
        if args:
            raise TypeError(
                f"{type(self).__name__}.__init__ got unexpected positional arguments {args}: a "
                "subclassed model takes only keyword arguments (name, trainable, dtype)."
            )
        Trainer.__init__(self)
        Layer.__init__(self, **kwargs)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Returns a layer by `name` or by `index` in `model.layers`."""
        if index is not None and name is not None:
            raise ValueError("Provide only `name` or `index`, not both.")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"`index` must be in [0, {len(self.layers)}). Received: index={index}")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        known = [layer.name for layer in self.layers]
        from torchkeras.utils.validation import did_you_mean

        raise ValueError(f"No such layer: {name!r}. Existing layers: {known}.{did_you_mean(name, known)}")

    def build(self, input_shape: Any = None) -> None:
        """Builds a subclassed model by running `call` on symbolic inputs of `input_shape`."""
        if input_shape is None:
            raise ValueError(f"{type(self).__name__}.build needs an `input_shape`.")
        specs = _specs_for(input_shape)
        with stateless(self):
            compute_output_spec(self._call_for_spec, (specs,), {}, device=self._device_hint())

    def _build_from_call(self, args: tuple, kwargs: dict) -> None:
        if type(self).build is Model.build:
            # Sublayers build themselves on this first real call; the input shape is kept so a
            # saved model can be rebuilt (`build_config`).
            if args:
                self._build_shapes = {"input_shape": _jsonable(args[0])}
            self.built = True
            return
        super()._build_from_call(args, kwargs)

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Prints a table of the model's layers, output shapes and parameter counts."""
        from torchkeras.models.summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def get_config(self) -> dict:
        return Layer.get_config(self)

    def get_quantization_layer_structure(self, mode: str | None = None) -> dict | None:
        """The blocks GPTQ / AWQ calibrate one after the other; override it in a model class.

        Returns:
            `{"pre_block_layers": [...], "sequential_blocks": [...]}`: the layers the token ids
            go through first (e.g. the embedding), then the blocks in order; or `None` (the
            default) when the model does not say.
        """
        del mode
        return None

    def quantize(
        self, mode: str | None = None, config: Any = None, filters: Any = None, **kwargs: Any
    ) -> None:
        """Quantizes the weights of every layer that supports it (`Dense`, `EinsumDense`,
        `Embedding`); the others are skipped with a warning. The model must be built.

        `"gptq"` and `"awq"` calibrate: they need a `GPTQConfig` / `AWQConfig` with a dataset and
        the model's blocks (`get_quantization_layer_structure`), and quantize the `Dense` /
        `EinsumDense` layers of those blocks, one block after the other.

        Args:
            mode: `"int8"`, `"int4"`, `"float8"`, `"gptq"` or `"awq"`; optional when `config` is given.
            config: a `keras.quantizers.QuantizationConfig` (e.g. `Int4QuantizationConfig(block_size=64)`).
            filters: only quantize layers whose name matches this regex (or one of a list of
                regexes), or for which this callable returns True.
        """
        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not isinstance(filters, (str, list, tuple, Callable)):
            raise ValueError(
                "The `filters` argument must be a regex string, a list of regex strings, or a "
                f"callable. Received: {type(filters)}"
            )
        if mode in calibrated_quantization.CALIBRATED_MODES or (
            mode is None and getattr(config, "mode", None) in calibrated_quantization.CALIBRATED_MODES
        ):
            calibrated_quantization.quantize_model(self, mode, config, filters, type_check)
            return
        for layer in self.modules():
            if not isinstance(layer, Layer) or layer.layers or not matches_filters(layer, filters):
                continue
            try:
                layer.quantize(mode, type_check=type_check, config=config)
            except NotImplementedError as error:
                warnings.warn(str(error), stacklevel=2)

    # ---------------------------------------------------------------------------- saving

    def save(self, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any) -> None:
        """Saves the model: `.keras` (Keras 3's archive) or `.safetensors` (one file).

        Both hold the config, the weights and (unless `include_optimizer=False`) the optimizer
        state. See `keras.saving.save_model`.
        """
        saving_lib.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(
        self, filepath: Any, overwrite: bool = True, max_shard_size: float | None = None
    ) -> None:
        """Saves the weights (and optimizer state) to `*.weights.safetensors` or `*.weights.h5`."""
        saving_lib.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Loads weights saved by `save_weights` / `save` (or by Keras); every shape is checked first."""
        saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(
        self,
        filepath: Any,
        format: str = "torch",
        verbose: bool | None = None,
        input_signature: Any = None,
        **kwargs: Any,
    ) -> str:
        """Exports the model for inference without torchkeras.

        Args:
            filepath: `.pt2` for `format="torch"`, `.onnx` for `format="onnx"`.
            format: `"torch"` writes a `torch.export` program that plain torch loads
                (`torch.export.load(path).module()(x)`); `"onnx"` an ONNX model (the `onnx`
                extra). The batch axis stays dynamic.
            verbose: whether to print where the file went.
            input_signature: the inputs' shapes and dtypes (`keras.InputSpec`s, KerasTensors,
                shape tuples or example tensors); by default the model's `inputs`. Required
                for models without symbolic inputs, such as a wrapped torch module.
            **kwargs: for `"torch"`, passed to `torch.export.export` (`strict`,
                `dynamic_shapes`, ...); for `"onnx"`, `opset_version`.

        Returns:
            The path written.
        """
        from torchkeras.export.model_export import export_model

        return export_model(self, filepath, format, verbose, input_signature, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        """The model's config (no weights) as a JSON string; see `keras.models.model_from_json`."""
        return saving_lib.model_to_json(self, **kwargs)

    def get_compile_config(self) -> dict | None:
        """The arguments given to `compile()`, serialized (`None` when not compiled)."""
        return serialization.get_compile_config(self)

    def compile_from_config(self, config: dict) -> None:
        """Compiles the model from `get_compile_config()` output."""
        serialization.compile_from_config(self, config)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Model:
        if "layers" in config and "input_layers" in config:
            from torchkeras.models.functional import functional_from_config

            return functional_from_config(cls, config, custom_objects)
        return cls(**config)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (torch.Tensor, KerasTensor)):
        return [None if d is None else int(d) for d in value.shape]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return None


def _specs_for(input_shape: Any) -> Any:
    if isinstance(input_shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in input_shape):
        return KerasTensor(tuple(input_shape))
    if isinstance(input_shape, dict):
        return {k: _specs_for(v) for k, v in input_shape.items()}
    return [_specs_for(s) for s in input_shape]
