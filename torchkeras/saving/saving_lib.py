"""Saving and loading models and weights: the file formats, chosen by the file name.

- `model.save("m.keras")`: Keras 3's archive (`config.json`, `metadata.json`, `model.weights.h5`,
  and `assets/...` files such as vocabularies),
  which Keras itself loads. It needs the optional h5py (the `h5` extra): without it, saving raises
  before writing anything, so no `.keras` file is ever one that Keras cannot read.
- `model.save("m.safetensors")`: one safetensors file; the config JSON is in its `__metadata__`.
- `model.save_weights("w.weights.safetensors")` (native) or `"w.weights.h5"` (Keras's layout,
  needs h5py); `load_weights` also reads `.keras` archives and plain `state_dict()` safetensors.

Every write goes through `torchkeras.utils.io.atomic_write`. Every read names the file in its
errors, checks the whole file before assigning anything, and never runs code from the file.

Loading is bounded by the file: time and memory grow with its size, under fixed caps.

- config JSON and safetensors header (`serialization`): 64 MiB, 1,000,000 values, depth 100,
  counted in one linear pass before `json.loads`.
- `.keras` members (`keras_archive`): config/metadata 64 MiB; an asset 256 MiB, 10,000 assets;
  no member may inflate more than 100x once past 1 MiB.
- h5 weights (`h5_io`): 1,000,000 objects, depth 64; a dataset declaring over 1 MiB must store
  at least 1/1000 of it.
- tensors built from a config (`build_budget`): 4 x the file's stored elements + 2**24
  (`model_from_json`: 2**27), refused before allocating.
- sizes in a config (`build_budget`): `num_thresholds` 100,000, `num_classes` 65,536, token and
  bin counts 2**24.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from torchkeras.layers.layer import Layer
from torchkeras.saving import assets, build_budget, h5_io, keras_archive, safetensors_io, serialization
from torchkeras.saving.random_state import NAME as RANDOM_STATE
from torchkeras.saving.random_state import collect_random_state
from torchkeras.saving.state import collect_state, dtype_kind, flat_key, restore_state, split_flat_key
from torchkeras.utils.io import ask_to_proceed_with_overwrite, atomic_write

__all__ = ["load_model", "load_weights", "model_to_json", "save_model", "save_weights"]

_KERAS_FORMAT_VERSION = "3.15.1"  # the Keras release whose file layout these files follow
_WEIGHTS_SUFFIXES = (".weights.safetensors", ".weights.h5")


def _format_of(path: str) -> str:
    if path.endswith(".weights.safetensors"):
        return "weights.safetensors"
    if path.endswith(".weights.h5"):
        return "weights.h5"
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(".safetensors"):
        return "safetensors"
    if path.endswith((".h5", ".hdf5")):
        return "h5"
    return "unknown"


def _proceed(path: str, overwrite: bool) -> bool:
    return overwrite or not os.path.exists(path) or ask_to_proceed_with_overwrite(path)


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """Turns any failure while loading `path` into a `ValueError` / `OSError` that names it."""
    try:
        yield
    except ImportError:
        raise
    except (ValueError, OSError) as error:
        if repr(path) in str(error) or path in str(error):
            raise
        kind = OSError if isinstance(error, OSError) else ValueError
        raise kind(f"Cannot load {path!r}: {error}") from error
    except Exception as error:
        raise ValueError(f"Cannot load {path!r}: {type(error).__name__}: {error}") from error


# ---------------------------------------------------------------------------------- models


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True, zipped: bool | None = None,
               **kwargs: Any) -> None:  # fmt: skip
    """Saves `model` (config, weights, optimizer state) to a `.keras` or `.safetensors` file.

    Args:
        model: the model.
        filepath: where to save; the suffix picks the format.
        overwrite: when `False` and the file exists, ask on the console first (as Keras).
        zipped: `None` / `True`; unzipped model folders are not supported.
        include_optimizer: keyword only; `False` leaves the optimizer state out.

    Raises:
        ValueError: for another suffix, or an object that cannot be saved safely (e.g. a lambda).
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    path = os.fspath(filepath)
    kind = _format_of(path)
    if zipped is False:
        raise ValueError("`zipped=False` (an unzipped model folder) is not supported; save a `.keras` file.")
    if kind not in ("keras", "safetensors"):
        hint = " To save weights only, use `save_weights()`." if kind.startswith("weights") else ""
        raise ValueError(
            "Invalid filepath extension for saving: use `.keras` (Keras 3's format) or `.safetensors` "
            f"(one safetensors file).{hint} Received: filepath={path}"
        )
    if kind == "keras":
        h5_io.require_h5py("Saving a `.keras` file (its weights are Keras's `model.weights.h5`)")
    if not _proceed(path, overwrite):
        return
    config_json = json.dumps(serialization.serialize_keras_object(model))
    groups, names = collect_state(model, include_optimizer)
    randomness = _random_state_entry(model)
    asset_members = assets.collect_assets(model)
    if kind == "keras":
        payload: Any = keras_archive.write_archive(
            [
                ("metadata.json", _metadata_json().encode()),
                ("config.json", config_json.encode()),
                ("model.weights.h5", h5_io.write_h5(groups, names, randomness)),
                *asset_members.items(),
            ]
        )
    else:
        metadata = {
            "format": "pt",
            "torchkeras_format": "model",
            "config": config_json,
            "metadata": _metadata_json(),
            **randomness,
        }
        if asset_members:
            metadata["assets"] = assets.encode_metadata(asset_members)
        payload = safetensors_io.encode(_flatten(groups), metadata)
    atomic_write(path, payload)


def _random_state_entry(model: Any) -> dict[str, str]:
    """`{NAME: JSON}` of the layers' random streams, or `{}` when no layer has drawn from one."""
    text = collect_random_state(model)
    return {} if text is None else {RANDOM_STATE: text}


def _metadata_json() -> str:
    version = getattr(
        sys.modules.get("torchkeras"), "__version__", "unknown"
    )  # the package, not a higher row
    date = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    return json.dumps(
        {"keras_version": _KERAS_FORMAT_VERSION, "torchkeras_version": version, "date_saved": date}
    )


def _flatten(groups: Mapping[str, Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {
        flat_key(path, key): tensor for path, tensors in groups.items() for key, tensor in tensors.items()
    }


def load_model(
    filepath: str | os.PathLike,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Loads a model saved with `save()` (or by Keras 3 as `.keras`).

    Args:
        filepath: a `.keras` or `.safetensors` file.
        custom_objects: dict mapping names to your own classes and functions.
        compile: whether to compile the model as it was saved.
        safe_mode: accepted for Keras compatibility; loading never runs code from the file.

    Raises:
        ValueError / OSError: naming the file, for anything malformed, unknown or unsafe.
    """
    path = os.fspath(filepath)
    kind = _format_of(path)
    with _naming(path):
        if os.path.isdir(path):
            raise ValueError(
                "unzipped model folders are not supported; load a `.keras` or `.safetensors` file"
            )
        if kind == "keras":
            members = keras_archive.read_archive(path)
            config = serialization.parse_config_json(members["config.json"], f"{path!r} (config.json)")
            with _archive_store(members, path) as (store, randomness):  # its shapes bound the build
                model = _model_from_config(config, custom_objects, compile, safe_mode, store, path)
                restore_state(model, store, path, random_state=randomness)
            assets.restore_assets(model, members)
            return model
        if kind == "safetensors":
            with safetensors_io.SafetensorsFile(path) as file:
                if file.metadata.get("torchkeras_format") != "model" or "config" not in file.metadata:
                    raise ValueError(
                        "this safetensors file holds no model config (load it with `load_weights()`)"
                    )
                config = serialization.parse_config_json(file.metadata["config"], f"{path!r} (config)")
                store = _store(file.tensors, path)
                model = _model_from_config(config, custom_objects, compile, safe_mode, store, path)
                restore_state(model, store, path, random_state=file.metadata.get(RANDOM_STATE))
                origin = f"{path!r} (assets)"
                assets.restore_assets(
                    model, assets.decode_metadata(file.metadata.get("assets", "{}"), origin)
                )
            return model
        raise ValueError(
            "unsupported file: `load_model` reads `.keras` and `.safetensors` files (legacy `.h5` models "
            "and TensorFlow SavedModels are not supported)"
        )


def _model_from_config(
    config: Any, custom_objects: Any, compile: bool, safe_mode: bool, store: Mapping, path: str
) -> Any:
    """The model a file's config describes, built within the budget its stored tensors set
    (`build_budget`): a config that declares more than the file holds is refused before
    allocating."""
    if not isinstance(config, dict):
        raise ValueError("the model config is not a JSON object")
    if not compile:
        config = {key: value for key, value in config.items() if key != "compile_config"}
    build_budget.check_declared_sizes(config, f"{path!r} (config)")
    with build_budget.bounded_build(build_budget.budget_for_store(store), f"{path!r} (config)"):
        model = serialization.deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
    if not isinstance(model, Layer):
        raise ValueError(f"the config describes a {type(model).__name__}, not a model")
    return model


@contextlib.contextmanager
def _archive_store(
    members: dict[str, bytes], path: str
) -> Iterator[tuple[dict[str, dict[str, Any]], str | None]]:
    """The weights store of a `.keras` archive (h5, or safetensors) and the layers' random
    state, open while in the block."""
    if "model.weights.h5" in members:
        origin = f"{path} (model.weights.h5)"
        file, store = h5_io.read_h5(members["model.weights.h5"], origin)
        with file:
            yield store, h5_io.read_text(file, RANDOM_STATE, origin)
        return
    origin = f"{path} (model.weights.safetensors)"
    with safetensors_io.SafetensorsFile(io.BytesIO(members["model.weights.safetensors"]), origin) as file:
        yield _store(file.tensors, path), file.metadata.get(RANDOM_STATE)


def _restore_archive_weights(model: Any, members: dict[str, bytes], path: str, skip_mismatch: bool) -> None:
    with _archive_store(members, path) as (store, randomness):
        restore_state(model, store, path, skip_mismatch, randomness)


def _store(tensors: Mapping[str, Any], path: str) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, Any]] = {}
    for name, entry in tensors.items():
        parts = split_flat_key(name)
        if parts is None:
            raise ValueError(f"unexpected tensor name {name[:200]!r} (expected '<path>/vars/<key>')")
        store.setdefault(parts[0], {})[parts[1]] = entry
    return store


def model_to_json(model: Any, **kwargs: Any) -> str:
    """The model's config as JSON (`json.dumps` keyword arguments are passed through)."""
    return json.dumps(serialization.serialize_keras_object(model), **kwargs)


# --------------------------------------------------------------------------------- weights


def _check_built(model: Any, action: str) -> None:
    if not model.built:
        raise ValueError(
            f"You are {action} a model that has not yet been built. Try building the model first by "
            "calling it on some data or by using `build()`."
        )


def save_weights(
    model: Any, filepath: str | os.PathLike, overwrite: bool = True, max_shard_size: float | None = None
) -> None:
    """Saves the weights (and optimizer state) to `*.weights.safetensors` or `*.weights.h5`."""
    if max_shard_size is not None:
        raise ValueError("Sharded weights (`max_shard_size`) are not supported; save one file.")
    path = os.fspath(filepath)
    kind = _format_of(path)
    if kind not in ("weights.safetensors", "weights.h5"):
        raise ValueError(
            f"The filename must end in `.weights.safetensors` or `.weights.h5`. Received: filepath={path}"
        )
    _check_built(model, "saving")
    if not _proceed(path, overwrite):
        return
    groups, names = collect_state(model)
    randomness = _random_state_entry(model)
    if kind == "weights.h5":
        payload: Any = h5_io.write_h5(groups, names, randomness)
    else:
        metadata = {"format": "pt", "torchkeras_format": "weights", **randomness}
        payload = safetensors_io.encode(_flatten(groups), metadata)
    atomic_write(path, payload)


def load_weights(model: Any, filepath: str | os.PathLike, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Loads weights from `.weights.safetensors`, `.weights.h5`, `.keras` or `.safetensors` files.

    All weights are checked (presence, shape, dtype) before any is assigned. The optimizer state in
    the file is restored too, also when the optimizer is not built yet (it is applied at build).

    Raises:
        ValueError / OSError: naming the file, when it is malformed or does not fit the model.
        ImportError: for `.h5` files when h5py is not installed.
    """
    if kwargs:
        raise ValueError(f"Invalid keyword arguments for `load_weights`: {sorted(kwargs)}")
    path = os.fspath(filepath)
    kind = _format_of(path)
    _check_built(model, "loading weights into")
    with _naming(path):
        if kind == "keras":
            _restore_archive_weights(model, keras_archive.read_archive(path), path, skip_mismatch)
        elif kind in ("weights.h5", "h5"):
            if not os.path.isfile(path):
                raise FileNotFoundError(f"No such file: {path!r}")
            file, store = h5_io.read_h5(path, path)
            with file:
                restore_state(model, store, path, skip_mismatch, h5_io.read_text(file, RANDOM_STATE, path))
        elif kind in ("weights.safetensors", "safetensors"):
            with safetensors_io.SafetensorsFile(path) as file:
                if "torchkeras_format" in file.metadata:
                    randomness = file.metadata.get(RANDOM_STATE)
                    restore_state(model, _store(file.tensors, path), path, skip_mismatch, randomness)
                else:
                    _restore_state_dict(model, file.tensors, path)
        else:
            raise ValueError(
                "unsupported file: `load_weights` reads `.weights.safetensors`, `.weights.h5`, `.keras` and "
                "`.safetensors` files"
            )


def _restore_state_dict(model: Any, tensors: Mapping[str, Any], path: str) -> None:
    """A plain `state_dict()` saved with safetensors (of the model, or of the torch module it wraps):
    names, shapes and dtype kinds must all match."""
    own = model.state_dict(keep_vars=True)
    wrapped = getattr(model, "module", None)
    inner = wrapped.state_dict(keep_vars=True) if isinstance(wrapped, torch.nn.Module) else {}
    if set(tensors) != set(own) and set(tensors) == set(inner):
        own = inner
    if set(tensors) != set(own):
        missing, extra = sorted(set(own) - set(tensors))[:5], sorted(set(tensors) - set(own))[:5]
        raise ValueError(
            "the file's tensor names do not match the model's `state_dict()` "
            f"(missing {missing}, unexpected {extra})"
        )
    problems = [
        f"{key}: the model has {tuple(own[key].shape)} {own[key].dtype}, "
        f"the file {tuple(entry.shape)} {entry.dtype}"
        for key, entry in tensors.items()
        if tuple(entry.shape) != tuple(own[key].shape)
        or dtype_kind(entry.dtype) != dtype_kind(own[key].dtype)
    ]
    if problems:
        raise ValueError(
            f"{len(problems)} tensor(s) do not fit the model; nothing was assigned: {problems[:10]}"
        )
    values = {key: entry.read() for key, entry in tensors.items()}
    with torch.no_grad():
        for key, value in values.items():
            own[key].copy_(value.to(dtype=own[key].dtype, device=own[key].device))
