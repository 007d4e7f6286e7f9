"""The one atomic file writer used by every save (`save`, `save_weights`, checkpoints, backups).

The payload is fully serialized before the target folder is touched; it is written to a temporary
file next to the target, flushed and fsynced, then moved over the target with `os.replace`. If
anything fails on the way (an exception, a full disk, Ctrl-C), the temporary file is removed and a
file already at the target is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable

__all__ = ["BytesLike", "ask_to_proceed_with_overwrite", "atomic_write", "read_limited"]

BytesLike = bytes | bytearray | memoryview


def _file_mode() -> int:
    """The permission bits a plain `open(path, "w")` would give a new file (0o666 minus umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _writes_here() -> bool:
    """False on the ranks other than 0 of a distributed run: only rank 0 writes files."""
    distributed = sys.modules.get("torch.distributed")
    return not (
        distributed is not None
        and distributed.is_available()
        and distributed.is_initialized()
        and distributed.get_rank() != 0
    )


def atomic_write(filepath: str | os.PathLike, payload: BytesLike | Iterable[BytesLike]) -> None:
    """Writes `payload` (bytes, or a sequence of byte chunks) to `filepath` atomically.

    The chunks are collected before anything is written, so a failure while producing them
    never reaches the disk. After a successful return the file holds exactly the payload; after
    any failure (including `KeyboardInterrupt`) no temporary file remains and an existing file at
    `filepath` is unchanged.

    In a distributed run only rank 0 writes; on the other ranks this returns at once.

    Raises:
        OSError: when the folder does not exist or cannot be written (naming the path).
    """
    path = os.fspath(filepath)
    if not _writes_here():
        return
    chunks = [payload] if isinstance(payload, (bytes, bytearray, memoryview)) else list(payload)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is an existing directory.")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {path!r}: the folder {folder!r} does not exist.")
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else _file_mode()
    descriptor, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), mode)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Makes the rename durable (POSIX); a no-op where folders cannot be opened."""
    if sys.platform.startswith("win"):
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_limited(filepath: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """Reads a whole file, refusing files larger than `limit` bytes (with a message naming it)."""
    path = os.fspath(filepath)
    size = os.path.getsize(path)
    if size > limit:
        raise ValueError(
            f"Cannot load {path!r}: the {what} is {size} bytes, over the limit of {limit} bytes."
        )
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(
            f"Cannot load {path!r}: the {what} grew past the limit of {limit} bytes while reading."
        )
    return data


def ask_to_proceed_with_overwrite(filepath: str | os.PathLike) -> bool:
    """Asks on the console whether to overwrite `filepath` (Keras's prompt for `overwrite=False`)."""
    answer = input(f"[WARNING] {os.fspath(filepath)} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True
