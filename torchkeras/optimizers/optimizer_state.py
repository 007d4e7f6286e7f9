"""Saving and loading an optimizer's state: Keras's flat variable list and torch's `state_dict`.

Both layouts load before `build`: the state is kept and applied once the optimizer is built.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchkeras.utils.nest import to_numpy

__all__ = ["OptimizerState"]

Tensor = torch.Tensor


class OptimizerState:
    """Mixin of `Optimizer` holding its state I/O (it relies on the optimizer's attributes:
    `variables`, `state`, `_iterations`, `_learning_rate`, `_extra_variables`, ...)."""

    def get_state_tensors(self) -> dict[str, Tensor]:
        """The optimizer's state as `{"0": iterations, "1": ..., ...}`, in `variables` order (the layout
        of Keras's saved optimizer variables). Before build, returns the state waiting to be applied."""
        if not self.built and self._pending is not None and self._pending[0] != "torch":
            return self._pending_keras_state()
        return {str(i): tensor for i, tensor in enumerate(self.variables)}

    def set_state_tensors(self, tensors: Mapping[str, Any]) -> None:
        """Loads `get_state_tensors()` output. Before build, `iterations` and the learning rate are
        set at once (callbacks and user code see them right after loading); the slots are kept
        and applied once built."""
        if not self.built:
            self._pending = ("keras", dict(tensors))
            self._apply_pending_head()
            return
        self._load_variables(tensors)

    def _head(self) -> list[Tensor]:
        """The variables that exist before build: `iterations`, and a float learning rate."""
        return self._all_variables()[: 2 if isinstance(self._learning_rate, Tensor) else 1]

    @torch.no_grad()
    def _apply_pending_head(self) -> None:
        tensors = self._pending[1]
        values = []
        for i, variable in enumerate(self._head()):
            value = tensors.get(str(i))
            if value is None:
                return  # the whole state is checked (and reported) when applied at build
            value = value if isinstance(value, Tensor) else torch.as_tensor(np.asarray(value))
            if tuple(value.shape) != tuple(variable.shape):
                return
            values.append(value)
        for variable, value in zip(self._head(), values):
            variable.copy_(value)
        self._pending = ("keras_slots", tensors)  # at build, the head keeps its values of then
        self._refresh_host_state()

    def _pending_keras_state(self) -> dict[str, Any]:
        kind, tensors = self._pending
        if kind == "keras_slots":
            tensors = {**tensors, **{str(i): v for i, v in enumerate(self._head())}}
        return dict(tensors)

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Writes the optimizer variables into `store` as NumPy arrays under `"0"`, `"1"`, ..."""
        for key, tensor in self.get_state_tensors().items():
            store[key] = to_numpy(tensor)

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Reads variables written by `save_own_variables` (or by Keras); deferred until build."""
        self.set_state_tensors({key: store[key] for key in store})

    @torch.no_grad()
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the optimizer variables from a list of arrays, in `variables` order."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
                "`optimizer.build(trainable_variables)` to create the optimizer weights first."
            )
        self._load_variables({str(i): w for i, w in enumerate(weights)}, strict=True)

    @torch.no_grad()
    def _load_variables(self, store: Mapping[str, Any], strict: bool = False) -> None:
        variables = self._all_variables()
        if len(store) != len(variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has {len(variables)} "
                f"variables whereas the saved optimizer has {len(store)} variables."
            )
            if strict:
                raise ValueError(message)
            warnings.warn(message, stacklevel=3)
            return
        for i, (path, variable) in enumerate(zip(self._variable_paths(), variables)):
            value = store[str(i)]
            value = value if isinstance(value, Tensor) else torch.as_tensor(np.asarray(value))
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Optimizer variable {path} has shape {tuple(variable.shape)}, not compatible with the "
                    f"provided shape {tuple(value.shape)}."
                )
            variable.copy_(value)
        self._refresh_host_state()

    def state_dict(self) -> dict[str, Any]:
        """torch's layout: `{"state": {index: {slot: tensor}}, "param_groups": [...]}`, plus
        `"optimizer_variables"` (iterations, learning rate, other non-slot variables). Tensors are
        live references, as in torch."""
        if not self.built and self._pending is not None and self._pending[0] == "torch":
            return self._pending[1]
        self._restore_pending()
        state = {i: dict(self.state[v]) for i, v in enumerate(self._trainable_variables) if v in self.state}
        groups = []
        if self.param_groups:
            group = {key: value for key, value in self.param_groups[0].items() if key != "params"}
            groups.append({**group, "params": list(range(len(self._trainable_variables)))})
        return {"state": state, "param_groups": groups, "optimizer_variables": self._named_variables()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Loads `state_dict()` output (values are copied in place); before build it is kept and
        applied once built."""
        if not self.built:
            self._pending = ("torch", state_dict)
            return
        self._load_torch_state(state_dict)

    def _named_variables(self) -> dict[str, Tensor]:
        named = {"iterations": self._iterations}
        if isinstance(self._learning_rate, Tensor):
            named["learning_rate"] = self._learning_rate
        return {**named, **self._extra_variables}

    @torch.no_grad()
    def _load_torch_state(self, state_dict: Mapping[str, Any]) -> None:
        saved_state = state_dict.get("state", {})
        groups = state_dict.get("param_groups", [])
        saved_ids = [i for group in groups for i in group["params"]]
        if groups and len(saved_ids) != len(self._trainable_variables):
            raise ValueError(
                f"Loaded state dict has {len(saved_ids)} variables, but optimizer '{self.name}' was built "
                f"for {len(self._trainable_variables)}."
            )
        for i, variable in enumerate(self._trainable_variables):
            key = saved_ids[i] if saved_ids else i
            theirs = saved_state.get(key, saved_state.get(str(key), {}))
            ours = self.state.get(variable, {})
            if set(theirs) != set(ours):
                raise ValueError(
                    f"Loaded state for variable {i} has slots {sorted(theirs)}, but optimizer '{self.name}' "
                    f"has {sorted(ours)}."
                )
            for slot, tensor in ours.items():
                tensor.copy_(torch.as_tensor(theirs[slot]))
        saved_variables = state_dict.get("optimizer_variables", {})
        for name, tensor in self._named_variables().items():
            if name in saved_variables:
                tensor.copy_(torch.as_tensor(saved_variables[name]))
        self._refresh_host_state()

    def _restore_pending(self) -> None:
        if self._pending is None or not self.built:
            return
        kind, payload = self._pending
        if kind != "torch":
            payload = self._pending_keras_state()
        self._pending = None
        if kind != "torch":
            self._load_variables(payload)
        else:
            self._load_torch_state(payload)

    def _refresh_host_state(self) -> None:
        """Re-reads host copies after a load (one sync per load, never per step)."""
        self._step_host = int(self._iterations)
        self._iterations_version = self._iterations._version
        if isinstance(self._learning_rate, Tensor):
            self._assign_learning_rate(float(self._learning_rate))

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
