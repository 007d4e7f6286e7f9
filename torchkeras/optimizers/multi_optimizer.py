"""`MultiOptimizer` and `OptimizerMap`: different optimizers for different variables."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from torch import Tensor

from torchkeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchkeras.optimizers.optimizer import Optimizer
from torchkeras.utils.registry import get_registered_name, get_registered_object, register_builtin

__all__ = ["MultiOptimizer", "OptimizerMap"]


def _check_inner(optimizer: Any, what: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what} must be a Keras Optimizer instance. Received: {optimizer!r}")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(f"{what} cannot be a LossScaleOptimizer.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{what} cannot be a MultiOptimizer.")


@register_builtin
class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers: an exact key first, else the one key that matches as
    a regular expression (`re.fullmatch`), else `default_optimizer`.

    Args:
        default_optimizer: the optimizer of unmapped variables.
        optimizer_map: optional dict `{path or pattern: optimizer}`.

    Example:
    ```python
    by_path = keras.optimizers.OptimizerMap(
        keras.optimizers.SGD(), {"encoder/.*": keras.optimizers.Adam()}
    )
    ```
    """

    def __init__(self, default_optimizer: Optimizer, optimizer_map: dict[str, Optimizer] | None = None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        _check_inner(optimizer, "optimizer")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Tensor) -> Optimizer:
        return self[getattr(variable, "path", None) or ""]

    def get_config(self) -> dict[str, Any]:
        from torchkeras.optimizers import serialize

        return {
            "default_optimizer": serialize(self._default_optimizer),
            "optimizer_map": {key: serialize(opt) for key, opt in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> OptimizerMap:
        from torchkeras.optimizers import deserialize

        default = deserialize(config["default_optimizer"], custom_objects)
        mapping = {key: deserialize(value, custom_objects) for key, value in config["optimizer_map"].items()}
        return cls(default, mapping)


@register_builtin
class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer an `OptimizerMap` (or a callable taking a
    variable) picks for it. Each sub-optimizer keeps its own learning rate, state and
    iterations; `optimizers` lists them. `learning_rate` is not defined on the whole.

    Args:
        optimizer_map: an `OptimizerMap`, or a callable `variable -> Optimizer`.
        loss_scale_factor: overrides the sub-optimizers' `loss_scale_factor`.
        name: the optimizer's name.

    Example:
    ```python
    optimizer = keras.optimizers.MultiOptimizer(
        keras.optimizers.OptimizerMap(keras.optimizers.SGD(0.01), {"head/.*": keras.optimizers.Adam()})
    )
    model.compile(optimizer=optimizer, loss="mse")
    ```
    """

    def __init__(
        self,
        optimizer_map: OptimizerMap | Callable[[Tensor], Optimizer],
        loss_scale_factor: float | None = None,
        name: str | None = None,
    ):
        if not callable(optimizer_map):
            raise ValueError(
                "Argument `optimizer_map` must be an OptimizerMap or a callable returning an optimizer "
                f"for a variable. Received: {optimizer_map!r}"
            )
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        candidates = list(optimizer_map.values()) if isinstance(optimizer_map, OptimizerMap) else []
        if isinstance(optimizer_map, OptimizerMap):
            candidates.append(optimizer_map.default_optimizer)
        for optimizer in candidates:
            self._add_inner(optimizer)

    def _add_inner(self, optimizer: Any) -> int:
        _check_inner(optimizer, "The optimizer of a variable")
        if not any(optimizer is known for known in self._inner_optimizers):
            optimizer.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(optimizer)
        return next(i for i, known in enumerate(self._inner_optimizers) if known is optimizer)

    @property
    def optimizers(self) -> list[Optimizer]:
        return self._inner_optimizers

    @property
    def loss_scale_factor(self) -> float | None:
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self.__dict__["_loss_scale_factor"] = value
        for optimizer in self.__dict__.get("_inner_optimizers", []):
            optimizer.loss_scale_factor = value

    @property
    def learning_rate(self) -> Any:
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on the "
            "individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the individual "
            "sub-optimizers instead."
        )

    def build(self, variables: Iterable[Tensor]) -> None:
        variables = list(variables)
        if self.built:
            super().build(variables)
            return
        owner = [self._add_inner(self._optimizer_map(variable)) for variable in variables]
        super().build(variables)
        self._owner = owner
        for index, optimizer in enumerate(self._inner_optimizers):
            mine = [v for v, o in zip(variables, owner) if o == index]
            if mine:
                optimizer.build(mine)

    @property
    def variables(self) -> list[Tensor]:
        own = super().variables
        return own + [v for optimizer in self._inner_optimizers for v in optimizer.variables]

    def _apply_filtered(
        self, grads: list[Tensor], variables: list[Tensor], indices: list[int] | None
    ) -> None:
        positions = range(len(variables)) if indices is None else indices
        groups: dict[int, tuple[list[Tensor], list[Tensor]]] = {}
        for gradient, variable, position in zip(grads, variables, positions):
            sub_grads, sub_vars = groups.setdefault(self._owner[position], ([], []))
            sub_grads.append(gradient)
            sub_vars.append(variable)
        for index, (sub_grads, sub_vars) in groups.items():
            self._inner_optimizers[index].apply(sub_grads, sub_vars)
        self._iterations.add_(1)
        self._step_host += 1
        self._iterations_version = self._iterations._version

    def finalize_variable_values(self, var_list: Any) -> None:
        var_list = list(var_list)
        for index, optimizer in enumerate(self._inner_optimizers):
            mine = [v for v, o in zip(var_list, self._owner) if o == index]
            if mine:
                optimizer.finalize_variable_values(mine)

    def get_config(self) -> dict[str, Any]:
        if isinstance(self._optimizer_map, OptimizerMap):
            mapping: Any = {
                "module": "keras.optimizers",
                "class_name": "OptimizerMap",
                "config": self._optimizer_map.get_config(),
                "registered_name": None,
            }
        else:
            registered = get_registered_name(self._optimizer_map)
            mapping = {
                "module": None,
                "class_name": "function",
                "config": registered,
                "registered_name": registered,
            }
        return {"optimizer_map": mapping, "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Any:
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, Mapping):
            if mapping.get("class_name") == "OptimizerMap":
                config["optimizer_map"] = OptimizerMap.from_config(mapping["config"], custom_objects)
            else:
                name = mapping.get("registered_name") or mapping.get("config")
                function = get_registered_object(name, custom_objects)
                if function is None:
                    raise ValueError(
                        f"Unknown optimizer selector function {name!r}: register it with "
                        "`keras.saving.register_keras_serializable()` or pass it in `custom_objects`."
                    )
                config["optimizer_map"] = function
        return cls(**config)
