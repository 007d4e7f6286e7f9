"""The safetensors format, written and read strictly (no pickle: a JSON header, then raw bytes).

Layout: an 8-byte little-endian header length, a JSON header mapping each tensor name to its
`dtype`, `shape` and `data_offsets` (plus an optional `__metadata__` of strings), then the tensors'
bytes back to back. Reading checks the whole header before any data is read: known dtypes, sizes
that match the shapes, offsets that tile the data exactly (no gaps, overlaps or trailing bytes).
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

import torch

from torchkeras.saving.serialization import MAX_CONFIG_BYTES, parse_config_json

__all__ = ["SafetensorsFile", "StoredTensor", "encode"]

MAX_HEADER_BYTES = MAX_CONFIG_BYTES  # the header holds the model config

DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "U16": torch.uint16, "U32": torch.uint32, "U64": torch.uint64, "BOOL": torch.bool,
    "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2, "C64": torch.complex64,
}  # fmt: skip
_CODES = {dtype: code for code, dtype in DTYPES.items()}


def _raw_bytes(tensor: torch.Tensor) -> memoryview:
    tensor = tensor.detach().to("cpu").contiguous()
    if tensor.numel() == 0:
        return memoryview(b"")
    return memoryview(tensor.reshape(-1).view(torch.uint8).numpy())


def encode(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> list[Any]:
    """The file's bytes as a list of chunks (header, then each tensor's data), ready to write."""
    if sys.byteorder != "little":
        raise OSError("Writing safetensors files needs a little-endian machine.")
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks: list[Any] = []
    offset = 0
    for name, tensor in tensors.items():
        if tensor.dtype not in _CODES:
            raise ValueError(f"Cannot save tensor {name!r}: dtype {tensor.dtype} has no safetensors code.")
        data = _raw_bytes(tensor)
        header[name] = {"dtype": _CODES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + data.nbytes]}  # fmt: skip
        offset += data.nbytes
        chunks.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so tensor data starts 8-byte aligned
    return [struct.pack("<Q", len(text)), text, *chunks]


class StoredTensor:
    """A tensor inside an open file: `shape` and `dtype` are known, `read()` fetches the data."""

    def __init__(
        self, file: BinaryIO, start: int, size: int, shape: tuple[int, ...], dtype: torch.dtype, origin: str
    ):
        self.file, self.start, self.size, self.origin = file, start, size, origin
        self.shape, self.dtype = shape, dtype

    def read(self) -> torch.Tensor:
        if self.size == 0:
            return torch.empty(self.shape, dtype=self.dtype)
        self.file.seek(self.start)
        data = self.file.read(self.size)
        if len(data) != self.size:
            raise ValueError(f"{self.origin}: the file is truncated (a tensor's data ends past the end).")
        return torch.frombuffer(bytearray(data), dtype=self.dtype).reshape(self.shape)


class SafetensorsFile:
    """An open safetensors file, its header fully validated. Use as a context manager.

    Attributes:
        metadata: the `__metadata__` dict of strings (empty when absent).
        tensors: name -> `StoredTensor`, in file order.

    Raises:
        ValueError: naming the path, for anything malformed.
        OSError: when the file cannot be opened.
    """

    def __init__(self, filepath: str | os.PathLike | BinaryIO, origin: str | None = None):
        if hasattr(filepath, "read"):
            self.path, self.file = origin or "<bytes>", filepath
        else:
            self.path = origin or os.fspath(filepath)
            self.file = open(os.fspath(filepath), "rb")  # noqa: SIM115 (closed by __exit__ / close)
        try:
            self._read_header()
        except BaseException:
            self.file.close()
            raise

    def __enter__(self) -> SafetensorsFile:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self.file.close()

    def _fail(self, problem: str) -> ValueError:
        return ValueError(f"Cannot load {self.path!r}: not a valid safetensors file ({problem}).")

    def _read_header(self) -> None:
        size = self.file.seek(0, os.SEEK_END)
        self.file.seek(0)
        prefix = self.file.read(8)
        if len(prefix) < 8:
            raise self._fail(f"the file is {size} bytes, too short for a header")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise self._fail(f"the header declares {length} bytes but the file holds {size}")
        text = self.file.read(length)
        if not text.lstrip().startswith(b"{"):
            raise self._fail("the header is not a JSON object")
        try:
            header = parse_config_json(text, "the header", unique_keys=True)
        except ValueError as error:
            raise self._fail(str(error)) from None
        if not isinstance(header, dict):
            raise self._fail("the header is not a JSON object")
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise self._fail("`__metadata__` must map strings to strings")
        self.metadata: dict[str, str] = metadata
        data_start, data_size = 8 + length, size - 8 - length
        spans = []
        self.tensors: dict[str, StoredTensor] = {}
        for name, info in header.items():
            shape, dtype, begin, end = self._check_entry(name, info)
            spans.append((begin, end, name))
            self.tensors[name] = StoredTensor(
                self.file, data_start + begin, end - begin, shape, dtype, self.path
            )
        position = 0
        for begin, end, name in sorted(spans):
            if begin != position:
                raise self._fail(
                    f"tensor {name!r} starts at byte {begin}, expected {position} (gap or overlap)"
                )
            position = end
        if position != data_size:
            raise self._fail(f"the tensors cover {position} bytes of data but the file holds {data_size}")

    def _check_entry(self, name: str, info: Any) -> tuple[tuple[int, ...], torch.dtype, int, int]:
        if not name or len(name) > 4096:
            raise self._fail(f"invalid tensor name {name[:80]!r}")
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise self._fail(f"entry {name!r} must hold exactly 'dtype', 'shape' and 'data_offsets'")
        dtype = DTYPES.get(info["dtype"]) if isinstance(info["dtype"], str) else None
        shape, offsets = info["shape"], info["data_offsets"]
        if dtype is None:
            raise self._fail(f"tensor {name!r} has unknown dtype {info['dtype']!r}")
        if not isinstance(shape, list) or len(shape) > 64 or not all(_is_count(d) for d in shape):
            raise self._fail(f"tensor {name!r} has invalid shape {shape!r}")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets):
            raise self._fail(f"tensor {name!r} has invalid data_offsets {offsets!r}")
        begin, end = offsets
        expected = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
        if end < begin or end - begin != expected:
            raise self._fail(
                f"tensor {name!r} of shape {shape} needs {expected} bytes, its offsets give {end - begin}"
            )
        return tuple(shape), dtype, begin, end


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
