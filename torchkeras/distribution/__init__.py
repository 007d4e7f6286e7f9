"""Keras's distribution API on `torch.distributed` (`keras.distribution`).

`DataParallel` is `DistributedDataParallel`, one process per device; `ModelParallel` splits the
weights a `LayoutMap` matches over a `DeviceMesh` (torch DTensor placements). Launch one process
per device (`torchrun --nproc_per_node=N script.py`, or `initialize(...)` on each process).
"""

from torchkeras.distribution.distribution_lib import (
    DataParallel,
    DeviceMesh,
    LayoutMap,
    ModelParallel,
    TensorLayout,
    distribute_tensor,
    distribution,
    get_device_count,
    initialize,
    list_devices,
    set_distribution,
)

__all__ = [
    "DataParallel",
    "DeviceMesh",
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
