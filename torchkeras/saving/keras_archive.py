"""The `.keras` zip archive: written as Keras 3 writes it, read back under strict checks.

Members are matched by exact name (`config.json`, `metadata.json`, one weights file, and asset
files such as vocabularies under `assets/`), their
declared and read sizes are bounded (zip bombs), nothing is extracted to disk, and the archive's
byte layout is verified end to end: no unknown, duplicate or encrypted members, nothing before
the first member, between members, or after the end record.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable, Sequence

__all__ = ["ASSET_LIMIT", "MAX_ASSETS", "MEMBER_LIMITS", "read_archive", "write_archive"]

_CONFIG_LIMIT = 64 * 2**20
MEMBER_LIMITS = {
    "config.json": _CONFIG_LIMIT,
    "metadata.json": _CONFIG_LIMIT,
    "model.weights.h5": 1 << 40,
    "model.weights.safetensors": 1 << 40,
}
ASSET_LIMIT = 256 * 2**20  # one asset file (e.g. a vocabulary), under `assets/<layer path>/`
MAX_ASSETS = 10_000
_WEIGHTS = ("model.weights.h5", "model.weights.safetensors")
_MAX_EXPANSION = 100  # a member may not decompress to more than this many times its stored size...
_BOMB_FLOOR = 2**20  # ...once it is larger than this (small enough that no config can expand past it)
_DATE = (1980, 1, 1, 0, 0, 0)


def write_archive(members: Sequence[tuple[str, bytes]]) -> bytes:
    """The archive's bytes: each `(name, data)` stored uncompressed, in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=_DATE), data)
    return buffer.getvalue()


def read_archive(filepath: str | os.PathLike) -> dict[str, bytes]:
    """Reads a `.keras` archive's members into memory after checking its structure.

    Returns:
        `{member name: bytes}` with `config.json`, optionally `metadata.json`, one weights file, and
        any `assets/...` files.

    Raises:
        ValueError: naming the path and the problem, for anything unexpected.
    """
    path = os.fspath(filepath)

    def fail(problem: str) -> ValueError:
        return ValueError(f"Cannot load {path!r}: {problem}.")

    try:
        archive = zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as error:
        raise fail(f"not a valid .keras (zip) archive ({error})") from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise fail("the archive lists a member twice")
        if sum(name.startswith("assets/") for name in names) > MAX_ASSETS:
            raise fail(f"the archive holds more than {MAX_ASSETS} asset files")
        for info in infos:
            _check_member(info, fail)
        if "config.json" not in names:
            raise fail("the archive has no config.json")
        if sum(name in _WEIGHTS for name in names) != 1:
            raise fail(f"the archive must hold exactly one weights file ({' or '.join(_WEIGHTS)})")
        _check_layout(path, infos, fail)
        members = {}
        for info in infos:
            with archive.open(info) as member:
                data = member.read(info.file_size + 1)
            if len(data) != info.file_size:
                raise fail(
                    f"member {info.filename!r} holds {len(data)} bytes, not the {info.file_size} it declares"
                )
            members[info.filename] = data
    return members


def _check_member(info: zipfile.ZipInfo, fail: Callable[[str], ValueError]) -> None:
    name = info.filename
    if name == "model.weights.npz":
        raise fail(
            "its weights are in Keras's experimental npz format, which stores pickled objects; "
            "torchkeras never unpickles. Re-save the model with Keras's default (h5) weights"
        )
    if name.startswith("assets/"):
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts[1:]) or "\\" in name:
            raise fail(f"unexpected asset member name {name[:200]!r}")
    elif name not in MEMBER_LIMITS:
        raise fail(f"unexpected archive member {name[:200]!r}")
    if info.flag_bits & 0x1:
        raise fail(f"member {name!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise fail(f"member {name!r} uses an unsupported compression method")
    limit = MEMBER_LIMITS.get(name, ASSET_LIMIT)
    if info.file_size > limit:
        raise fail(f"member {name[:200]!r} declares {info.file_size} bytes, over the limit of {limit}")
    if info.file_size > _BOMB_FLOOR and info.file_size > _MAX_EXPANSION * max(info.compress_size, 1):
        raise fail(
            f"member {name!r} declares {info.file_size} bytes but stores {info.compress_size}; "
            "refusing a possible decompression bomb"
        )


def _check_layout(path: str, infos: list[zipfile.ZipInfo], fail: Callable[[str], ValueError]) -> None:
    """Members must tile the file from byte 0 up to the central directory, which must be followed
    by the end records and nothing else."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size < 22:
            raise fail("the archive is truncated")
        file.seek(size - 22)
        end = file.read(22)
        if end[:4] != b"PK\x05\x06" or struct.unpack("<H", end[20:22])[0] != 0:
            raise fail("unexpected bytes after the archive's end record (or an archive comment)")
        directory_size, directory_offset = struct.unpack("<II", end[12:20])
        directory_end = size - 22
        if directory_offset == 0xFFFFFFFF or directory_size == 0xFFFFFFFF:
            file.seek(size - 42)
            locator = file.read(20)
            if locator[:4] != b"PK\x06\x07":
                raise fail("the archive's zip64 locator is missing")
            (record_offset,) = struct.unpack("<Q", locator[8:16])
            file.seek(record_offset)
            record = file.read(56)
            if record[:4] != b"PK\x06\x06" or record_offset + 56 != size - 42:
                raise fail("the archive's zip64 end record is misplaced")
            directory_size, directory_offset = struct.unpack("<QQ", record[40:56])
            directory_end = record_offset
        if directory_offset + directory_size != directory_end:
            raise fail("unexpected bytes between the central directory and the end record")
        position = 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            if info.header_offset != position:
                raise fail(f"unexpected bytes before member {info.filename!r}")
            file.seek(position)
            header = file.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                raise fail(f"member {info.filename!r} has no local header")
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            position += 30 + name_length + extra_length + info.compress_size
            if info.flag_bits & 0x8:  # a data descriptor follows the data
                file.seek(position)
                signature = file.read(4) == b"PK\x07\x08"
                position += (4 if signature else 0) + (20 if info.file_size >= 0xFFFFFFFF else 12)
        if position != directory_offset:
            raise fail("unexpected bytes between the last member and the central directory")
