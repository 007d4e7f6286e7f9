"""Asset files: what a few layers keep beside their weights, such as a lookup layer's vocabulary.

In a `.keras` archive they are members `assets/<layer path>/<file name>`, exactly where Keras
writes and reads them; in a `.safetensors` file they are text in the `assets` metadata entry.
A layer takes part by defining `_asset_files() -> {name: bytes}` and
`_load_asset_files({name: bytes})`; loading hands each layer only the files under its own path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from torchkeras.saving.saveables import walk

__all__ = ["collect_assets", "decode_metadata", "encode_metadata", "restore_assets"]

_PREFIX = "assets/"


def _member(path: str, name: str) -> str:
    return f"{_PREFIX}{path}/{name}" if path else f"{_PREFIX}{name}"


def collect_assets(model: Any) -> dict[str, bytes]:
    """`{archive member name: bytes}` for every layer of `model` that keeps asset files."""
    members = {}
    for saveable in walk(model, include_optimizer=False):
        for name, data in saveable.assets().items():
            members[_member(saveable.path, name)] = data
    return members


def restore_assets(model: Any, members: Mapping[str, bytes]) -> None:
    """Gives each layer that keeps assets the files stored under its path."""
    by_path: dict[str, dict[str, bytes]] = {}
    for member, data in members.items():
        if member.startswith(_PREFIX):
            path, _, name = member[len(_PREFIX) :].rpartition("/")
            by_path.setdefault(path, {})[name] = data
    for saveable in walk(model, include_optimizer=False):
        load = getattr(saveable.obj, "_load_asset_files", None)
        if saveable.kind == "layer" and load is not None:
            load(by_path.get(saveable.path, {}))


def encode_metadata(members: Mapping[str, bytes]) -> str:
    """Asset members as one JSON text (a safetensors metadata value)."""
    return json.dumps({member: data.decode("utf-8") for member, data in members.items()})


def decode_metadata(text: str, source: str) -> dict[str, bytes]:
    """Inverse of `encode_metadata`, checking the structure."""
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{source}: the `assets` metadata is not valid JSON ({error})") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and k.startswith(_PREFIX) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise ValueError(f"{source}: the `assets` metadata must map 'assets/...' names to text")
    return {member: text.encode("utf-8") for member, text in parsed.items()}
