"""Weights split over processes by `ModelParallel`: storage on DTensor placements.

`shard_model(model, distribution)` replaces each weight the `LayoutMap` matches by a
`ShardedVariable` holding this process's slice (the local tensor of a `DTensor` laid out by the
weight's `TensorLayout`), broadcasts the replicated weights and the random state from rank 0
(so every process computes the same thing), and builds the optimizer, whose state is then
per slice.

While a layer runs, a forward pre-hook puts the gathered full weights in its parameter slots
(`DTensor.from_local(...).full_tensor()`, differentiable: the backward pass hands each process
the gradient of its slice) and a forward hook puts the slices back. Every reader of a weight
outside a call (`get_weights`, `save`, regularizers, constraints) sees the full value in
Keras's layout, and assigning a full value stores the slice, so files keep their formats.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist

from torchkeras.layers.variable import Variable

__all__ = ["ShardedVariable", "shard_model"]


class ShardedVariable(Variable):
    """A `Variable` whose tensor is this process's slice of the full (stored-layout) weight.

    Built by `ShardedVariable.split`; answers Keras's Variable API with the full value.
    """

    @classmethod
    def split(cls, variable: Variable, mesh: Any, placements: tuple) -> ShardedVariable:
        """Lays the full `variable` out on `mesh` (rank 0's value is the one kept)."""
        from torch.distributed.tensor import distribute_tensor

        full = variable.detach()
        local = distribute_tensor(full, mesh, placements).to_local().clone()
        sharded = cls(local, variable._trainable)
        sharded.requires_grad_(variable.requires_grad)
        sharded.__dict__.update(variable.__dict__)
        sharded._mesh = mesh
        sharded._placements = placements
        sharded._full_shape = tuple(full.shape)
        return sharded

    def gathered(self) -> torch.Tensor:
        """The full stored-layout weight, differentiable with respect to this slice."""
        from torch.distributed.tensor import DTensor

        strides = torch.empty(self._full_shape, device="meta").stride()
        full = DTensor.from_local(
            self,
            self._mesh,
            self._placements,
            run_check=False,
            shape=torch.Size(self._full_shape),
            stride=strides,
        )
        return full.full_tensor()

    def _slice(self, full: torch.Tensor) -> torch.Tensor:
        """This process's slice of a full stored-layout tensor (no communication)."""
        from torch.distributed.tensor import Shard

        local = full
        coordinates = self._mesh.get_coordinate()
        for mesh_dim, placement in enumerate(self._placements):
            if isinstance(placement, Shard):
                size = self._mesh.size(mesh_dim)
                local = local.chunk(size, dim=placement.dim)[coordinates[mesh_dim]]
        return local

    @property
    def keras_shape(self) -> tuple[int, ...]:
        if self._layout is None:
            return self._full_shape
        return tuple(self._layout.to_keras(torch.empty(self._full_shape, device="meta")).shape)

    def keras_view(self) -> torch.Tensor:
        full = self.gathered()
        return full if self._layout is None else self._layout.to_keras(full)

    def keras_value(self) -> torch.Tensor:
        with torch.no_grad():
            return self.keras_view().detach()

    def constrained(self) -> torch.Tensor:
        if self.constraint is None:
            return self
        with torch.no_grad():
            full = self.keras_view()
            value = self.constraint(full)
            return self._slice(value if self._layout is None else self._layout.from_keras(value))

    def _stored(self, value: Any) -> torch.Tensor:
        value = torch.as_tensor(value, dtype=self.dtype, device=self.device)
        if tuple(value.shape) == tuple(self.shape) and tuple(self.shape) != self.keras_shape:
            raise ValueError(
                f"Assign the full value (shape {self.keras_shape}) to the sharded weight '{self.path}'. "
                f"Received: shape {tuple(value.shape)}"
            )
        return self._slice(super()._stored(value))


def _gather_hooks(sharded: dict[str, ShardedVariable]) -> tuple[Any, Any]:
    def gather(layer: torch.nn.Module, args: Any) -> None:
        for key, variable in sharded.items():
            layer._parameters[key] = variable.gathered()

    def restore(layer: torch.nn.Module, args: Any, output: Any) -> None:
        for key, variable in sharded.items():
            layer._parameters[key] = variable

    return gather, restore


def _shared_random_state() -> None:
    """Every process continues with rank 0's random state (dropout masks, noise are the same)."""
    on_cuda = dist.get_backend() == "nccl"
    states = [(torch.get_rng_state, torch.set_rng_state)]
    if torch.cuda.is_available():
        states.append((torch.cuda.get_rng_state, torch.cuda.set_rng_state))
    for get_state, set_state in states:
        state = get_state()
        carried = state.to(torch.cuda.current_device()) if on_cuda else state
        dist.broadcast(carried, src=0)
        set_state(carried.cpu())


def _placements(variable: Variable, layout: Any) -> tuple:
    """The torch placements of `variable`'s stored tensor for a layout of its Keras axes."""
    from torch.distributed.tensor import Replicate, Shard

    keras_axes = tuple(layout.axes)
    shape = variable.keras_shape
    if len(keras_axes) != len(shape):
        raise ValueError(
            f"The layout {keras_axes} of '{variable.path}' must have one entry per axis of its shape {shape}."
        )
    stored_axes = keras_axes
    if variable._layout is not None:
        permutation = getattr(variable._layout, "axes", None)
        if permutation is None:
            raise ValueError(f"'{variable.path}' is stored in a layout that cannot be sharded.")
        stored_axes = tuple(keras_axes[axis] for axis in permutation)
    mesh = layout.device_mesh
    placements = []
    for mesh_dim, name in enumerate(mesh.axis_names):
        if name not in stored_axes:
            placements.append(Replicate())
            continue
        dim = stored_axes.index(name)
        size = mesh.shape[mesh_dim]
        if variable.shape[dim] % size:
            raise ValueError(
                f"'{variable.path}': axis {keras_axes.index(name)} (size {shape[keras_axes.index(name)]}) "
                f"must be divisible by the size {size} of mesh axis '{name}' that shards it."
            )
        placements.append(Shard(dim))
    return tuple(placements)


def shard_model(model: Any, distribution: Any) -> None:
    """Splits `model`'s matched weights over the distribution's mesh (once per model)."""
    done = model.__dict__.get("_sharded_by")
    if done is distribution:
        return
    if done is not None:
        raise ValueError("This model's weights are already sharded by another `ModelParallel` distribution.")
    if not getattr(model, "built", True):
        raise ValueError(
            "`ModelParallel` needs a built model: create it from a `keras.Input`, or call "
            "`model.build(input_shape)` before `fit`, `evaluate` or `predict`."
        )
    optimizer = getattr(model, "optimizer", None)
    if getattr(optimizer, "built", False):
        raise ValueError(
            "`ModelParallel` must be set before the model's first training step: its optimizer is "
            "already built for the unsharded weights. Compile the model again to start afresh."
        )
    mesh = distribution.device_mesh.backend_mesh
    replaced: dict[int, ShardedVariable] = {}
    for layer in model.modules():
        sharded: dict[str, ShardedVariable] = {}
        for key, parameter in list(layer._parameters.items()):
            if not isinstance(parameter, Variable) or isinstance(parameter, ShardedVariable):
                continue
            if id(parameter) in replaced:  # a weight shared by several layers
                layer._parameters[key] = sharded[key] = replaced[id(parameter)]
                continue
            layout = distribution._layout_map[parameter.path]
            placements = _placements(parameter, layout) if layout is not None else ()
            if not any(type(p).__name__ == "Shard" for p in placements):
                continue
            new = ShardedVariable.split(parameter, mesh, placements)
            replaced[id(parameter)] = layer._parameters[key] = sharded[key] = new
        if sharded:
            gather, restore = _gather_hooks(sharded)
            layer.register_forward_pre_hook(gather)
            layer.register_forward_hook(restore, always_call=True)
    with torch.no_grad():  # the replicated weights: rank 0's values everywhere, as DDP does
        for tensor in [*model.parameters(), *model.buffers()]:
            if not isinstance(tensor, ShardedVariable):
                dist.broadcast(tensor.data, src=0)
    _shared_random_state()
    model.__dict__["_sharded_by"] = distribution
    if optimizer is not None and hasattr(optimizer, "build") and hasattr(optimizer, "state"):
        optimizer.build(model.trainable_weights)
        for variable in replaced.values():
            for slot in optimizer.state.get(variable, {}).values():
                if isinstance(slot, torch.Tensor) and tuple(slot.shape) == tuple(variable.shape):
                    slot.keras_value = _slot_reader(slot, variable)


def _slot_reader(slot: torch.Tensor, variable: ShardedVariable) -> Any:
    """`slot.keras_value()`: the full optimizer slot of a sharded weight (saved as one tensor)."""

    def keras_value() -> torch.Tensor:
        from torch.distributed.tensor import DTensor

        with torch.no_grad():
            strides = torch.empty(variable._full_shape, device="meta").stride()
            full = DTensor.from_local(
                slot.detach(),
                variable._mesh,
                variable._placements,
                run_check=False,
                shape=torch.Size(variable._full_shape),
                stride=strides,
            ).full_tensor()
        return full

    return keras_value
