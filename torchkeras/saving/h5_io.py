"""Keras's HDF5 weights layout (`model.weights.h5`, `*.weights.h5`), through the optional h5py.

Each object's variables sit in a `<path>/vars` group (`vars` at the root for the model's own), as
datasets `"0"`, `"1"`, ..., with the object's name as the group's `name` attribute. Reading refuses
what could reach outside the file or blow up memory: soft and external links, external or virtual
datasets, non-numeric data, and datasets declaring far more data than they store.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["H5Entry", "read_h5", "read_text", "require_h5py", "write_h5"]

_MAX_OBJECTS = 1_000_000
_MAX_DEPTH = 64
_BOMB_FLOOR_BYTES = 1 << 20  # datasets declaring more than this must store at least 1/1000 of it
_MAX_EXPANSION = 1000


def require_h5py(purpose: str) -> Any:
    """Imports h5py, or explains how to get it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{purpose} needs the optional `h5py` package. Install torchkeras's `h5` extra "
            '(`pip install -e ".[h5]"` from a checkout) or `pip install h5py`.'
        ) from None
    return h5py


def write_h5(
    groups: Mapping[str, Mapping[str, torch.Tensor]],
    names: Mapping[str, str | None],
    extra_text: Mapping[str, str] | None = None,
) -> bytes:
    """An HDF5 file in Keras's layout, as bytes; `extra_text` entries become root datasets of
    UTF-8 bytes (which Keras does not read)."""
    h5py = require_h5py("Writing `.h5` weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as file:
        for name, text in (extra_text or {}).items():
            file.create_dataset(name, data=np.frombuffer(text.encode(), dtype=np.uint8))
        for path, tensors in groups.items():
            parent = file.require_group(path) if path else file
            group = parent.create_group("vars")
            if names.get(path):
                group.attrs["name"] = names[path]
            for key, tensor in tensors.items():
                if tensor.dtype == torch.bfloat16:
                    group.create_dataset(key, data=tensor.float().cpu().numpy()).attrs["dtype"] = "bfloat16"
                else:
                    group.create_dataset(key, data=tensor.detach().cpu().numpy())
    return buffer.getvalue()


def read_text(file: Any, name: str, origin: str) -> str | None:
    """The UTF-8 text of the root dataset `name` written by `write_h5` (`None` when absent)."""
    h5py = require_h5py(f"Reading {origin!r}")
    if name not in file:
        return None
    link = file.get(name, getlink=True)
    dataset = file[name]
    if not isinstance(link, h5py.HardLink) or not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"Cannot load {origin!r}: {name} is not a plain dataset.")
    entry = _entry(dataset, name, origin)
    if entry.dtype != torch.uint8 or len(entry.shape) != 1:
        raise ValueError(f"Cannot load {origin!r}: {name} is not a 1-D uint8 dataset.")
    try:
        return entry.read().numpy().tobytes().decode()
    except UnicodeDecodeError as error:
        raise ValueError(f"Cannot load {origin!r}: {name} is not UTF-8 text ({error}).") from None


class H5Entry:
    """A validated dataset: `shape`, `dtype` (torch), and `read()`."""

    def __init__(self, dataset: Any, dtype: torch.dtype, bfloat16_bits: bool):
        self.dataset = dataset
        self.shape = tuple(int(d) for d in dataset.shape)
        self.dtype = dtype
        self._bits = bfloat16_bits

    def read(self) -> torch.Tensor:
        array = np.asarray(self.dataset[()])
        if self._bits:
            return torch.from_numpy(array.view(np.uint16).copy()).view(torch.bfloat16)
        tensor = torch.from_numpy(array if array.flags.c_contiguous else array.copy(order="C"))
        return tensor.to(self.dtype) if tensor.dtype != self.dtype else tensor


def read_h5(source: str | os.PathLike | bytes, origin: str) -> tuple[Any, dict[str, dict[str, H5Entry]]]:
    """Opens Keras-layout HDF5 weights; returns `(open file, {path: {key: H5Entry}})`.

    The caller closes the file once the entries are read.

    Raises:
        ValueError: naming `origin`, for a file that is not HDF5 or holds anything unsafe.
    """
    h5py = require_h5py(f"Reading {origin!r}")
    try:
        file = h5py.File(io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source), "r")
    except OSError as error:
        raise ValueError(f"Cannot load {origin!r}: not a valid HDF5 file ({error}).") from None
    try:
        groups: dict[str, dict[str, H5Entry]] = {}
        _collect(h5py, file, "", groups, origin, [0])
        if not groups and "layer_names" in file.attrs:
            raise ValueError(
                f"Cannot load {origin!r}: it is a legacy Keras 2 HDF5 file, which torchkeras does not read. "
                "Re-save it with Keras 3 as `.keras` or `.weights.h5`."
            )
    except BaseException:
        file.close()
        raise
    return file, groups


def _collect(h5py: Any, group: Any, path: str, groups: dict, origin: str, count: list[int]) -> None:
    if path.count("/") >= _MAX_DEPTH:
        raise ValueError(f"Cannot load {origin!r}: groups nest deeper than {_MAX_DEPTH} levels.")
    for name in list(group.keys()):
        count[0] += 1
        if count[0] > _MAX_OBJECTS:
            raise ValueError(f"Cannot load {origin!r}: more than {_MAX_OBJECTS} objects.")
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            kind = type(link).__name__
            raise ValueError(f"Cannot load {origin!r}: links are refused ({kind} at {path}/{name}).")
        child = group[name]
        child_path = f"{path}/{name}" if path else name
        if name == "vars" and isinstance(child, h5py.Group):
            groups[path] = _entries(h5py, child, child_path, origin)
        elif isinstance(child, h5py.Group):
            _collect(h5py, child, child_path, groups, origin, count)


def _entries(h5py: Any, group: Any, path: str, origin: str) -> dict[str, H5Entry]:
    entries = {}
    for key in list(group.keys()):
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            kind = type(link).__name__
            raise ValueError(f"Cannot load {origin!r}: links are refused ({kind} at {path}/{key}).")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"Cannot load {origin!r}: {path}/{key} is not a dataset.")
        entries[key] = _entry(dataset, f"{path}/{key}", origin)
    return entries


def _entry(dataset: Any, where: str, origin: str) -> H5Entry:
    if dataset.external:
        raise ValueError(f"Cannot load {origin!r}: dataset {where} reads external files; refused.")
    if dataset.is_virtual:
        raise ValueError(f"Cannot load {origin!r}: dataset {where} is virtual; refused.")
    dtype = dataset.dtype
    bfloat16 = dataset.attrs.get("dtype") in ("bfloat16", b"bfloat16")
    if bfloat16 and dtype.itemsize == 2 and dtype.kind in "Vu":
        torch_dtype, bits = torch.bfloat16, True
    elif dtype.kind in "biufc" and dtype.fields is None and dtype.subdtype is None:
        torch_dtype, bits = (
            (torch.bfloat16 if bfloat16 else torch.from_numpy(np.zeros((), dtype)).dtype),
            False,
        )
    else:
        raise ValueError(f"Cannot load {origin!r}: dataset {where} has non-numeric dtype {dtype}.")
    declared = math.prod(dataset.shape) * dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * stored:
        raise ValueError(
            f"Cannot load {origin!r}: dataset {where} declares {declared} bytes but stores {stored}; "
            "refusing a possible decompression bomb."
        )
    return H5Entry(dataset, torch_dtype, bits)
