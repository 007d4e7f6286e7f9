"""`KerasFileEditor`: inspect and edit the weights of a `.keras` or `.weights.h5` file without
building the model.

The weights are read (with the same safety checks as loading) into a nested dict following the
file's layout, e.g. `weights_dict["layers"]["dense"] == {"0": kernel, "1": bias}`, edited in
memory, and written to a new `.weights.h5` file with `save`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch

from torchkeras.saving import h5_io
from torchkeras.saving.keras_archive import read_archive
from torchkeras.saving.state import collect_state
from torchkeras.utils.io import atomic_write
from torchkeras.utils.progbar import print_msg

__all__ = ["KerasFileEditor"]


class KerasFileEditor:
    """Opens a saved file's weights for inspection and editing.

    Args:
        filepath: a `.keras` archive or a `.weights.h5` file.

    Example:
    ```python
    editor = keras.saving.KerasFileEditor("model.keras")
    editor.summary()
    editor.rename_object("dense_3", "dense_4")
    editor.compare(model)
    editor.save("edited.weights.h5")
    model.load_weights("edited.weights.h5")
    ```
    """

    def __init__(self, filepath: str | os.PathLike):
        path = os.fspath(filepath)
        self.filepath = path
        self.config: Any = None
        self.metadata: Any = None
        if path.endswith(".keras"):
            members = read_archive(path)
            if "model.weights.h5" not in members:
                raise ValueError(f"{path!r} holds no `model.weights.h5` (was it saved by Keras 3?).")
            self.config = json.loads(members["config.json"]) if "config.json" in members else None
            self.metadata = json.loads(members["metadata.json"]) if "metadata.json" in members else None
            source: Any = members["model.weights.h5"]
        elif path.endswith(".weights.h5"):
            source = path
        else:
            raise ValueError(
                f"Invalid filename: expected a `.keras` or `.weights.h5` extension. Received: filepath={path}"
            )
        file, groups = h5_io.read_h5(source, path)
        try:
            self.weights_dict = _nested(
                {
                    group: {k: _array(e.read()) for k, e in entries.items()}
                    for group, entries in groups.items()
                }
            )
        finally:
            file.close()
        print_msg(f"Keras model file '{path}'")
        if self.metadata:
            print_msg(
                f"Saved with Keras {self.metadata.get('keras_version')} - "
                f"date: {self.metadata.get('date_saved')}"
            )

    # ------------------------------------------------------------------ reading

    def summary(self) -> None:
        """Prints the file's objects and weights (path, shape, dtype)."""
        self.weights_summary()

    def weights_summary(self) -> None:
        for line in _describe(self.weights_dict, ""):
            print_msg(line)

    def compare(self, reference_model: Any) -> dict[str, Any]:
        """Lists every mismatch between the file and `reference_model`'s weights.

        Returns:
            `{"status": "success" or "error", "error_count": n, "match_count": m}`.
        """
        print_msg("Running comparison")
        groups, _ = collect_state(reference_model)
        reference = _nested({g: {k: _array(v) for k, v in t.items()} for g, t in groups.items()})
        checked: set[str] = set()
        errors, matches = _compare(self.weights_dict, reference, "", "saved file", "reference model", checked)
        more_errors, _ = _compare(reference, self.weights_dict, "", "reference model", "saved file", checked)
        errors += more_errors
        print_msg("─────────────────────")
        if errors == 0:
            print_msg("Comparison successful: saved file is compatible with the reference model")
            print_msg(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print_msg(
                f"Found {errors} error{'' if errors == 1 else 's'}: "
                "saved file is not compatible with the reference model"
            )
        return {
            "status": "success" if errors == 0 else "error",
            "error_count": errors,
            "match_count": matches,
        }

    # ------------------------------------------------------------------ editing

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (e.g. `"dense_2"` or `"layers/dense_2"`) to the leaf name `new_name`."""

        def rename(parent: dict, name: str) -> None:
            parent[new_name] = parent.pop(name)

        self._edit(object_name, rename, new_name)

    def delete_object(self, object_name: str) -> None:
        """Removes an object (e.g. a layer) and its weights."""
        self._edit(object_name, lambda parent, name: parent.pop(name))

    def add_object(self, object_path: str, weights: dict[str, Any]) -> None:
        """Adds an object at `object_path` (e.g. `"layers/dense_2"`) holding `weights`
        (`{"0": kernel, "1": bias}`)."""
        _check_weights(weights)
        elements = object_path.split("/")
        parent = self._parent(elements, "/".join(elements[:-1]))
        parent[elements[-1]] = {k: _array(v) for k, v in weights.items()}

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes the weight `weight_name` (e.g. `"0"`) of an object."""

        def delete(parent: dict, name: str) -> None:
            if weight_name not in parent[name]:
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. "
                    f"Weights found: {list(parent[name].keys())}"
                )
            parent[name].pop(weight_name)

        self._edit(object_name, delete)

    def add_weights(self, object_name: str, weights: dict[str, Any]) -> None:
        """Adds weights (`{"2": array}`) to an existing object."""
        _check_weights(weights)
        self._edit(
            object_name, lambda parent, name: parent[name].update({k: _array(v) for k, v in weights.items()})
        )

    # ------------------------------------------------------------------ writing

    def save(self, filepath: str | os.PathLike) -> None:
        """Writes the edited weights to a `.weights.h5` file (Keras's layout)."""
        path = os.fspath(filepath)
        if not path.endswith(".weights.h5"):
            raise ValueError(
                f"Invalid `filepath` argument: expected a `.weights.h5` extension. Received: filepath={path}"
            )
        groups: dict[str, dict[str, torch.Tensor]] = {}
        _flatten(self.weights_dict, "", groups)
        atomic_write(path, h5_io.write_h5(groups, {}))

    def resave_weights(self, filepath: str | os.PathLike) -> None:
        self.save(filepath)

    # ------------------------------------------------------------------ helpers

    def _parent(self, elements: list[str], shown: str) -> dict:
        parent = self.weights_dict
        for element in elements[:-1]:
            if not isinstance(parent.get(element), dict):
                raise ValueError(f"Path '{shown}' not found in model.")
            parent = parent[element]
        return parent

    def _edit(self, source_name: str, edit: Any, target_name: str | None = None) -> None:
        if target_name is not None and "/" in target_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{target_name}'"
            )
        if "/" in source_name:
            elements = source_name.split("/")
            parent = self._parent(elements, source_name)
            if elements[-1] not in parent:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit(parent, elements[-1])
            return
        parents = _parents_holding(self.weights_dict, source_name)
        if len(parents) > 1:
            raise ValueError(
                f"Name '{source_name}' occurs more than once in the model; try passing a complete path"
            )
        if not parents:
            raise ValueError(
                f"Source name '{source_name}' does not appear in the model. "
                "Use `editor.weights_summary()` to "
                "list all objects."
            )
        edit(parents[0], source_name)


def _array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.float().numpy() if value.dtype == torch.bfloat16 else value.numpy()
    return np.asarray(value)


def _check_weights(weights: Any) -> None:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually '0', '1', etc.) and "
            f"values are NumPy arrays. Received: type(weights)={type(weights)}"
        )


def _nested(groups: dict[str, dict[str, np.ndarray]]) -> dict:
    """`{"layers/dense": {"0": a}}` -> `{"layers": {"dense": {"0": a}}}`."""
    root: dict = {}
    for path, arrays in groups.items():
        node = root
        for element in [e for e in path.split("/") if e]:
            node = node.setdefault(element, {})
        node.update(arrays)
    return root


def _flatten(node: dict, path: str, groups: dict) -> None:
    arrays = {}
    for name, value in node.items():
        if isinstance(value, dict):
            if value:
                _flatten(value, f"{path}/{name}" if path else name, groups)
        else:
            arrays[name] = torch.from_numpy(np.ascontiguousarray(np.asarray(value)))
    if arrays:
        groups[path] = arrays


def _parents_holding(node: dict, name: str) -> list[dict]:
    found = [node] if name in node else []
    for value in node.values():
        if isinstance(value, dict):
            found.extend(_parents_holding(value, name))
    return found


def _describe(node: dict, path: str) -> list[str]:
    lines = []
    for name, value in node.items():
        where = f"{path}/{name}"
        if isinstance(value, dict):
            lines.extend(_describe(value, where))
        else:
            lines.append(f"{where}: shape={tuple(value.shape)}, dtype={value.dtype}")
    return lines


def _compare(
    target: dict, reference: dict, path: str, target_name: str, ref_name: str, checked: set
) -> tuple[int, int]:
    errors = matches = 0
    for key, value in reference.items():
        where = f"{path}/{key}"
        if where in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(where)
            if isinstance(value, dict):
                print_msg(f"...Object {where} present in {ref_name}, missing from {target_name}")
                print_msg(f"    In {ref_name}, {where} contains the following keys: {list(value.keys())}")
            else:
                print_msg(f"...Weight {where} present in {ref_name}, missing from {target_name}")
        elif isinstance(value, dict):
            more_errors, more_matches = _compare(target[key], value, where, target_name, ref_name, checked)
            errors += more_errors
            matches += more_matches
        elif tuple(target[key].shape) != tuple(value.shape):
            errors += 1
            checked.add(where)
            print_msg(
                f"...Weight shape mismatch for {where}\n    In {ref_name}: shape={tuple(value.shape)}\n"
                f"    In {target_name}: shape={tuple(target[key].shape)}"
            )
        else:
            matches += 1
    return errors, matches
