"""`Layer`: the Keras layer, as an ordinary `torch.nn.Module`.

Weights are created in `build(input_shape)` through `add_weight`, which registers trainable
weights as parameters and non-trainable ones as buffers. The first call builds the layer from its
input shapes (the one place lazy building happens), then goes through `torch.nn.Module.__call__`
(straight to `forward` when no hook, tracer or `Module.compile` needs that path), so hooks,
`state_dict`, `torch.compile` and DDP see a plain module. Called on symbolic `KerasTensor`s, a
layer records a graph node instead of computing (`symbolic.record_call`).

Three class hooks make a Keras subclass an ordinary module without asking anything of it:
- `__new__` runs `torch.nn.Module.__init__` before the subclass's `__init__`, so a subclass may
  assign sublayers before calling `super().__init__()`, as Keras allows; it also captures the
  constructor arguments for the automatic `get_config` (`_capture_init_arguments`).
- `__init_subclass__` runs once per subclass: `forward` becomes `call` (torch calls `forward`),
  the class's `CallSpec` (does `call` take `training`, `mask`?) is read once (`call_spec.py`),
  and an overridden `build` is wrapped (`_marks_built`) so that it creates real tensors even
  during shape inference, then marks the layer built and records its build shape.
- `__setattr__` tracks what is assigned: `Variable`s are re-keyed under their attribute, and
  lists, tuples and dicts become tracked containers whose layers are submodules, also those
  added later (`tracking.py`).

Where the rest lives: `tracking.py` (what a layer owns and in which order), `variable.py`
(weights and their Keras view), `call_spec.py`, `call_context.py` (state shared by nested calls),
`symbolic.py` and `keras_tensor.py` (shape inference and the functional graph).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch.nn.modules import module as _torch_module

from torchkeras import config, constraints, dtype_policies, initializers, mixed_precision, regularizers
from torchkeras.layers import symbolic
from torchkeras.layers.call_context import call_context, weight_count
from torchkeras.layers.call_spec import call_spec, shapes_by_argument
from torchkeras.layers.input_spec import assert_input_compatibility
from torchkeras.layers.keras_tensor import KerasTensor, Node, any_symbolic
from torchkeras.layers.remat_call import rematerialized_forward
from torchkeras.layers.symbolic import as_shape, as_shape_structure, is_shape, jsonable_shape
from torchkeras.layers.tracking import (
    adopt_variable,
    child_weights,
    free_key,
    ordered_children,
    stamp,
    sublayers_and_modules,
    track,
    unique_tensors,
    wants_tracking,
)
from torchkeras.layers.variable import Variable, assign_array, keras_numpy, keras_shape, weight_name
from torchkeras.utils import naming, stateless_scope
from torchkeras.utils.nest import flatten, map_structure, to_tensor
from torchkeras.utils.outside_compile import outside_compile
from torchkeras.utils.remat import get_current_remat_mode
from torchkeras.utils.validation import invalid

__all__ = ["Layer", "policy_autocast"]


class Layer(torch.nn.Module):
    """Base class of all layers: a `torch.nn.Module` speaking Keras's Layer API.

    Subclasses create weights in `build(input_shape)` with `add_weight()` and compute in
    `call(inputs, ...)`. A `training` argument of `call` is filled in automatically (the explicit
    argument wins, then the enclosing call's flag, then the module's `training` flag, which
    `fit` / `evaluate` / `predict` set). A new layer starts in inference mode.

    Args:
        activity_regularizer: optional regularizer applied to the layer's output.
        trainable: whether the layer's weights are updated during training.
        dtype: dtype of the weights (name, torch dtype or Keras dtype-policy dict); floatx by default.
        autocast: accepted for Keras compatibility (mixed precision uses torch autocast).
        name: unique layer name; generated from the class name when omitted.

    Example:
    ```python
    class Linear(keras.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units))
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return inputs @ self.w + self.b
    ```
    """

    _accepts_text = False  # True for layers that read NumPy string arrays (lookups, hashing)
    input_spec: Any = None  # an `InputSpec` (or a list of them) checked on every call when set
    _quantized_policy: Any = None  # a QuantizedDTypePolicy once `quantize` ran (or a quantized `dtype`)
    _QUANTIZATION_MODES: tuple[str, ...] = ()  # the modes a subclass's `quantize` implements
    _dtype_policy_map: Any = None  # the DTypePolicyMap given as `dtype`, which this layer's path looks up

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        layer = super().__new__(cls)
        # Set up the module first, so subclasses may assign sublayers before `super().__init__()`.
        torch.nn.Module.__init__(layer)
        layer.training = False
        object.__setattr__(layer, "_auto_config", _capture_init_arguments(cls, args, kwargs))
        object.__setattr__(layer, "built", False)
        object.__setattr__(layer, "_keras_initialized", False)
        layer._set_policy(mixed_precision.global_policy().name)
        remat_mode = get_current_remat_mode()  # as Keras: a RematScope applies to layers made in it
        if remat_mode is not None and remat_mode.mode is not None:
            object.__setattr__(layer, "_remat_mode", remat_mode)
            object.__setattr__(layer, "forward", functools.partial(rematerialized_forward, layer))
        return layer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "call" in cls.__dict__ and "forward" not in cls.__dict__:
            cls.forward = cls.call
        cls._call_spec = call_spec(cls)  # read on every call: computed once per class
        cls._makes_masks = cls.compute_mask is not Layer.compute_mask
        cls._declares_output_shape = _declares_output_shape(cls)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ):
        unknown = set(kwargs) - _EXTRA_INIT_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in sorted(unknown)} }"
            )
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise invalid("name", "must be a string without '/'", name, type(self).__name__)
        self.name = name or naming.unique_name(type(self).__name__)
        if isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicyMap":
            dtype = dtype_policies.deserialize(dtype)
        if isinstance(dtype, dtype_policies.DTypePolicyMap):
            self._dtype_policy_map = dtype
        dtype, self._quantized_policy = dtype_policies.split_quantized(dtype, self.path)
        if self._quantized_policy is not None:
            if type(self).quantize is Layer.quantize:
                raise self._not_quantizable()
            modes = type(self)._QUANTIZATION_MODES
            if self._quantized_policy.quantization_mode not in modes:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} does not support quantization mode "
                    f"'{self._quantized_policy.quantization_mode}'. Supported modes: {modes}"
                )
        self._set_policy(_policy_name(dtype))
        self._trainable = bool(trainable)
        self.autocast = autocast
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = getattr(self, "supports_masking", False)
        self._input_shape_arg = _declared_input_shape(kwargs)
        self._initial_weights = kwargs.get("weights")
        self._losses: list[torch.Tensor] = []
        self._inbound_nodes: list[Node] = []
        self._build_shapes: Any = None
        self._build_device: torch.device | None = None
        self._keras_initialized = True

    # ------------------------------------------------------------------ construction helpers

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Variable) and adopt_variable(self, name, value):
            return
        if isinstance(value, torch.nn.Module):
            stamp(value)
        elif wants_tracking(self, name, value):
            value = track(value)  # Keras tracks the layers of lists, tuples and dicts
        super().__setattr__(name, value)

    def train(self, mode: bool = True) -> Layer:
        """Sets the module's training mode, and its submodules' (as `torch.nn.Module.train`).

        The flag is a plain attribute, set without the tracking `__setattr__` does: `evaluate`
        and `predict` switch every module of the model on each call."""
        if not isinstance(mode, bool):
            raise ValueError(f"`train()` expects a boolean `mode`. Received: mode={mode!r}")
        self.__dict__["training"] = mode
        for module in self.children():
            module.train(mode)
        return self

    # ------------------------------------------------------------------------------ weights

    def add_weight(
        self,
        shape: Iterable[int] | None = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
        layout: Any = None,
    ) -> Variable:
        """Creates a weight, registers it on this module and returns it.

        Args:
            shape: the weight's shape in Keras's layout.
            initializer: initializer name, instance or callable; `"glorot_uniform"` for floats,
                `"zeros"` otherwise.
            dtype: dtype of the weight; the layer's variable dtype by default.
            trainable: trainable weights become parameters, the others buffers.
            regularizer: optional penalty added to `losses`.
            constraint: optional projection applied after each optimizer update.
            overwrite_with_gradient: the optimizer sets the weight to its gradient instead of
                updating it (float8 training's scales).
            name: the weight's name (e.g. `"kernel"`).
            layout: optional storage layout (see `torchkeras.layers.variable.Permuted`).
        """
        shape = tuple(int(d) for d in (shape or ()))
        torch_dtype = config.torch_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if torch_dtype.is_floating_point else "zeros"
        initializer = initializers.get(initializer)
        with symbolic.real_tensors():
            value = torch.as_tensor(initializer(shape, dtype=torch_dtype), dtype=torch_dtype)
            if layout is not None:
                memory_format = getattr(layout, "memory_format", torch.contiguous_format)
                value = layout.from_keras(value).contiguous(memory_format=memory_format)
            value = value.to(self._build_device or torch.get_default_device())
        name = name or "variable"
        variable = Variable(
            value,
            trainable=trainable,
            name=name,
            path=f"{self.name}/{name}",
            layout=layout,
            regularizer=regularizers.get(regularizer),
            constraint=constraints.get(constraint),
            overwrite_with_gradient=overwrite_with_gradient,
        )
        key = free_key(self, name)
        if trainable:
            self.register_parameter(key, variable)
        else:
            self.register_buffer(key, variable)
        self.__dict__.setdefault("_unclaimed_keys", set()).add(key)
        weight_count.created += 1
        return variable

    add_variable = add_weight

    def _own_variables(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(parameters, buffers that are weights: Variables or persistent floating tensors)."""
        trainable = [p for p in self._parameters.values() if p is not None]
        skip = self._non_persistent_buffers_set
        non_trainable = [
            b
            for k, b in self._buffers.items()
            if isinstance(b, Variable) or (b is not None and b.is_floating_point() and k not in skip)
        ]
        return trainable, non_trainable

    def _sub_weights(self, kind: str) -> list[torch.Tensor]:
        children = ordered_children(self)
        return [w for child in children for w in child_weights(child, kind, self._trainable, Layer)]

    @property
    def weights(self) -> list[torch.Tensor]:
        """All weights: own trainable, own non-trainable, then each sublayer's, as in Keras."""
        own_trainable, own_non_trainable = self._own_variables()
        return unique_tensors(own_trainable + own_non_trainable + self._sub_weights("weights"))

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        if not self._trainable:
            return []
        own_trainable, _ = self._own_variables()
        return unique_tensors(own_trainable + self._sub_weights("trainable_weights"))

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        if not self._trainable:
            return self.weights
        _, own_non_trainable = self._own_variables()
        return unique_tensors(own_non_trainable + self._sub_weights("non_trainable_weights"))

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays, in Keras's order and layouts."""
        return [keras_numpy(w) for w in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Sets the weights from arrays in Keras's order and layouts; checks every shape first."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}': `weights` must be a list of {len(own)} arrays "
                f"(shapes {[keras_shape(w) for w in own]}). Received: a list of {len(weights)}."
            )
        arrays = [np.asarray(w) for w in weights]
        for index, (variable, array) in enumerate(zip(own, arrays)):
            if tuple(array.shape) != keras_shape(variable):
                raise ValueError(
                    f"Layer '{self.name}': weight {index} ({weight_name(variable)}) must have shape "
                    f"{keras_shape(variable)}. Received: shape {tuple(array.shape)}."
                )
        for variable, array in zip(own, arrays):
            assign_array(variable, array)

    def count_params(self) -> int:
        """Total number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                "Call it on data or call `build(input_shape)` first."
            )
        return int(sum(w.numel() for w in self.weights))

    # ----------------------------------------------------------------------------- state

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Sets the flag on this layer and every layer it holds, at any depth (as Keras)."""
        value = bool(value)
        self._trainable = value
        for variable in self._parameters.values():
            if isinstance(variable, Variable):
                variable.trainable = value
            elif variable is not None:
                variable.requires_grad_(value)
        for child in sublayers_and_modules(self, Layer):
            if isinstance(child, Layer):
                child.trainable = value
            else:
                child.requires_grad_(value)

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self.variable_dtype

    @property
    def variable_dtype(self) -> str:
        return "float32" if self._dtype_policy.startswith("mixed_") else self._dtype_policy

    @property
    def compute_dtype(self) -> str:
        policy = self._dtype_policy
        return policy.removeprefix("mixed_") if policy.startswith("mixed_") else policy

    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        """The layer's `DTypePolicy`; a quantized layer's is a `QuantizedDTypePolicy` named
        `"{mode}_from_{source}"` (`"int8_from_float32"`); a layer given a `DTypePolicyMap` as
        `dtype` returns the map (its own policy is `map[layer.path]`), as Keras does."""
        if self._dtype_policy_map is not None:
            return self._dtype_policy_map
        if self._quantized_policy is not None:
            return self._quantized_policy
        return dtype_policies.DTypePolicy(self._dtype_policy)

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        """Sets the policy (a policy, a name or Keras's dict). A quantized policy given to a built,
        unquantized layer quantizes it (`quantize(policy.quantization_mode)`), as Keras does; an
        unbuilt layer builds its quantized weights. A map's entry for this layer is replaced."""
        policy = dtype_policies.get(value)
        if isinstance(policy, dtype_policies.DTypePolicyMap):
            raise ValueError(
                f"Layer '{self.name}': set a `DTypePolicyMap` through `dtype=` when creating the layer."
            )
        mode = policy.quantization_mode
        if self.quantization_mode is not None and mode != self.quantization_mode:
            raise ValueError(
                f"Layer '{self.name}' is quantized with dtype_policy='{self._quantized_policy.name}'; its "
                f"policy cannot become one of another mode. Received: dtype_policy={policy.name!r}"
            )
        if mode is not None and self.built and self.quantization_mode is None:
            self.quantize(mode)
            return
        if self._dtype_policy_map is not None:
            if self.path in self._dtype_policy_map:
                del self._dtype_policy_map[self.path]
            self._dtype_policy_map[self.path] = policy
        if mode is None:
            self._set_policy(policy.name)
        else:
            self._quantized_policy = policy
            self._set_policy(policy.source_name)

    @property
    def quantization_mode(self) -> str | None:
        """The quantization mode of this layer (`"int8"`, `"int4"`, `"float8"`), `None` if not quantized."""
        return None if self._quantized_policy is None else self._quantized_policy.quantization_mode

    def quantize(self, mode: str | None = None, type_check: bool = True, config: Any = None) -> None:
        """Quantizes the layer's weights (`"int8"`, `"int4"`, `"float8"`, or a `config`);
        implemented by `Dense`, `EinsumDense` and `Embedding`. Raises `NotImplementedError` for
        other layers."""
        raise self._not_quantizable()

    def _not_quantizable(self) -> NotImplementedError:
        return NotImplementedError(
            f"Layer {type(self).__name__} does not have a `quantize` method implemented."
        )

    @property
    def input_dtype(self) -> str:
        return self.compute_dtype

    @property
    def path(self) -> str:
        return self.name

    @property
    def layers(self) -> list[Layer]:
        """Direct sublayers (also those in lists, tuples and dicts), in the order they were tracked."""
        return [m for m in sublayers_and_modules(self, Layer) if isinstance(m, Layer)]

    def extra_repr(self) -> str:
        return f"name={self.name}, built={self.built}"

    def _apply(self, fn: Callable, recurse: bool = True) -> Layer:
        # `.to()` returns plain tensors for buffers; keep them Variables.
        before = {k: b for k, b in self._buffers.items() if isinstance(b, Variable)}
        result = super()._apply(fn, recurse)
        for key, old in before.items():
            new = self._buffers.get(key)
            if new is not None and not isinstance(new, Variable):
                self._buffers[key] = old.rewrap(new)
        return result

    @property
    def metrics(self) -> list[Any]:
        """The metrics this layer and its sublayers hold as attributes, as Keras's `Layer.metrics`."""
        found: list[Any] = []
        for module in self.modules():
            found += [m for m in symbolic.owned_metrics(module) if not any(m is f for f in found)]
        return found

    # ----------------------------------------------------------------------------- losses

    def add_loss(self, loss: Any) -> None:
        """Adds a scalar loss (e.g. an activity penalty); kept until this layer's next outermost call."""
        loss = loss if isinstance(loss, torch.Tensor) else torch.as_tensor(loss)
        scope = stateless_scope.current()
        if scope is not None:  # as Keras: the scope collects the loss (or drops it)
            if scope.collect_losses:
                scope.add_loss(loss)
            return
        self._losses.append(loss)
        call_context.losses_added += 1

    def _clear_losses(self) -> None:
        """Forgets the losses added by this layer and its sublayers (at an outermost call, as Keras)."""
        for module in self.modules():
            if isinstance(module, Layer) and module._losses:
                module._losses = []

    @property
    def losses(self) -> list[torch.Tensor]:
        """Losses added during the last call plus the weight-regularization penalties."""
        losses: list[torch.Tensor] = []
        for module in self.modules():
            if isinstance(module, Layer):
                losses.extend(module._losses)
        for weight in self.trainable_weights:
            regularizer = getattr(weight, "regularizer", None)
            if regularizer is not None:
                losses.append(regularizer(weight.keras_view()))  # in Keras's layout, as Keras
        return losses

    # ---------------------------------------------------------------------- build and call

    def build(self, input_shape: Any = None) -> None:
        """Creates the layer's weights for inputs of `input_shape`. Override in subclasses."""
        self.built = True

    def get_build_config(self) -> dict | None:
        if self._build_shapes is None:
            return None
        if len(self._build_shapes) == 1:
            return {"input_shape": next(iter(self._build_shapes.values()))}
        return {"shapes_dict": self._build_shapes}

    def build_from_config(self, build_config: dict | None) -> None:
        if not build_config:
            return
        if "input_shape" in build_config:
            self.build(as_shape(build_config["input_shape"]))
        elif "shapes_dict" in build_config:
            shapes = {k: as_shape(v) for k, v in build_config["shapes_dict"].items()}
            if len(shapes) == 1:
                self.build(next(iter(shapes.values())))
            else:
                self.build(**shapes)
        self.built = True

    def _build_from_call(self, args: tuple, kwargs: dict) -> None:
        shapes = shapes_by_argument(type(self)._call_spec, args, kwargs)
        first = next(iter(flatten(args)), None)
        if isinstance(first, torch.Tensor):
            self._build_device = first.device
        # As Keras: a `build` naming several `<argument>_shape` parameters gets those it names.
        build_parameters = inspect.signature(self.build).parameters
        accepted = {k: v for k, v in shapes.items() if k in build_parameters}
        if len(accepted) > 1:
            self.build(**accepted)
            shapes = accepted
        else:
            self.build(next(iter(shapes.values()), None))
        self._build_shapes = {k: jsonable_shape(v) for k, v in shapes.items()}
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation. Override in subclasses (torch modules may define `forward`)."""
        if type(self).forward is not Layer.forward:
            return self.forward(*args, **kwargs)
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement `call()`.")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Runs on every layer call of every step: kept to the few checks each call needs.
        first = args[0] if args else None
        if not isinstance(first, torch.Tensor):
            if isinstance(first, KerasTensor) or any_symbolic((args, kwargs)):
                if self.input_spec is not None:
                    assert_input_compatibility(self.input_spec, first, self.name)
                return self._symbolic_call(args, kwargs)
            if args:
                args = (map_structure(self._convert_input, first), *args[1:])
                first = args[0]
        elif (
            first.dtype is not self._input_torch_dtype
            and first.is_floating_point()
            and (not torch.is_autocast_enabled(first.device.type) or self._leaves_policy_autocast())
        ):
            args = (first.to(self._input_torch_dtype), *args[1:])
            first = args[0]
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, first, self.name)
        accepts_training, accepts_mask, _ = type(self)._call_spec
        context = call_context
        depth, outer_training = context.depth, context.training  # read once: a thread-local
        training = kwargs.get("training") if kwargs else None
        if training is None:
            training = outer_training if depth else self.training
            if accepts_training:
                kwargs["training"] = training
        elif not accepts_training:
            del kwargs["training"]
        previous_mask = getattr(first, "_keras_mask", None)
        if previous_mask is not None and accepts_mask and kwargs.get("mask") is None:
            kwargs["mask"] = previous_mask
        if not self.built:
            if torch.compiler.is_compiling():
                _build_eagerly(self, args, kwargs)  # weights are made once, not traced
            else:
                self._build_from_call(args, kwargs)
        if not depth and context.losses_added:
            self._clear_losses()
        # `nn.Module.__call__`'s path (hooks, `Module.compile`, JIT tracing, a tracer that replaced
        # it, e.g. `torch.fx`) only when something needs it: its frames cost a small layer a fifth
        # of its call. The check is the one torch makes before calling `forward` directly.
        forward = (
            torch.nn.Module.__call__.__get__(self)
            if (
                self._forward_pre_hooks
                or self._forward_hooks
                or self._backward_pre_hooks
                or self._backward_hooks
                or self._compiled_call_impl is not None
                or _FORWARD_PRE
                or _FORWARD
                or _BACKWARD_PRE
                or _BACKWARD
                or torch.nn.Module.__call__ is not _TORCH_MODULE_CALL
                or torch._C._get_tracing_state()
            )
            else self.forward
        )
        context.depth = depth + 1
        context.training = training if training.__class__ is bool else bool(training)
        try:
            if self._autocast_dtype is None and not context.policy_autocast:
                outputs = forward(*args, **kwargs)  # full precision: the common case
            else:
                precision = self._precision(first)
                if precision is None:
                    outputs = forward(*args, **kwargs)
                else:
                    with precision:
                        outputs = forward(*args, **kwargs)
        finally:
            context.depth = depth
            context.training = outer_training
        if self.activity_regularizer is not None:
            self._add_activity_losses(outputs)
        if type(self)._makes_masks or (previous_mask is not None and self.supports_masking):
            self._attach_mask(first, outputs, kwargs.get("mask", previous_mask))
        return outputs

    def _precision(self, first: Any) -> contextlib.AbstractContextManager | None:
        """The autocast this call enters, if any: a mixed policy's (unless autocast is already
        on), or none at all for a full-precision layer inside a mixed-precision model (Keras
        computes such a layer, e.g. a `dtype="float32"` output layer, in its own dtype)."""
        if not isinstance(first, torch.Tensor):
            return None
        device_type = first.device.type
        if self._autocast_dtype is not None:
            return (
                None
                if torch.is_autocast_enabled(device_type)
                else policy_autocast(device_type, self._autocast_dtype)
            )
        return policy_autocast(device_type, None) if self._leaves_policy_autocast() else None

    def _leaves_policy_autocast(self) -> bool:
        """Whether this full-precision layer runs inside a mixed policy's autocast."""
        dtype = self._input_torch_dtype
        return call_context.policy_autocast and dtype is not None and dtype.is_floating_point

    def _attach_mask(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """Sets the output masks (`compute_mask`) on the output tensors: one mask for one output,
        or a list / tuple of masks matching several outputs, as Keras does."""
        mask = self.compute_mask(inputs, previous_mask)
        if mask is None:
            return
        if isinstance(outputs, torch.Tensor):
            if isinstance(mask, torch.Tensor):
                outputs._keras_mask = mask
            return
        for output, output_mask in zip(flatten(outputs), flatten(mask)):
            if isinstance(output, torch.Tensor) and isinstance(output_mask, torch.Tensor):
                output._keras_mask = output_mask

    def _add_activity_losses(self, outputs: Any) -> None:
        for output in flatten(outputs):
            if isinstance(output, torch.Tensor):
                loss = self.activity_regularizer(output)
                self.add_loss(loss / output.shape[0] if output.ndim and output.shape[0] else loss)

    def _set_policy(self, policy: str) -> None:
        self._dtype_policy = policy
        # Read on every call, so resolved once: floating inputs are cast to the weights' dtype,
        # except under a mixed policy, where the call runs in autocast instead.
        self._input_torch_dtype = None if policy == "string" else config.torch_dtype(self.variable_dtype)
        mixed = policy.startswith("mixed_")
        self._autocast_dtype = config.torch_dtype(policy.removeprefix("mixed_")) if mixed else None

    def _convert_input(self, value: Any) -> Any:
        if not isinstance(value, torch.Tensor) and hasattr(value, "__array__"):  # NumPy, pandas, ...
            if self._accepts_text and getattr(value, "dtype", None) is not None and value.dtype.kind in "OUS":
                return value  # text stays a NumPy array: the string layers read it on the host
            tensor = to_tensor(value)
            if tensor.is_floating_point():
                tensor = tensor.to(self._input_torch_dtype)
            return tensor.to(self._device_hint())
        return value

    def _device_hint(self) -> torch.device:
        first = next(self.parameters(), None)
        return torch.device("cpu") if first is None else first.device

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        """Records a graph node: builds if needed, infers the outputs on fake tensors."""
        return symbolic.record_call(self, args, kwargs)

    def _call_for_spec(self, *args: Any, **kwargs: Any) -> Any:
        training = kwargs.get("training", False)
        saved = call_context.training, call_context.depth
        call_context.training, call_context.depth = bool(training), call_context.depth + 1
        first = args[0] if args else None
        if (
            isinstance(first, torch.Tensor)
            and first.is_floating_point()
            and first.dtype is not self._input_torch_dtype
            and self._leaves_policy_autocast()
        ):
            args = (first.to(self._input_torch_dtype), *args[1:])
        precision = self._precision(first)
        try:
            if precision is None:
                outputs = self.call(*args, **kwargs)
            else:
                with precision:
                    outputs = self.call(*args, **kwargs)
        finally:
            call_context.training, call_context.depth = saved
        if self.supports_masking or type(self)._makes_masks:
            first = args[0] if args else None
            self._attach_mask(first, outputs, kwargs.get("mask", getattr(first, "_keras_mask", None)))
        return outputs

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Output `KerasTensor`(s) for symbolic inputs, computed without real data.

        In Keras's order: a `compute_output_shape` written for the layer's class gives the
        shapes; otherwise `call` runs on fake tensors, and once more on zero tensors when fake
        ones cannot run it (see `symbolic.compute_output_spec`). Torchkeras's own layers are
        always traced: their calls are known to trace, and tracing also gives exact dtypes.
        """
        if type(self)._declares_output_shape:
            return self._spec_from_output_shape(args, kwargs)
        return symbolic.compute_output_spec(self._call_for_spec, args, kwargs, device=self._device_hint())

    def _spec_from_output_shape(self, args: tuple, kwargs: dict) -> Any:
        """Output specs from `compute_output_shape` (in the compute dtype, as Keras), with masks."""
        shapes = shapes_by_argument(type(self)._call_spec, args, kwargs)
        parameters = inspect.signature(self.compute_output_shape).parameters
        if len(shapes) > 1 and all(name in parameters for name in shapes):
            shape = self.compute_output_shape(**shapes)
        else:
            shape = self.compute_output_shape(next(iter(shapes.values()), None))
        outputs = _specs_of_shapes(shape, self.compute_dtype)
        first = args[0] if args else None
        previous_mask = kwargs.get("mask", getattr(first, "_keras_mask", None))
        if type(self)._makes_masks or (previous_mask is not None and self.supports_masking):
            masks = symbolic.compute_output_spec(self.compute_mask, (first, previous_mask), {})
            for output, mask in zip(flatten(outputs), flatten(masks)):
                if isinstance(output, KerasTensor) and isinstance(mask, KerasTensor):
                    output._keras_mask = mask
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for inputs of `input_shape` (batch size may be `None`)."""
        if isinstance(input_shape, (list, dict)) and not is_shape(input_shape):
            specs = map_structure(lambda s: KerasTensor(s), as_shape_structure(input_shape))
            output = self.compute_output_spec(specs)
        else:
            output = self.compute_output_spec(KerasTensor(tuple(input_shape)))
        return map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, output)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The output mask: by default the input mask when the layer supports masking."""
        return previous_mask if self.supports_masking else None

    # ----------------------------------------------------------------------- graph access

    def _first_node(self, attribute: str) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and has no `{attribute}`.")
        return self._inbound_nodes[0]

    @property
    def input(self) -> Any:
        tensors = self._first_node("input").input_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def output(self) -> Any:
        return self._first_node("output").outputs

    # --------------------------------------------------------------------- serialization

    def get_config(self) -> dict:
        """The layer's constructor arguments, as Keras writes them."""
        config_dict = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": self._dtype_policy},
                "registered_name": None,
            },
        }
        if self._quantized_policy is not None:
            config_dict["dtype"] = dtype_policies.serialize(self._quantized_policy)
        if self._dtype_policy_map is not None:
            config_dict["dtype"] = dtype_policies.serialize(self._dtype_policy_map)
        if self.activity_regularizer is not None:
            config_dict["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config and self._auto_config is not None:
            config_dict.update({k: v for k, v in self._auto_config.items() if k not in config_dict})
        return config_dict

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """Creates a layer from `get_config()`'s output."""
        return cls(**config)


# ----------------------------------------------------------------- constructor and class hooks


@contextlib.contextmanager
def policy_autocast(device_type: str, dtype: torch.dtype | None) -> Iterator[None]:
    """`torch.autocast` entered for a dtype policy: `dtype` for a mixed policy, or `None` to turn
    autocast off for a full-precision layer inside a mixed-precision model. Marks the thread's
    call context, so nested full-precision layers know the autocast is a policy's. A generator
    around a `with torch.autocast(...)`, so `torch.compile` traces it without a graph break."""
    saved = call_context.policy_autocast
    call_context.policy_autocast = dtype is not None
    try:
        with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
            yield
    finally:
        call_context.policy_autocast = saved


# Keyword arguments every Keras layer accepts besides its own (Sequential reads the shapes).
_EXTRA_INIT_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights"}


def _is_plain(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def _capture_init_arguments(cls: type, args: tuple, kwargs: dict) -> dict | None:
    """The constructor arguments, when all are plain JSON values (Keras's automatic config)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except TypeError:
        return None
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(arguments)))  # self
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if p.kind == p.VAR_KEYWORD and name in arguments:
            arguments.update(arguments.pop(name))
        elif p.kind == p.VAR_POSITIONAL and name in arguments:
            return None
    return arguments if _is_plain(arguments) else None


def _policy_name(dtype: Any) -> str:
    """The dtype-policy name of a layer's `dtype` argument (name, torch dtype or Keras dict)."""
    if isinstance(dtype, dict):  # Keras's serialized DTypePolicy
        dtype = dtype.get("config", {}).get("name", dtype.get("name"))
    if isinstance(dtype, dtype_policies.DTypePolicy):
        dtype = dtype.name
    if dtype is None:
        return mixed_precision.global_policy().name
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return dtype
    return config.standardize_dtype(dtype)


def _declared_input_shape(kwargs: dict) -> tuple | None:
    """The sample shape declared through `input_shape` / `batch_input_shape` / `input_dim`."""
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])[1:]
    if kwargs.get("input_shape") is not None:
        return tuple(kwargs["input_shape"])
    if kwargs.get("input_dim") is not None:
        return (kwargs["input_dim"],)
    return None


def _specs_of_shapes(shape: Any, dtype: str) -> Any:
    """`KerasTensor`s of `dtype` for a shape or a nested structure of shapes."""
    if is_shape(shape):
        return KerasTensor(tuple(shape), dtype=dtype)
    if isinstance(shape, dict):
        return {key: _specs_of_shapes(value, dtype) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)):
        return type(shape)(_specs_of_shapes(value, dtype) for value in shape)
    raise ValueError(
        f"`compute_output_shape` must return a shape or a list / dict of shapes. Received: {shape!r}"
    )


def _declares_output_shape(cls: type) -> bool:
    """Whether `cls` has a `compute_output_shape` written outside torchkeras (then used first,
    as Keras does; torchkeras's own layers are traced)."""
    owner = next(klass for klass in cls.__mro__ if "compute_output_shape" in klass.__dict__)
    return owner is not Layer and not owner.__module__.startswith("torchkeras.")


def _marks_built(build: Callable) -> Callable:
    """Wraps a layer class's `build`: weights are created as real tensors (also during shape
    inference), then the layer is marked built and its build shape recorded."""

    @functools.wraps(build)
    def wrapper(layer: Any, *args: Any, **kwargs: Any) -> Any:
        with symbolic.real_tensors():
            result = build(layer, *args, **kwargs)
        object.__setattr__(layer, "built", True)
        if layer._build_shapes is None and args:
            layer._build_shapes = {"input_shape": jsonable_shape(args[0])}
        return result

    return wrapper


@outside_compile
def _build_eagerly(layer: Layer, args: tuple, kwargs: dict) -> None:
    """Builds `layer` on its first call inside `torch.compile`: as plain Python between graphs,
    with the real inputs, so weights are created as in eager mode."""
    layer._build_from_call(args, kwargs)


Layer._call_spec = call_spec(Layer)
Layer._makes_masks = False
Layer._declares_output_shape = False
_TORCH_MODULE_CALL = torch.nn.Module.__call__
# torch's global hook registries (registering mutates these dicts, never rebinds them).
_FORWARD_PRE = _torch_module._global_forward_pre_hooks
_FORWARD = _torch_module._global_forward_hooks
_BACKWARD_PRE = _torch_module._global_backward_pre_hooks
_BACKWARD = _torch_module._global_backward_hooks
