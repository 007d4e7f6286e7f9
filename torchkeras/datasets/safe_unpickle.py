"""Reading the pickle streams inside Keras's dataset files without running any code.

CIFAR batches are pickled dicts, and the IMDB and Reuters `.npz` files hold NumPy object arrays
(ragged lists of word indices), which NumPy can only store as pickles. This module never calls
the `pickle` machinery: it walks the opcodes with `pickletools.genops` (a decoder that executes
nothing) and interprets the few that plain data needs. The only globals admitted are NumPy's
array reconstruction (`_reconstruct`, `ndarray`, `dtype`, and `_frombuffer` for protocol 5) and
`_codecs.encode` (how protocol 2 spells bytes); each is replaced by a local builder that accepts
only plain values. Any other global, any other callable and any opcode outside the list raises
`ValueError`, so a hostile file is refused instead of run.
"""

from __future__ import annotations

import io
import pickletools
import re
import zipfile
from typing import Any

import numpy as np

__all__ = ["load_npz", "read_pickle_stream"]

# Caps that keep a crafted file from exhausting memory; the real files are far below them.
MAX_STREAM_BYTES = 1 << 30
MAX_MEMO_ENTRIES = 10_000_000
_DTYPE_PATTERN = re.compile(r"^[|<>=]?(?:[biuf][1248]|f16|c8|c16|O8?|b1|u1|i1)$")


class _Global:
    """A global that the allowlist admits; calling it goes through `build`."""

    def __init__(self, name: str) -> None:
        self.name = name


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): "reconstruct",
    ("numpy._core.multiarray", "_reconstruct"): "reconstruct",
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("numpy.core.numeric", "_frombuffer"): "frombuffer",
    ("numpy._core.numeric", "_frombuffer"): "frombuffer",
    ("_codecs", "encode"): "encode",
}


class _ArrayUnderConstruction:
    """`_reconstruct(ndarray, shape, typecode)` waiting for the `BUILD` that fills it."""

    array: np.ndarray | None = None


class _DTypeUnderConstruction:
    """`dtype(name, align, copy)` waiting for the `BUILD` that sets its byte order."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not _DTYPE_PATTERN.match(name):
            raise ValueError(f"Refusing array dtype {name!r} in a dataset file.")
        self.dtype = np.dtype(name)


def _call(function: Any, args: Any) -> Any:
    if not isinstance(function, _Global) or not isinstance(args, tuple):
        raise ValueError("Refusing a call in a dataset file: only NumPy array reconstruction is allowed.")
    if function.name == "reconstruct":
        if len(args) != 3 or not (isinstance(args[0], _Global) and args[0].name == "ndarray"):
            raise ValueError("Refusing an unexpected array reconstruction in a dataset file.")
        return _ArrayUnderConstruction()
    if function.name == "dtype":
        return _DTypeUnderConstruction(args[0] if args else None)
    if function.name == "frombuffer":  # protocol 5: (data, dtype, shape, order)
        if len(args) != 4 or not isinstance(args[1], _DTypeUnderConstruction) or args[3] not in ("C", "F"):
            raise ValueError("Refusing an unexpected array buffer in a dataset file.")
        array = _ArrayUnderConstruction()
        _build(array, (1, args[2], args[1], args[3] == "F", args[0]))
        return array
    if function.name == "encode":
        if len(args) != 2 or not isinstance(args[0], str) or args[1] not in ("latin1", "latin-1"):
            raise ValueError("Refusing an unexpected `_codecs.encode` call in a dataset file.")
        return args[0].encode("latin1")
    raise ValueError(f"Refusing to call {function.name!r} in a dataset file.")


def _build(target: Any, state: Any) -> None:
    if isinstance(target, _DTypeUnderConstruction):
        if isinstance(state, tuple) and len(state) > 1 and state[1] in ("<", ">"):
            target.dtype = target.dtype.newbyteorder(state[1])
        return
    if not isinstance(target, _ArrayUnderConstruction) or not isinstance(state, tuple) or len(state) != 5:
        raise ValueError("Refusing an unexpected object state in a dataset file.")
    _, shape, dtype, fortran, data = state
    if not isinstance(dtype, _DTypeUnderConstruction):
        raise ValueError("Refusing an array without a plain dtype in a dataset file.")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ValueError(f"Refusing an array of shape {shape!r} in a dataset file.")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    order = "F" if fortran else "C"
    if dtype.dtype == object:
        if not isinstance(data, list) or len(data) != count:
            raise ValueError("Refusing an object array whose items do not match its shape.")
        array = np.empty(count, dtype=object)
        array[:] = [_resolve(item) for item in data] if count else []
        target.array = array.reshape(shape, order=order)
        return
    if not isinstance(data, (bytes, bytearray)) or len(data) != count * dtype.dtype.itemsize:
        raise ValueError("Refusing an array whose data does not match its shape and dtype.")
    target.array = np.frombuffer(data, dtype=dtype.dtype).reshape(shape, order=order).copy()


def _resolve(value: Any) -> Any:
    """Replaces finished arrays under construction by the arrays themselves."""
    if isinstance(value, _ArrayUnderConstruction):
        if value.array is None:
            raise ValueError("Refusing an array that was never filled in a dataset file.")
        return value.array
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_resolve(item) for item in value)
    if isinstance(value, dict):
        return {_resolve(key): _resolve(item) for key, item in value.items()}
    if isinstance(value, (_Global, _DTypeUnderConstruction)):
        raise ValueError("Refusing a bare global in a dataset file.")
    return value


def _pop_mark(stack: list, marks: list) -> list:
    if not marks:
        raise ValueError("Malformed dataset file: a pickle opcode needs a missing MARK.")
    start = marks.pop()
    items = stack[start:]
    del stack[start:]
    return items


def read_pickle_stream(data: bytes, encoding: str = "ASCII") -> Any:
    """Interprets a pickle stream that holds only plain data and NumPy arrays.

    Args:
        data: the stream's bytes.
        encoding: how Python 2 `str` objects are decoded; `"bytes"` keeps them as bytes
            (what CIFAR's batches need).

    Returns:
        The dicts, lists, tuples, numbers, strings, bytes and arrays the stream describes.

    Raises:
        ValueError: for any global, call or opcode that plain data does not need.
    """
    if len(data) > MAX_STREAM_BYTES:
        raise ValueError(f"Refusing a pickle stream of {len(data)} bytes (limit {MAX_STREAM_BYTES}).")
    stack: list = []
    marks: list[int] = []
    memo: dict[int, Any] = {}
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(data)):
            name = opcode.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                if len(stack) != 1:
                    raise ValueError("Malformed dataset file: the pickle stack does not end with one value.")
                return _resolve(stack.pop())  # a RecursionError here is caught below
            if name == "MARK":
                marks.append(len(stack))
            elif name == "POP":
                stack.pop()
            elif name == "POP_MARK":
                _pop_mark(stack, marks)
            elif name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name in ("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"):
                stack.append(arg)
            elif name in ("FLOAT", "BINFLOAT"):
                stack.append(float(arg))
            elif name in ("BINSTRING", "SHORT_BINSTRING", "STRING"):
                raw = arg.encode("latin1") if isinstance(arg, str) else arg
                stack.append(raw if encoding == "bytes" else raw.decode(encoding))
            elif name in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"):
                stack.append(bytes(arg))
            elif name in ("UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"):
                stack.append(str(arg))
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name == "LIST":
                stack.append(_pop_mark(stack, marks))
            elif name == "APPEND":
                item = stack.pop()
                _container(stack, list).append(item)
            elif name == "APPENDS":
                items = _pop_mark(stack, marks)
                _container(stack, list).extend(items)
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "TUPLE":
                stack.append(tuple(_pop_mark(stack, marks)))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                size = int(name[-1])
                if len(stack) < size:
                    raise ValueError("Malformed dataset file: pickle stack underflow.")
                items = tuple(stack[-size:])
                del stack[-size:]
                stack.append(items)
            elif name == "EMPTY_DICT":
                stack.append({})
            elif name == "DICT":
                items = _pop_mark(stack, marks)
                stack.append(_pairs_to_dict({}, items))
            elif name == "SETITEM":
                value = stack.pop()
                key = stack.pop()
                _pairs_to_dict(_container(stack, dict), [key, value])
            elif name == "SETITEMS":
                items = _pop_mark(stack, marks)
                _pairs_to_dict(_container(stack, dict), items)
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "GLOBAL":
                    module, _, attribute = arg.partition(" ")
                else:
                    attribute = stack.pop()
                    module = stack.pop()
                key = (module, attribute)
                if key not in _ALLOWED_GLOBALS:
                    raise ValueError(f"Refusing to load `{module}.{attribute}` from a dataset file.")
                stack.append(_Global(_ALLOWED_GLOBALS[key]))
            elif name == "REDUCE":
                args = stack.pop()
                function = stack.pop()
                stack.append(_call(function, args))
            elif name == "BUILD":
                state = stack.pop()
                _build(stack[-1], state)
            elif name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                if len(memo) >= MAX_MEMO_ENTRIES:
                    raise ValueError("Refusing a pickle stream with too many memo entries.")
                memo[len(memo) if name == "MEMOIZE" else int(arg)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[int(arg)])
            else:
                raise ValueError(f"Refusing pickle opcode {name} in a dataset file.")
    except (IndexError, KeyError, RecursionError) as error:
        raise ValueError(f"Malformed pickle stream in a dataset file: {error!r}") from None
    raise ValueError("Malformed dataset file: the pickle stream has no STOP opcode.")


def _container(stack: list, kind: type) -> Any:
    if not stack or not isinstance(stack[-1], kind):
        raise ValueError(f"Malformed dataset file: expected a {kind.__name__} on the pickle stack.")
    return stack[-1]


def _pairs_to_dict(target: dict, items: list) -> dict:
    if len(items) % 2:
        raise ValueError("Malformed dataset file: a dict has a key without a value.")
    for key, value in zip(items[::2], items[1::2]):
        if not isinstance(key, (str, bytes, int, float, bool, type(None), tuple)):
            raise ValueError("Refusing a dict key that is not a plain value in a dataset file.")
        target[key] = value
    return target


def _read_npy(raw: bytes) -> np.ndarray:
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"Unsupported .npy format version {version} in a dataset file.")
    body = raw[stream.tell() :]
    if dtype.hasobject:
        array = read_pickle_stream(body, encoding="latin1")
        if not isinstance(array, np.ndarray):
            raise ValueError("Refusing an object-array member that does not hold an array.")
        return array
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(body) < count * dtype.itemsize:
        raise ValueError("Truncated array in a dataset file.")
    flat = np.frombuffer(body, dtype=dtype, count=count)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Reads every array of an `.npz` file; object arrays go through `read_pickle_stream`."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > MAX_STREAM_BYTES:
                raise ValueError(f"Refusing the {info.file_size}-byte member {info.filename!r} of {path}.")
            arrays[info.filename[: -len(".npy")]] = _read_npy(archive.read(info))
    return arrays
