"""Weights split over processes by `ModelParallel`: storage on DTensor placements.

`shard_model(model, distribution)` replaces each weight the `LayoutMap` matches by a
`ShardedVariable` holding this process's slice (the local tensor of a `DTensor` laid out by the
weight's `TensorLayout`), broadcasts the replicated weights and the random state from rank 0
(so every process computes the same thing), and builds the optimizer, whose state is then
per slice.

While a layer runs, forward hooks put its gathered full weights in the parameter slots
(`DTensor.from_local(...).full_tensor()`, differentiable: the backward pass hands each process
the gradient of its slice) and put the slices back after; the backward pass gathers again the
full weights it needs instead of keeping them. So one layer's weights are full at a time, and
only inside that layer's call.
The variable's storage layout (`ShardedLayout`) gathers on reading and slices on writing, so
`get_weights`, `save`, `load_weights`, regularizers, constraints and the optimizer's slots in
files all deal in full values, and files keep their formats.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist

from torchkeras.layers.variable import Variable

__all__ = ["ShardedLayout", "ShardedVariable", "shard_model"]


class ShardedLayout:
    """The storage layout of a sharded weight: this process's slice of the stored tensor.

    Like `Permuted`, it converts between what is stored and Keras's layout, so every reader of a
    weight (`get_weights`, `save`, regularizers, constraints) and of its optimizer slots sees the
    full value, and every writer (`assign`, `set_weights`, `load_weights`) stores the slice.
    `to_keras` is a collective (all processes call it); it is differentiable.

    Args:
        inner: the weight's own storage layout (`Permuted`) or None.
        mesh: the torch `DeviceMesh`.
        placements: one `Shard(dim)` / `Replicate()` per mesh axis, over the stored tensor.
        shape: the full stored shape.
    """

    def __init__(self, inner: Any, mesh: Any, placements: tuple, shape: tuple[int, ...]) -> None:
        self.inner = inner
        self.mesh = mesh
        self.placements = placements
        self.shape = tuple(shape)

    def gather(self, local: torch.Tensor) -> torch.Tensor:
        """The full stored tensor from every process's slice."""
        from torch.distributed.tensor import DTensor

        strides = torch.empty(self.shape, device="meta").stride()
        full = DTensor.from_local(
            local, self.mesh, self.placements, run_check=False, shape=torch.Size(self.shape), stride=strides
        )
        return full.full_tensor()

    def to_keras(self, local: torch.Tensor) -> torch.Tensor:
        full = self.gather(local)
        return full if self.inner is None else self.inner.to_keras(full)

    def from_keras(self, value: torch.Tensor) -> torch.Tensor:
        from torch.distributed.tensor import Shard

        stored = value if self.inner is None else self.inner.from_keras(value)
        if tuple(stored.shape) != self.shape:
            raise ValueError(
                f"A sharded weight takes its full value (stored shape {self.shape}). "
                f"Received: a value of shape {tuple(value.shape)}"
            )
        coordinates = self.mesh.get_coordinate()
        for mesh_dim, placement in enumerate(self.placements):
            if isinstance(placement, Shard):
                stored = stored.chunk(self.mesh.size(mesh_dim), dim=placement.dim)[coordinates[mesh_dim]]
        return stored

    def keras_shape(self) -> tuple[int, ...]:
        full = torch.empty(self.shape, device="meta")
        return tuple(full.shape if self.inner is None else self.inner.to_keras(full).shape)


class ShardedVariable(Variable):
    """A `Variable` holding this process's slice of the full weight (its `_layout` is a
    `ShardedLayout`), so it answers Keras's Variable API with the full value."""

    @classmethod
    def split(cls, variable: Variable, mesh: Any, placements: tuple) -> ShardedVariable:
        """Lays the full `variable` out on `mesh` (rank 0's value is the one kept)."""
        from torch.distributed.tensor import distribute_tensor

        full = variable.detach()
        local = distribute_tensor(full, mesh, placements).to_local().clone()
        sharded = cls(local, trainable=variable._trainable, name=variable._keras_name)
        sharded.requires_grad_(variable.requires_grad)
        sharded.__dict__.update(variable.__dict__)
        sharded._layout = ShardedLayout(variable._layout, mesh, placements, tuple(full.shape))
        return sharded

    def gathered(self) -> torch.Tensor:
        """The full stored-layout weight, differentiable with respect to this slice."""
        return self._layout.gather(self)

    @property
    def keras_shape(self) -> tuple[int, ...]:
        return self._layout.keras_shape()


class _Gathering:
    """The forward hooks that put a layer's full weights in place for its call, slices after.

    One layer's weights are full at a time (the layer running). During a call that records
    gradients, the full weights are not kept for the backward pass either: what autograd saves
    of them becomes a note, and the backward pass gathers them again, so between the forward
    and the backward pass each process holds only its slices.
    """

    def __init__(self) -> None:
        self.regathers = 0  # how many saved full weights the backward passes gathered again
        self._full: dict[int, tuple] = {}  # a gathered weight's storage -> (variable, weight)
        self._calls: dict[int, list[tuple[list[int], Any]]] = {}  # layer -> running calls' state

    def add(self, layer: torch.nn.Module, sharded: dict[str, ShardedVariable]) -> None:
        layer.register_forward_pre_hook(lambda module, args: self.gather(module, sharded))
        layer.register_forward_hook(lambda module, args, out: self.restore(module, sharded), always_call=True)

    def gather(self, layer: torch.nn.Module, sharded: dict[str, ShardedVariable]) -> None:
        storages = []
        for key, variable in sharded.items():
            full = layer._parameters[key] = variable.gathered()
            storages.append(full.untyped_storage().data_ptr())
            self._full[storages[-1]] = (variable, full)
        saving = None
        if torch.is_grad_enabled():
            saving = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
            saving.__enter__()
        self._calls.setdefault(id(layer), []).append((storages, saving))

    def restore(self, layer: torch.nn.Module, sharded: dict[str, ShardedVariable]) -> None:
        layer._parameters.update(sharded)
        running = self._calls.get(id(layer))
        if not running:  # hooks added during this call (a model split at its first call)
            return
        storages, saving = running.pop()
        for storage in storages:
            self._full.pop(storage, None)
        if saving is not None:
            saving.__exit__(None, None, None)

    def _pack(self, tensor: torch.Tensor) -> Any:
        """What autograd keeps of a saved tensor: a note for a gathered weight or a view of it."""
        if tensor.device.type == "meta" or tensor.layout != torch.strided:
            return tensor
        found = self._full.get(tensor.untyped_storage().data_ptr())
        if found is None:
            return tensor
        variable, full = found
        offset = tensor.storage_offset() - full.storage_offset()
        if offset < 0 or tensor.dtype != full.dtype:
            return tensor
        return variable, tensor.size(), tensor.stride(), offset

    def _unpack(self, packed: Any) -> torch.Tensor:
        if isinstance(packed, torch.Tensor):
            return packed
        variable, size, stride, offset = packed
        self.regathers += 1
        with torch.no_grad():
            full = variable._layout.gather(variable.detach())
        return full.as_strided(size, stride, full.storage_offset() + offset)


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
    """Splits `model`'s matched weights over the distribution's mesh (once per model); a model
    not built yet is split at its first call, once built."""
    done = model.__dict__.get("_sharded_by")
    if done is distribution:
        return
    if done is not None:
        raise ValueError("This model's weights are already sharded by another `ModelParallel` distribution.")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not hasattr(optimizer, "build"):
        raise ValueError(
            "`ModelParallel` needs a Keras optimizer (e.g. `keras.optimizers.Adam`): a `torch.optim` "
            f"optimizer holds the unsharded parameters. Received: {type(optimizer).__name__}"
        )
    if getattr(optimizer, "built", False):
        raise ValueError(
            "`ModelParallel` must be set before the model's first training step: its optimizer is "
            "already built for the unsharded weights. Compile the model again to start afresh."
        )
    if getattr(model, "built", True):
        _split(model, distribution)
        model.__dict__["_sharded_by"] = distribution
        return
    model.__dict__["_sharded_by"] = distribution

    def build_then_split(module: Any, args: tuple, kwargs: dict) -> None:
        """At the first call (all ranks at once): build every sublayer with a no-grad call on
        the inputs, as DDP's wrapping does, then split, before the real call runs."""
        handle.remove()
        with torch.no_grad():
            module(*args, **{**kwargs, "training": False})
        module._clear_losses()  # the building call's activity losses are not the step's
        _split(model, distribution)

    handle = model.register_forward_pre_hook(build_then_split, with_kwargs=True)


def _split(model: Any, distribution: Any) -> None:
    optimizer = getattr(model, "optimizer", None)
    mesh = distribution.device_mesh.backend_mesh
    plan = []  # (layer, key, weight, placements), all checked before any weight changes
    for layer in model.modules():
        for key, parameter in layer._parameters.items():
            if isinstance(parameter, Variable) and not isinstance(parameter, ShardedVariable):
                layout = distribution._layout_map[parameter.path]
                placements = _placements(parameter, layout) if layout is not None else ()
                if any(type(p).__name__ == "Shard" for p in placements):
                    plan.append((layer, key, parameter, placements))
    replaced: dict[int, ShardedVariable] = {}  # a weight shared by several layers is split once
    owned: dict[int, tuple[torch.nn.Module, dict[str, ShardedVariable]]] = {}
    for layer, key, parameter, placements in plan:
        if id(parameter) not in replaced:
            replaced[id(parameter)] = ShardedVariable.split(parameter, mesh, placements)
        layer._parameters[key] = replaced[id(parameter)]
        owned.setdefault(id(layer), (layer, {}))[1][key] = replaced[id(parameter)]
    gathering = _Gathering()
    for layer, sharded in owned.values():
        gathering.add(layer, sharded)
    model.__dict__["_sharded_gathering"] = gathering
    with torch.no_grad():  # the replicated weights: rank 0's values everywhere, as DDP does
        for tensor in [*model.parameters(), *model.buffers()]:
            if not isinstance(tensor, ShardedVariable):
                dist.broadcast(tensor.data, src=0)
    _shared_random_state()
    if optimizer is not None:
        optimizer.build(model.trainable_weights)  # its slots are per slice too
