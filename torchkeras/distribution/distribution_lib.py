"""Keras's explicit distribution API (`keras.distribution`), mapped to `torch.distributed`.

torch runs one device per process, so a device here is a process: under a process group of
`N` processes (`torchrun --nproc_per_node=N`, or `initialize(...)`), `list_devices()` gives
`["gpu:0", ..., "gpu:N-1"]` (or `"cpu:<rank>"`) with the process rank as the device id.

- `DataParallel` is the `DistributedDataParallel` machinery `fit` already uses under torchrun
  (see `torchkeras.trainers.distributed`): replicated weights, each global batch split over the
  processes, logs reduced, only rank 0 writing. Setting it checks that its mesh covers the
  processes.
- `ModelParallel` shards the weights a `LayoutMap` matches over a `DeviceMesh` (each process
  stores its slice, and the optimizer keeps state for that slice only); see
  `torchkeras.distribution.sharded_variable` for how a call gathers them.
- `TensorLayout.backend_layout` is a tuple of torch placements (`Shard(dim)` / `Replicate()`),
  `DeviceMesh.backend_mesh` a `torch.distributed.device_mesh.DeviceMesh`, and
  `distribute_tensor` returns a `torch.distributed.tensor.DTensor`.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import re
import threading
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from torchkeras.trainers import distributed as process_group

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]

DEFAULT_BATCH_DIM_NAME = "batch"
_DEVICE_TYPES = ("cpu", "gpu")


# ------------------------------------------------------------------------------ devices


def _device_type(device_type: str | None) -> str:
    if device_type is None:
        return "gpu" if torch.cuda.is_available() else "cpu"
    if not isinstance(device_type, str) or device_type.lower() not in _DEVICE_TYPES:
        raise ValueError(
            f"`device_type` must be one of {list(_DEVICE_TYPES)} or None (torch has no TPU support). "
            f"Received: device_type={device_type!r}"
        )
    return device_type.lower()


def list_devices(device_type: str | None = None) -> list[str]:
    """Returns the devices available for distributed computation, as `"<type>:<id>"` strings.

    Inside a process group the devices are global: one per process, numbered by rank. Outside
    one, the local GPUs (`"gpu:0"`, ...) or the CPU (`["cpu:0"]`).

    Args:
        device_type: `"cpu"` or `"gpu"`; by default `"gpu"` when CUDA is available, else `"cpu"`.

    Returns:
        A list of strings; never a mix of device types.
    """
    kind = _device_type(device_type)
    if kind == "gpu" and not torch.cuda.is_available():
        return []
    if process_group.is_active():
        return [f"{kind}:{rank}" for rank in range(dist.get_world_size())]
    if kind == "gpu":
        return [f"gpu:{index}" for index in range(torch.cuda.device_count())]
    return ["cpu:0"]


def get_device_count(device_type: str | None = None) -> int:
    """Returns the number of devices `list_devices(device_type)` gives."""
    return len(list_devices(device_type))


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value!r}")
    return int(value)


def initialize(
    job_addresses: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Joins the processes of a multi-process run (creates the default `torch.distributed` group).

    Under `torchrun` nothing needs passing: the launcher's rendezvous is used (`num_processes`
    and `process_id`, if given, must agree with it). Otherwise pass the coordinator's address and
    this process's place, or set `KERAS_DISTRIBUTION_JOB_ADDRESSES`,
    `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`. The backend is nccl
    on CUDA and gloo on the CPU. Calling it again once the group exists does nothing.

    Args:
        job_addresses: comma-separated `host:port` addresses of the processes; the first one
            (process 0's) is the coordinator the others connect to.
        num_processes: the number of processes of the run.
        process_id: this process's id, from 0 to `num_processes - 1` (0 is the coordinator).

    Example:
    ```python
    # on each of two machines, process_id 0 and 1:
    keras.distribution.initialize("10.0.0.1:1234,10.0.0.2:2345", num_processes=2, process_id=0)
    ```
    """
    environ = os.environ
    if job_addresses is None:
        job_addresses = environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in environ:
        num_processes = int(environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in environ:
        process_id = int(environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    if dist.is_available() and dist.is_initialized():
        return
    if process_group.launched_by_torchrun():  # torchrun's rendezvous names the coordinator
        launched = {"num_processes": int(environ["WORLD_SIZE"]), "process_id": int(environ["RANK"])}
        given = {"num_processes": num_processes, "process_id": process_id}
        for name, value in given.items():
            if value is not None and value != launched[name]:
                raise ValueError(
                    f"`{name}` disagrees with the torchrun launch ({name}={launched[name]}). "
                    f"Received: {name}={value!r}"
                )
        process_group.initialize()
        return
    if job_addresses is None and num_processes is None and process_id is None:
        return  # a single process: nothing to join
    if job_addresses is None or num_processes is None or process_id is None:
        raise ValueError(
            "`initialize()` needs `job_addresses`, `num_processes` and `process_id` together (or none "
            f"of them, under torchrun). Received: job_addresses={job_addresses!r}, "
            f"num_processes={num_processes!r}, process_id={process_id!r}"
        )
    num_processes = _positive_int("num_processes", num_processes)
    process_id = _positive_int("process_id", process_id)
    if num_processes == 0 or process_id >= num_processes:
        raise ValueError(
            "`process_id` must be in [0, num_processes). "
            f"Received: num_processes={num_processes}, process_id={process_id}"
        )
    coordinator = str(job_addresses).split(",")[0].strip()
    if not re.fullmatch(r"[^\s:,]+:\d+", coordinator):
        raise ValueError(
            "`job_addresses` must be comma-separated 'host:port' addresses, the coordinator first. "
            f"Received: job_addresses={job_addresses!r}"
        )
    if torch.cuda.is_available():
        torch.cuda.set_device(int(environ.get("LOCAL_RANK", process_id % torch.cuda.device_count())))
    dist.init_process_group(
        backend="nccl" if torch.cuda.is_available() else "gloo",
        init_method=f"tcp://{coordinator}",
        world_size=num_processes,
        rank=process_id,
    )


# ------------------------------------------------------------------------- mesh, layout


def _device_rank(device: Any) -> tuple[str, int]:
    """`"gpu:1"` / `"cuda:1"` / `"cpu:0"` / a `torch.device` -> (torch device type, id)."""
    text = str(device)
    match = re.fullmatch(r"(cpu|gpu|cuda):(\d+)", text.lower())
    if match is None:
        raise ValueError(
            f"A device must look like 'gpu:0' or 'cpu:0' (see `list_devices()`). Received: {device!r}"
        )
    return ("cpu" if match.group(1) == "cpu" else "cuda"), int(match.group(2))


class DeviceMesh:
    """A grid of devices with named axes, over which tensors are laid out.

    Args:
        shape: the grid's shape, e.g. `(8,)` for data parallelism only or `(2, 4)` for data and
            model parallelism.
        axis_names: one name per axis of `shape`, e.g. `("batch", "model")`; `TensorLayout`s
            name these axes.
        devices: the devices, as many as `prod(shape)`; `list_devices()` by default.

    Example:
    ```python
    mesh = keras.distribution.DeviceMesh((1, 2), ("batch", "model"), devices=["cpu:0", "cpu:1"])
    ```
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str], devices: Any = None) -> None:
        if not shape or not axis_names:
            raise ValueError(
                f"`shape` and `axis_names` cannot be empty. Received: shape={shape}, axis_names={axis_names}"
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "`shape` and `axis_names` must have the same length. "
                f"Received: shape={shape}, axis_names={axis_names}"
            )
        if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape):
            raise ValueError(f"`shape` must hold positive integers. Received: shape={shape}")
        if any(not isinstance(name, str) for name in axis_names) or len(set(axis_names)) != len(axis_names):
            raise ValueError(f"`axis_names` must be distinct strings. Received: axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != devices.size:
            raise ValueError(
                "`shape` does not match the number of devices. "
                f"Received: shape={tuple(shape)}; devices.shape={devices.shape}"
            )
        self._shape = tuple(int(d) for d in shape)
        self._axis_names = list(axis_names)
        self._devices = np.reshape(devices, self._shape)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def axis_names(self) -> list[str]:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Any:
        """The `torch.distributed.device_mesh.DeviceMesh` over the processes (one per device)."""
        if not hasattr(self, "_backend_mesh"):
            self._backend_mesh = self._to_torch_mesh()
        return self._backend_mesh

    def _ranks(self) -> tuple[str, np.ndarray]:
        """(torch device type, the process rank of each device, in the mesh's shape)."""
        parsed = [_device_rank(device) for device in self._devices.reshape(-1)]
        kinds = {kind for kind, _ in parsed}
        if len(kinds) != 1:
            raise ValueError(
                f"A `DeviceMesh` holds one device type. Received: devices={self._devices.tolist()}"
            )
        ranks = np.array([rank for _, rank in parsed]).reshape(self._shape)
        return kinds.pop(), ranks

    def _to_torch_mesh(self) -> Any:
        from torch.distributed.device_mesh import DeviceMesh as TorchDeviceMesh

        kind, ranks = self._ranks()
        world = dist.get_world_size() if process_group.is_active() else 1
        if sorted(ranks.reshape(-1).tolist()) != list(range(world)):
            raise ValueError(
                f"The mesh's devices must be the {world} processes of this run, one each "
                f"(`list_devices()` gives {list_devices()}). Received: devices={self._devices.tolist()}"
            )
        if not process_group.is_active():
            raise ValueError(
                "A `DeviceMesh` becomes a torch mesh inside a process group: launch with torchrun or "
                "call `keras.distribution.initialize(...)` first."
            )
        return TorchDeviceMesh(kind, torch.as_tensor(ranks), mesh_dim_names=tuple(self._axis_names))

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor is laid out over a `DeviceMesh`: for each tensor axis, the mesh axis that
    shards it, or `None` for a replicated axis.

    Args:
        axes: one entry per tensor axis, a mesh axis name or `None`.
        device_mesh: the `DeviceMesh`; may be set later (once), e.g. by a `LayoutMap`.

    Example:
    ```python
    layout = keras.distribution.TensorLayout((None, "model"), mesh)  # columns split over "model"
    ```
    """

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None) -> None:
        if isinstance(axes, str) or not isinstance(axes, Sequence):
            raise ValueError(f"`axes` must be a tuple of mesh axis names or None. Received: axes={axes!r}")
        if any(axis is not None and not isinstance(axis, str) for axis in axes):
            raise ValueError(f"`axes` must hold mesh axis names (strings) or None. Received: axes={axes!r}")
        named = [axis for axis in axes if axis is not None]
        if len(set(named)) != len(named):
            raise ValueError(f"A mesh axis can shard one tensor axis only. Received: axes={tuple(axes)}")
        if device_mesh is not None and not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"`device_mesh` must be a `DeviceMesh`. Received: device_mesh={device_mesh!r}")
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple[str | None, ...]:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override the layout's device mesh. Existing value: {self._device_mesh}")
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"`device_mesh` must be a `DeviceMesh`. Received: device_mesh={device_mesh!r}")
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self) -> tuple[Any, ...]:
        """The torch placements, one per mesh axis: `Shard(tensor_axis)` or `Replicate()`."""
        from torch.distributed.tensor import Replicate, Shard

        if self._device_mesh is None:
            raise ValueError(f"{self} has no device mesh: set `device_mesh` first.")
        placements = []
        for name in self._device_mesh.axis_names:
            placements.append(Shard(self._axes.index(name)) if name in self._axes else Replicate())
        return tuple(placements)

    def _validate_axes(self) -> None:
        if self._device_mesh is None:
            return
        unknown = {axis for axis in self._axes if axis is not None} - set(self._device_mesh.axis_names)
        if unknown:
            raise ValueError(
                f"Invalid axis names for the layout: {sorted(unknown)}. "
                f"The mesh's axis names are {self._device_mesh.axis_names}. Received: axes={self._axes}"
            )

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class LayoutMap(collections.abc.MutableMapping):
    """Maps weight paths (e.g. `"dense/kernel"`) to `TensorLayout`s; the keys are regexes.

    A lookup returns the layout of the key equal to the path, else of the one key that
    `re.fullmatch`es it, else `None`; a path two keys match is an error. A tuple of axis names
    may be set instead of a `TensorLayout`.

    Args:
        device_mesh: the `DeviceMesh` the layouts refer to.

    Example:
    ```python
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map[".*dense.*bias"] = ("model",)
    ```
    """

    def __init__(self, device_mesh: DeviceMesh) -> None:
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"`device_mesh` must be a `DeviceMesh`. Received: device_mesh={device_mesh!r}")
        self._layout_map: collections.OrderedDict[str, TensorLayout] = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches several layout keys: {matching}. Make each path match at most one key."
            )
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key: str, layout: TensorLayout | tuple) -> None:
        if not isinstance(key, str):
            raise ValueError(f"A `LayoutMap` key must be a regex string. Received: key={key!r}")
        if key in self._layout_map:
            raise ValueError(
                f"'{key}' is already in the LayoutMap (value {self._layout_map[key]}). Keys are unique."
            )
        try:
            re.compile(key)
        except re.error as error:
            raise ValueError(
                f"A `LayoutMap` key must be a valid regex. Received: key={key!r} ({error})"
            ) from None
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(tuple(layout))
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"A `LayoutMap` value must be a `TensorLayout` or a tuple of axis names. Received: {layout!r}"
            )
        if layout.device_mesh is None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        del self._layout_map[key]

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh


# ------------------------------------------------------------------------ distributions


class Distribution:
    """Base class of the distributions: a `DeviceMesh` and the layouts of data and weights.

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis the data's batch axis is split over.
        auto_shard_dataset: only `True` is supported: `fit` shards the data itself.
    """

    def __init__(
        self, device_mesh: DeviceMesh, batch_dim_name: str | None = None, auto_shard_dataset: bool = True
    ) -> None:
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(f"`device_mesh` must be a `DeviceMesh`. Received: device_mesh={device_mesh!r}")
        if auto_shard_dataset is not True:
            raise ValueError(
                "`auto_shard_dataset=False` is not supported: `fit`, `evaluate` and `predict` take "
                "the global data on every process and shard it. "
                f"Received: auto_shard_dataset={auto_shard_dataset!r}"
            )
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = True
        self._num_processes = dist.get_world_size() if process_group.is_active() else 1
        self._process_id = dist.get_rank() if process_group.is_active() else 0
        self._is_multi_process = self._num_processes > 1

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str | None:
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @property
    def num_processes(self) -> int:
        """Total number of processes in the run."""
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement `num_model_replicas`.")

    @property
    def data_shard_id(self) -> int:
        """Which shard of the data this process works on."""
        replicas = self.num_model_replicas
        if replicas >= self._num_processes:
            return self._process_id
        return self._process_id // (self._num_processes // replicas)

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        """The layout of an input batch: its first axis split over the batch axis of the mesh."""
        axes: list[str | None] = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        raise NotImplementedError(f"{type(self).__name__} must implement `get_variable_layout`.")

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        raise NotImplementedError(f"{type(self).__name__} must implement `get_tensor_layout`.")

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Makes this distribution the current one inside the `with` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def _check_processes(self) -> None:
        """The mesh must cover this run's processes, one device each."""
        world = dist.get_world_size() if process_group.is_active() else 1
        devices = self._device_mesh.devices.size
        if devices != world:
            raise ValueError(
                f"{type(self).__name__}'s mesh has {devices} devices but this run has {world} process(es); "
                "torch runs one device per process: launch one process per device with "
                f"`torchrun --nproc_per_node={devices} script.py` (or `initialize(...)`)."
            )
        self._device_mesh._ranks()  # one device type, well-formed names

    def _apply(self, model: Any) -> bool:
        """Prepares `model` for a `fit` / `evaluate` / `predict` of this distribution; returns
        whether the run is data-parallel (DDP, sharded data, logs reduced over processes)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_apply`.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Data parallelism: every process holds all the weights and takes its share of each batch.

    On torch this is `DistributedDataParallel`, one process per device (the same machinery
    `fit` uses under `torchrun` without any distribution set): `batch_size` is the global batch,
    gradients and logs are averaged over the processes, and only rank 0 prints and writes files.

    Args:
        device_mesh: a 1D `DeviceMesh` (the first axis is used if it has more).
        devices: the devices, instead of a mesh; `list_devices()` when neither is given.
        auto_shard_dataset: only `True` (the data is sharded by `fit`).

    Example:
    ```python
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model.fit(x, y, batch_size=64)  # under torchrun --nproc_per_node=4: 16 rows per process
    ```
    """

    def __init__(
        self, device_mesh: DeviceMesh | None = None, devices: Any = None, auto_shard_dataset: bool = True
    ) -> None:
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    f"`device_mesh` must be a `DeviceMesh`. Received: device_mesh={device_mesh!r} "
                    f"(of type {type(device_mesh).__name__})"
                )
            if device_mesh.devices.ndim != 1:
                warnings.warn(
                    f"DataParallel expects a 1D mesh; received a mesh of shape {device_mesh.shape}. "
                    "Its first axis is used for data parallelism.",
                    stacklevel=2,
                )
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            return
        devices = np.array(list_devices() if devices is None or len(devices) == 0 else devices)
        mesh = DeviceMesh(shape=devices.shape, axis_names=[DEFAULT_BATCH_DIM_NAME], devices=devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """Every weight is replicated."""
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path: str) -> None:
        """Intermediate tensors keep their layout."""
        return None

    def _apply(self, model: Any) -> bool:
        self._check_processes()
        return process_group.is_active()


class ModelParallel(Distribution):
    """Model parallelism: the weights a `LayoutMap` matches are split over the mesh.

    Each process stores only its slice of a matched trainable weight, and the optimizer keeps
    state for that slice only; the other weights are replicated (from rank 0). A layer's call
    gathers its full weights (a differentiable all-gather, so each process's gradient reaches
    its slice) and the backward pass gathers them again rather than keeping them, so one
    layer's full weights at a time is what each process needs beyond its slices (FSDP-style).
    On torch every process runs the global batches: the mesh's batch axis does not split the
    data, and a layer's weights are full only inside its own call. `save`,
    `get_weights` and the other readers give the full weights (they gather, so call them on
    every process; only rank 0 writes files). A model not built yet is split at its first call.

    Args:
        layout_map: a `LayoutMap` from weight paths (`weight.path`, e.g. `"dense/kernel"`) to
            layouts; its mesh is the distribution's mesh.
        batch_dim_name: the mesh axis of the data's batch axis; the mesh's first axis by default.
        auto_shard_dataset: only `True`.

    Example:
    ```python
    mesh = keras.distribution.DeviceMesh((2,), ["model"])  # under torchrun --nproc_per_node=2
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    keras.distribution.set_distribution(keras.distribution.ModelParallel(layout_map=layout_map))
    ```
    """

    def __init__(
        self,
        *,
        layout_map: LayoutMap | None = None,
        batch_dim_name: str | None = None,
        auto_shard_dataset: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("device_mesh", None)  # Keras accepts and ignores it: the mesh is the layout map's
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments for `ModelParallel`: {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("`ModelParallel` needs a `layout_map` argument (a `LayoutMap`).")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                f"`layout_map` must be a `LayoutMap` instance. Received: layout_map={layout_map!r}"
            )
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(
                f"`batch_dim_name` must be one of the mesh's axis names {mesh.axis_names}. "
                f"Received: batch_dim_name={batch_dim_name!r}"
            )
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def num_model_replicas(self) -> int:
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """The layout the `LayoutMap` gives the variable's path, else a replicated one."""
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(getattr(variable, "keras_shape", variable.shape)), self.device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]

    def _apply(self, model: Any) -> bool:
        from torchkeras.distribution import sharded_variable

        self._check_processes()
        if process_group.is_active():
            sharded_variable.shard_model(model, self)
        return False


# ------------------------------------------------------------------- tensors, the global


def distribute_tensor(tensor: Any, layout: TensorLayout | Sequence[Any]) -> Any:
    """Lays `tensor` out over a mesh: returns a `torch.distributed.tensor.DTensor`.

    Every process passes the same global tensor (process 0's value is the one kept); each then
    holds its slice. A symbolic tensor (`keras.Input`) is returned unchanged, and outside a
    process group the tensor itself is returned.

    Args:
        tensor: the global tensor (or a `DTensor`, which is redistributed).
        layout: a `TensorLayout` with a mesh, or torch placements for the current distribution's mesh.
    """
    from torch.distributed.tensor import DTensor
    from torch.distributed.tensor import distribute_tensor as torch_distribute_tensor

    if type(tensor).__name__ == "KerasTensor":
        return tensor
    if isinstance(layout, TensorLayout):
        mesh, placements = layout.device_mesh, layout.backend_layout
    else:
        current = distribution()
        if current is None:
            raise ValueError(
                "`layout` must be a `TensorLayout`, or placements with a distribution set. Received: "
                f"layout={layout!r}"
            )
        mesh, placements = current.device_mesh, tuple(layout)
    if isinstance(tensor, DTensor):
        return tensor.redistribute(mesh.backend_mesh, placements)
    if not process_group.is_active():
        return tensor
    tensor = torch.as_tensor(tensor)
    if isinstance(layout, TensorLayout) and len(layout.axes) != tensor.ndim:
        raise ValueError(
            f"The layout has {len(layout.axes)} axes but the tensor has {tensor.ndim}. "
            f"Received: layout={layout}, tensor.shape={tuple(tensor.shape)}"
        )
    device = process_group.local_device() if mesh._ranks()[0] == "cuda" else torch.device("cpu")
    return torch_distribute_tensor(tensor.to(device), mesh.backend_mesh, placements)


_state = threading.local()


def distribution() -> Distribution | None:
    """Returns the current distribution (set with `set_distribution` or `Distribution.scope()`)."""
    return getattr(_state, "distribution", None)


def set_distribution(value: Distribution | None) -> None:
    """Sets the distribution `fit`, `evaluate` and `predict` use (`None` to clear it).

    Args:
        value: a `DataParallel` or `ModelParallel` instance, or `None`.
    """
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"`value` must be a `Distribution` or None. Received: value={value!r}")
    _state.distribution = value
